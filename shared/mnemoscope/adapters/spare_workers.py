"""A few threads that take one half of a request while the caller does the other, when one is free.

Used for the two halves of a hybrid search. When every worker is busy (many requests at once) the caller runs the
half itself afterwards: queueing behind other requests' halves would only add their wait to its own, and the
cores are busy anyway. Threads start on first use, so an adapter that never searches starts none."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class SpareWorkers:
    def __init__(self, count: int, name: str) -> None:
        self._count = count
        self._name = name
        self._free = threading.BoundedSemaphore(count)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self, task: Callable[[], T]) -> Callable[[], T]:
        """Begin `task` on a free worker; returns what gives its result (running it here if no worker was free).
        The result callable must be called exactly once; it re-raises the task's exception."""
        if not self._free.acquire(blocking=False):
            return task

        def run() -> T:
            try:
                return task()
            finally:
                self._free.release()  # before the result is visible: a caller that saw it can count on the worker

        try:
            future = self._executor().submit(run)
        except BaseException:
            self._free.release()
            raise
        return future.result

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._count, thread_name_prefix=self._name)
            return self._pool

    def close(self) -> None:
        """Wait for running halves and stop the threads (a later `start` starts new ones)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
