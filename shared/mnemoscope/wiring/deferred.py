"""Stand-ins that build an adapter on its first use: on AWS a request pays only for the SDKs it touches."""

import threading
from collections.abc import Callable
from typing import Any


class Deferred:
    """Stands in for an adapter and builds it on the first attribute access (then delegates to it)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._target: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # only called for names this proxy does not have itself
        return getattr(self._built(), name)

    def _built(self) -> Any:
        if self._target is None:
            with self._lock:
                if self._target is None:
                    self._target = self._factory()
        return self._target


def materialized(adapter: Any) -> Any:
    """The adapter itself, built now if it was deferred (for checks and tests)."""
    return adapter._built() if isinstance(adapter, Deferred) else adapter
