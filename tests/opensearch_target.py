"""The real OpenSearch node in its two roles: a managed domain (direct) and a Serverless VECTORSEARCH collection
(through infra/opensearch/serverless_proxy.py). Import the `search_target` fixture into a test module.

Run with a node: `make opensearch`, then MNEMOSCOPE_TEST_OPENSEARCH_URL=http://127.0.0.1:9200 pytest ...
MNEMOSCOPE_TEST_SERVERLESS_DELAY (seconds, default 1) sets how long the proxy hides new documents.
"""

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import boto3
import pytest
from infra.opensearch.serverless_proxy import ServerlessProxy, start
from opensearchpy import OpenSearch

from mnemoscope.adapters.aws.dynamodb_memory_records import MEMORY_TABLE_DEFINITION, DynamoDbMemoryRecords
from mnemoscope.adapters.aws.opensearch_client import opensearch_client
from mnemoscope.adapters.aws.opensearch_projection import OpenSearchProjection
from mnemoscope.adapters.aws.projected_memory_index import ProjectedMemoryIndex

URL_VARIABLE = "MNEMOSCOPE_TEST_OPENSEARCH_URL"
Mode = Literal["domain", "serverless"]
# A domain refreshes every second; ProjectedMemoryIndex must wait that long before its last forget sweep.
DOMAIN_REFRESH_SECONDS = 1.0


def node_url() -> str:
    url = os.environ.get(URL_VARIABLE)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{URL_VARIABLE} is not set: CI must start the OpenSearch node (infra/opensearch/start.sh)")
        pytest.skip(f"no OpenSearch node: run `make opensearch`, then set {URL_VARIABLE}=http://127.0.0.1:9200")
    return url


@dataclass
class SearchTarget:
    mode: Mode
    url: str  # what the service talks to: the node, or the proxy in front of it
    node: OpenSearch  # the node itself, for checks behind the service's back
    delay: float
    proxy: ServerlessProxy | None
    indexes: list[str] = field(default_factory=list)

    def client(self) -> OpenSearch:
        return opensearch_client(self.url, timeout_seconds=30.0)

    def new_index_name(self) -> str:
        name = f"mnemoscope-test-{uuid.uuid4().hex[:12]}"
        self.indexes.append(name)
        return name

    @property
    def visibility_seconds(self) -> float:
        return self.delay if self.mode == "serverless" else DOMAIN_REFRESH_SECONDS

    def settle(self) -> None:
        """Wait until every write so far is searchable (search is eventually consistent on both targets)."""
        if self.mode == "serverless":
            time.sleep(self.delay + 0.1)  # delayed deletes land, hidden documents come of age
        for name in self.indexes:  # instead of waiting out the 1 s refresh interval
            self.node.indices.refresh(index=name, params={"ignore_unavailable": "true"})

    def node_documents(self, index_name: str, query: dict[str, object]) -> list[dict[str, object]]:
        """What the node itself holds, refreshed, bypassing the proxy's delay."""
        self.node.indices.refresh(index=index_name)
        found = self.node.search(index=index_name, body={"size": 1000, "query": query})
        return list(found["hits"]["hits"])

    def eventually(self, check: Callable[[], bool], timeout: float | None = None) -> bool:
        """Poll `check` until it holds or the visibility delay (plus a margin) has passed."""
        deadline = time.monotonic() + (timeout or self.visibility_seconds + 5.0)
        while True:
            if check():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def memory_index(self, table_name: str, dimension: int, index_name: str | None = None) -> ProjectedMemoryIndex:
        """Records in moto's DynamoDB (call inside mock_aws) plus a projection on a fresh index."""
        boto3.client("dynamodb").create_table(TableName=table_name, **MEMORY_TABLE_DEFINITION)
        projection = OpenSearchProjection(self.client(), index_name or self.new_index_name(), dimension, "lucene")
        return ProjectedMemoryIndex(
            DynamoDbMemoryRecords(table_name), projection, visibility_seconds=self.visibility_seconds
        )


@pytest.fixture(scope="module", params=["domain", "serverless"])
def search_target(request: pytest.FixtureRequest) -> Iterator[SearchTarget]:
    url = node_url()
    node = opensearch_client(url, timeout_seconds=30.0)
    delay = float(os.environ.get("MNEMOSCOPE_TEST_SERVERLESS_DELAY", "1.0"))
    proxy = start(url, delay) if request.param == "serverless" else None
    target = SearchTarget(request.param, proxy.url if proxy else url, node, delay, proxy)
    try:
        yield target
    finally:
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
        for name in target.indexes:
            node.indices.delete(index=name, params={"ignore_unavailable": "true"})
