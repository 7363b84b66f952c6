"""The shared Powertools Logger and Metrics, and X-Ray tracing that costs nothing unless it is switched on.

The X-Ray SDK (and the botocore it pulls) takes ~0.4-1 s to import, which would dominate the api function's cold
start; `traced` builds the Powertools Tracer on the first traced call, and only when tracing is enabled
(POWERTOOLS_TRACE_DISABLED unset/false inside Lambda; the template's EnableTracing parameter)."""

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

# Outside Lambda (`mnemoscope serve`, tests) there is no CloudWatch to read a cold-start metric.
IN_LAMBDA = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
logger = Logger(service="mnemoscope")
metrics = Metrics(namespace="Mnemoscope", service="mnemoscope")

Handler = TypeVar("Handler", bound=Callable[..., Any])


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true")
    return not disabled and bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))


@functools.cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer(service="mnemoscope")


def traced(handler: Handler) -> Handler:
    """Like `@tracer.capture_lambda_handler(capture_response=False)`, with the tracer built lazily."""
    traced_handler: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        nonlocal traced_handler
        if not tracing_enabled():
            return handler(event, context)
        if traced_handler is None:
            traced_handler = _tracer().capture_lambda_handler(handler, capture_response=False)
        return traced_handler(event, context)

    return wrapper  # type: ignore[return-value]
