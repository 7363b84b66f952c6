"""The OpenAPI document of the memory API, generated from the routes and wire schemas.

Powertools documents every operation as 200 + its own 422 shape; the document is completed here with what the
API really answers: each operation's success code, every error status it can return in our error shape, the
`x-api-key` security scheme, and the timezone names.
"""

import json
from http import HTTPStatus
from typing import Any

from mnemoscope import __version__
from mnemoscope.api.app import api_app
from mnemoscope.contracts.api import ErrorResponse
from mnemoscope.contracts.fields import TIMEZONE_SCHEMA_REF, timezone_names

API_KEY_SCHEME = "apiKey"
PUBLIC_OPERATIONS = frozenset({("get", "/v1/health")})

# Any request: a body that is not JSON, nests too deep or is over 1 MB is refused before routing; any bug is a 500.
_ANY = (400, 413, 500)
_SCOPED = (*_ANY, 401, 422, 503)  # every tenant operation: no key, invalid field, backing service down
# (success status, error statuses) per operation; an operation missing here fails generation (and the drift test).
OPERATIONS: dict[tuple[str, str], tuple[int, tuple[int, ...]]] = {
    ("get", "/v1/health"): (200, _ANY),
    ("post", "/v1/messages"): (202, (*_SCOPED, 409)),
    ("get", "/v1/messages"): (200, _SCOPED),
    ("post", "/v1/messages/retry"): (202, _SCOPED),
    ("post", "/v1/memories"): (201, _SCOPED),
    ("get", "/v1/memories"): (200, _SCOPED),
    ("get", "/v1/memories/{memory_id}"): (200, (404, *_SCOPED)),
    ("delete", "/v1/memories/{memory_id}"): (204, (404, *_SCOPED)),
    ("delete", "/v1/users/{user_id}"): (204, (404, *_SCOPED)),
    ("post", "/v1/memories/search"): (200, _SCOPED),
    ("post", "/v1/chat"): (200, (*_SCOPED, 409, 502)),
    ("post", "/v1/consolidate"): (202, _SCOPED),
    ("post", "/v1/reflect"): (202, _SCOPED),
    ("get", "/v1/users/{user_id}/export"): (200, (404, *_SCOPED)),
    ("post", "/v1/import"): (200, (*_SCOPED, 409)),
}
# Operations whose success body is not JSON: (method, path) -> media type (the schema is a string).
NON_JSON_SUCCESS = {("get", "/v1/users/{user_id}/export"): "application/x-ndjson"}

_WHY: dict[int, str] = {
    400: "The body is not JSON, nests too deep, or a cursor is not one this API issued",
    401: "No or unknown API key",
    404: "No such memory in this scope (another scope's id is also unknown), or no such path",
    409: "Conflict: a message id already names a different turn, or no chat model is configured",
    413: "The body is over 1 MB; for an export, the file is over what one response carries (use the CLI)",
    422: "A field is invalid; `error.fields` names it",
    500: "Unexpected server error (a bug; no details are returned)",
    502: "The language model gave an invalid answer",
    503: "A backing service is unavailable; retry after `Retry-After` seconds",
}


def openapi_json() -> str:
    document = json.loads(
        api_app().get_openapi_json_schema(
            title="mnemoscope memory API",
            version=__version__,
            description="Long-term memory for LLM chatbots: store chat turns, consolidate them into memories, "
            "retrieve.",
        )
    )
    complete(document)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def complete(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs"))
    schemas["ErrorResponse"] = error_schema
    schemas[TIMEZONE_SCHEMA_REF.rsplit("/", 1)[-1]] = {
        "description": "An IANA timezone name from the tz database",
        "enum": list(timezone_names()),
        "type": "string",
    }
    document["components"]["securitySchemes"] = {
        API_KEY_SCHEME: {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "Your API key"}
    }
    document["security"] = [{API_KEY_SCHEME: []}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            success, errors = OPERATIONS[(method, path)]
            operation["responses"] = _responses(operation["responses"], success, errors)
            if (method, path) in NON_JSON_SUCCESS:
                media = NON_JSON_SUCCESS[(method, path)]
                operation["responses"][str(success)]["content"] = {media: {"schema": {"type": "string"}}}
            operation["security"] = [] if (method, path) in PUBLIC_OPERATIONS else [{API_KEY_SCHEME: []}]
    _link_created_memory(document["paths"])


def _link_created_memory(paths: dict[str, Any]) -> None:
    """A memory is addressed by its id *within its scope*: the links say so (clients and fuzzers follow them)."""
    scope_and_id = {
        "memory_id": "$response.body#/memory/id",
        "user_id": "$request.body#/user_id",
        "agent_id": "$request.body#/agent_id",
    }
    one = paths["/v1/memories/{memory_id}"]
    paths["/v1/memories"]["post"]["responses"]["201"]["links"] = {
        f"{method.capitalize()}Memory": {"operationId": one[method]["operationId"], "parameters": scope_and_id}
        for method in ("get", "delete")
    }


def _responses(generated: dict[str, Any], success: int, errors: tuple[int, ...]) -> dict[str, Any]:
    ok = generated["200"]
    responses: dict[str, Any] = {}
    if success == HTTPStatus.NO_CONTENT:
        responses[str(success)] = {"description": "Done; no content"}
    else:
        responses[str(success)] = {**ok, "description": HTTPStatus(success).phrase}
    for status in sorted(set(errors)):
        response: dict[str, Any] = {
            "description": _WHY[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
        }
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
            response["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
        responses[str(status)] = response
    return responses
