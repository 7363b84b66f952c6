"""Helpers to drive the api function with events from events/api/."""

import json
from typing import Any

from functions.api.handler import lambda_handler
from mnemoscope.entrypoints.lambda_context import LocalLambdaContext
from tests.conftest import load_event


def call(event: dict[str, Any]) -> tuple[int, Any, dict[str, Any]]:
    result = lambda_handler(event, LocalLambdaContext("api"))
    headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()} | (result.get("headers") or {})
    return result["statusCode"], _body(result.get("body"), headers), headers


def _body(text: str | None, headers: dict[str, Any]) -> Any:
    """JSON parsed; JSON Lines (the export) as a list of parsed lines."""
    if not text:
        return None
    if str(headers.get("Content-Type", "")).startswith("application/x-ndjson"):
        return [json.loads(line) for line in text.splitlines()]
    return json.loads(text)


def call_event(name: str, **changes: Any) -> tuple[int, Any, dict[str, Any]]:
    """Load events/api/<name>.json, apply changes (body=dict, body_text=str, path=str, query=dict,
    tenant=str|None, method=str, base64=bool), call."""
    event = load_event(f"api/{name}.json")
    if "body" in changes:
        event["body"] = json.dumps(changes["body"])
    if "body_text" in changes:
        event["body"] = changes["body_text"]
    if "method" in changes:
        event["httpMethod"] = changes["method"]
    if "base64" in changes:
        event["isBase64Encoded"] = changes["base64"]
    if "path" in changes:
        event["path"] = changes["path"]
    if "query" in changes:
        event["queryStringParameters"] = changes["query"]
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in changes["query"].items()}
    if "tenant" in changes:
        event["requestContext"]["identity"]["apiKeyId"] = changes["tenant"]
    return call(event)
