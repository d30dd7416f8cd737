"""The editors' admin in English and Spanish.

The admin keeps its one address (/admin/) in every language. It follows the language an
editor picks in the form in its header (a cookie), else the browser's Accept-Language,
else English; public pages ignore both (their language is in the URL). Review emails go
in settings.EMAIL_LANGUAGE, whatever the language of the admin page that sent them.
"""

from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.core import mail
from django.urls import reverse

from genetx.models import Revision, RevisionStatus, Status
from sources.models import Claim
from tests.adminforms import form_data
from tests.factories import make_claim, make_condition, make_source, make_therapy

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
LANGUAGE_FORM = reverse("admin-language")
INDEX = reverse("admin:index")

# Interface strings of the project's own admin customisations (templates, actions, list
# columns and filters, form fields, import pages): none may show on a Spanish admin page.
KNOWN_ENGLISH = {
    "GeneTx editors",
    "Therapies, institutions and sources",
    "Admin language",
    "Change language",
    "Editors' pages",
    "Data health",
    "Audit log",
    "Review queue",
    "My drafts",
    "Unpublished changes",
    "Public",
    "Submit for review",
    "Unpublish (back to draft)",
    "Archive (withdraw from readers)",
    "Reason for this change",
    "Optional. Shown in the record's history and in the audit log.",
    "Schedule",
    "Save draft",
    "Review queue: changes to published records",
    "New records awaiting review:",
    "Awaiting review",
    "Mine",
    "Compare with the live version",
    "Open the record",
    "Preview the public page with these changes",
    "Approve and publish",
    "Reject with comment",
    "Comment for the author (required to reject):",
    "Discard these changes",
    "Import BibTeX or RIS",
    "Import from ClinicalTrials.gov",
    "Preview import",
    "Preview",
    "Blank cells erase values",
    "Yes, publish them together",
    "No, take me back",
    "Filter the audit log",
    "Download as CSV",
    "Each number opens the list of the records it counts, where you can fix them.",
}


def _catalogue_strings() -> set[str]:
    """Whole English phrases of the catalogue whose Spanish differs (as in the public
    site's test): a Spanish page showing one shows English."""
    strings = set()
    for entry in polib.pofile(str(CATALOGUE)):
        text = entry.msgid
        if entry.msgid_plural or "%" in text or "<" in text or entry.msgstr == text:
            continue
        if len(text) >= 4:
            strings.add(text)
    return strings


