"""Pure builders for the OpenSearch memory index: index definition, documents, queries, cursors, scores.

No I/O here, so every request body the adapter sends can be unit-tested without a node.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Literal

from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import MemoryFilter

Engine = Literal["faiss", "lucene"]
Body = dict[str, Any]

# Lucene supports cosine natively. Faiss gets inner product on vectors the adapter normalises, which equals
# cosine and works on every k-NN version (faiss `cosinesimil` only exists from k-NN 2.19).
SPACE_TYPES: dict[Engine, str] = {"lucene": "cosinesimil", "faiss": "innerproduct"}
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
# Candidates the HNSW search keeps per segment; Lucene uses it as ef_search. 100 keeps recall high at k≤20.
MIN_KNN_CANDIDATES = 100
MAX_KNN_CANDIDATES = 10_000
VECTOR_DECIMALS = 8
TEXT_ANALYZER = "memory_text"
TEXT_FIELDS = ("content", "keywords")
# Hits carry only what the record re-check needs: the memory is read from the records, never from here.
SOURCE_FIELDS = ["memory_id", "record_version"]
# A match query expands to one clause per token and field; Lucene refuses more than 1024 clauses, so long
# texts are cut at this many tokens (counted the way the analyzer roughly splits: each CJK character, each word).
MAX_QUERY_TOKENS = 256
_QUERY_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W_]+")
# Placeholders of infra/opensearch/index.json, filled by render_index_template.
PLACEHOLDERS = ("${DIMENSION}", "${ENGINE}", "${SPACE_TYPE}")


def index_definition(dimension: int, engine: Engine) -> Body:
    """Settings and mappings of the memory index (infra/opensearch/index.json is the same, as data)."""
    if dimension < 1:
        raise InvalidMemoryRequest(f"vector dimension must be positive, got {dimension}", field="dimension")
    keyword = {"type": "keyword"}
    text = {"type": "text", "analyzer": TEXT_ANALYZER}
    return {
        "settings": {"index": {"knn": True}, "analysis": _analysis()},
        "mappings": {
            "dynamic": "strict",
            "properties": {
                **dict.fromkeys(("scope_key", "tenant_id", "agent_id", "user_id", "memory_id"), keyword),
                "type": keyword,
                "status": keyword,
                "reflected": {"type": "boolean"},
                "reconsolidated": {"type": "boolean"},
                # Nanosecond dates keep the microseconds of created_at, so list order and cursors are exact.
                "created_at": {"type": "date_nanos"},
                "updated_at": {"type": "date"},
                "event_time": {"type": "date_range"},
                "event_recurrence": keyword,
                "content": text,
                "keywords": text,
                "vector": {
                    "type": "knn_vector",
                    "dimension": dimension,
                    "method": {
                        "name": "hnsw",
                        "engine": engine,
                        "space_type": SPACE_TYPES[engine],
                        "parameters": {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION},
                    },
                },
                # Unused since the records hold the memory; kept so indexes made before stay compatible.
                "doc": {"type": "object", "enabled": False},
                # The record version this document projects, and a unique key of the document itself (the
                # server assigns `_id`; reindex pages over every document sorted by this key).
                "record_version": {"type": "long"},
                "projection_key": keyword,
            },
        },
    }


def _analysis() -> Body:
    # Standard tokenizer + cjk_bigram with unigrams: 杭州 matches as a bigram and 茶 as a single character,
    # without a Chinese segmenter. The English stemmer runs after the bigrams and leaves CJK tokens alone.
    return {
        "filter": {
            "memory_cjk_bigram": {"type": "cjk_bigram", "output_unigrams": True},
            "memory_possessive": {"type": "stemmer", "language": "possessive_english"},
            "memory_stemmer": {"type": "stemmer", "language": "english"},
        },
        "analyzer": {
            TEXT_ANALYZER: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "memory_possessive", "memory_cjk_bigram", "memory_stemmer"],
            }
        },
    }


def render_index_template(template: Any, dimension: int, engine: Engine) -> Any:
    """Fill the placeholders of infra/opensearch/index.json (dimension becomes an integer)."""
    values: dict[str, Any] = {
        "${DIMENSION}": dimension,
        "${ENGINE}": engine,
        "${SPACE_TYPE}": SPACE_TYPES[engine],
    }
    if isinstance(template, dict):
        return {key: render_index_template(value, dimension, engine) for key, value in template.items()}
    if isinstance(template, list):
        return [render_index_template(value, dimension, engine) for value in template]
    if isinstance(template, str) and template in values:
        return values[template]
    return template


def document_id(scope: Scope, memory_id: str) -> str:
    """A stable key of (scope, memory id): memory ids are unique only within a scope."""
    return hashlib.sha256(f"{scope.key}\x1f{memory_id}".encode()).hexdigest()[:40]


def to_document(node: MemoryNode, vector: Sequence[float], version: int, projection_key: str) -> Body:
    """The search projection of one version of a memory (indexed without `_id`; the server assigns one)."""
    event = node.event_time
    return {
        "scope_key": node.scope.key,
        "tenant_id": node.scope.tenant_id,
        "agent_id": node.scope.agent_id,
        "user_id": node.scope.user_id,
        "memory_id": node.id,
        "record_version": version,
        "projection_key": projection_key,
        "type": node.type,
        "status": node.status,
        "reflected": node.reflected,
        "reconsolidated": node.reconsolidated,
        "created_at": _utc(node.created_at),
        "updated_at": _utc(node.updated_at),
        "event_time": {"gte": _utc(event.start), "lt": _utc(event.end)} if event else None,
        "event_recurrence": event.recurrence if event else None,
        "content": node.content,
        "keywords": list(node.keywords),
        "vector": list(vector),
    }


def versions_body(scope: Scope, memory_ids: Sequence[str]) -> Body:
    """Every projection document of these memories (to find the old ones after a change)."""
    query = {"bool": {"filter": [{"term": {"scope_key": scope.key}}, {"terms": {"memory_id": list(memory_ids)}}]}}
    return {"size": MAX_KNN_CANDIDATES, "_source": SOURCE_FIELDS, "track_total_hits": False, "query": query}


def scope_docs_body(scope: Scope, size: int) -> Body:
    """A page of the scope's projection documents, ids only (forget deletes them by `_id`)."""
    return {"size": size, "_source": False, "track_total_hits": False, "query": {"term": {"scope_key": scope.key}}}


