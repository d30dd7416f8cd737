"""Reading ClinicalTrials.gov API v2 studies (saved files, no network) into draft trials."""

import json
import socket
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from genetx.models import Status
from tests.factories import make_condition, make_trial, make_user
from therapies import ctgov
from therapies.models import Trial

pytestmark = pytest.mark.django_db

STUDIES = Path(__file__).parent / "studies"


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/json")


def saved(nct: str) -> dict:
    path = STUDIES / f"{nct}.json"
    return ctgov.read_study_file(upload(path.name, path.read_bytes()))


def test_the_cartbcma_study_maps_to_a_trial_preview():
    myeloma = make_condition(name="Multiple myeloma")
    study = ctgov.preview(saved("NCT04309981"))
    assert study.errors == {}
    assert study.values["nct_number"] == "NCT04309981"
    assert study.values["acronym"] == "CARTBCMA-HCB-01"
    assert study.values["phase"] == "phase_1_2"
    assert (study.values["start_date"].isoformat(), study.values["start_date_precision"]) == (
        "2020-05-27",
        "day",
    )
    assert study.values["start_date_kind"] == "actual"
    assert (study.values["enrolment"], study.values["enrolment_kind"]) == (73, "actual")
    assert study.conditions == [myeloma]
    assert study.can_import


def test_importing_creates_one_draft_trial_with_its_matched_links():
    make_condition(name="Duchenne muscular dystrophy")
    study = ctgov.preview(saved("NCT05096221"))
    assert study.unmatched == {"sites": ["Unrecorded Hospital"]}
    trial = ctgov.trial_create(study=study, user=make_user())
    assert trial.status == Status.DRAFT
    assert (trial.phase, trial.enrolment, trial.slug) == ("phase_3", 125, "embark")
    # Its EudraCT number comes from the study's secondary identifiers.
    assert (trial.nct_number, trial.eudract_number) == ("NCT05096221", "2019-003374-91")
    assert [c.name for c in trial.conditions.all()] == ["Duchenne muscular dystrophy"]
    assert trial.history.first().history_change_reason.startswith("Imported")
    # The same study again is recognised, not duplicated.
    again = ctgov.preview(saved("NCT05096221"))
    assert again.existing == trial and not again.can_import
    with pytest.raises(ValidationError):
        ctgov.trial_create(study=again, user=make_user())
    assert Trial.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"protocolSection": {"identificationModule": ', "not complete JSON"),
        (b"[1, 2, 3]", "protocolSection"),
        (b'{"studies": []}', "not a ClinicalTrials.gov API v2 study"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused_with_a_message(content, message):
    with pytest.raises(ctgov.StudyError, match=message):
        ctgov.read_study_file(upload("study.json", content))


def test_a_huge_file_is_refused_before_it_is_parsed():
    huge = b'{"protocolSection": {}, "pad": "' + b"x" * (ctgov.MAX_STUDY_BYTES + 10) + b'"}'
    with pytest.raises(ctgov.ImportFileError, match="MB"):
        ctgov.read_study_file(upload("study.json", huge))


def test_a_file_that_is_not_json_by_name_is_refused():
    with pytest.raises(ctgov.StudyError, match=r"\.json"):
        ctgov.read_study_file(upload("study.xml", b"<study/>"))


def test_malformed_fields_are_reported_per_field_and_nothing_is_saved():
    data = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT123", "briefTitle": ""},
            "statusModule": {
                "overallStatus": "SLEEPING",
                "startDateStruct": {"date": "2020-13-45"},
            },
            "designModule": {"phases": ["PHASE9"], "enrollmentInfo": {"count": "many"}},
        }
    }
    raw = json.dumps(data).encode()
    study = ctgov.preview(ctgov.read_study_file(upload("bad.json", raw)))
    assert set(study.errors) == {
        "nct_number",
        "title",
        "overall_status",
        "start_date",
        "phase",
        "enrolment",
    }
    assert not study.can_import
    with pytest.raises(ValidationError):
        ctgov.trial_create(study=study, user=make_user())
    assert not Trial.objects.exists()


def _with_secondary_ids(infos) -> dict:
    data = saved("NCT05096221")
    data["protocolSection"]["identificationModule"]["secondaryIdInfos"] = infos
    return data


def test_an_eu_ct_number_is_read_and_other_secondary_ids_are_ignored():
    study = ctgov.preview(
        _with_secondary_ids(
            [
                {"id": "2023-503412-33-00", "type": "CTIS"},
                {"id": "R01 HL123456", "type": "NIH"},
                {"id": "whatever", "type": "OTHER"},
            ]
        )
    )
    assert study.errors == {}
    assert study.values["euct_number"] == "2023-503412-33-00"
    assert "eudract_number" not in study.values


@pytest.mark.parametrize(
    ("infos", "field", "message"),
    [
        ([{"id": "2019-3374-91", "type": "EUDRACT_NUMBER"}], "eudract_number", "not a valid"),
        ([{"id": "<script>", "type": "CTIS"}], "euct_number", "not a valid"),
        (
            [
                {"id": "2019-003374-91", "type": "EUDRACT_NUMBER"},
                {"id": "2020-000001-11", "type": "EUDRACT_NUMBER"},
            ],
            "eudract_number",
            "two EudraCT numbers",
        ),
        ({"id": "2019-003374-91"}, "eudract_number", "not a list"),
    ],
)
def test_unreadable_european_numbers_are_reported_on_their_field(infos, field, message):
    study = ctgov.preview(_with_secondary_ids(infos))
    assert message in study.errors[field]
    assert not study.can_import


