"""Memory records on DynamoDB: the strongly consistent truth behind the search projection.

One table (MEMORY_TABLE_DEFINITION), one partition per scope:
  pk "SCOPE#<scope.key>", sk "MEM#<id>"   one memory: `doc` (the MemoryNode JSON), `vector` (float32, little
                                          endian), `version` (+1 per write, the optimistic-lock and projection
                                          version), `written_at` (epoch ms), and the filter attributes
  LSI "by-created" on created_key = "<created_at UTC, fixed width>#<id>": newest-first listing in one Query
"""

from __future__ import annotations

import base64
import builtins
import re
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from mnemoscope.adapters.aws import DEFAULT_CLIENT_CONFIG, dependency_errors, error_code
from mnemoscope.domain.errors import BackendRejected, DependencyUnavailable, InvalidMemoryRequest
from mnemoscope.domain.memory import MemoryNode
from mnemoscope.domain.scope import Scope
from mnemoscope.ports.memory_index import MemoryFilter, MemoryPage

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BY_CREATED_INDEX = "by-created"
FILTER_ATTRIBUTES = ("type", "status", "reflected", "reconsolidated")
MEMORY_TABLE_DEFINITION: dict[str, Any] = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "created_key", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "LocalSecondaryIndexes": [
        {
            "IndexName": BY_CREATED_INDEX,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "created_key", "KeyType": "RANGE"},
            ],
            # Everything but the vector: a list page never reads 4 KB of floats per memory.
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["doc", *FILTER_ATTRIBUTES]},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}

_Item = dict[str, Any]
_MEM = "MEM#"
_BATCH_GET, _BATCH_WRITE, _TX_ITEMS = 100, 25, 25  # 25 records of <= ~90 KB stay under the 4 MB transaction cap
_ATTEMPTS = 6
_CURSOR = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00#.+$")


def memory_table_definition() -> dict[str, Any]:
    """create_table arguments (without TableName) for the memory table."""
    return deepcopy(MEMORY_TABLE_DEFINITION)


@dataclass(frozen=True)
class MemoryRecord:
    node: MemoryNode
    version: int
    written_at_ms: int
    vector: tuple[float, ...] | None = None  # only when asked for


@dataclass(frozen=True)
class RecordChange:
    """Write `node` with `vector`; `expected_version` None = the memory must not exist yet."""

    node: MemoryNode
    vector: tuple[float, ...]
    expected_version: int | None

    @property
    def version(self) -> int:
        return (self.expected_version or 0) + 1


class ConcurrentChange(DependencyUnavailable):
    """Another writer changed a memory between our read and our write; the job should run again on fresh state."""


def encode_vector(vector: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def decode_vector(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 4}f", blob)


def _pk(scope: Scope) -> str:
    return f"SCOPE#{scope.key}"


def _key(scope: Scope, memory_id: str) -> _Item:
    return {"pk": {"S": _pk(scope)}, "sk": {"S": f"{_MEM}{memory_id}"}}


def created_key(node: MemoryNode) -> str:
    # Fixed-width UTC time, then the id: string order = (created_at, id), the list order of every adapter.
    return f"{node.created_at.astimezone(UTC).isoformat(timespec='microseconds')}#{node.id}"


def _record(item: _Item) -> MemoryRecord:
    vector = decode_vector(item["vector"]["B"]) if "vector" in item else None
    return MemoryRecord(
        node=MemoryNode.model_validate_json(item["doc"]["S"]),
        version=int(item.get("version", {"N": "0"})["N"]),
        written_at_ms=int(item.get("written_at", {"N": "0"})["N"]),
        vector=vector,
    )


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidMemoryRequest("cursor is not valid", field="cursor") from error
    if not _CURSOR.match(key):
        raise InvalidMemoryRequest("cursor is not valid", field="cursor")
    return key


@contextmanager
def record_errors(operation: str) -> Iterator[None]:
    """Map DynamoDB failures of one call on the memory table.

    Raises:
        DependencyUnavailable: throttled, failing or unreachable (retry later).
        ConcurrentChange: a conditional write found the record moved on.
        BackendRejected: DynamoDB refused the request we built (a server fault, logged as such).
    """
    try:
        with dependency_errors(f"DynamoDB {operation} on the memory table"):
            yield
    except ClientError as error:
        code = error_code(error)
        reasons = error.response.get("CancellationReasons", [])
        conflict = code == "ConditionalCheckFailedException" or (
            code == "TransactionCanceledException" and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)
        )
        if conflict:
            raise ConcurrentChange("memories changed while they were being written; retry") from error
        message = error.response.get("Error", {}).get("Message", "")
        raise BackendRejected(f"DynamoDB rejected {operation} ({code}: {message})") from error