def all_docs_body(size: int, after: str | None) -> Body:
    """A page of every projection document in a total order (reindex looks for orphans)."""
    body: Body = {
        "size": size,
        "_source": ["scope_key", "memory_id", "record_version", "projection_key"],
        "track_total_hits": False,
        "query": {"match_all": {}},
        "sort": [{"projection_key": "asc"}],
    }
    if after is not None:
        body["search_after"] = [after]
    return body


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unit_vector(vector: Sequence[float], dimension: int) -> list[float]:
    """`vector` scaled to length 1 and rounded for the wire, checked against the index dimension."""
    if len(vector) != dimension:
        raise InvalidMemoryRequest(f"vector has {len(vector)} dimensions, the index expects {dimension}")
    norm = math.sqrt(math.fsum(v * v for v in vector))
    if norm == 0 or not math.isfinite(norm):
        raise InvalidMemoryRequest("vector must be finite and non-zero (cosine is undefined otherwise)")
    # 8 decimals change a cosine by < 1e-6 (about float32 precision) and halve the JSON size of a vector.
    return [round(v / norm, VECTOR_DECIMALS) for v in vector]


def filter_clauses(scope: Scope, memory_filter: MemoryFilter) -> list[Body]:
    """Term filters: the scope always, then type/status/flags when set."""
    clauses: list[Body] = [{"term": {"scope_key": scope.key}}]
    if memory_filter.types is not None:
        clauses.append({"terms": {"type": sorted(memory_filter.types)}})
    if memory_filter.statuses is not None:
        clauses.append({"terms": {"status": sorted(memory_filter.statuses)}})
    for field in ("reflected", "reconsolidated"):
        flag = getattr(memory_filter, field)
        if flag is not None:
            clauses.append({"term": {field: flag}})
    return clauses


