"""Keep Python's cyclic garbage collector from pausing the server for seconds.

A full collection walks every object alive, holding the GIL: with a 100k-item bank in
memory (the catalog snapshot) and an import validating 100k more, each one stopped the
whole process - event loop, answers, /api/health - for 1 to 4 s, more as memory grew.
Two remedies, both process-wide:

- `paused()` turns the collector off while a known burst of allocations runs (an
  import's validation, a snapshot rebuild); nested and concurrent uses count, the
  last one out turns it on again. Reference counting still frees what they drop.
  Before turning it on, the survivors of the burst are frozen: the first young
  collection would otherwise walk every object allocated meanwhile (1.5 s for the
  million objects of a 100k-row import) with the GIL held. The price: a reference
  cycle created during the burst is never collected (the content and snapshot
  structures built there hold none).
- `keep()` after a long-lived structure is built (the snapshot): `gc.freeze()` moves
  everything alive into the permanent generation, which collections no longer walk.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_we_disabled = False


@contextmanager
def paused() -> Iterator[None]:
    global _holders, _we_disabled
    with _lock:
        if _holders == 0 and gc.isenabled():
            gc.disable()
            _we_disabled = True
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _we_disabled:
                _we_disabled = False
                gc.freeze()
                gc.enable()


def keep() -> None:
    """Exclude everything alive now from future collections (see the module doc)."""
    gc.freeze()