class DynamoDbMemoryRecords:
    """Get, list, write and delete memory records; every read is strongly consistent."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        now_ms: Callable[[], int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table_name
        self._client: DynamoDBClient = client or boto3.client("dynamodb", config=DEFAULT_CLIENT_CONFIG)
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._sleep = sleep

    # -- reads ----------------------------------------------------------------------------------
    def get_many(
        self, keys: Sequence[tuple[Scope, str]], *, with_vectors: bool = False
    ) -> dict[tuple[Scope, str], MemoryRecord]:
        """The records that exist among `keys`, by (scope, id); one BatchGetItem per 100 keys."""
        unique = list(dict.fromkeys(keys))
        found: dict[tuple[Scope, str], MemoryRecord] = {}
        fields = "pk, sk, doc, version, written_at" + (", vector" if with_vectors else "")
        for start in range(0, len(unique), _BATCH_GET):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [_key(scope, memory_id) for scope, memory_id in unique[start : start + _BATCH_GET]],
                    "ConsistentRead": True,
                    "ProjectionExpression": fields,
                }
            }
            for item in self._batch_get(request):
                record = _record(item)
                found[(record.node.scope, record.node.id)] = record
        return found

    def _batch_get(self, request: dict[str, Any]) -> list[_Item]:
        items: list[_Item] = []
        for attempt in range(_ATTEMPTS):
            with record_errors("BatchGetItem"):
                response = self._client.batch_get_item(RequestItems=request)
            items += response.get("Responses", {}).get(self._table, [])
            request = dict(response.get("UnprocessedKeys") or {})
            if not request:
                return items
            self._sleep(_backoff(attempt))
        raise DependencyUnavailable("DynamoDB kept throttling a batch read of memory records")

    def list(self, scope: Scope, memory_filter: MemoryFilter, limit: int, cursor: str | None) -> MemoryPage:
        """Newest first (created_at, then id), filtered, paged by an opaque cursor."""
        if limit < 1:
            raise InvalidMemoryRequest("limit must be at least 1", field="limit")
        condition = "pk = :pk" + (" AND created_key < :after" if cursor else "")
        values: dict[str, Any] = {":pk": {"S": _pk(scope)}}
        if cursor:
            values[":after"] = {"S": _decode_cursor(cursor)}
        filter_expression, names = _filter_expression(memory_filter, values)
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_CREATED_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "ProjectionExpression": "doc, created_key",
        }
        if filter_expression:
            request["FilterExpression"] = filter_expression
            request["ExpressionAttributeNames"] = names
        items: list[_Item] = []
        # DynamoDB applies Limit before the filter, so keep reading until one item more than a page is found.
        while len(items) <= limit:
            request["Limit"] = max(limit + 1 - len(items), 25)
            with record_errors("Query"):
                response = self._client.query(**request)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        nodes = tuple(MemoryNode.model_validate_json(item["doc"]["S"]) for item in items[:limit])
        next_cursor = _encode_cursor(items[limit - 1]["created_key"]["S"]) if len(items) > limit else None
        return MemoryPage(items=nodes, next_cursor=next_cursor)

    def scan(self, page_size: int = 500) -> Iterator[MemoryRecord]:
        """Every record with its vector (for rebuilding the projection), in no particular order."""
        request: dict[str, Any] = {"TableName": self._table, "Limit": page_size, "ConsistentRead": True}
        while True:
            with record_errors("Scan"):
                response = self._client.scan(**request)
            yield from (_record(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- writes ---------------------------------------------------------------------------------
    def put(self, changes: Sequence[RecordChange]) -> None:
        """Write the changes, each only if its record is still at `expected_version`; one transaction per 25.

        Raises:
            ConcurrentChange: a record moved on (or appeared, or vanished) since it was read; nothing of that
                transaction was written.
        """
        now = self._now_ms()
        for start in range(0, len(changes), _TX_ITEMS):
            chunk = changes[start : start + _TX_ITEMS]
            if len(chunk) == 1:
                self._put_one(chunk[0], now)
                continue
            actions: list[TransactWriteItemTypeDef] = [{"Put": self._put_request(c, now)} for c in chunk]  # type: ignore[typeddict-item]
            with record_errors("TransactWriteItems"):
                self._client.transact_write_items(TransactItems=actions)

    def _put_one(self, change: RecordChange, now: int) -> None:
        with record_errors("PutItem"):
            self._client.put_item(**self._put_request(change, now))

    def _put_request(self, change: RecordChange, now: int) -> dict[str, Any]:
        node = change.node
        item: _Item = {
            **_key(node.scope, node.id),
            "created_key": {"S": created_key(node)},
            "doc": {"S": node.model_dump_json()},
            "vector": {"B": encode_vector(change.vector)},
            "version": {"N": str(change.version)},
            "written_at": {"N": str(now)},
            "type": {"S": node.type},
            "status": {"S": node.status},
            "reflected": {"BOOL": node.reflected},
            "reconsolidated": {"BOOL": node.reconsolidated},
        }
        request: dict[str, Any] = {"TableName": self._table, "Item": item}
        if change.expected_version is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            request["ConditionExpression"] = "version = :expected"
            request["ExpressionAttributeValues"] = {":expected": {"N": str(change.expected_version)}}
        return request

    def delete(self, scope: Scope, memory_id: str) -> bool:
        """Delete one record; False when it did not exist."""
        with record_errors("DeleteItem"):
            response = self._client.delete_item(
                TableName=self._table, Key=_key(scope, memory_id), ReturnValues="ALL_OLD"
            )
        return bool(response.get("Attributes"))

    def delete_scope(self, scope: Scope) -> tuple[int, int]:
        """Delete every record of the scope; returns (how many, the newest `written_at` ms among them, or 0)."""
        keys: list[_Item] = []
        newest = 0
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :mem)",
            "ExpressionAttributeValues": {":pk": {"S": _pk(scope)}, ":mem": {"S": _MEM}},
            "ProjectionExpression": "pk, sk, written_at",
            "ConsistentRead": True,
        }
        while True:
            with record_errors("Query"):
                response = self._client.query(**request)
            for item in response.get("Items", []):
                keys.append({"pk": item["pk"], "sk": item["sk"]})
                newest = max(newest, int(item.get("written_at", {"N": "0"})["N"]))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        for start in range(0, len(keys), _BATCH_WRITE):
            self._batch_delete(keys[start : start + _BATCH_WRITE])
        return len(keys), newest

    def _batch_delete(self, keys: builtins.list[_Item]) -> None:
        requests: builtins.list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys]
        for attempt in range(_ATTEMPTS):
            with record_errors("BatchWriteItem"):
                response = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = list((response.get("UnprocessedItems") or {}).get(self._table, []))
            if not requests:
                return
            self._sleep(_backoff(attempt))
        raise DependencyUnavailable("DynamoDB kept throttling the deletion of memory records")


def _filter_expression(memory_filter: MemoryFilter, values: dict[str, Any]) -> tuple[str, dict[str, str]]:
    clauses: list[str] = []
    names: dict[str, str] = {}
    for name, allowed in (("type", memory_filter.types), ("status", memory_filter.statuses)):
        if allowed is None:
            continue
        names[f"#{name}"] = name
        placeholders = []
        for i, value in enumerate(sorted(allowed)):
            values[f":{name}{i}"] = {"S": value}
            placeholders.append(f":{name}{i}")
        clauses.append(f"#{name} IN ({', '.join(placeholders)})")
    for name in ("reflected", "reconsolidated"):
        flag = getattr(memory_filter, name)
        if flag is not None:
            names[f"#{name}"] = name
            values[f":{name}"] = {"BOOL": flag}
            clauses.append(f"#{name} = :{name}")
    return " AND ".join(clauses), names


def matches(node: MemoryNode, memory_filter: MemoryFilter) -> bool:
    """Whether a record passes the filter (the projection's filter may be stale; the record is not)."""
    return (
        (memory_filter.types is None or node.type in memory_filter.types)
        and (memory_filter.statuses is None or node.status in memory_filter.statuses)
        and (memory_filter.reflected is None or node.reflected == memory_filter.reflected)
        and (memory_filter.reconsolidated is None or node.reconsolidated == memory_filter.reconsolidated)
    )


def _backoff(attempt: int) -> float:
    return float(min(0.05 * 2**attempt, 1.0))
