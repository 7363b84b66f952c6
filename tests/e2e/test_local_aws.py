"""The AWS data plane on one machine: `make local-aws` (moto server for DynamoDB, SQS and Secrets Manager; the
OpenSearch node CI already runs, reused rather than a second JVM), `mnemoscope serve --backend aws` over HTTP with
the OpenAI adapter on a scripted stand-in server, and the api function driven by events/api/*.json with the
settings of events/env.local.json. Everything the test starts, it stops."""

import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from infra.local_aws.provision import LOCAL_CREDENTIALS, REGION

from mnemoscope import wiring
from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from tests.e2e.fake_openai import FakeOpenAI
from tests.e2e.test_serve_http import Server
from tests.functions.api_calls import call_event
from tests.opensearch_target import node_url

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.opensearch
ALICE = "local/default/alice"  # serve without API keys: tenant "local", agent "default"


@dataclass
class StandIns:
    aws_url: str
    node_url: str
    index: str
    run_dir: Path
    sam_env: Path
    serve_env: dict[str, str]
    model: FakeOpenAI

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_url, region_name=REGION, **LOCAL_CREDENTIALS)  # type: ignore[call-overload]

    def items(self, table: str, scope_key: str) -> list[dict[str, Any]]:
        """The table's items of one scope, read behind the service's back."""
        items = self.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]
        return [item for item in items if scope_key in item["pk"]["S"]]

    def documents(self, scope_key: str) -> list[dict[str, Any]]:
        node = opensearch_client(self.node_url, timeout_seconds=30.0)
        node.indices.refresh(index=self.index)
        hits = node.search(index=self.index, body={"size": 100, "query": {"term": {"scope_key": scope_key}}})
        return [hit["_source"] for hit in hits["hits"]["hits"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make(target: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["make", "-s", target], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


@pytest.fixture(scope="module", params=["domain", "serverless"])
def stand_ins(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIns]:
    """`make local-aws` as a managed domain, and behind the Serverless-constraints proxy (what a VECTORSEARCH
    collection refuses is refused, new documents become visible after a delay): the same tests pass on both."""
    node = node_url()
    run_dir = tmp_path_factory.mktemp("local-aws")
    index = f"mnemoscope-local-aws-{uuid.uuid4().hex[:8]}"
    model = FakeOpenAI()
    provision = [
        f"--index {index}",
        f"--sam-env {run_dir / 'env.local.json'}",
        f"--serve-env {run_dir / 'serve.env'}",
        f"--chat-provider openai --chat-model scripted --openai-base-url {model.url} --openai-api-key unused",
    ]
    env = {
        **os.environ,
        "LOCAL_AWS_PORT": str(_free_port()),
        "LOCAL_AWS_OPENSEARCH_URL": node,
        "LOCAL_AWS_RUN_DIR": str(run_dir),
        "LOCAL_AWS_PROVISION_ARGS": " ".join(provision),
        "LOCAL_AWS_SEARCH": request.param,
        "LOCAL_AWS_PROXY_PORT": str(_free_port()),
        "LOCAL_AWS_SERVERLESS_DELAY": "1",
    }
    try:
        _make("local-aws", env)
        lines = (run_dir / "serve.env").read_text().splitlines()
        serve_env = dict(line.split("=", 1) for line in lines)
        proxied = serve_env["MNEMOSCOPE_OPENSEARCH_ENDPOINT"].rstrip("/") != node.rstrip("/")
        assert proxied == (request.param == "serverless")
        yield StandIns(
            serve_env["MNEMOSCOPE_AWS_ENDPOINT_URL"], node, index, run_dir, run_dir / "env.local.json", serve_env, model
        )
    finally:
        _make("local-aws-stop", env)
        model.close()
        opensearch_client(node, timeout_seconds=30.0).indices.delete(index=index, params={"ignore_unavailable": "true"})
    # What it started is gone: the endpoint no longer answers.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(env["LOCAL_AWS_PORT"])), timeout=2):
        pass


def _eventually(check: Callable[[], Any], seconds: float = 90.0) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.5)
    return result


def _contents(server: Server, **query: str) -> dict[str, str]:
    params = "&".join(f"{k}={v}" for k, v in ({"user_id": "alice"} | query).items())
    _, body, _ = server.request("GET", f"/v1/memories?{params}")
    return {m["content"]: m["status"] for m in body["memories"]}


def test_serve_backend_aws_end_to_end(stand_ins: StandIns, tmp_path: Path) -> None:
    # Given serve on the stand-ins; the worker polls the FIFO queue, the schedule sweeps every 2 s
    env = stand_ins.serve_env | {"MNEMOSCOPE_CONSOLIDATION_MIN_SIMILARITY": "0.5", "POWERTOOLS_LOG_LEVEL": "INFO"}
    server = Server(tmp_path / "unused", extra_env=env, extra_args=("--backend", "aws", "--reflect-every", "2"))
    server.wait_ready()
    try:
        # When a turn and a custom memory are posted
        turn = {"role": "user", "content": "I work as a nurse.", "id": "m-1"}
        assert server.request("POST", "/v1/messages", {"user_id": "alice", "messages": [turn]})[0] == 202
        added = {"user_id": "alice", "content": "Alice is allergic to peanuts."}
        assert server.request("POST", "/v1/memories", added)[0] == 201
        # Then the worker consolidates the turn through the queue with the scripted model
        _eventually(lambda: "The user works as a nurse." in _contents(server))
        # And search finds both (the projection is eventually consistent)
        query = {"user_id": "alice", "query": "what is her job and what is she allergic to?"}
        _eventually(lambda: len(server.request("POST", "/v1/memories/search", query)[1]["memories"]) == 2)
        # When a later turn contradicts the job, the new observation supersedes the old one
        turn = {"role": "user", "content": "I work as a teacher now.", "id": "m-2"}
        assert server.request("POST", "/v1/messages", {"user_id": "alice", "messages": [turn]})[0] == 202
        _eventually(lambda: "The user works as a nurse." in _contents(server, status="expired"))
        assert _contents(server)["The user works as a teacher."] == "valid"
        _, found, _ = server.request("POST", "/v1/memories/search", {"user_id": "alice", "query": "nurse teacher job"})
        assert "The user works as a nurse." not in [m["content"] for m in found["memories"]]
        # And DynamoDB and the index hold them, read directly
        memory_table = stand_ins.serve_env["MNEMOSCOPE_MEMORY_TABLE"]
        chat_table = stand_ins.serve_env["MNEMOSCOPE_CHAT_TABLE"]
        assert len(stand_ins.items(memory_table, ALICE)) >= 3
        assert any("m-2" in item["sk"]["S"] or "m-2" in json.dumps(item) for item in stand_ins.items(chat_table, ALICE))
        projected = _eventually(lambda: {d["content"] for d in stand_ins.documents(ALICE)} or None)
        assert "The user works as a teacher." in projected
        assert len(stand_ins.model.requests) >= 3  # two extractions and a reconcile, at least
        # When alice is forgotten
        assert server.request("DELETE", "/v1/users/alice")[0] == 204
        # Then nothing of hers is left in either table, nor (once deletes land) in the index
        assert stand_ins.items(memory_table, ALICE) == []
        assert stand_ins.items(chat_table, ALICE) == []
        _eventually(lambda: stand_ins.documents(ALICE) == [], seconds=15)
    finally:
        assert server.stop() == 0, server.output()[-3000:]


# The status each events/api/*.json promises by its name.
EXPECTED = {
    "add_memory": 201,
    "add_memory_empty_content": 422,
    "append_messages": 202,
    "append_messages_bad_role": 422,
    "append_messages_bad_user_id": 422,
    "append_messages_empty": 422,
    "append_messages_invalid_json": 400,
    "append_messages_missing_user_id": 422,
    "append_messages_wrong_types": 422,
    "consolidate": 202,
    "delete_memory": 204,
    "export_user": 200,
    "forget_user": 204,
    "get_memory": 200,
    "health": 200,
    "health_no_api_key": 200,
    "import_file": 200,
    "list_memories": 200,
    "list_memories_bad_limit": 422,
    "list_memories_missing_user_id": 422,
    "mcp_search": 200,
    "reflect": 202,
    "search": 200,
    "search_missing_query": 422,
    "unknown_route": 404,
}


def test_every_api_event_is_listed() -> None:
    assert sorted(EXPECTED) == sorted(p.stem for p in (REPO / "events/api").glob("*.json"))


@pytest.fixture
def api_function_env(stand_ins: StandIns, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The api function's variables from env.local.json (as `sam local invoke --env-vars` passes them), with the
    container's host name read as this machine; the graph is built from them as in Lambda."""
    variables = json.loads(stand_ins.sam_env.read_text())["ApiFunction"]
    for name, value in variables.items():
        monkeypatch.setenv(name, value.replace("host.docker.internal", "127.0.0.1"))
    monkeypatch.setenv("MNEMOSCOPE_OPENSEARCH_INDEX", stand_ins.index)  # the module's own index on the shared node
    wiring._settings.cache_clear()
    wiring._build_from_environment.cache_clear()
    yield
    wiring._settings.cache_clear()
    wiring._build_from_environment.cache_clear()


@pytest.mark.usefixtures("api_function_env")
def test_api_events_against_the_stand_ins_return_the_status_their_name_promises() -> None:
    # Given a memory added through the same function (get and delete name it instead of their placeholder id)
    status, body, _ = call_event("add_memory")
    assert status == 201
    memory_id = body["memory"]["id"]
    # When each event runs in turn (delete and forget last: they remove what get, list and search read)
    order = sorted(EXPECTED, key=lambda name: name in ("delete_memory", "forget_user"))
    got = {}
    for name in order:
        path = f"/v1/memories/{memory_id}" if name in ("get_memory", "delete_memory") else None
        got[name] = call_event(name, **({"path": path} if path else {}))[0]
    # Then
    assert got == EXPECTED
