"""Bounded retries for provider calls: only transient failures, exponential backoff with jitter."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from mnemoscope.domain.errors import DependencyUnavailable

T = TypeVar("T")


def call_with_retries(
    call: Callable[[], T],
    is_transient: Callable[[Exception], bool],
    *,
    what: str,
    max_retries: int,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, retrying transient errors up to `max_retries` times.

    Raises:
        DependencyUnavailable: when the last attempt failed transiently.
    """
    for attempt in range(max_retries + 1):
        try:
            return call()
        except Exception as error:
            if not is_transient(error):
                raise
            if attempt == max_retries:
                raise DependencyUnavailable(
                    f"{what} failed after {attempt + 1} attempts: {type(error).__name__}"
                ) from error
            sleep(base_delay * (2**attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
