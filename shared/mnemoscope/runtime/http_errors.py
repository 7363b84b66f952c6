"""Errors the HTTP layer itself answers (before the memory API sees a request), in the API's JSON error shape.

waitress parses requests on its I/O thread and answers malformed ones with its own text/plain page; these
subclasses make those answers (and the two it gives none for: a stalled and a truncated request) JSON."""

import json
import time
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask


def error_body(code: str, message: str, fields: Sequence[str] | None = None) -> bytes:
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = list(fields)
    return json.dumps({"error": detail}).encode("utf-8")


def _parse_error(status: int, detail: str) -> tuple[str, str, list[str]]:
    """(code, message, fields) for an error waitress found while reading the request."""
    if status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        return "too_large", "the body is over 1 MB (and over the 10 MB this server reads)", ["body"]
    if status == HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE:
        return "headers_too_large", "the request line and headers are over 64 KB", []
    if status == HTTPStatus.INTERNAL_SERVER_ERROR:
        return "internal_error", "internal error", []
    if status == HTTPStatus.NOT_IMPLEMENTED:
        return "not_implemented", f"not supported: {detail}", ["Transfer-Encoding"]
    fields = [name for name in ("Content-Length", "Transfer-Encoding") if name.lower() in detail.lower()]
    if "chunk" in detail.lower():
        fields = ["Transfer-Encoding"]
    return "bad_request", f"malformed HTTP request: {detail}", fields


class JsonErrorTask(ErrorTask):
    def execute(self) -> None:
        request: Any = self.request  # the parser (waitress' stubs type it as the error itself)
        error = request.error
        channel: Any = self.channel
        channel.answered_before_close = True
        status = int(error.code)
        code, message, fields = _parse_error(status, str(error.body))
        body = error_body(code, message, fields)
        self.status = f"{status} {HTTPStatus(status).phrase}"
        self.response_headers = [*self.response_headers, ("Content-Type", "application/json")]
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    """Answers a request that stalls (408) or whose client stops sending half-way (400) before closing."""

    error_task_class = JsonErrorTask

    answered_before_close = False  # set once an answer that ends the connection is on its way

    def service(self) -> None:
        super().service()
        if self.close_when_flushed or self.will_close:
            self.answered_before_close = True

    def handle_close(self) -> None:
        # A request half-received when the connection ends: the client went silent or stopped sending. Not so
        # for bytes after an answer that closes the connection (say, the body of a request refused as too large).
        if self.connected and self.request is not None and not self.requests and not self.answered_before_close:
            if time.time() - self.last_activity >= self.adj.channel_timeout:
                message = f"no data for {self.adj.channel_timeout:g} s; send it faster"
                self._answer_and_drop(HTTPStatus.REQUEST_TIMEOUT, "timeout", message)
            else:
                self._answer_and_drop(HTTPStatus.BAD_REQUEST, "truncated", "the request ended before its body did")
        super().handle_close()

    def _answer_and_drop(self, status: HTTPStatus, code: str, message: str) -> None:
        body = error_body(code, message)
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.request = None
        try:
            # Best effort on the I/O thread: the answer is small enough for the socket buffer.
            if self.socket is not None:
                self.socket.send(head.encode("ascii") + body)
        except OSError:
            pass
