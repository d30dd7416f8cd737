"""English and Spanish: URLs, the language switcher, alternates, sitemap, feed, catalogue.

English pages stay where they always were; Spanish ones live under /es/. The language comes
from the URL alone, so one URL is one page in one language (see genetx/i18n.py).
"""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from genetx.management.commands.check_messages import catalogue_problems
from sources.models import Source
from tests.factories import make_claim, make_condition, make_figure, make_source, make_therapy
from tests.public_site import crawl, fixed_routes

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def site():
    condition = make_condition(name="Haemophilia", slug="haemophilia")
    therapy = make_therapy(name="Gene addition", slug="gene-addition", conditions=[condition])
    source = make_source(
        title="A report", issued=datetime.date(2025, 3, 14), issued_precision="day"
    )
    make_claim(statement="A claim.", therapy=therapy, sources=[source])
    make_figure(value=1859, unit="count", qualifier="more_than", sources=[source])
    make_figure(value=85.5, unit="percent", sources=[source])
    return therapy


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.html_lang = None
        self.links: list[dict] = []
        self.switcher: list[dict] = []
        self._in_switcher = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "nav" and "language-switcher" in (attrs.get("class") or ""):
            self._in_switcher = True
        elif tag == "a" and self._in_switcher:
            self.switcher.append(attrs)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_switcher = False


def head_of(response) -> _Head:
    parser = _Head()
    parser.feed(response.content.decode())
    return parser


def test_english_urls_are_unchanged_and_spanish_ones_are_prefixed(client, site):
    assert reverse("therapies:therapy-list") == "/therapies/"
    with translation.override("es"):
        assert reverse("therapies:therapy-list") == "/es/therapies/"
    english = client.get("/therapies/")
    spanish = client.get("/es/therapies/")
    assert english.status_code == spanish.status_code == 200
    assert head_of(english).html_lang == "en"
    assert head_of(spanish).html_lang == "es"
    assert "<h1>Therapies</h1>" in english.content.decode()
    assert "<h1>Terapias</h1>" in spanish.content.decode()
    assert spanish["Content-Language"] == "es"


@pytest.mark.parametrize("path", ["/fr/", "/fr/therapies/", "/en/therapies/", "/es-mx/"])
def test_an_unknown_language_prefix_is_a_404(client, path):
    assert client.get(path).status_code == 404


def test_the_language_comes_from_the_url_not_the_browser(client, site):
    response = client.get("/therapies/", HTTP_ACCEPT_LANGUAGE="es")
    assert head_of(response).html_lang == "en"
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.parametrize(
    ("path", "canonical", "spanish"),
    [
        ("/", "http://testserver/", "http://testserver/es/"),
        ("/therapies/gene-addition/", None, None),
        ("/es/therapies/gene-addition/", None, None),
    ],
)
def test_each_page_names_its_canonical_url_and_its_languages(
    client, site, path, canonical, spanish
):
    english_path = path.removeprefix("/es")
    canonical = canonical or f"http://testserver{path}"
    head = head_of(client.get(path))
    links = {(link.get("rel"), link.get("hreflang")): link["href"] for link in head.links}
    assert links[("canonical", None)] == canonical
    assert links[("alternate", "en")] == f"http://testserver{english_path}"
    assert links[("alternate", "es")] == spanish or f"http://testserver/es{english_path}"
    assert links[("alternate", "x-default")] == f"http://testserver{english_path}"


def test_the_switcher_is_a_plain_link_to_the_same_page_and_query(client, site):
    english = head_of(client.get("/therapies/?q=gene&sort=name"))
    assert english.switcher == [
        {
            "href": "/es/therapies/?q=gene&sort=name",
            "hreflang": "es",
            "lang": "es",
            "rel": "alternate",
        }
    ]
    spanish = head_of(client.get("/es/therapies/?q=gene&sort=name"))
    assert [link["href"] for link in spanish.switcher] == ["/therapies/?q=gene&sort=name"]
    # A page no URL pattern knows switches too (the 404 page has the switcher).
    missing = head_of(client.get("/es/therapies/nowhere/"))
    assert [link["href"] for link in missing.switcher] == ["/therapies/nowhere/"]