class _Text(HTMLParser):
    """Each text node, the attributes a reader hears, and the labels of buttons."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.html_lang = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag in {"script", "style", "textarea", "option"}:
            # Option texts in filters are content (a condition's name); their labels are
            # checked as the filter's visible links instead.
            self._skip += 1
        for name in ("aria-label", "title", "alt", "placeholder"):
            if attrs.get(name):
                self.texts.append(attrs[name].strip())
        if tag == "input" and attrs.get("type") == "submit" and attrs.get("value"):
            self.texts.append(attrs["value"].strip())

    def handle_endtag(self, tag):
        if tag in {"script", "style", "textarea", "option"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def page_text(response) -> _Text:
    parser = _Text()
    parser.feed(response.content.decode())
    return parser


def english_on(response, english: set[str]) -> list[str]:
    return [text for text in page_text(response).texts if text in english]


def in_spanish(client):
    response = client.post(LANGUAGE_FORM, {"language": "es", "next": INDEX})
    assert response.status_code == 302
    return client


# Choosing the language ---------------------------------------------------------------------


def test_the_admin_is_english_by_default_and_follows_accept_language(client):
    english = client.get(reverse("admin:login"))
    assert page_text(english).html_lang == "en" and "Admin language" in english.content.decode()
    spanish = client.get(reverse("admin:login"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert page_text(spanish).html_lang == "es"
    assert "Idioma de la administración" in spanish.content.decode()
    assert spanish["Content-Language"] == "es"
    assert "Accept-Language" in spanish["Vary"]


def test_the_language_form_works_without_javascript_and_keeps_the_page(client, publisher):
    client.force_login(publisher)
    page = client.get(INDEX).content.decode()
    # A plain POST form in the header, with the page to come back to.
    assert f'action="{LANGUAGE_FORM}"' in page and 'name="next" value="/admin/"' in page
    changelist = reverse("admin:therapies_therapy_changelist") + "?status__exact=draft"
    response = client.post(LANGUAGE_FORM, {"language": "es", "next": changelist})
    assert response.status_code == 302 and response["Location"] == changelist
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    spanish = client.get(changelist)
    assert page_text(spanish).html_lang == "es"
    # The choice beats the browser's header; the admin keeps its address.
    assert page_text(client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en")).html_lang == "es"
    client.post(LANGUAGE_FORM, {"language": "en", "next": INDEX})
    assert page_text(client.get(INDEX, HTTP_ACCEPT_LANGUAGE="es")).html_lang == "en"


def test_the_admin_choice_does_not_change_public_pages(client):
    make_therapy(name="Gene addition", slug="gene-addition")
    in_spanish(client)
    assert page_text(client.get("/therapies/")).html_lang == "en"
    assert page_text(client.get("/es/therapies/")).html_lang == "es"


@pytest.mark.parametrize("choice", ["xx", "fr", "", "es-ES\x00", "../../etc", "e" * 5000])
def test_an_unknown_language_choice_falls_back_safely(client, publisher, choice):
    client.force_login(publisher)
    response = client.post(LANGUAGE_FORM, {"language": choice, "next": INDEX})
    assert response.status_code == 302 and response["Location"] == INDEX
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    page = client.get(INDEX)
    assert page.status_code == 200 and page_text(page).html_lang == "en"


@pytest.mark.parametrize("cookie", ["xx", "fr", "zz-ZZ", "<script>", "e" * 4000])
def test_a_forged_language_cookie_falls_back_to_english(client, publisher, cookie):
    client.force_login(publisher)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    page = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="xx, *;q=0.1")
    assert page.status_code == 200 and page_text(page).html_lang == "en"


def test_the_language_form_refuses_get_and_other_sites(client):
    assert client.get(LANGUAGE_FORM).status_code == 405
    for target in ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"]:
        response = client.post(LANGUAGE_FORM, {"language": "es", "next": target})
        assert response.status_code == 302 and response["Location"] == INDEX


def test_the_language_form_needs_the_csrf_token(publisher):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(publisher)
    assert client.post(LANGUAGE_FORM, {"language": "es"}).status_code == 403


# Spanish admin pages ---------------------------------------------------------------------------


@pytest.fixture
def review_world(client, editor, publisher):
    """A published therapy with submitted changes by the editor, a draft claim, a source."""
    condition = make_condition(name="Haemophilia B", slug="haemophilia-b")
    therapy = make_therapy(name="Hemgenix", slug="hemgenix", conditions=[condition])
    source = make_source(title="A report on Hemgenix")
    make_claim(therapy=therapy, sources=[source], statement="It works.")
    client.force_login(editor)
    url = reverse("admin:therapies_therapy_change", args=[therapy.pk])
    data = form_data(client.get(url)) | {"summary": "A new summary.", "status": "review"}
    assert client.post(url, data).status_code == 302
    revision = Revision.objects.open().for_object(therapy).get()
    assert revision.status == RevisionStatus.SUBMITTED
    return {"therapy": therapy, "source": source, "revision": revision}


def spanish_admin_pages(review_world) -> dict[str, str]:
    therapy, revision = review_world["therapy"], review_world["revision"]
    return {
        "index": INDEX,
        "therapy changelist": reverse("admin:therapies_therapy_changelist"),
        "therapy change form": reverse("admin:therapies_therapy_change", args=[therapy.pk]),
        "claim changelist": reverse("admin:sources_claim_changelist"),
        "source changelist": reverse("admin:sources_source_changelist"),
        "trial changelist": reverse("admin:therapies_trial_changelist"),
        "review queue": reverse("admin:genetx_revision_changelist"),
        "review page": reverse("admin:genetx_revision_change", args=[revision.pk]),
        "BibTeX/RIS import": reverse("admin:sources_source_import"),
        "ClinicalTrials.gov import": reverse("admin:therapies_trial_import"),
        "CSV import": reverse("admin:therapies_therapy_import"),
        "audit log": reverse("audit-log"),
        "data health": reverse("data-health"),
    }


def test_no_spanish_admin_page_shows_an_english_interface_string(client, publisher, review_world):
    english = KNOWN_ENGLISH | _catalogue_strings()
    assert _catalogue_strings() | {"Preview"} >= KNOWN_ENGLISH, "mark and translate them"
    client.force_login(publisher)
    in_spanish(client)
    found = {}
    for name, url in spanish_admin_pages(review_world).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert page_text(response).html_lang == "es", name
        if leftover := english_on(response, english):
            found[name] = leftover
    assert found == {}


def test_spanish_admin_pages_show_the_projects_spanish_text(client, publisher, review_world):
    client.force_login(publisher)
    in_spanish(client)
    pages = spanish_admin_pages(review_world)
    expected = {
        "index": "Cola de revisión",
        "therapy changelist": "Cambios sin publicar",
        "therapy change form": "Motivo de este cambio",
        "review page": "Aprobar y publicar",
        "review queue": "Cola de revisión: cambios en registros publicados",
        "BibTeX/RIS import": "Suba un archivo BibTeX (.bib) o RIS (.ris)",
        "ClinicalTrials.gov import": "Importar de ClinicalTrials.gov",
        "CSV import": "Las celdas vacías borran valores",
        "audit log": "Registro de auditoría",
        "data health": "Salud de los datos",
    }
    for name, text in expected.items():
        assert text in client.get(pages[name]).content.decode(), name
    # The same pages in English still read as before.
    client.post(LANGUAGE_FORM, {"language": "en", "next": INDEX})
    assert "Approve and publish" in client.get(pages["review page"]).content.decode()


def test_a_publish_gate_refusal_is_in_spanish(client, publisher):
    claim = make_claim(status=Status.DRAFT, statement="A claim without sources.")
    claim.citations.all().delete()
    client.force_login(publisher)
    in_spanish(client)
    response = client.post(
        reverse("admin:sources_claim_changelist"),
        {"action": "publish", helpers.ACTION_CHECKBOX_NAME: [str(claim.pk)]},
        follow=True,
    )
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "no cita ninguna fuente; añada al menos una fuente publicada" in messages
    assert "Se rechazó 1 afirmación" in messages
    assert "cites no source" not in messages and "refused" not in messages
    assert Claim.objects.get(pk=claim.pk).status == Status.DRAFT


def test_an_editor_publishing_is_refused_in_spanish(client, editor):
    therapy = make_therapy(name="Hemgenix", status=Status.DRAFT)
    client.force_login(editor)
    in_spanish(client)
    url = reverse("admin:therapies_therapy_change", args=[therapy.pk])
    data = form_data(client.get(url)) | {"status": "published"}
    page = client.post(url, data).content.decode()
    assert "Solo los responsables de publicación pueden publicar" in page
    assert "Only publishers may" not in page


def test_the_review_page_decision_messages_are_in_spanish(client, publisher, review_world):
    client.force_login(publisher)
    in_spanish(client)
    compare = reverse("admin:genetx_revision_change", args=[review_world["revision"].pk])
    response = client.post(compare, {"action": "reject", "comment": ""}, follow=True)
    messages = " ".join(str(m) for m in response.context["messages"])
    assert "escriba un comentario que diga al autor qué cambiar" in messages
    assert "No se cambió nada" in messages and "Nothing was changed" not in messages


def test_import_refusals_are_in_spanish(client, publisher):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(publisher)
    in_spanish(client)
    sources = client.post(
        reverse("admin:sources_source_import"),
        {"file": SimpleUploadedFile("refs.bib", b"@article{broken, title={A}")},
    ).content.decode()
    assert "No se pudo leer el archivo como BibTeX" in sources
    assert "could not be read" not in sources
    study = client.post(
        reverse("admin:therapies_trial_import"),
        {"file": SimpleUploadedFile("study.json", b'{"protocolSection": {')},
    ).content.decode()
    assert "El archivo no es un JSON completo" in study and "not complete JSON" not in study
    rows = client.post(
        reverse("admin:therapies_therapy_import"),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("t.txt", b"a,b")},
    ).content.decode()
    assert "Elija un archivo CSV (.csv)" in rows and "Choose a CSV file" not in rows


# Review emails ----------------------------------------------------------------------------------

ENGLISH_EMAIL = ["submitted for review", "Review:", "What changed", "rejected your changes"]


def test_review_emails_go_in_the_email_language_not_the_senders_admin_language(
    client, editor, publisher, settings, django_capture_on_commit_callbacks
):
    editor.email, publisher.email = "edna@example.org", "pablo@example.org"
    editor.save()
    publisher.save()
    therapy = make_therapy(name="Hemgenix", slug="hemgenix")
    url = reverse("admin:therapies_therapy_change", args=[therapy.pk])
    # An editor working in the Spanish admin; the site sends English mail by default.
    client.force_login(editor)
    in_spanish(client)
    with django_capture_on_commit_callbacks(execute=True):
        data = form_data(client.get(url)) | {"summary": "Nuevo.", "status": "review"}
        client.post(url, data)
    (message,) = mail.outbox
    assert message.subject == "[GeneTx] Review: Hemgenix"
    assert "was submitted for review by edna" not in message.body
    assert "were submitted for review by edna" in message.body
    mail.outbox.clear()
    # GENETX_EMAIL_LANGUAGE=es: Spanish mail, even from the English admin.
    settings.EMAIL_LANGUAGE = "es"
    revision = Revision.objects.open().for_object(therapy).get()
    client.force_login(publisher)
    client.post(LANGUAGE_FORM, {"language": "en", "next": INDEX})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:genetx_revision_change", args=[revision.pk]),
            {"action": "reject", "comment": "Cite la fuente."},
        )
    (message,) = mail.outbox
    assert message.to == ["edna@example.org"]
    assert message.subject == "[GeneTx] Se rechazaron sus cambios en Hemgenix"
    assert "pablo rechazó sus cambios en «Hemgenix»." in message.body
    assert "Su comentario:\nCite la fuente." in message.body
    assert f"Ver: {settings.SITE_URL}/admin/genetx/revision/{revision.pk}/change/" in message.body
    assert not [text for text in ENGLISH_EMAIL if text in message.body + message.subject]


def test_a_submission_email_in_spanish(editor, publisher, settings):
    from django.utils import translation

    from genetx.notifications import submitted_message

    therapy = make_therapy(name="Hemgenix", status=Status.DRAFT)
    with translation.override("es"):
        subject, body, model = submitted_message(record=therapy, author=editor)
    assert subject == "[GeneTx] Revisión: Hemgenix"
    assert body.startswith("edna envió a revisión el nuevo registro «Hemgenix» (terapia).")
    assert "Revisar: http" in body
    assert not [text for text in ENGLISH_EMAIL if text in body + subject]


def test_an_unknown_email_language_is_refused_at_startup():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "genetx.settings",
            "GENETX_EMAIL_LANGUAGE": "xx",
            "DJANGO_DEBUG": "1",
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0 and "GENETX_EMAIL_LANGUAGE" in result.stderr


def test_the_admin_index_names_genetxs_own_models_in_spanish(client):
    """Revisions and import jobs had no verbose names, so Django's English ones showed."""
    from tests.factories import make_user

    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    in_spanish(client)
    body = client.get(INDEX).content.decode()
    assert ">Revisiones<" in body and ">Importaciones<" in body
    assert ">Revisions<" not in body and ">Import jobs<" not in body
