"""The MCP tools' schemas and scope binding: generated from the REST models, standalone, bound scopes enforced."""

import json

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from mnemoscope.contracts.api import SearchRequest
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.mcp_server.binding import Binding, ScopeNotAllowed
from mnemoscope.mcp_server.errors import error_detail
from mnemoscope.mcp_server.schemas import input_schema
from mnemoscope.mcp_server.tools import TOOLS, ToolSpec


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_every_input_schema_is_valid_and_standalone(tool: ToolSpec) -> None:
    schema = input_schema(tool.request)
    Draft202012Validator.check_schema(schema)
    refs = json.dumps(schema).split('"$ref": ')[1:]
    assert all(ref.startswith('"#/$defs/') for ref in refs)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False


def test_schema_and_model_agree_on_what_is_valid() -> None:
    # Given the schema the MCP client sees and the model the server validates with
    validator = Draft202012Validator(input_schema(SearchRequest))
    good = {"user_id": "alice", "query": "peanuts", "top_k": 5, "timezone": "Europe/Paris"}
    bad = {"user_id": "alice", "query": "peanuts", "top_k": 51}
    # Then a client checking arguments first and the server agree
    assert validator.is_valid(good)
    SearchRequest.model_validate(good)
    assert not validator.is_valid(bad)
    with pytest.raises(ValidationError):
        SearchRequest.model_validate(bad)


def test_a_bound_scope_disappears_from_the_schemas() -> None:
    binding = Binding(tenant_id="local", user_id="bob")
    for tool in TOOLS:
        schema = input_schema(tool.request, binding.pinned())
        assert "user_id" not in schema["properties"]
        assert "user_id" not in schema.get("required", [])
        assert "agent_id" in schema["properties"]


def test_a_bound_server_fills_the_scope_and_refuses_another() -> None:
    binding = Binding(tenant_id="t", user_id="bob", agent_id="desk")
    assert binding.arguments({"query": "q"}) == {"query": "q", "user_id": "bob", "agent_id": "desk"}
    assert binding.arguments({"user_id": "bob"})["user_id"] == "bob"
    with pytest.raises(ScopeNotAllowed) as refused:
        binding.arguments({"agent_id": "other"})
    assert refused.value.field == "agent_id"
    assert error_detail(refused.value).fields == ["agent_id"]


def test_an_unbound_server_passes_arguments_through() -> None:
    assert Binding(tenant_id="t").arguments({"user_id": "x"}) == {"user_id": "x"}
    assert Binding(tenant_id="t").arguments(None) == {}


def test_an_unexpected_failure_tells_the_model_nothing_internal() -> None:
    detail = error_detail(RuntimeError("password=hunter2 at /srv/db"))
    assert (detail.code, detail.message, detail.fields) == ("internal_error", "internal error", None)


def test_a_backing_service_outage_is_retryable_and_vague() -> None:
    detail = error_detail(DependencyUnavailable("opensearch at 10.0.0.7 timed out"))
    assert (detail.code, detail.fields) == ("unavailable", None)
    assert "10.0.0.7" not in detail.message
