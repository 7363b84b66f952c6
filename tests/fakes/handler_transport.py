"""An httpx transport that hands each request to the api Lambda handler in process (no sockets)."""

import anyio
import httpx
import httpx2

from mnemoscope.entrypoints.api import lambda_handler
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.runtime.gateway import proxy_event, response_parts


class HandlerTransport(httpx.BaseTransport):
    def __init__(self, tenant: str | None = "local") -> None:
        self.tenant = tenant

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content.decode() if request.content else None
        target = request.url.raw_path.decode()
        event = proxy_event(request.method, target, dict(request.headers), body, self.tenant, "127.0.0.1")
        status, headers, payload = response_parts(lambda_handler(event, LocalLambdaContext("api")))
        return httpx.Response(status, headers=headers, content=payload)


class AsyncHandlerTransport(httpx2.AsyncBaseTransport):
    """The same for async httpx2 clients (the MCP SDK's): API-Gateway-shaped events with the tenant where API
    Gateway puts a REST API key's id. The handler is synchronous, as in Lambda, so it runs on a worker thread."""

    def __init__(self, tenant: str | None) -> None:
        self.tenant = tenant

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = (await request.aread()).decode() or None
        target = request.url.raw_path.decode()
        event = proxy_event(request.method, target, dict(request.headers), body, None, "10.0.0.1")
        event["requestContext"]["identity"]["apiKeyId"] = self.tenant
        result = await anyio.to_thread.run_sync(lambda_handler, event, LocalLambdaContext("api"))
        status, headers, payload = response_parts(result)
        return httpx2.Response(status, headers=headers, content=payload)
