"""AWS adapters (DynamoDB chat log, SQS job queue) and the error mapping they share."""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from mnemoscope.domain.errors import DependencyUnavailable

# Error codes that mean "try again later", not "your request is wrong".
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "RequestThrottled",
        "KMSThrottlingException",
        "KmsThrottled",
    }
)

# Short timeouts and few SDK retries: the Lambda budget, not botocore's defaults, bounds a call.
DEFAULT_CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)


def error_code(error: ClientError) -> str:
    """The AWS error code of a ClientError ('' when absent)."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def dependency_errors(service: str) -> Iterator[None]:
    """Turn throttling, server and connection errors of `service` into DependencyUnavailable.

    Raises:
        DependencyUnavailable: on a transient AWS error; other ClientErrors propagate unchanged.
    """
    try:
        yield
    except ClientError as error:
        if error_code(error) in TRANSIENT_CODES:
            raise DependencyUnavailable(f"{service} is unavailable ({error_code(error)})") from error
        raise
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError) as error:
        raise DependencyUnavailable(f"{service} is unreachable ({type(error).__name__})") from error
