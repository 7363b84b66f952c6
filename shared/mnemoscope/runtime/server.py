"""`mnemoscope serve`: the memory API on waitress, through the same handler as API Gateway.

waitress reads and buffers each request (chunked bodies included, up to the body limit) on its I/O thread and
hands complete requests to a fixed pool of worker threads; a slow client costs a socket, never a worker."""

import ipaddress
import logging
import threading
from collections.abc import Iterable
from typing import Any

from waitress.server import BaseWSGIServer, create_server

from mnemoscope.api.app import prepare_resolvers
from mnemoscope.runtime.http_errors import JsonErrorChannel
from mnemoscope.runtime.wsgi import LOCAL_TENANT, ApiWsgiApp

# Bodies up to API Gateway's 10 MB are read (waitress buffers big ones in a temp file) so that the client gets the
# app's 413 instead of a reset mid-upload; beyond that waitress answers 413 at once and closes.
READ_LIMIT_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 64 * 1024
DEFAULT_THREADS = 8  # `serve --threads`

__all__ = ["LOCAL_TENANT", "LocalServer", "is_loopback", "make_server", "serve_in_thread"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalServer:
    """A bound waitress server: `serve_forever` in one thread, `shutdown` from another."""

    def __init__(self, server: BaseWSGIServer) -> None:
        self._server: Any = server  # waitress' stubs leave out effective_host/_map/trigger

    @property
    def server_address(self) -> tuple[str, int]:
        return str(self._server.effective_host), int(self._server.effective_port)

    def serve_forever(self) -> None:
        self._server.run()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Close every connection and the listening socket from the I/O thread; `serve_forever` then returns.

        Returns once the port is closed: the I/O thread runs the close asynchronously, and a caller that rebinds
        the port (or checks it is closed) right after must not race it."""
        socket_map = self._server._map
        closed = threading.Event()

        def close_all() -> None:
            for channel in list(socket_map.values()):
                channel.close()
            closed.set()

        # Workers first: a task that finishes after the trigger is closed would write to a closed descriptor.
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        self._server.trigger.pull_trigger(close_all)
        if not closed.wait(timeout):  # no I/O loop is running (never served, or it died): close from here
            close_all()

    def server_close(self) -> None:
        """Kept for the `serve` command's shutdown sequence; `shutdown` already released the socket."""


def make_server(
    host: str,
    port: int,
    api_keys: dict[str, str],
    *,
    cors_origins: Iterable[str] = (),
    read_timeout: int = 30,
    threads: int = DEFAULT_THREADS,
) -> LocalServer:
    """An HTTP server bound to host:port. Without API keys only loopback is allowed (single tenant 'local').

    `read_timeout`: seconds a connection may stay silent (while sending headers or body, or idle between requests)
    before it is answered 408 (mid-request) or closed.

    Raises:
        PermissionError: when asked to serve without keys on a non-loopback address.
    """
    if not api_keys and not is_loopback(host):
        raise PermissionError(f"refusing to serve on {host} without MNEMOSCOPE_API_KEYS (key:tenant,...)")
    prepare_resolvers(threads)  # before the first request: building one later could copy a live one's state
    server = create_server(  # one address in, one socket out (a name like "localhost" could give two)
        ApiWsgiApp(api_keys, cors_origins),
        host="127.0.0.1" if host == "localhost" else host,
        port=port,
        threads=threads,
        ident="mnemoscope",
        channel_timeout=read_timeout,
        cleanup_interval=max(1, min(read_timeout // 2, 30)),
        max_request_body_size=READ_LIMIT_BYTES,
        max_request_header_size=MAX_HEADER_BYTES,
        expose_tracebacks=False,
        clear_untrusted_proxy_headers=True,
        asyncore_use_poll=True,
    )
    if not isinstance(server, BaseWSGIServer):
        raise OSError(f"{host} resolves to several addresses; pass one")
    server.channel_class = JsonErrorChannel
    # "Task queue depth is N" on every request that waits for a free thread: that wait is the intended back-pressure.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return LocalServer(server)


def serve_in_thread(server: LocalServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="mnemoscope-http", daemon=True)
    thread.start()
    return thread
