"""What the Bedrock adapters share: a `bedrock-runtime` client built on first use, and how its errors read.

The client is created lazily (boto3 is already loaded on AWS, but building a client parses the service model: keep
that off the cold start of requests that never reach a model). botocore's own retries are off: the adapters'
policies (StructuredChatModel, call_with_retries) decide, within the invocation's time budget."""

import threading
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

# Worth another attempt: rate limits, capacity, a model still loading, a server-side or model-side hiccup.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ModelErrorException",
    }
)
CONNECTION_ERRORS = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# A ValidationException that names the setup (wrong id, a model that needs an inference profile), not the input.
SETUP_PHRASES = ("model identifier", "on-demand throughput", "inference profile", "not supported in this region")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def is_transient(error: Exception) -> bool:
    """Throttling, unavailability or a dropped connection: retry with backoff."""
    if isinstance(error, ClientError):
        return error_code(error) in TRANSIENT_CODES
    return isinstance(error, CONNECTION_ERRORS)


def blames_the_input(error: ClientError) -> bool:
    """A ValidationException about this input (too long, filtered), not about the model id or the account."""
    if error_code(error) != "ValidationException":
        return False
    message = error_message(error).lower()
    return not any(phrase in message for phrase in SETUP_PHRASES)


class LazyBedrockClient:
    """A `bedrock-runtime` client, made on the first `get()` (thread-safe) unless one was injected."""

    def __init__(self, region: str | None, read_timeout: float, client: Any | None = None) -> None:
        self._region = region
        self._read_timeout = read_timeout
        self._client = client
        self._lock = threading.Lock()

    def get(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._build()
        return self._client

    def _build(self) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            connect_timeout=2,
            read_timeout=self._read_timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        return boto3.client("bedrock-runtime", region_name=self._region, config=config)