def test_the_sitemap_lists_every_page_in_both_languages_with_alternates(client, site):
    body = "".join(
        client.get(f"/sitemap-{section}.xml").content.decode() for section in ("pages", "therapies")
    )
    locations = re.findall(r"<loc>([^<]+)</loc>", body)
    assert "http://testserver/therapies/gene-addition/" in locations
    assert "http://testserver/es/therapies/gene-addition/" in locations
    assert "http://testserver/" in locations and "http://testserver/es/" in locations
    assert (
        '<xhtml:link rel="alternate" hreflang="es" '
        'href="http://testserver/es/therapies/gene-addition/"/>'
    ) in body
    assert '<xhtml:link rel="alternate" hreflang="x-default"' in body
    assert client.get("/es/sitemap.xml").status_code == 404


def test_the_feed_is_per_language(client, site):
    english = client.get("/feed.atom").content.decode()
    spanish = client.get("/es/feed.atom").content.decode()
    assert 'xml:lang="en"' in english and "latest updates" in english
    assert 'xml:lang="es"' in spanish and "últimas actualizaciones" in spanish
    assert "http://testserver/es/therapies/gene-addition/" in spanish
    assert "http://testserver/es/therapies/gene-addition/" not in english
    # Each page's head points at the feed of its own language.
    head = head_of(client.get("/es/"))
    feeds = [link["href"] for link in head.links if link.get("type") == "application/atom+xml"]
    assert feeds == ["/es/feed.atom"]


def test_dates_and_numbers_follow_the_language(client, site):
    english = client.get("/").content.decode()
    spanish = client.get("/es/").content.decode()
    assert "more than 1,859" in english and "85.5%" in english
    assert "más de 1.859" in spanish and "85,5\u00a0%" in spanish
    with translation.override("en"):
        source_page = Source.objects.get(title="A report").get_absolute_url()
    assert "14 March 2025" in client.get(source_page).content.decode()
    assert "14 de marzo de 2025" in client.get("/es" + source_page).content.decode()


def _interface_strings() -> set[str]:
    """English interface strings whose Spanish differs: whole phrases of the catalogue,
    without placeholders or markup, so a Spanish page showing one shows English."""
    strings = set()
    for entry in polib.pofile(str(CATALOGUE)):
        text = entry.msgid
        if entry.msgid_plural or "%" in text or "<" in text or entry.msgstr == text:
            continue
        if len(text) >= 4:
            strings.add(text)
    return strings


