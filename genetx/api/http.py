"""Conditional GET for the read API: ETag, Last-Modified and 304 Not Modified.

The page cache (genetx/cache.py) already gives anonymous readers an ETag tied to the
content version and answers a matching If-None-Match with 304 before any SQL runs. This
middleware completes that for API clients:

- Last-Modified is when content last changed anywhere (the time of the content version,
  `content_changed_at()`), rounded up to the whole second HTTP dates carry. It is left out
  while that second has not yet passed, so a change later in the same second can never hide
  behind a date the client already holds.
- If-Modified-Since at or after that time gets 304 before the page cache or the view runs
  (unless the request also sends If-None-Match, which takes precedence, RFC 9110 13.2.2).
- Responses the page cache did not store (the cache is off, or the reader is logged in)
  get an ETag from their content and the same Cache-Control, and a matching
  If-None-Match gets 304.
"""

import hashlib
import math
import time

from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.utils.translation import get_language

from genetx.cache import content_changed_at

API_PREFIX = "/api/"


class ApiConditionalGetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) or request.method not in {"GET", "HEAD"}:
            return self.get_response(request)
        changed_at = content_changed_at()
        if "If-None-Match" not in request.headers:
            since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
            if since is not None and since >= changed_at:
                return self._not_modified(None, changed_at)
        response = self.get_response(request)
        if response.status_code != 200 or response.streaming:
            return response
        self._set_last_modified(response, changed_at)
        if not response.has_header("ETag"):
            # From the body and its language: an answer with nothing translated has the
            # same body in every language, but not the same Content-Language.
            language = get_language() or ""
            digest = hashlib.md5(response.content, usedforsecurity=False)
            digest.update(f"|{language}".encode())
            response["ETag"] = f'"{digest.hexdigest()}"'
            response.headers.setdefault("Cache-Control", "no-cache")
            patch_vary_headers(response, ["Cookie"])
            if response["ETag"] in parse_etags(request.headers.get("If-None-Match", "")):
                return self._not_modified(response["ETag"], changed_at)
        return response

    @staticmethod
    def _set_last_modified(response, changed_at: float) -> None:
        last_modified = math.ceil(changed_at)
        if last_modified <= time.time():
            response["Last-Modified"] = http_date(last_modified)

    def _not_modified(self, etag, changed_at: float):
        response = HttpResponseNotModified()
        if etag:
            response["ETag"] = etag
        self._set_last_modified(response, changed_at)
        response["Cache-Control"] = "no-cache"
        patch_vary_headers(response, ["Cookie"])
        return response
