import os

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests: a quick profile for everyday runs, a thorough one for CI
# (HYPOTHESIS_PROFILE=thorough in .ci/run). Tests set no max_examples of their own.
hypothesis_settings.register_profile("quick", max_examples=12)
hypothesis_settings.register_profile("thorough", max_examples=40)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache, so a cached page never leaks between tests."""
    from django.core.cache import cache

    from genetx.cache import forget_local_state

    cache.clear()
    forget_local_state()
    yield
    cache.clear()
    forget_local_state()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in English: a request to a Spanish page activates Spanish in its
    thread (genetx.i18n), and reverse() in a later test would otherwise give /es/ URLs."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def roles(db):
    """The Editor and Publisher groups, as the data migration and setup_roles define them.

    Set up again per test because transactional tests flush the groups away.
    """
    from django.contrib.auth.models import Group, Permission

    from genetx.roles import ensure_roles

    ensure_roles(Group, Permission)
    return {group.name: group for group in Group.objects.filter(name__in=["Editor", "Publisher"])}


@pytest.fixture
def editor(roles):
    from tests.factories import make_user

    return make_user(username="edna", groups=[roles["Editor"]])


@pytest.fixture
def publisher(roles):
    from tests.factories import make_user

    return make_user(username="pablo", groups=[roles["Publisher"]])


@pytest.fixture(params=["en", "es"])
def language(request):
    """Run the test in each language of the site: reverse() and the public routes give that
    language's URLs (/es/... for Spanish) while the test runs."""
    from django.utils import translation

    with translation.override(request.param):
        yield request.param


@pytest.fixture(scope="module")
def demo_content(django_db_setup, django_db_blocker):
    """The demo content, loaded once per test module that only reads it.

    Loading the demo takes about a second; the modules that read it run dozens of tests.
    The content is loaded inside a transaction that stays open for the module: each test
    runs in a savepoint within it (pytest-django's usual per-test rollback), and the whole
    load is rolled back after the module, so no other module sees it. Not for modules with
    transactional tests, which would commit and flush across that transaction.
    """
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", verbosity=0)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
