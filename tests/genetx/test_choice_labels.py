"""get_<field>_display() on content models: the label in the active language, from a
mapping built once per field (genetx.models.ChoiceLabels)."""

from django.utils import translation

from genetx import models as genetx_models
from hospitals.models import Programme


def test_a_choice_label_is_in_the_active_language():
    programme = Programme(role=Programme.Role.DEVELOPS)
    assert programme.get_role_display() == "Develops"
    with translation.override("es"):
        assert programme.get_role_display() == "Desarrolla"
    programme.role = Programme.Role.TRIAL_SITE
    with translation.override("es"):
        assert programme.get_role_display() == "Centro de ensayo"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    # As Django's own: an old value left by a removed choice still shows.
    assert Programme(role="retired_role").get_role_display() == "retired_role"


def test_the_labels_are_mapped_once_per_field_not_on_every_call():
    # Django's own builds a dict of every choice on each call, translating each label to
    # hash it: a page of 100 programmes translated 500 role names to show 100.
    genetx_models._choice_labels.cache_clear()
    rows = [Programme(role=Programme.Role.TREATS) for _ in range(100)]
    with translation.override("es"):
        labels = {row.get_role_display() for row in rows}
    info = genetx_models._choice_labels.cache_info()
    assert labels == {"Trata a pacientes"}
    assert (info.misses, info.hits) == (1, 99)
