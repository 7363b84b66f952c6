"""The local stand-in for EventBridge Scheduler: calls the reflect handler every N seconds until stopped."""

import threading
from typing import Any

from mnemoscope.entrypoints.context import LocalLambdaContext
from mnemoscope.observability import logger


def run_scheduler(stop: threading.Event, every_seconds: float, schedule_input: dict[str, Any] | None = None) -> None:
    """Blocks until `stop` is set; each tick sends the schedule's input to the reflect handler."""
    while not stop.wait(every_seconds):
        try:
            from mnemoscope.entrypoints.reflect import lambda_handler

            lambda_handler(schedule_input or {}, LocalLambdaContext("reflect"))
        except Exception:  # a failed sweep must not stop the server; the next tick tries again
            logger.exception("reflection sweep failed")
