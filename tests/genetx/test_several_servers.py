"""An import previewed on one app server is confirmed on another: the file waits in the
database, not in one server's memory or temporary folder.

The second server is a separate Python process with its own temporary folder, talking to
the same database, as a second app server behind a load balancer would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from sources.models import Source
from tests.factories import make_modality
from tests.sources.test_admin_import import BIBTEX, IMPORT_URL, preview
from tests.therapies.test_admin_csv import HEADER, dry_run
from therapies.models import Therapy

# Committed data: the other process reads the database, not this test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[2]

OTHER_SERVER = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.contrib.auth import get_user_model
from django.test import Client

url, data, username = json.loads(sys.argv[1])
client = Client()
client.force_login(get_user_model().objects.get(username=username))
response = client.post(url, data, follow=True)
print(json.dumps([response.status_code, [str(m) for m in response.context["messages"]]]))
"""


@pytest.fixture
def other_server(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared with another process")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # Its own temporary folder: a file left in this process's would not be found.
        "TMPDIR": str(tmp_path),
    }

    def post(url: str, data: dict, username: str) -> tuple[int, list[str]]:
        done = subprocess.run(
            [sys.executable, "-c", OTHER_SERVER, json.dumps([url, data, username])],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return tuple(json.loads(done.stdout.strip().splitlines()[-1]))

    return post


def test_a_bibtex_preview_is_confirmed_by_another_server(client, editor, other_server):
    client.force_login(editor)
    token = preview(client, "refs.bib", BIBTEX).context["confirm_form"]["job"].value()
    assert not Source.objects.exists()

    status, messages = other_server(
        reverse(IMPORT_URL), {"job": str(token), "confirm": "1"}, editor.username
    )

    assert status == 200
    assert messages[0].startswith("Import saved: 3 sources created")
    assert Source.objects.count() == 3


def test_a_csv_dry_run_is_confirmed_by_another_server(client, editor, other_server):
    make_modality(slug="car-t")
    client.force_login(editor)
    response = dry_run(client, HEADER + "ari-0001,ARI-0001,product,car-t,,,A CAR-T.,\n")
    form = response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}

    status, messages = other_server(
        reverse("admin:therapies_therapy_process_import"), data, editor.username
    )

    assert status == 200
    assert "1 new" in messages[0]
    assert Therapy.objects.get().slug == "ari-0001"