def knn_candidates(k: int) -> int:
    """How many neighbours the HNSW search collects before the top k are returned."""
    return min(max(k, MIN_KNN_CANDIDATES), MAX_KNN_CANDIDATES)


def knn_search_body(scope: Scope, vector: Sequence[float], k: int, memory_filter: MemoryFilter) -> Body:
    """An efficient-filter k-NN query: the filter is applied inside the graph search, not after it."""
    knn = {
        "vector": list(vector),
        "k": knn_candidates(k),
        "filter": {"bool": {"filter": filter_clauses(scope, memory_filter)}},
    }
    return {"size": k, "_source": SOURCE_FIELDS, "track_total_hits": False, "query": {"knn": {"vector": knn}}}


def keyword_search_body(scope: Scope, text: str, k: int, memory_filter: MemoryFilter) -> Body:
    """BM25 over content and keywords inside the filters; `match` never parses the text as query syntax."""
    match = {
        "multi_match": {
            "query": bounded_query_text(text),
            "fields": list(TEXT_FIELDS),
            "type": "best_fields",
            "tie_breaker": 0.3,
        }
    }
    query = {"bool": {"filter": filter_clauses(scope, memory_filter), "must": [match]}}
    return {"size": k, "_source": SOURCE_FIELDS, "track_total_hits": False, "query": query}


def bounded_query_text(text: str) -> str:
    """`text` cut after MAX_QUERY_TOKENS tokens, so a long message cannot exceed the clause limit."""
    tokens = list(islice(_QUERY_TOKEN.finditer(text), MAX_QUERY_TOKENS))
    return text[: tokens[-1].end()] if len(tokens) == MAX_QUERY_TOKENS else text


def list_body(scope: Scope, memory_filter: MemoryFilter, limit: int, cursor: str | None) -> Body:
    """Newest first (created_at, then id), one extra hit to know whether another page exists."""
    body: Body = {
        "size": limit + 1,
        "_source": SOURCE_FIELDS,
        "track_total_hits": False,
        "query": {"bool": {"filter": filter_clauses(scope, memory_filter)}},
        "sort": [{"created_at": "desc"}, {"memory_id": "desc"}],
    }
    if cursor:
        body["search_after"] = decode_cursor(cursor)
    return body


def encode_cursor(sort_values: Sequence[Any]) -> str:
    """An opaque cursor from the sort values of the last hit of a page."""
    return base64.urlsafe_b64encode(json.dumps(list(sort_values)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The search_after values of a cursor.

    Raises:
        InvalidMemoryRequest: when the cursor was not made by encode_cursor.
    """
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as error:
        raise InvalidMemoryRequest("cursor is not valid", field="cursor") from error
    if not (isinstance(values, list) and len(values) == 2 and type(values[0]) is int and isinstance(values[1], str)):
        raise InvalidMemoryRequest("cursor is not valid", field="cursor")
    return values


def cosine_from_score(score: float, engine: Engine) -> float:
    """The cosine similarity behind a k-NN `_score` (vectors are unit length, so inner product = cosine)."""
    if SPACE_TYPES[engine] == "cosinesimil":
        cosine = 2.0 * score - 1.0  # score = (2 - (1 - cos)) / 2
    elif score >= 1.0:
        cosine = score - 1.0  # inner product ip > 0: score = 1 + ip
    else:
        cosine = 1.0 - 1.0 / score  # ip <= 0: score = 1 / (1 - ip)
    return max(-1.0, min(1.0, cosine))
