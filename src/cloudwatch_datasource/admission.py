"""Per-datasource admission: how many RPCs one datasource may have in flight at once.

Every RPC holds one of the gRPC server's worker threads until AWS answers or times out. Without a cap, one
datasource whose endpoint hangs (a dead VPC endpoint, a blackholed proxy) would take every worker and stall the
other datasources' dashboards and alerts until its timeouts fire. With it, the excess requests for that datasource
are refused at once with a clear error, and the rest of the server keeps answering.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable


class InFlightLimit:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._lock = threading.Lock()
        self._in_flight: dict[Hashable, int] = {}

    def try_acquire(self, key: Hashable) -> bool:
        with self._lock:
            count = self._in_flight.get(key, 0)
            if count >= self.limit:
                return False
            self._in_flight[key] = count + 1
            return True

    def release(self, key: Hashable) -> None:
        with self._lock:
            count = self._in_flight.get(key, 0) - 1
            if count > 0:
                self._in_flight[key] = count
            else:
                self._in_flight.pop(key, None)  # no entry left behind per datasource ever seen

    def in_flight(self, key: Hashable) -> int:
        with self._lock:
            return self._in_flight.get(key, 0)