def test_a_trial_recorded_from_its_eudract_number_is_found():
    trial = make_trial(nct_number="", eudract_number="2019-003374-91")
    study = ctgov.preview(saved("NCT05096221"))
    assert study.existing == trial and not study.can_import


def test_an_existing_trial_is_found_by_its_number():
    trial = make_trial(nct_number="NCT04309981")
    assert ctgov.preview(saved("NCT04309981")).existing == trial


def test_a_malformed_number_is_refused_before_any_request():
    with pytest.raises(ctgov.StudyError, match="eight digits"):
        ctgov.fetch_study("NCT12", url="http://127.0.0.1:9/{nct}")


def test_fetching_offline_gives_a_clear_error():
    # A local port nothing listens on: the same failure as a server without network.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ctgov.StudyError, match="Could not reach ClinicalTrials.gov"):
        ctgov.fetch_study("NCT04309981", url=f"http://127.0.0.1:{port}/{{nct}}", timeout=2)


def test_a_slow_server_times_out_with_a_clear_error():
    # A listening socket that never answers: the fetch gives up after its timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 8120))
        silent.listen(1)
        with pytest.raises(ctgov.StudyError, match="within 1 seconds"):
            ctgov.fetch_study("NCT04309981", url="http://127.0.0.1:8120/{nct}", timeout=1)


def test_reading_a_study_rewinds_the_upload():
    # As the other imports do, so a second reader gets the whole file.
    path = STUDIES / "NCT04309981.json"
    handle = upload(path.name, path.read_bytes())
    ctgov.read_study_file(handle)
    assert handle.read(1) == b"{"


# The admin page ------------------------------------------------------------------------------


def test_the_admin_previews_a_study_then_creates_a_draft_trial(client, editor):
    from django.urls import reverse

    url = reverse("admin:therapies_trial_import")
    client.force_login(editor)
    path = STUDIES / "NCT04309981.json"
    response = client.post(url, {"file": upload(path.name, path.read_bytes())})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Preview: nothing has been saved yet" in body and "CARTBCMA-HCB-01" in body
    assert not Trial.objects.exists()
    response = client.post(
        url, {"confirm": "1", "study": response.context["study_json"]}, follow=True
    )
    trial = Trial.objects.get()
    assert trial.status == Status.DRAFT and trial.nct_number == "NCT04309981"
    assert "Draft trial" in response.content.decode()


def preview_table(body: str) -> dict[str, str]:
    """The preview table's rows, label: text."""
    import re
    from html import unescape

    table = body.split('id="study-preview"', 1)[1].split("</table>", 1)[0]
    return {
        unescape(label): unescape(text)
        for label, text in re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', table)
    }


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "en",
            {
                "ClinicalTrials.gov number": "NCT04309981",
                "Acronym": "CARTBCMA-HCB-01",
                "Phase": "Phase 1/2",
                "Start date": "27 May 2020 (actual)",
                "Enrolment": "73 participants (actual)",
                "Conditions": "Multiple myeloma",
            },
        ),
        (
            "es",
            {
                "Número de ClinicalTrials.gov": "NCT04309981",
                "Fase": "Fase 1/2",
                "Fecha de inicio": "27 de mayo de 2020 (real)",
                "Participantes": "73 participantes (real)",
            },
        ),
    ],
)
def test_the_admin_preview_names_fields_and_values_in_the_editors_language(
    client, editor, language, expected
):
    """The editor reads labels and choices, not the importer's field keys and codes."""
    from django.urls import reverse

    make_condition(name="Multiple myeloma")
    client.force_login(editor)
    client.cookies["django_language"] = language
    path = STUDIES / "NCT04309981.json"
    response = client.post(
        reverse("admin:therapies_trial_import"), {"file": upload(path.name, path.read_bytes())}
    )
    rows = preview_table(response.content.decode())
    assert rows.items() >= expected.items(), rows
    # No row is labelled with a field key or shows a stored code.
    assert not {"nct_number", "start_date_precision", "phase"} & set(rows)
    assert not {"phase_1_2", "actual", "day"} & set(rows.values())


def test_the_admin_preview_labels_unreadable_and_unmatched_fields(client, editor):
    from django.urls import reverse

    data = json.loads((STUDIES / "NCT05096221.json").read_text())
    data["protocolSection"]["designModule"]["phases"] = ["PHASE9"]
    client.force_login(editor)
    response = client.post(
        reverse("admin:therapies_trial_import"),
        {"file": upload("study.json", json.dumps(data).encode())},
    )
    body = response.content.decode()
    errors = body.split('id="study-errors"', 1)[1].split("</ul>", 1)[0]
    assert "<li>Phase: Unknown phases PHASE9.</li>" in errors
    unmatched = body.split('id="study-unmatched"', 1)[1].split("</ul>", 1)[0]
    assert "<li>Sites: Unrecorded Hospital</li>" in unmatched
    assert "Create the draft trial" not in body


@pytest.mark.parametrize(
    "content", [b'{"protocolSection": ', b"[]", b"\x00\x01"], ids=["cut", "shape", "binary"]
)
def test_the_admin_explains_a_bad_study_file_and_saves_nothing(client, editor, content):
    from django.urls import reverse

    client.force_login(editor)
    response = client.post(
        reverse("admin:therapies_trial_import"), {"file": upload("study.json", content)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"]
    assert not Trial.objects.exists()


def test_a_tampered_confirmation_saves_nothing(client, editor):
    from django.urls import reverse

    client.force_login(editor)
    bad = json.dumps({"protocolSection": {"identificationModule": {"nctId": "NCT1"}}})
    response = client.post(
        reverse("admin:therapies_trial_import"), {"confirm": "1", "study": bad}, follow=True
    )
    assert "Nothing was saved" in response.content.decode()
    assert not Trial.objects.exists()
