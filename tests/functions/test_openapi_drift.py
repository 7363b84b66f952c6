from pathlib import Path

from mnemoscope.api.openapi import openapi_json

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
