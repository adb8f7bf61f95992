"""The ledger that never blocks a request: rows go into a bounded in-memory queue and a
background thread writes them in batches (one transaction per batch).

* :meth:`BatchLedger.record` appends to a deque and wakes the writer: no I/O, no lock wait.
  When the queue holds ``max_queue`` rows (the database is stuck), new rows are dropped and
  counted rather than growing memory without bound; ``dropped`` says how many, and a warning is
  printed once.
* The writer waits up to ``linger`` seconds after the first queued row so that bursts share one
  transaction, then drains the queue in batches of ``batch_size``.
* :meth:`flush` returns once every row recorded before the call is in the database;
  :meth:`close` flushes, stops the thread and closes the store. The gateway calls ``close()`` on
  shutdown (SIGTERM included); an ``atexit`` hook covers a process that exits without it.
* A failed batch is retried a few times (e.g. a locked SQLite file), then dropped with a warning.
* A store that stages large batches (SQLite, ``settle()``) is settled by this thread once it
  has been idle for ``idle_after`` seconds, one batch at a time, giving way as soon as rows are
  queued again: a backlog left by a busy spell never competes with requests.
"""

from __future__ import annotations

import asyncio
import atexit
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

from .base import UsageRecord
from .store import UsageStoreLike

__all__ = ["BatchLedger"]

_RETRIES = 3


class _Barrier:
    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()


class BatchLedger:
    """A :class:`~openclaw.usage.base.Ledger` over any store with ``write(rows)``/``close()``."""

    def __init__(
        self,
        store: UsageStoreLike,
        *,
        max_queue: int = 50_000,
        batch_size: int = 1000,
        linger: float = 0.05,
        idle_after: float = 1.0,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.linger = linger
        self.idle_after = idle_after
        self._settle: Callable[[Callable[[], bool]], bool] | None = getattr(store, "settle", None)
        self._warned_settle = False
        self.dropped = 0
        self.written = 0
        self._queue: deque[UsageRecord | _Barrier] = deque()
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._closing = False
        self._closed = False
        self._close_lock = threading.Lock()
        self._warn = warn or (lambda msg: sys.stderr.write(msg.rstrip("\n") + "\n"))
        self._warned_full = False
        self._thread = threading.Thread(target=self._run, name="openclaw-ledger", daemon=True)
        self._thread.start()
        atexit.register(self.close_sync)

    # -- request path ------------------------------------------------------------------------

    def record(self, row: UsageRecord) -> None:
        """Queue one row; never waits for the database."""
        if self._closing or len(self._queue) >= self.max_queue:
            self.dropped += 1
            if not self._warned_full:
                self._warned_full = True
                why = "closed" if self._closing else f"full ({self.max_queue} rows waiting)"
                self._warn(f"Warning: usage ledger {why}; dropping rows.")
            return
        self._queue.append(row)
        if not self._wake.is_set():
            self._wake.set()

    # -- writer thread -----------------------------------------------------------------------

    def _run(self) -> None:
        unsettled = False  # staged batches may be waiting to be settled
        while True:
            if not self._wake.wait(self.idle_after if unsettled else None):
                unsettled = not self._settle_now()  # idle for idle_after seconds
                continue
            if self.linger > 0 and not self._closing:
                self._hurry.wait(self.linger)
            self._wake.clear()
            self._hurry.clear()
            if self._drain() and self._settle is not None:
                unsettled = True  # the batch may have been staged: settle once idle
            if self._closing and not self._queue:
                return

    def _settle_now(self) -> bool:
        """Settle the store until done (True) or until rows are queued again (False)."""
        assert self._settle is not None
        try:
            return self._settle(self._has_queued)
        except Exception as exc:  # the ledger must never take the process down
            if not self._warned_settle:
                self._warned_settle = True
                self._warn(f"Warning: usage ledger could not settle staged rows (they are kept): {exc}")
            return False

    def _has_queued(self) -> bool:
        return bool(self._queue)

    def _drain(self) -> int:
        """Write everything queued; returns how many rows that was."""
        queue = self._queue
        total = 0
        batch: list[UsageRecord] = []
        while queue:
            item = queue.popleft()
            if isinstance(item, _Barrier):
                self._write(batch)
                batch = []
                item.event.set()
                continue
            batch.append(item)
            total += 1
            if len(batch) >= self.batch_size:
                self._write(batch)
                batch = []
        self._write(batch)
        return total

    def _write(self, batch: list[UsageRecord]) -> None:
        if not batch:
            return
        for attempt in range(_RETRIES):
            try:
                self.store.write(batch)
            except Exception as exc:  # the ledger must never take the process down
                if attempt == _RETRIES - 1:
                    self.dropped += len(batch)
                    self._warn(f"Warning: usage ledger write failed, {len(batch)} rows lost: {exc}")
                    return
                time.sleep(0.2 * (attempt + 1))
            else:
                self.written += len(batch)
                return

    # -- flush / close -----------------------------------------------------------------------

    def flush_sync(self, timeout: float | None = None) -> bool:
        """Block until every row recorded so far is written; False on timeout or when closed."""
        if self._closed or not self._thread.is_alive():
            return not self._queue
        barrier = _Barrier()
        self._queue.append(barrier)
        self._hurry.set()
        self._wake.set()
        return barrier.event.wait(timeout)

    async def flush(self) -> None:
        await asyncio.to_thread(self.flush_sync)

    def close_sync(self) -> None:
        """Write what is queued, stop the writer, close the store. Safe to call twice."""
        with self._close_lock:
            if self._closed:
                return
            self._closing = True
            self._hurry.set()
            self._wake.set()
            self._thread.join()
            self._closed = True
            try:
                self.store.close()
            finally:
                atexit.unregister(self.close_sync)

    async def close(self) -> None:
        await asyncio.to_thread(self.close_sync)
