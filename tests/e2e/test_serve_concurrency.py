"""`mnemoscope serve` under concurrent load from several tenants: nobody sees or writes another tenant's data.

Tenants use the same user_id, agent_id and message ids, so the API key is the only thing that separates them;
every content carries its tenant's marker. Per tenant, one client posts 60-turn batches, one adds memories, one
lists, gets and checks health, one searches, for DURATION seconds (twice as many turn writers and readers: those
requests are cheap, so they overlap the most). Afterwards the server is stopped and its SQLite data read with
the project's adapters: each acknowledged turn and memory is under its own tenant, with its own content, and
nothing of one tenant is under another."""

import json
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.local.sqlite_chat_log import SqliteChatLog
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.scope import Scope
from tests.e2e.test_serve_http import Server

pytestmark = pytest.mark.slow

TENANTS = ("acme", "globex")
DURATION = 20.0
MAX_OPS_PER_WORKER = 500
TURNS_PER_BATCH = 60
WORDS = ("river", "budget", "meeting", "garden", "violin", "train", "coffee", "winter", "museum", "letter", "harbor")


def _marker(tenant: str) -> str:
    return f"MARK{tenant.upper()}"


def _text(rng: random.Random, tenant: str) -> str:
    """300-500 characters that name their tenant."""
    length = rng.randint(300, 500)
    words = [_marker(tenant)]
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:length]


@dataclass
class Ledger:
    """What the server acknowledged, and what went wrong, per tenant."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    turns: dict[str, dict[str, str]] = field(default_factory=lambda: {t: {} for t in TENANTS})
    memories: dict[str, dict[str, str]] = field(default_factory=lambda: {t: {} for t in TENANTS})
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class Client:
    def __init__(self, base: str, key: str) -> None:
        self.base = base
        self.key = key

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, str]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"x-api-key": self.key, "Content-Type": "application/json"}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def _check_reply(ledger: Ledger, tenant: str, what: str, status: int, text: str, expected: int) -> bool:
    with ledger.lock:
        ledger.requests += 1
    foreign = [t for t in TENANTS if t != tenant and _marker(t) in text]
    if foreign:
        ledger.fail(f"{tenant} {what}: response carries {foreign}'s data")
    if status != expected:
        ledger.fail(f"{tenant} {what}: {status} {text[:200]}")
    return status == expected and not foreign


def _turn_writer(client: Client, tenant: str, n: int, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(f"turns-{tenant}-{n}")
    for op in range(MAX_OPS_PER_WORKER):
        if time.monotonic() > deadline:
            return
        # The same ids in every tenant: only the API key tells the batches apart.
        turns = [
            {"role": "user" if i % 2 == 0 else "assistant", "content": _text(rng, tenant), "id": f"w{n}b{op}t{i}"}
            for i in range(TURNS_PER_BATCH)
        ]
        status, text = client.call("POST", "/v1/messages", {"user_id": "u1", "messages": turns})
        if _check_reply(ledger, tenant, "append", status, text, 202):
            with ledger.lock:
                ledger.turns[tenant].update({t["id"]: t["content"] for t in turns})


def _memory_writer(client: Client, tenant: str, n: int, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(f"memories-{tenant}-{n}")
    for _ in range(MAX_OPS_PER_WORKER):
        if time.monotonic() > deadline:
            return
        content = _text(rng, tenant)
        status, text = client.call("POST", "/v1/memories", {"user_id": "u1", "content": content})
        if _check_reply(ledger, tenant, "add", status, text, 201):
            with ledger.lock:
                ledger.memories[tenant][json.loads(text)["memory"]["id"]] = content


def _reader(client: Client, tenant: str, n: int, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(f"reads-{tenant}-{n}")
    for op in range(MAX_OPS_PER_WORKER):
        if time.monotonic() > deadline:
            return
        with ledger.lock:
            known = list(ledger.memories[tenant])
        kind = op % 5
        if kind == 0 and known:
            what, path = "get", f"/v1/memories/{rng.choice(known)}?user_id=u1"
        elif kind == 1:
            what, path = "health", "/v1/health"
        elif kind == 2:
            what, path = "turns", f"/v1/messages?user_id=u1&limit={rng.choice((20, 100))}"
        else:
            what, path = "list", f"/v1/memories?user_id=u1&limit={rng.choice((20, 100))}"
        _check_reply(ledger, tenant, what, *client.call("GET", path), 200)
        if op % 10 == 0:
            _check_reply(ledger, tenant, "head", *client.call("HEAD", "/v1/health"), 200)


def _searcher(client: Client, tenant: str, n: int, ledger: Ledger, deadline: float) -> None:
    rng = random.Random(f"search-{tenant}-{n}")
    for _ in range(MAX_OPS_PER_WORKER):
        if time.monotonic() > deadline:
            return
        body = {"user_id": "u1", "query": " ".join(rng.sample(WORDS, 2))}
        _check_reply(ledger, tenant, "search", *client.call("POST", "/v1/memories/search", body), 200)


def test_tenants_never_see_or_write_each_others_data_under_load(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    keys = {tenant: f"key-{tenant}-{i}" for i, tenant in enumerate(TENANTS)}
    log = tmp_path / "serve.log"
    server = Server(data_dir, api_keys=",".join(f"{key}:{tenant}" for tenant, key in keys.items()), log_path=log)
    server.wait_ready()
    ledger = Ledger()
    deadline = time.monotonic() + DURATION
    roles = (_turn_writer, _turn_writer, _memory_writer, _reader, _reader, _searcher)
    workers = [
        threading.Thread(target=role, args=(Client(server.base, keys[tenant]), tenant, n, ledger, deadline))
        for tenant in TENANTS
        for n, role in enumerate(roles)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=DURATION + 120)
        assert not any(w.is_alive() for w in workers), "a client hung"
    finally:
        assert server.stop() == 0

    assert ledger.failures == [], f"{len(ledger.failures)} of {ledger.requests} requests: {ledger.failures[:10]}"
    assert "Traceback" not in log.read_text()
    for tenant in TENANTS:
        assert len(ledger.turns[tenant]) >= TURNS_PER_BATCH and ledger.memories[tenant], "the load did not run"
    _assert_stored_under_own_tenant_only(data_dir, ledger)


def _assert_stored_under_own_tenant_only(data_dir: Path, ledger: Ledger) -> None:
    db = SqliteDatabase(data_dir / "mnemoscope.db")
    chat_log, index = SqliteChatLog(db), SqliteMemoryIndex(db, 384)
    for tenant in TENANTS:
        scope = Scope(tenant_id=tenant, user_id="u1")
        stored = {m.message.id: m.message.content for m in chat_log.pending(scope, limit=1_000_000)}
        acked = ledger.turns[tenant]
        assert {i: stored.get(i) for i in acked} == acked, f"{tenant}: acknowledged turns missing or replaced"
        strays = [i for i, content in stored.items() if _marker(tenant) not in content]
        assert strays == [], f"{tenant} holds {len(strays)} turns of another tenant"
        for memory_id, content in ledger.memories[tenant].items():
            node = index.get(scope, memory_id)
            assert node is not None and node.content == content, f"{tenant}: memory {memory_id} missing"
        page = index.list(scope, limit=100_000)
        assert {n.id for n in page.items} == set(ledger.memories[tenant])
