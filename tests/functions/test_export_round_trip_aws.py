"""SQLite backend → export file → AWS backend (DynamoDB under moto, the search projection in the real OpenSearch
node) → export file: the two files are identical, a second import changes nothing, a bad file stores nothing."""

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION
from mnemoscope.adapters.aws.sqs_job_queue import SqsJobQueue
from mnemoscope.domain.scope import Scope
from mnemoscope.services.retrieval import SearchQuery
from mnemoscope.settings import Settings
from mnemoscope.wiring import Infrastructure, Services, assemble, override_services
from tests import opensearch_target
from tests.fakes.hash_embedder import HashEmbedder
from tests.functions.portability_seed import seed
from tests.functions.test_export_import import export, import_into
from tests.opensearch_target import SearchTarget

ALICE = Scope(tenant_id="tenant-acme", user_id="alice")
pytestmark = pytest.mark.opensearch
search_target = opensearch_target.search_target


@contextmanager
def aws_backend(search_target: SearchTarget) -> Iterator[Services]:
    with mock_aws():
        boto3.client("dynamodb").create_table(TableName="chat", **CHAT_TABLE_DEFINITION)
        url = boto3.client("sqs").create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        embedder = HashEmbedder()
        infra = Infrastructure(
            chat_log=DynamoDbChatLog("chat"),
            memory_index=search_target.memory_index("memories", embedder.dimension),
            job_queue=SqsJobQueue(url),
            embedder=embedder,
        )
        settings = Settings.model_validate(
            {"backend": "aws", "chat_table": "chat", "memory_table": "memories", "jobs_queue_url": url}
        )
        graph = assemble(settings, infra)
        override_services(graph)
        try:
            yield graph
        finally:
            override_services(None)


def test_sqlite_to_file_to_aws_to_file_is_identical(local_services: Services, search_target: SearchTarget) -> None:
    # Given alice's file exported from the SQLite backend
    seed(local_services, ALICE)
    from_sqlite = export()
    with aws_backend(search_target) as graph:
        # When it is imported into the AWS backend, twice
        assert import_into("alice", from_sqlite)[0] == 200
        assert import_into("alice", from_sqlite)[0] == 200
        # Then the AWS backend exports the very same file
        assert export() == from_sqlite
        # and the memories are searchable there (the projection was written with the target's vectors)
        search_target.settle()
        hits = graph.retrieval.search(ALICE, SearchQuery(query="where does Alice work?", top_k=5)).memories
        assert "obs-hospital" in [hit.node.id for hit in hits]


def test_a_bad_file_stores_nothing_on_aws(local_services: Services, search_target: SearchTarget) -> None:
    seed(local_services, ALICE)
    lines = export().splitlines()
    lines[6] = lines[6].replace('"content":"Alice works at a hospital"', '"content":""')  # the first memory
    with aws_backend(search_target) as graph:
        status, body = import_into("alice", "\n".join(lines))
        assert status == 422
        assert body["error"]["fields"] == ["jsonl:7.content"]
        assert graph.ports.chat_log.state(ALICE).last_seq == 0
        assert graph.ports.memory_index.list(ALICE).items == ()
