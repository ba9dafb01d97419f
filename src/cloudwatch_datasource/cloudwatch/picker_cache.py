"""The editor's picker cache: ListMetrics-backed route answers kept per (AWS identity, region, query).

Every metric/dimension picker opens with a ListMetrics call, and on large accounts those take tens of seconds
(grafana/grafana#68408: 30-50 s for dimension keys); the answers change slowly (a new metric appears within
minutes, and ListMetrics itself only lists metrics with data in the last two weeks, per the ListMetrics API
reference), so a short TTL trades little freshness for an editor that answers at once.

Bounds: an entry lives `ttl_s` seconds; at most `max_entries` entries and `max_items` answer items in all are
kept (least recently used go first), so memory stays bounded however many datasources and filters are used.
An answer larger than `max_items` is not kept. Errors are never kept. Keys hold the settings fingerprint
(settings.py: a hash that changes with the credentials, role, endpoint and every save), never a secret, so two
datasources, or one datasource before and after its credentials change, never share an entry.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Entry:
    value: list[Any]
    expires: float


class PickerCache:
    def __init__(self, ttl_s: float, max_entries: int, max_items: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.max_entries, self.max_items = ttl_s, max_entries, max_items
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._items = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0 and self.max_entries > 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get_or_compute(self, key: Hashable, compute: Callable[[], list[Any]]) -> list[Any]:
        """The fresh cached answer for `key`, else `compute()`'s (kept if it fits). Two requests missing the same
        key at once both compute: a picker's repeat comes seconds later, and a lock held across an AWS call would
        let one slow call stall every picker of the process."""
        if not self.enabled:
            return compute()
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires > now:
                self._entries.move_to_end(key)
                return entry.value
        value = compute()
        self._put(key, value, self._clock() + self.ttl_s)
        return value

    def _put(self, key: Hashable, value: list[Any], expires: float) -> None:
        if len(value) > self.max_items:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._items -= len(old.value)
            self._entries[key] = _Entry(value, expires)
            self._items += len(value)
            while len(self._entries) > self.max_entries or self._items > self.max_items:
                _, evicted = self._entries.popitem(last=False)
                self._items -= len(evicted.value)
