import json
from pathlib import Path

from mnemoscope.api.openapi import openapi_json
from mnemoscope.contracts.api import (
    MAX_CUSTOM_MEMORY_CHARS,
    MAX_MESSAGES_PER_REQUEST,
    MAX_QUERY_CHARS,
    MAX_TURN_CHARS,
)

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_openapi_document_matches_the_routes() -> None:
    # When the API changes, run `make openapi` and commit docs/openapi.json.
    assert COMMITTED.read_text(encoding="utf-8") == openapi_json()


def test_openapi_lists_every_route() -> None:
    document = openapi_json()
    for path in (
        "/v1/health",
        "/v1/messages",
        "/v1/memories",
        "/v1/memories/{memory_id}",
        "/v1/memories/search",
        "/v1/users/{user_id}",
        "/v1/consolidate",
        "/v1/reflect",
    ):
        assert f'"{path}"' in document


def test_every_operation_documents_its_statuses_errors_and_security() -> None:
    document = json.loads(openapi_json())
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "Your API key",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert len(success) == 1, (method, path)
            errors = {code: r for code, r in responses.items() if not code.startswith("2")}
            assert {"400", "413", "500"} <= set(errors), (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"
                }
            public = (method, path) == ("get", "/v1/health")
            assert operation["security"] == ([] if public else [{"apiKey": []}]), (method, path)
            if not public:
                assert {"401", "422", "503"} <= set(errors), (method, path)
    assert document["paths"]["/v1/messages"]["post"]["responses"].keys() >= {"202", "409"}
    assert "204" in document["paths"]["/v1/users/{user_id}"]["delete"]["responses"]


def test_the_limits_are_in_the_document() -> None:
    schemas = json.loads(openapi_json())["components"]["schemas"]
    assert schemas["NewMessage"]["properties"]["content"]["maxLength"] == MAX_TURN_CHARS
    assert schemas["AddMemoryRequest"]["properties"]["content"]["maxLength"] == MAX_CUSTOM_MEMORY_CHARS
    assert schemas["SearchRequest"]["properties"]["query"]["maxLength"] == MAX_QUERY_CHARS
    assert schemas["SearchRequest"]["properties"]["types"]["anyOf"][0]["maxItems"] == 3
    assert schemas["AppendMessagesRequest"]["properties"]["messages"]["maxItems"] == MAX_MESSAGES_PER_REQUEST
    zones = schemas["TimezoneName"]["enum"]
    assert "Europe/Paris" in zones and "UTC" in zones and "America" not in zones
