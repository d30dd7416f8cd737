"""CSV import (with its dry run) and export of therapies and institutions in the admin."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from genetx.models import Status
from hospitals.models import Institution
from tests.factories import make_condition, make_institution, make_modality, make_therapy
from therapies.models import Therapy

pytestmark = pytest.mark.django_db

HEADER = "slug,name,kind,modality,conditions,development_status,summary,status\n"


def csv_upload(text: str, name: str = "therapies.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def dry_run(client, text, name="therapies.csv", model="therapies_therapy"):
    return client.post(
        reverse(f"admin:{model}_import"),
        {"resource": "0", "format": "0", "import_file": csv_upload(text, name)},
    )


def confirm(client, response, model="therapies_therapy"):
    form = response.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    return client.post(reverse(f"admin:{model}_process_import"), data, follow=True)


@pytest.fixture
def references():
    make_modality(slug="car-t", name="CAR-T")
    make_condition(slug="all", name="Acute lymphoblastic leukaemia")
    make_condition(slug="lymphoma", name="Lymphoma")


def test_dry_run_previews_rows_and_saves_nothing(client, editor, references):
    client.force_login(editor)
    text = HEADER + "ari-0001,ARI-0001,product,car-t,all|lymphoma,in_use,A CAR-T.,draft\n"
    response = dry_run(client, text)
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new"]
    assert not Therapy.objects.exists()


def test_confirmed_import_creates_drafts_even_when_the_file_says_published(
    client, editor, references
):
    client.force_login(editor)
    text = HEADER + "ari-0001,ARI-0001,product,car-t,all|lymphoma,in_use,A CAR-T.,published\n"
    response = confirm(client, dry_run(client, text))
    assert response.status_code == 200
    therapy = Therapy.objects.get(slug="ari-0001")
    assert therapy.status == Status.DRAFT and therapy.published_at is None
    assert therapy.modality.slug == "car-t"
    assert sorted(therapy.conditions.values_list("slug", flat=True)) == ["all", "lymphoma"]


def test_a_row_with_an_existing_slug_updates_that_therapy(client, publisher, references):
    make_therapy(slug="ari-0001", name="Old name", summary="Old.")
    client.force_login(publisher)
    text = HEADER + "ari-0001,ARI-0001,product,car-t,all,in_use,New summary.,draft\n"
    result = dry_run(client, text).context["result"]
    assert [row.import_type for row in result.rows] == ["update"]
    confirm(client, dry_run(client, text))
    therapy = Therapy.objects.get(slug="ari-0001")
    assert (therapy.name, therapy.summary, therapy.status) == (
        "ARI-0001",
        "New summary.",
        Status.PUBLISHED,
    )
    assert Therapy.objects.count() == 1


def test_invalid_rows_are_named_by_line_and_field(client, editor, references):
    client.force_login(editor)
    text = (
        HEADER
        + "ok-one,OK,product,car-t,,,Fine.,\n"
        + "bad-kind,Bad,medicine,car-t,,,Kind is wrong.,\n"
    )
    response = dry_run(client, text)
    result = response.context["result"]
    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    assert "kind" in invalid.field_specific_errors
    html = response.content.decode()
    assert 'class="validation-error-field-label">kind</span>' in html
    assert "medicine" in html
    assert not Therapy.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("therapies.txt", HEADER, "Choose a CSV file"),
        ("therapies.csv", HEADER + "x" * (2 * 1024 * 1024), "the limit is 2 MB"),
    ],
)
def test_wrong_type_or_oversized_csv_is_refused_clearly(client, editor, name, content, message):
    client.force_login(editor)
    response = dry_run(client, content, name=name)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["import_file"])


def test_a_binary_file_named_csv_gives_an_error_not_a_crash(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:therapies_therapy_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x89PNG\x00\x00"),
        },
    )
    assert response.status_code == 200
    assert not Therapy.objects.exists()


def test_institutions_import_from_csv(client, editor):
    client.force_login(editor)
    text = (
        "slug,name,kind,city,region,country,ror_id\n"
        "hospital-clinic,Hospital Clínic de Barcelona,hospital,Barcelona,Catalonia,ES,02a2kzf50\n"
        "bad-country,Somewhere,hospital,Nowhere,,Spain,\n"
    )
    response = dry_run(client, text, name="institutions.csv", model="hospitals_institution")
    [invalid] = response.context["result"].invalid_rows
    assert (invalid.number, list(invalid.field_specific_errors)) == (2, ["country"])
    good = "\n".join(text.splitlines()[:2]) + "\n"
    confirm(
        client,
        dry_run(client, good, name="institutions.csv", model="hospitals_institution"),
        model="hospitals_institution",
    )
    institution = Institution.objects.get(slug="hospital-clinic")
    assert (institution.city, institution.status) == ("Barcelona", Status.DRAFT)


def test_therapies_export_as_csv_with_slugs(client, editor):
    therapy = make_therapy(slug="ari-0001", modality=make_modality(slug="car-t"))
    therapy.conditions.set([make_condition(slug="all")])
    client.force_login(editor)
    form = client.get(reverse("admin:therapies_therapy_export")).context["form"]
    data = {name: "on" for name in form.fields if name.startswith("therapyresource_")}
    response = client.post(
        reverse("admin:therapies_therapy_export"), {**data, "resource": "0", "format": "0"}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["slug"], r["modality"], r["conditions"], r["status"]) for r in rows] == [
        ("ari-0001", "car-t", "all", "published")
    ]


def admin_export(client, model="therapies_therapy", prefix="therapyresource_"):
    url = reverse(f"admin:{model}_export")
    form = client.get(url).context["form"]
    data = {name: "on" for name in form.fields if name.startswith(prefix)}
    response = client.post(url, {**data, "resource": "0", "format": "0"})
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB"]


def test_admin_csv_export_neutralises_formulas(client, editor):
    for number, formula in enumerate(FORMULAS):
        make_therapy(slug=f"formula-{number}", name=formula, summary=formula)
    client.force_login(editor)
    rows = list(csv.DictReader(io.StringIO(admin_export(client))))
    assert sorted(row["name"] for row in rows) == sorted("'" + formula for formula in FORMULAS)
    assert all(row["summary"].startswith("'") for row in rows)


def test_an_exported_csv_imports_back_unchanged(client, editor, references):
    """The quote that defuses a formula comes off on import: nothing is changed or refused."""
    make_therapy(slug="formula", name="=1+1", summary="-2 is a plain statement.")
    make_institution(slug="south", name="Southern hospital", latitude=-34.6, longitude=-58.4)
    client.force_login(editor)
    text = admin_export(client)
    assert "'=1+1" in text
    result = dry_run(client, text).context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip"]
    text = admin_export(client, "hospitals_institution", "institutionresource_")
    assert "'-34.6" in text
    result = dry_run(client, text, "institutions.csv", "hospitals_institution").context["result"]
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["skip"]
    therapy = Therapy.objects.get(slug="formula")
    assert (therapy.name, therapy.summary) == ("=1+1", "-2 is a plain statement.")


def database_refuses_slug():
    """A trigger in the real database that refuses to store one slug: added after a dry run,
    it makes a row that passed it fail when saved (as a concurrent change would)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_slug() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by the database'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse_slug BEFORE INSERT ON therapies_therapy FOR EACH ROW "
                "WHEN (NEW.slug = 'refused') EXECUTE FUNCTION refuse_slug()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse_slug BEFORE INSERT ON therapies_therapy "
                "WHEN NEW.slug = 'refused' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
            )


