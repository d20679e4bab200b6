"""Per-process caches of reference data: read once, kept for a minute, dropped on a local change.

Reference data (places, centres, categories, time-limit policies) is read on every registration and
changes a few times a year, through the admin. Reading it from the database each time cost a
registration four queries and about a millisecond of CPU; a cache here costs a dict look-up.

* An entry is reloaded after `seconds` (60 by default): other processes (web workers, the task
  worker) see an edit within a minute.
* A save or delete of any of the cache's `models` in this process (the admin, an importer, a test)
  empties it at once. `bulk_create` and `QuerySet.update` send no signals: code that writes
  reference data that way calls `clear()` itself, or waits out the minute.
* A cache holds at most `max_entries` keys; past that it starts again empty. A province has about
  100,000 grids: the cache keeps the places in use, not the whole tree.
* Cached model instances are shared by every request and thread of the process: callers read them
  and pass them on (as foreign-key values), never change them.

No domain knowledge here; the caches themselves live beside the reads they serve.
"""

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.db.models.signals import post_delete, post_save

DEFAULT_SECONDS = 60
DEFAULT_MAX_ENTRIES = 10_000

_ALL: list["RefCache"] = []
_MISSING = object()


class RefCache:
    def __init__(self, name: str, *, models: Iterable[type], seconds: float = DEFAULT_SECONDS,
                 max_entries: int = DEFAULT_MAX_ENTRIES):
        self.name = name
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[Any, float]] = {}
        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(self._on_change, sender=model, weak=False,
                               dispatch_uid=f"yimen_refcache_{name}_{model._meta.label}_{id(signal)}")
        _ALL.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value cached under `key`, or `load()` (cached, None included) when absent or older
        than `seconds`."""
        entry = self._entries.get(key, _MISSING)
        now = time.monotonic()
        if entry is not _MISSING and now - entry[1] <= self.seconds:
            return entry[0]
        value = load()
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (value, now)
        return value

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _on_change(self, **_kwargs) -> None:
        self.clear()


def clear_all() -> None:
    """Empty every reference cache of this process (tests roll the database back under them)."""
    for cache in _ALL:
        cache.clear()
