"""An httpx transport that hands each request to the api Lambda handler in process (no sockets)."""

import httpx

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