def test_a_row_failing_when_saved_leaves_nothing_saved_and_says_so(client, editor, references):
    client.force_login(editor)
    text = (
        HEADER
        + "first,First,product,car-t,,,One.,\n"
        + "second,Second,product,car-t,,,Two.,\n"
        + "refused,Refused,product,car-t,,,Three.,\n"
    )
    preview = dry_run(client, text)
    database_refuses_slug()
    response = confirm(client, preview)
    messages = [str(message) for message in response.context["messages"]]
    assert not Therapy.objects.exists()
    assert not any("new" in message for message in messages)
    assert messages[0].startswith("Import failed; nothing was saved.")
    assert "row 3: refused by the database" in messages[0]


def test_a_csv_over_the_row_limit_is_refused_before_its_dry_run(client, editor, settings):
    settings.IMPORT_MAX_ENTRIES = 2
    client.force_login(editor)
    text = HEADER + "".join(f"t-{n},T{n},product,,,,,\n" for n in range(3))
    response = dry_run(client, text)
    assert "result" not in response.context
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "The file has 3 rows; at most 2 can be imported at once" in errors


def test_a_csv_cell_over_the_size_limit_is_refused(client, editor, settings):
    settings.IMPORT_MAX_FIELD_CHARS = 50
    client.force_login(editor)
    response = dry_run(client, HEADER + f"big,Big,product,,,,{'x' * 51},\n")
    errors = " ".join(response.context["form"].errors["import_file"])
    assert "Column 7 of line 2 is 51 characters long; a field may have at most 50" in errors
    assert not Therapy.objects.exists()
