"""The local stand-in for EventBridge Scheduler: calls the reflect handler every N seconds until stopped."""

import threading
from typing import Any

from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.observability import logger


def run_scheduler(stop: threading.Event, every_seconds: float, schedule_input: dict[str, Any] | None = None) -> None:
    """Blocks until `stop` is set; ticks once at start (a backlog left from a run without a model is picked up),
    then every `every_seconds`, sending the schedule's input to the reflect handler."""
    delay = min(2.0, every_seconds)
    while not stop.wait(delay):
        delay = every_seconds
        try:
            from mnemoscope.entrypoints.reflect import lambda_handler

            lambda_handler(schedule_input or {}, LocalLambdaContext("reflect"))
        except Exception:  # a failed sweep must not stop the server; the next tick tries again
            logger.exception("reflection sweep failed")
