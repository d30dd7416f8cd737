"""Python's garbage collector, tuned for a long-running web worker.

CPython frees most objects by reference counting; its cyclic collector runs besides, after
every 700 allocations not yet freed, and each tenth and hundredth run goes through older
generations, the oldest of which holds everything a worker keeps for its lifetime:
Django, the URL patterns, compiled templates, translations, model metadata, several
hundred thousand objects. Such a full pass took about 100 ms here, and a page that
allocates much (a source page rendering 50 citing claims) met one every few requests: at
10,000 therapies, in process, collections cost the source page 13 ms a request on
average, the claim list 6, for nothing, since the objects examined never become garbage.

So a web worker (`genetx.wsgi`, `genetx.asgi`), once its first request has loaded what
pages use, collects once and freezes what is left (`gc.freeze()`: later passes skip it),
and runs the youngest collection after `settings.GC_THRESHOLD` (GENETX_GC_THRESHOLD,
10,000) allocations rather than 700. Cycles are still collected: a request's garbage is
found within a few requests. The price is memory, bounded: garbage waits longer, and a
worker's peak RSS went from about 113 to 145 MB under `make bench` (the README has the
numbers). Set GENETX_GC_THRESHOLD=0 to leave Python's defaults.
"""

import gc

from django.conf import settings
from django.core.signals import request_finished


def tune_for_web_worker() -> None:
    threshold = settings.GC_THRESHOLD
    if threshold <= 0:
        return
    # Each older generation is examined after every 20th and 10th run of the one below: a
    # full pass after about two million allocations, which the frozen objects make cheap.
    gc.set_threshold(threshold, 20, 10)
    request_finished.connect(_freeze_after_first_request, dispatch_uid=__name__)


def _freeze_after_first_request(**kwargs) -> None:
    request_finished.disconnect(dispatch_uid=__name__)
    # What survives a full collection now lives as long as the process.
    gc.collect()
    gc.freeze()
