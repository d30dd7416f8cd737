"""Build the benchmark corpus from the command line (see tests/perf/corpus.py).

python -m tests.perf.build_corpus --scale 10000 [--seed 42] [--reset | --delete]
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "genetx.settings")
django.setup()

from tests.perf.corpus import Command  # noqa: E402 -- the models need django.setup() first

Command().run_from_argv([sys.argv[0], "build_corpus", *sys.argv[1:]])
