"""The API's resolver: routes + error mapping. The api function and `mnemoscope serve` share the code.

Powertools keeps per-request state on the resolver (`context`: the matched route, its arguments...) and the
current event on the `BaseRouter` *class*, so one resolver is safe for one request at a time only (as in
Lambda). `serve` runs requests on parallel threads, so each request leases a resolver of its own from a pool, and
that resolver keeps its current event on itself; routes read the caller's event through `tenancy.request_event()`, never
through the shared module-level Routers (whose `api_resolver` points at whichever resolver included them last).
"""

import queue
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from mnemoscope.api import chat_routes, message_routes, portability_routes, routes, search_routes
from mnemoscope.api.errors import register_error_handlers, routed_methods
from mnemoscope.api.tenancy import bound_request


class IsolatedRestResolver(APIGatewayRestResolver):
    """An APIGatewayRestResolver whose current event and Lambda context live on the instance."""

    _own_event: BaseProxyEvent
    _own_lambda_context: LambdaContext

    @property  # type: ignore[override]
    def current_event(self) -> BaseProxyEvent:
        return self._own_event

    @current_event.setter
    def current_event(self, value: BaseProxyEvent) -> None:
        self._own_event = value

    @property
    def lambda_context(self) -> LambdaContext:
        return self._own_lambda_context

    @lambda_context.setter
    def lambda_context(self, value: LambdaContext) -> None:
        self._own_lambda_context = value

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        raw = dict(event)
        self._own_event = self._to_proxy_event(raw)
        self._own_lambda_context = context
        with bound_request(raw):
            # Powertools also writes the event onto BaseRouter (a class attribute); this instance never reads it.
            return super().resolve(raw, context)


_lock = threading.Lock()
_built: list[IsolatedRestResolver] = []
_free: "queue.SimpleQueue[IsolatedRestResolver]" = queue.SimpleQueue()


def build_api_app() -> IsolatedRestResolver:
    app = IsolatedRestResolver(enable_validation=True)
    app.include_router(routes.router)
    app.include_router(search_routes.router)
    app.include_router(message_routes.router)
    app.include_router(chat_routes.router)
    app.include_router(portability_routes.router)
    register_error_handlers(app)
    return app


def prepare_resolvers(count: int) -> None:
    """Build resolvers up front, before requests run: `include_router` copies the module Router's context, which
    points at the last resolver built, so building one while another serves could copy in-flight state."""
    with _lock:
        while len(_built) < count:
            app = build_api_app()
            _built.append(app)
            _free.put(app)


@contextmanager
def leased_app() -> Iterator[IsolatedRestResolver]:
    """A resolver for one request; nobody else uses it until the request is done (one per Lambda process)."""
    if not _built:
        prepare_resolvers(1)
    app = _free.get()
    try:
        yield app
    finally:
        _free.put(app)


def api_app() -> IsolatedRestResolver:
    """A resolver to read the route table from (OpenAPI); requests go through `leased_app`."""
    prepare_resolvers(1)
    return _built[0]


def methods_for(path: str) -> list[str]:
    """The methods the API serves on `path` (for the HTTP server's 405 `Allow`); empty for an unknown path."""
    return routed_methods(api_app(), path)
