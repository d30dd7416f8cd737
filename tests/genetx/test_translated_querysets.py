"""Querysets of translated models: django-modeltranslation's "Multilingual" queryset class is
built once per class (genetx.translation_sync.reuse_multilingual_queryset_classes), with
its behaviour unchanged."""

import pickle

import pytest
from django.utils import translation
from modeltranslation.manager import MultilingualQuerySet

from sources.models import Claim
from tests.factories import make_therapy
from therapies.models import Therapy, TherapyQuerySet

pytestmark = pytest.mark.django_db


def test_every_query_of_a_model_uses_one_multilingual_class():
    first = Therapy.objects.published()
    second = Therapy.objects.for_listing().filter(slug="x")
    assert type(first) is type(second)
    assert isinstance(first, MultilingualQuerySet) and isinstance(first, TherapyQuerySet)
    # Another model's queryset class keeps its own.
    assert type(Claim.objects.published()) is not type(first)


def test_the_reused_class_still_reads_and_filters_in_the_pages_language():
    make_therapy(name_en="Gene therapy", name_es="Terapia génica")
    with translation.override("es"):
        assert Therapy.objects.published().get().name == "Terapia génica"
        # Lookups on a translated field read the page's language column.
        assert Therapy.objects.published().filter(name="Terapia génica").exists()
    assert Therapy.objects.published().filter(name="Gene therapy").exists()


def test_a_pickled_queryset_comes_back_as_the_same_class():
    make_therapy(name="Kept")
    queryset = Therapy.objects.published()
    list(queryset)
    restored = pickle.loads(pickle.dumps(queryset))
    assert type(restored) is type(queryset)
    assert [t.name for t in restored] == ["Kept"]
