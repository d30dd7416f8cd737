"""The public site as a reader meets it: its URL routes, their parameters, and a crawler.

Security tests use these instead of a hand-kept list of URLs, so a page added later is
covered without anyone remembering to add it here.
"""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

# Asked of every route: the list, search and export parameters, whichever a view reads.
COMMON_PARAMETERS = ["q", "page", "sort", "format", "type"]
# Not reader pages: the admin, static files and the load balancer's probe. The read API
# has its own crawl (tests/genetx/test_no_draft_leaks.py), started from its description.
API_PREFIX = "/api/"
NOT_PUBLIC = (f"/{settings.ADMIN_URL}", settings.STATIC_URL, "/healthz", API_PREFIX)


@dataclass
class Route:
    """One public URL pattern."""

    name: str
    route: str
    callback: object
    converters: dict = field(default_factory=dict)

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def parameters(self) -> list[str]:
        """Every query parameter the view may read."""
        names = list(COMMON_PARAMETERS)
        filterset_class = getattr(self.view_class, "filterset_class", None)
        if filterset_class is not None:
            names += [name for name in filterset_class.base_filters if name not in names]
        return names

    @property
    def model(self):
        return getattr(self.view_class, "model", None)

    def path_for(self, obj) -> str:
        """This route's path for a record of its model (detail pages and downloads)."""
        kwarg = getattr(self.view_class, "slug_url_kwarg", "slug")
        value = getattr(obj, getattr(self.view_class, "slug_field", "slug"))
        return self.path_with({kwarg: value})

    def path_with(self, values: dict[str, str]) -> str:
        """This route with its converters replaced by raw (not URL-encoded) text."""
        path = self.route
        for name, converter in self.converters.items():
            kind = _converter_name(converter)
            path = path.replace(f"<{kind}:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name])
            )
        return "/" + path


def _converter_name(converter) -> str:
    from django.urls.converters import get_converters

    for name, registered in get_converters().items():
        if type(registered) is type(converter):
            return name
    return "str"


def public_routes() -> list[Route]:
    """Every URL pattern outside the admin, with its full route and converters."""
    found = []

    def walk(patterns, prefix="", namespace=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if ("/" + route).startswith(NOT_PUBLIC):
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, route, inner)
            elif isinstance(entry, URLPattern):
                if ("/" + route).startswith(NOT_PUBLIC):
                    continue
                found.append(
                    Route(
                        name=f"{namespace}{entry.name}",
                        route=route,
                        callback=entry.callback,
                        converters=dict(entry.pattern.converters),
                    )
                )

    walk(get_resolver().url_patterns)
    return found


def fixed_routes() -> list[Route]:
    return [route for route in public_routes() if not route.converters]


def record_routes(model) -> list[Route]:
    """Routes showing one record of this model: its detail page and downloads."""
    return [route for route in public_routes() if route.converters and route.model is model]


# Crawling -------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Links and GET-form choices of an HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.form_choices: list[tuple[str, str, str]] = []  # (action, name, value)
        self._form_action = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"a", "link"} and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form_action = attrs.get("action") or ""
        elif self._form_action is not None and tag == "select":
            self._select = attrs.get("name")
        elif self._form_action is None:
            return
        elif tag == "option" and self._select and attrs.get("value"):
            self.form_choices.append((self._form_action, self._select, attrs["value"]))
        elif tag == "input" and attrs.get("type") in {"radio", "checkbox"} and attrs.get("name"):
            choice = (self._form_action, attrs["name"], attrs.get("value") or "on")
            self.form_choices.append(choice)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form_action = None
        elif tag == "select":
            self._select = None


def _same_site(url: str, skip: tuple[str, ...] = NOT_PUBLIC, only: str = "/") -> str | None:
    """The path and query of a link on this site, or None for another host or a fragment."""
    parts = urlsplit(url)
    if parts.scheme not in {"", "http", "https"} or parts.netloc not in {"", "testserver"}:
        return None
    if not parts.path or parts.path.startswith(skip) or not parts.path.startswith(only):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sitemap_and_feed_links(body: str) -> list[str]:
    import re

    return re.findall(r"<loc>([^<]+)</loc>|<link[^>]+href=\"([^\"]+)\"", body)


def crawl(client, start: list[str], limit: int = 600, only: str = "/", leave: tuple[str, ...] = ()):
    """Fetch start and every same-site URL reachable from it; yield (url, response).

    Follows links in HTML, sitemap and feed, the choices of GET forms (one parameter at a
    time, on top of the page's own query), and the URLs named in CSV and JSON exports.
    Stops after `limit` URLs so a bug producing endless links cannot hang the suite.
    Only paths starting with `only` are followed; under the API prefix, only when `only`
    names it; never paths starting with one of `leave` (a part another crawl covers).
    """
    queue = list(dict.fromkeys(start))
    seen = set(queue)
    fetched = 0
    while queue and fetched < limit:
        url = queue.pop(0)
        response = client.get(url)
        fetched += 1
        yield url, response
        if response.status_code in {301, 302}:
            found = [response.headers["Location"]]
        else:
            found = _discover(url, response)
        for link in found:
            skip = tuple(p for p in NOT_PUBLIC if not only.startswith(p) or p == "/") + leave
            target = _same_site(urljoin(f"http://testserver{url}", link), skip, only)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)


def _discover(url: str, response) -> list[str]:
    content_type = response.headers.get("Content-Type", "")
    # getvalue() reads streamed responses (the exports) too; it can be read only once.
    content = response.getvalue()
    if not content:
        return []
    body = content.decode("utf-8", errors="replace")
    if "html" in content_type:
        parser = _Links()
        parser.feed(body)
        found = list(parser.links)
        page_path = url.split("?")[0]
        for action, name, value in parser.form_choices:
            found.append(f"{action or page_path}?{urlencode({name: value})}")
        return found
    if "xml" in content_type:
        return [loc or href for loc, href in _sitemap_and_feed_links(body)]
    if "json" in content_type:
        return _json_urls(json.loads(body))
    if "csv" in content_type:
        return [cell for cell in body.replace("\r\n", ",").split(",") if "://" in cell]
    return []


def _json_urls(value) -> list[str]:
    if isinstance(value, dict):
        return [u for item in value.values() for u in _json_urls(item)]
    if isinstance(value, list):
        return [u for item in value for u in _json_urls(item)]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return [value]
    return []