class _Text(HTMLParser):
    """Each text node, and the attributes a reader hears (aria-label, title, alt)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "meta" and dict(attrs).get("property") == "og:type":
            return  # a protocol token ("website"), not text a reader sees
        for name, value in attrs:
            if name in {"aria-label", "title", "alt", "data-label", "content"} and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def test_no_spanish_page_shows_an_english_interface_string(client, site):
    english = _interface_strings()
    assert {"Therapies", "Skip to content", "Apply filters", "Key figures"} <= english
    with translation.override("es"):
        start = [route.path_with({}) for route in fixed_routes()]
    start = [url for url in start if url.startswith("/es/")]
    assert "/es/" in start and "/es/therapies/" in start
    found, pages = [], 0
    for url, response in crawl(client, start, limit=300, only="/es/"):
        assert response.status_code < 500, url
        if "html" not in response.get("Content-Type", "") or response.status_code != 200:
            continue
        pages += 1
        parser = _Text()
        parser.feed(response.content.decode())
        found += [(url, text) for text in parser.texts if text in english]
    assert pages >= 10
    assert found == []


def test_the_spanish_catalogue_is_complete_and_compiled():
    assert catalogue_problems(CATALOGUE) == []
    call_command("check_messages")


def test_an_incomplete_or_stale_catalogue_is_refused(tmp_path):
    po = polib.pofile(str(CATALOGUE))
    copy = tmp_path / "django.po"
    po.save(str(copy))
    po.save_as_mofile(str(tmp_path / "django.mo"))
    assert catalogue_problems(copy) == []
    po.append(polib.POEntry(msgid="A new sentence nobody translated", msgstr=""))
    fuzzy = next(entry for entry in po if entry.msgid == "Therapies")
    fuzzy.flags.append("fuzzy")
    po.save(str(copy))
    problems = "\n".join(catalogue_problems(copy))
    assert "untranslated: 'A new sentence nobody translated'" in problems
    assert "fuzzy: 'Therapies'" in problems
    # Translated in the .po but not recompiled: the committed .mo is stale.
    po = polib.pofile(str(copy))
    for entry in po:
        if entry.msgid == "A new sentence nobody translated":
            entry.msgstr = "Una frase nueva"
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(str(copy))
    assert "out of date" in "\n".join(catalogue_problems(copy))


def test_a_plural_entry_missing_a_form_of_the_header_is_refused(tmp_path):
    """Spanish has three plural forms in Django's formula (1; millions; the rest): an entry
    with two shows English for 73 participants."""
    po = polib.pofile(str(CATALOGUE))
    entry = next(e for e in po if e.msgid == "%(count)s participant")
    del entry.msgstr_plural[2]
    copy = tmp_path / "django.po"
    po.save(str(copy))
    po.save_as_mofile(str(tmp_path / "django.mo"))
    problems = "\n".join(catalogue_problems(copy))
    assert "a plural form is missing (the header asks for 3): '%(count)s participant'" in problems


@pytest.mark.parametrize(
    "count, text",
    [
        (1, "1 participante"),
        (2, "2 participantes"),
        (73, "73 participantes"),
        (10**6, "1000000 participantes"),
    ],
)
def test_every_spanish_plural_form_is_spanish(count, text):
    with translation.override("es"):
        assert (
            translation.ngettext("%(count)s participant", "%(count)s participants", count)
            % {"count": count}
            == text
        )


def test_content_shows_in_spanish_and_falls_back_to_english_marked_lang_en(client):
    translated = make_therapy(name="Gene therapy", slug="translated", summary="In English.")
    translated.name_es = "Terapia génica"
    translated.summary_es = "En español."
    translated.save()
    untranslated = make_therapy(name="Only English", slug="untranslated", summary="Summary.")
    spanish = client.get("/es/therapies/translated/").content.decode()
    assert "<h1>Terapia génica</h1>" in spanish and "En español." in spanish
    assert client.get("/therapies/translated/").content.decode().count("Terapia génica") == 0
    fallback = client.get("/es/therapies/untranslated/").content.decode()
    assert '<h1 lang="en">Only English</h1>' in fallback
    assert '<p class="lede" lang="en">Summary.</p>' in fallback
    # English pages never mark their own language.
    with translation.override("en"):
        english = client.get(untranslated.get_absolute_url()).content.decode()
    assert "<h1>Only English</h1>" in english


def test_the_original_column_keeps_the_english_text(client):
    therapy = make_therapy(name="English name", slug="kept")
    with translation.override("es"):
        therapy.name = "Nombre en español"
        therapy.save()
    row = type(therapy).objects.rewrite(False).values("name", "name_en", "name_es").get()
    assert row == {
        "name": "English name",
        "name_en": "English name",
        "name_es": "Nombre en español",
    }


def test_spanish_content_is_found_from_either_language(client):
    therapy = make_therapy(name="Gene therapy for haemophilia", slug="found", summary="English.")
    therapy.summary_es = "Introduce un gen funcional del factor de coagulación."
    therapy.save()
    for path in ("/search/", "/es/search/"):
        response = client.get(path, {"q": "coagulación"})
        titles = [hit.title for group in response.context["groups"] for hit in group["hits"]]
        assert titles, path


@pytest.mark.parametrize(("selected", "label"), [(1, "(1 elegido)"), (2, "(2 elegidos)")])
def test_a_facets_chosen_count_agrees_in_number_in_spanish(client, selected, label):
    condition = make_condition(slug="one", category="genetic")
    make_therapy(conditions=[condition])
    query = "?category=genetic" + ("&category=haematological_cancer" if selected == 2 else "")
    with translation.override("es"):
        url = reverse("therapies:therapy-list") + query
    body = client.get(url).content.decode()
    assert f'<span class="count">{label}</span>' in body
