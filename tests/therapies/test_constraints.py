"""The database and validation refuse bad conditions, therapies and decisions."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tests.factories import (
    make_condition,
    make_decision,
    make_modality,
    make_source,
    make_therapy,
)
from therapies.models import Condition, Modality

pytestmark = pytest.mark.django_db


def condition_errors(**fields) -> dict[str, list[str]]:
    condition = Condition(name="Test condition", slug="test-condition", category="genetic")
    for name, value in fields.items():
        setattr(condition, name, value)
    with pytest.raises(ValidationError) as caught:
        condition.full_clean()
    return caught.value.message_dict


@pytest.mark.parametrize("code", ["98896", "orpha:98896", "ORPHA 98896", "ORPHA:", "ORPHA:0"])
def test_a_malformed_orpha_code_gets_a_message_an_editor_understands(code):
    errors = condition_errors(orpha_code=code)
    assert errors["orpha_code"] == [
        "Write an Orphanet code as ORPHA: followed by its number, for example ORPHA:98896."
    ]


def test_the_database_refuses_an_orpha_code_without_its_prefix():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_condition(orpha_code="98896")


def test_an_orpha_code_belongs_to_one_condition():
    make_condition(orpha_code="ORPHA:98896")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_condition(orpha_code="ORPHA:98896")


@pytest.mark.parametrize("code", ["g71.0", "G7", "G71.", "G71.000", "71.0"])
def test_a_malformed_icd10_code_gets_a_message_an_editor_understands(code):
    errors = condition_errors(icd10_code=code)
    assert "Write an ICD-10 code as a capital letter and two digits" in errors["icd10_code"][0]


@pytest.mark.parametrize("code", ["G71.0", "D66", "C90.0"])
def test_well_formed_identifiers_pass(code):
    condition = Condition(
        name="Fine", slug="fine", category="genetic", orpha_code="ORPHA:98896", icd10_code=code
    )
    condition.full_clean()


def test_an_unknown_condition_category_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_condition(category="mystery")


def test_a_condition_cannot_be_its_own_parent():
    condition = make_condition()
    condition.parent = condition
    with pytest.raises(IntegrityError), transaction.atomic():
        condition.save()


def test_deleting_a_condition_with_sub_conditions_is_refused():
    parent = make_condition()
    make_condition(parent=parent)
    with pytest.raises(ProtectedError), transaction.atomic():
        parent.delete()


def test_deleting_a_modality_in_use_is_refused():
    modality = make_modality()
    make_therapy(modality=modality)
    with pytest.raises(ProtectedError), transaction.atomic():
        modality.delete()


def test_an_unknown_delivery_or_therapy_kind_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        Modality.objects.create(name="X", slug="x", delivery="by_post")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_therapy(kind="potion")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_therapy(development_status="rumoured")


@pytest.mark.parametrize("date", [datetime.date(1949, 12, 31), datetime.date(2101, 1, 1)])
def test_a_decision_dated_out_of_range_is_refused(date):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_decision(date=date)


def test_the_same_decision_is_recorded_once():
    decision = make_decision()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_decision(
            therapy=decision.therapy,
            agency=decision.agency,
            kind=decision.kind,
            date=decision.date,
        )


def test_deleting_the_source_of_a_decision_is_refused():
    source = make_source()
    make_decision(source=source)
    with pytest.raises(ProtectedError), transaction.atomic():
        source.delete()
