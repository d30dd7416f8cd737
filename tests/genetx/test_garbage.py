"""A web worker tunes Python's garbage collector (genetx/garbage.py): a higher threshold at
once, and what lives after its first request frozen. Each case runs in a fresh interpreter,
since the collector's settings are the process's."""

import json
import os
import subprocess
import sys

from django.conf import settings

# Loads the WSGI application as a server does, reads the collector's state, then ends a
# request as Django does (request_finished) and reads it again.
PROBE = """
import gc, json
import genetx.wsgi
from django.core.signals import request_finished
before = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
request_finished.send(sender=None)
request_finished.send(sender=None)
after = {"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}
print(json.dumps([before, after]))
"""


def probe(**env) -> list[dict]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GENETX_"))}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_worker_raises_the_threshold_and_freezes_after_its_first_request():
    before, after = probe()
    assert before["threshold"] == [10_000, 20, 10]
    assert before["frozen"] == 0
    # The framework, URL patterns and settings, hundreds of thousands of objects.
    assert after["frozen"] > 50_000
    assert after["threshold"] == before["threshold"]


def test_a_threshold_of_zero_leaves_pythons_defaults():
    before, after = probe(GENETX_GC_THRESHOLD="0")
    assert before["threshold"] == after["threshold"] == [700, 10, 10]
    assert after["frozen"] == 0


def test_a_threshold_of_another_number_is_used():
    before, _ = probe(GENETX_GC_THRESHOLD="2500")
    assert before["threshold"] == [2500, 20, 10]


def test_a_threshold_that_is_not_a_number_stops_the_worker_with_a_message():
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GENETX_"))}
    result = subprocess.run(
        [sys.executable, "-c", "import genetx.wsgi"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_DEBUG": "1", "GENETX_GC_THRESHOLD": "lots"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GENETX_GC_THRESHOLD must be a whole number, not 'lots'" in result.stderr
