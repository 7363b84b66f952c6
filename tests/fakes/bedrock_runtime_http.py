"""Bedrock's embedding models answered at the HTTP layer of a real botocore client (its `before-send` event).

The adapter's request is serialised by botocore and the answer parsed by botocore, as in production; only the
socket is replaced. The fake keeps the documented limits (Titan V2: one text of at most 50,000 characters,
dimensions 256/512/1024; Cohere Embed v3: at most 96 texts of at most 2,048 characters, an input_type), answering
a ValidationException past them, and makes deterministic unit vectors from the text (and Cohere's input_type)."""

import hashlib
import io
import json
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

TITAN_DIMENSIONS = (256, 512, 1024)
COHERE_DIMENSION = 1024


class _Raw(io.BytesIO):
    """What botocore reads a response body from (urllib3's `stream()` and `read()`)."""

    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def vector_for(text: str, dimension: int, salt: str = "") -> list[float]:
    values = []
    seed = f"{salt}\x00{text}".encode()
    while len(values) < dimension:
        digest = hashlib.sha256(seed + len(values).to_bytes(4, "big")).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


class BedrockEmbeddingsHttp:
    """Registers itself on `client` and answers every InvokeModel; `requests` keeps (model id, JSON body)."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client or boto3.client("bedrock-runtime", region_name="us-east-1")
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.client.meta.events.register("before-send.bedrock-runtime.InvokeModel", self._answer)

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        model = unquote(str(request.url).split("/model/", 1)[1].rsplit("/invoke", 1)[0])
        body: dict[str, Any] = json.loads(request.body or b"{}")
        self.requests.append((model, body))
        if model.startswith("amazon.titan-embed-text-v2"):
            return self._titan(request, body)
        if model.startswith("cohere.embed"):
            return self._cohere(request, body)
        return _error(request, 400, "ValidationException", "The provided model identifier is invalid.")

    def _titan(self, request: AWSPreparedRequest, body: dict[str, Any]) -> AWSResponse:
        text, dimension = body.get("inputText"), body.get("dimensions", 1024)
        if not isinstance(text, str) or not text or len(text) > 50_000 or dimension not in TITAN_DIMENSIONS:
            return _error(request, 400, "ValidationException", "Malformed input request, please reformat.")
        payload = {
            "embedding": vector_for(text, dimension),
            "inputTextTokenCount": len(text.split()),
            "embeddingsByType": {"float": vector_for(text, dimension)},
        }
        return _ok(request, payload)

    def _cohere(self, request: AWSPreparedRequest, body: dict[str, Any]) -> AWSResponse:
        texts, input_type = body.get("texts"), body.get("input_type")
        valid = isinstance(texts, list) and 0 < len(texts) <= 96 and all(len(t) <= 2048 for t in texts)
        if not valid or input_type not in ("search_document", "search_query", "classification", "clustering"):
            return _error(request, 400, "ValidationException", "Malformed input request, please reformat.")
        # Cohere's vectors are close to, not exactly, unit length: scale them so the adapter's normalising shows.
        vectors = [[v * 0.9 for v in vector_for(t, COHERE_DIMENSION, input_type)] for t in texts]
        return _ok(request, {"id": "e1", "embeddings": vectors, "texts": texts, "response_type": "embeddings_floats"})


def _ok(request: AWSPreparedRequest, payload: dict[str, Any]) -> AWSResponse:
    data = json.dumps(payload).encode()
    headers = {"content-type": "application/json", "content-length": str(len(data))}
    return AWSResponse(request.url, 200, headers, _Raw(data))


def _error(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
    data = json.dumps({"message": message}).encode()
    headers = {"content-type": "application/json", "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"}
    return AWSResponse(request.url, status, headers, _Raw(data))
