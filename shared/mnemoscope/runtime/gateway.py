"""Turns local HTTP requests into API Gateway (REST, proxy) events and handler results back into responses."""

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit


def parse_api_keys(spec: str) -> dict[str, str]:
    """'key1:tenantA,key2:tenantB' -> {key: tenant}."""
    keys: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, tenant = pair.partition(":")
        if not sep or not key or not tenant:
            raise ValueError(f"MNEMOSCOPE_API_KEYS entry {pair!r} is not key:tenant")
        keys[key] = tenant
    return keys


def proxy_event(
    method: str, target: str, headers: Mapping[str, str], body: str | None, tenant: str | None, source_ip: str
) -> dict[str, Any]:
    """The event API Gateway would send for this request; `tenant` plays the authorizer's part."""
    url = urlsplit(target)
    multi_query = parse_qs(url.query, keep_blank_values=True)
    request_id = str(uuid.uuid4())
    return {
        "resource": "/{proxy+}",
        "path": url.path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": url.path.lstrip("/")},
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": url.path,
            "stage": "local",
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "apiKeyId": None},
            "authorizer": {"tenant_id": tenant} if tenant else None,
        },
    }


def response_parts(result: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes of a handler's proxy response."""
    headers: list[tuple[str, str]] = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    body = result.get("body") or ""
    return int(result.get("statusCode", 500)), headers, body.encode("utf-8")
