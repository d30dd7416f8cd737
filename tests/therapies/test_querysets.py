"""What the therapy and condition QuerySet methods mean, and what they cost."""

import pytest

from tests.factories import make_condition, make_modality, make_therapy
from therapies.models import Condition, Modality, Therapy

pytestmark = pytest.mark.django_db


def test_for_condition_includes_therapies_for_its_direct_sub_conditions():
    haemophilia = make_condition()
    haemophilia_a = make_condition(parent=haemophilia)
    deeper = make_condition(parent=haemophilia_a)
    for_parent = make_therapy(conditions=[haemophilia])
    for_child = make_therapy(conditions=[haemophilia_a])
    make_therapy(conditions=[deeper])
    make_therapy(conditions=[make_condition()])
    assert set(Therapy.objects.for_condition(haemophilia)) == {for_parent, for_child}


def test_for_condition_lists_a_therapy_once_when_it_treats_parent_and_child():
    parent = make_condition()
    child = make_condition(parent=parent)
    therapy = make_therapy(conditions=[parent, child])
    assert list(Therapy.objects.for_condition(parent)) == [therapy]


def test_for_condition_of_a_sub_condition_does_not_climb_to_the_parent():
    parent = make_condition()
    child = make_condition(parent=parent)
    make_therapy(conditions=[parent])
    assert not Therapy.objects.for_condition(child).exists()


def test_therapy_listing_is_published_therapies_with_published_conditions_only(
    django_assert_num_queries,
):
    shown = make_condition()
    hidden = make_condition(status="draft")
    therapy = make_therapy(conditions=[shown, hidden])
    make_therapy(status="draft", conditions=[shown])
    with django_assert_num_queries(2):
        rows = [
            (t, t.modality.name, list(t.conditions.all())) for t in Therapy.objects.for_listing()
        ]
    assert rows == [(therapy, therapy.modality.name, [shown])]


def test_therapy_listing_costs_the_same_queries_for_many_rows(django_assert_num_queries):
    conditions = [make_condition() for _ in range(3)]
    for _ in range(12):
        make_therapy(conditions=conditions)
    with django_assert_num_queries(2):
        rows = [(t.modality.name, list(t.conditions.all())) for t in Therapy.objects.for_listing()]
    assert len(rows) == 12


def test_condition_therapy_count_counts_published_therapies_only(django_assert_num_queries):
    parent = make_condition()
    condition = make_condition(parent=parent)
    make_therapy(conditions=[condition])
    make_therapy(conditions=[condition])
    make_therapy(status="draft", conditions=[condition])
    make_condition(status="draft")
    with django_assert_num_queries(1):
        counts = {c.name: (c.therapy_count, str(c.parent)) for c in Condition.objects.for_listing()}
    assert counts == {parent.name: (0, "None"), condition.name: (2, parent.name)}


def test_condition_detail_lists_published_sub_conditions_only():
    parent = make_condition()
    child = make_condition(parent=parent)
    make_condition(parent=parent, status="draft")
    found = Condition.objects.for_detail().get(pk=parent.pk)
    assert list(found.children.all()) == [child]


def test_modality_therapy_count_counts_published_therapies_only():
    modality = make_modality()
    make_therapy(modality=modality)
    make_therapy(modality=modality, status="draft")
    assert Modality.objects.with_therapy_count().get(pk=modality.pk).therapy_count == 1
