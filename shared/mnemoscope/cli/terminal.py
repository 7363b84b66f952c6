"""Terminal helpers for the chat CLI: colour (only on a TTY) and a spinner while waiting."""

import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

T = TypeVar("T")
_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}


class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *names: str) -> str:
        if not self.enabled or not names:
            return text
        codes = ";".join(_CODES[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


@contextmanager
def spinner(stream: TextIO, label: str = "thinking", enabled: bool = True) -> Iterator[None]:
    """Animate `label` on `stream` until the block ends (nothing when not a TTY)."""
    if not enabled:
        yield
        return
    done = threading.Event()

    def spin() -> None:
        for frame in itertools.cycle("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"):
            stream.write(f"\r{frame} {label}…")
            stream.flush()
            if done.wait(0.1):
                break
        stream.write("\r" + " " * (len(label) + 4) + "\r")
        stream.flush()

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def waiting(stream: TextIO, enabled: bool, call: Callable[[], T], label: str = "thinking") -> T:
    with spinner(stream, label, enabled):
        return call()


def is_tty(stream: TextIO = sys.stdout) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def sleep_until(seconds: float, stop: threading.Event | None = None) -> bool:
    """Sleep; True when interrupted by `stop`."""
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)
