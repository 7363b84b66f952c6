"""The api handler called from many threads at once (as `mnemoscope serve` does): every request is answered for
its own tenant, with its own body, and lands under its own tenant. In-process, with the hashing embedder, so it
runs in a second; the live-server version is tests/e2e/test_serve_concurrency.py."""

import io
import json
import logging
import random
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from functions.api.handler import lambda_handler
from mnemoscope.api.app import prepare_resolvers
from mnemoscope.domain.scope import Scope
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from mnemoscope.observability import logger
from mnemoscope.runtime.gateway import proxy_event
from mnemoscope.wiring import Services

TENANTS = ("acme", "globex")
THREADS = 8
CALLS_PER_THREAD = 150

pytestmark = pytest.mark.usefixtures("local_services", "_switch_often")


@pytest.fixture
def _switch_often() -> Iterator[None]:
    """Switch threads every microsecond (not 5 ms), so that requests interleave inside the handler."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _event(method: str, path: str, body: dict[str, Any] | None, tenant: str) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    return proxy_event(method, path, headers, json.dumps(body) if body else None, tenant, "127.0.0.1")


def _client(worker: int, sent: dict[str, dict[str, str]], problems: list[str], lock: threading.Lock) -> None:
    tenant, other = TENANTS[worker % 2], TENANTS[(worker + 1) % 2]
    rng = random.Random(worker)
    for call in range(CALLS_PER_THREAD):
        kind = rng.randrange(6)
        text = f"MARK{tenant} note {worker}-{call}"
        if kind == 0:
            turn = {"role": "user", "content": text, "id": f"w{worker}c{call}"}  # ids shared by both tenants
            event, expected = _event("POST", "/v1/messages", {"user_id": "u1", "messages": [turn]}, tenant), 202
        elif kind == 1:
            event, expected = _event("POST", "/v1/memories", {"user_id": "u1", "content": text}, tenant), 201
        elif kind == 2:
            event, expected = _event("GET", "/v1/memories?user_id=u1&limit=50", None, tenant), 200
        elif kind == 3:
            event, expected = _event("POST", "/v1/memories/search", {"user_id": "u1", "query": "note"}, tenant), 200
        elif kind == 4:
            event, expected = _event("GET", "/v1/messages?user_id=u1&limit=50", None, tenant), 200
        else:
            event, expected = _event("GET", "/v1/health", None, tenant), 200
        result = lambda_handler(event, LocalLambdaContext("api"))
        body = result.get("body") or ""
        with lock:
            if result["statusCode"] != expected or f"MARK{other}" in body:
                problems.append(f"{tenant} kind {kind}: {result['statusCode']} {body[:160]}")
            elif kind == 0:
                sent[tenant][f"w{worker}c{call}"] = text


def test_parallel_requests_of_two_tenants_stay_apart(local_services: Services) -> None:
    prepare_resolvers(THREADS)
    sent: dict[str, dict[str, str]] = {t: {} for t in TENANTS}
    problems: list[str] = []
    lock = threading.Lock()
    threads = [threading.Thread(target=_client, args=(n, sent, problems, lock)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert problems == []
    for tenant in TENANTS:
        scope = Scope(tenant_id=tenant, user_id="u1")
        stored = {m.message.id: m.message.content for m in local_services.ports.chat_log.pending(scope, limit=100_000)}
        assert stored == sent[tenant]
        memories = local_services.ports.memory_index.list(scope, limit=100_000).items
        assert memories and all(f"MARK{tenant}" in node.content for node in memories)


def test_log_lines_carry_their_own_requests_ids_under_concurrency() -> None:
    """Each request's correlation id and Lambda request id stay on that request's log lines (per-thread keys)."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(logger.registered_formatter)
    std_logger = logging.getLogger(logger.name)  # the stdlib logger under Powertools' Logger
    std_logger.addHandler(handler)
    previous = std_logger.level
    std_logger.setLevel(logging.INFO)
    prepare_resolvers(THREADS)

    def client(worker: int) -> None:
        for call in range(40):
            # A body that fails validation: the handler logs "invalid request" while the request is in flight.
            event = _event("POST", "/v1/memories", {"user_id": "u1", "content": ""}, TENANTS[worker % 2])
            event["requestContext"]["requestId"] = f"req-{worker}-{call}"
            context = LocalLambdaContext("api", aws_request_id=f"ctx-{worker}-{call}")
            assert lambda_handler(event, context)["statusCode"] == 422

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        std_logger.removeHandler(handler)
        std_logger.setLevel(previous)

    records = [json.loads(line) for line in lines.getvalue().splitlines() if line.startswith("{")]
    invalid = [r for r in records if r.get("message") == "invalid request"]
    assert len(invalid) == THREADS * 40
    expected_id = {r.get("correlation_id"): str(r.get("correlation_id")).replace("req", "ctx") for r in invalid}
    mismatched = [r for r in invalid if r.get("function_request_id") != expected_id[r.get("correlation_id")]]
    assert mismatched == []
