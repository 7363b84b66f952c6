"""DashScope reports failures as a status code on the response, not as exceptions: classify them once here."""

from http import HTTPStatus
from typing import Any

from mnemoscope.domain.errors import DependencyUnavailable


class TransientStatus(Exception):
    """429 or 5xx from DashScope: worth another attempt."""


def is_transient(error: Exception) -> bool:
    return isinstance(error, TransientStatus | ConnectionError | TimeoutError)


def checked(response: Any, what: str) -> Any:
    """The response when it succeeded.

    Raises:
        TransientStatus: 429/5xx (to be retried).
        DependencyUnavailable: any other refusal.
    """
    status = getattr(response, "status_code", HTTPStatus.OK)
    if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise TransientStatus(str(status))
    if status != HTTPStatus.OK:
        raise DependencyUnavailable(f"{what} refused the request ({status})")
    return response
