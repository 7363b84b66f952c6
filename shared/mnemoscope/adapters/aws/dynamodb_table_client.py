"""The chat table's request helpers, shared by the chat log and its quarantine records: paged queries, batched gets
and writes with bounded retries of unprocessed keys, and (conditional) updates of a scope's STATE item."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from mnemoscope.adapters.aws import dependency_errors, error_code
from mnemoscope.adapters.aws.dynamodb_table import STATE, Item, item_key
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.domain.scope import Scope

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_WRITE, BATCH_GET = 25, 100
ATTEMPTS = 5
CONDITION_FAILED = "ConditionalCheckFailedException"


def backoff(attempt: int) -> float:
    return float(min(0.05 * 2**attempt, 1.0))


class ChatTableClient:
    """One chat table through one low-level client. Every method maps DynamoDB failures to DependencyUnavailable
    (`dependency_errors`); a request error (a wrong table, a bad expression) propagates as it is."""

    def __init__(self, client: DynamoDBClient, table: str, *, page_size: int, sleep: Callable[[float], None]) -> None:
        self.client = client
        self.table = table
        self._page_size = page_size
        self._sleep = sleep

    def query(self, query: dict[str, Any], limit: int | None = None) -> Iterator[Item]:
        """Items of a query, following LastEvaluatedKey page by page; stops after `limit` items."""
        fetched = 0
        start: Item | None = None
        with dependency_errors("DynamoDB"):
            while limit is None or fetched < limit:
                page_limit = self._page_size if limit is None else min(self._page_size, limit - fetched)
                call: dict[str, Any] = {"TableName": self.table, "Limit": page_limit, **query}
                page = self.client.query(**call | ({"ExclusiveStartKey": start} if start else {}))
                yield from page["Items"]
                fetched += len(page["Items"])
                start = page.get("LastEvaluatedKey")
                if not start:
                    return

    def batch_get(self, keys: list[Item]) -> list[Item]:
        """Strongly consistent BatchGetItem in chunks of 100, retrying unprocessed keys a bounded number of times."""
        found: list[Item] = []
        for start in range(0, len(keys), BATCH_GET):
            todo = keys[start : start + BATCH_GET]
            for attempt in range(ATTEMPTS):
                request: dict[str, Any] = {self.table: {"Keys": todo, "ConsistentRead": True}}
                response = self.client.batch_get_item(RequestItems=request)
                found += response["Responses"].get(self.table, [])
                unprocessed = response.get("UnprocessedKeys", {}).get(self.table)
                todo = list(unprocessed["Keys"]) if unprocessed else []
                if not todo:
                    break
                self._sleep(backoff(attempt))
            else:
                raise DependencyUnavailable("DynamoDB kept returning unprocessed keys")
        return found

    def batch_write(self, requests: list[Item]) -> None:
        """BatchWriteItem in chunks of 25, retrying unprocessed items with backoff a bounded number of times."""
        for start in range(0, len(requests), BATCH_WRITE):
            self._batch_write(requests[start : start + BATCH_WRITE])

    def _batch_write(self, requests: list[Item]) -> None:
        todo: list[Any] = requests
        with dependency_errors("DynamoDB"):
            for attempt in range(ATTEMPTS):
                response = self.client.batch_write_item(RequestItems={self.table: todo})
                todo = list(response.get("UnprocessedItems", {}).get(self.table, []))
                if not todo:
                    return
                self._sleep(backoff(attempt))
        raise DependencyUnavailable("DynamoDB kept returning unprocessed items")

    def update_state(self, scope: Scope, update: str, values: Item | None) -> None:
        with dependency_errors("DynamoDB"):
            self.client.update_item(
                TableName=self.table,
                Key=item_key(scope, STATE),
                UpdateExpression=update,
                **({"ExpressionAttributeValues": values} if values else {}),  # type: ignore[arg-type]
            )

    def update_state_if(self, scope: Scope, update: str, values: Item, condition: str) -> bool:
        """True when the condition held and the update was written."""
        try:
            with dependency_errors("DynamoDB"):
                self.client.update_item(
                    TableName=self.table,
                    Key=item_key(scope, STATE),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            return False
        return True
