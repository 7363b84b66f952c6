"""DynamoDbChatLog against the ChatLog contract (moto, in process) plus what only DynamoDB can get wrong."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

from mnemoscope.adapters.aws.dynamodb_chat_log import DynamoDbChatLog
from mnemoscope.adapters.aws.dynamodb_table import REFLECT_DUE_INDEX, TTL_ATTRIBUTE, chat_table_definition
from mnemoscope.adapters.local.sqlite_db import SqliteDatabase
from mnemoscope.adapters.local.sqlite_memory_index import SqliteMemoryIndex
from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.ports.chat_log import FailureStreak
from mnemoscope.services.consolidation import ConsolidationService
from tests.contracts.builders import T0, message, scope
from tests.contracts.chat_log_contract import ChatLogContract, quarantine_record
from tests.fakes.clock import FixedClock
from tests.fakes.hash_embedder import DIM, HashEmbedder
from tests.unit.consolidation.test_poison_turns import POISON, answers

TABLE = "mnemoscope-chat-test"


class ClientProxy:
    """Delegates to the moto client; tests override single operations to inject failures or races."""

    def __init__(self, client: Any, **overrides: Callable[..., Any]) -> None:
        self.real = client
        self.calls: list[str] = []
        self._overrides = overrides

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return self._overrides.get(name) or getattr(self.real, name)


def client_error(code: str, operation: str = "Query") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, operation)


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(TableName=TABLE, **chat_table_definition())
        client.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
        )
        yield client


def make_log(client: Any, **kwargs: Any) -> DynamoDbChatLog:
    kwargs.setdefault("sleep", lambda _seconds: None)
    return DynamoDbChatLog(TABLE, client, **kwargs)


class TestDynamoDbChatLog(ChatLogContract):
    @pytest.fixture
    def chat_log(self, dynamodb: Any) -> DynamoDbChatLog:
        # A page size of 2 makes every contract test walk LastEvaluatedKey.
        return make_log(dynamodb, page_size=2)


def test_one_append_of_120_turns_spans_transactions_and_batches(dynamodb: Any) -> None:
    # Given
    log = make_log(dynamodb)
    turns = [message(i) for i in range(1, 121)]
    # When
    result = log.append(scope(), turns)
    # Then
    assert len(result.stored_ids) == 120
    pending = log.pending(scope())
    assert [p.seq for p in pending] == list(range(1, 121))
    assert [p.message.id for p in pending] == [t.id for t in turns]
    assert len(log.get_messages(scope(), [t.id for t in turns])) == 120
    # and deleting the scope pages through 241 items in batches of 25
    log.delete_scope(scope())
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0


def test_pending_and_recent_follow_pages(dynamodb: Any) -> None:
    # Given
    proxy = ClientProxy(dynamodb)
    log = make_log(proxy, page_size=3)
    log.append(scope(), [message(i) for i in range(1, 11)])
    log.advance_watermark(scope(), 2)
    proxy.calls.clear()
    # When
    pending = log.pending(scope(), limit=7)
    recent = log.recent(scope(), 8)
    # Then
    assert [p.message.id for p in pending] == [f"m{i}" for i in range(3, 10)]
    assert [p.message.id for p in recent] == [f"m{i}" for i in range(3, 11)]
    # one (empty) page of released quarantined turns, pages of 3 + 3 + 1, then 3 + 3 + 2
    assert proxy.calls.count("query") == 7


def test_ttl_attribute_is_set_on_turns_and_guards_when_configured(dynamodb: Any) -> None:
    make_log(dynamodb, ttl_days=30, clock=FixedClock(T0)).append(scope("alice"), [message(1)])
    make_log(dynamodb).append(scope("bob"), [message(1)])
    items = dynamodb.scan(TableName=TABLE)["Items"]
    expected = str(int((T0 + timedelta(days=30)).timestamp()))
    with_ttl = {i["sk"]["S"]: i.get(TTL_ATTRIBUTE, {}).get("N") for i in items if "alice" in i["pk"]["S"]}
    without_ttl = [i for i in items if "bob" in i["pk"]["S"] and TTL_ATTRIBUTE in i]
    assert with_ttl == {"MID#m1": expected, "MSG#000000000001": expected, "STATE": None}
    assert without_ttl == []


def test_a_quarantine_item_holds_the_reason_but_no_user_text_and_expires_with_its_turn(dynamodb: Any) -> None:
    # Given a turn quarantined in a log with a TTL
    log = make_log(dynamodb, ttl_days=30, clock=FixedClock(T0))
    log.append(scope(), [message(1, content="secret words")])
    log.save_failure(
        scope(), FailureStreak(head_seq=1, window=1, attempts=2, suspect_end=1, error="LlmOutputInvalid", reason="r")
    )
    assert (
        "failure"
        in dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "SCOPE#t1/default/alice"}, "sk": {"S": "STATE"}})["Item"]
    )
    log.quarantine(scope(), [1], quarantine_record(attempts=2))
    # Then one QUAR item, keyed by seq, with the reason, the id and the turn's TTL
    items = {i["sk"]["S"]: i for i in dynamodb.scan(TableName=TABLE)["Items"]}
    quarantined = items["QUAR#000000000001"]
    assert set(quarantined) == {
        "pk",
        "sk",
        "seq",
        "id",
        "error",
        "reason",
        "attempts",
        "quarantined_at",
        "retrying",
        TTL_ATTRIBUTE,
    }
    assert "secret" not in str(quarantined)
    assert quarantined[TTL_ATTRIBUTE] == items["MSG#000000000001"][TTL_ATTRIBUTE]
    assert "failure" not in items["STATE"]  # quarantining ends the streak


def test_append_retried_after_a_failure_half_way_stores_each_turn_once(dynamodb: Any) -> None:
    # Given: the second transaction (turns 50..60) is throttled
    transactions: list[int] = []

    def flaky_transaction(**kwargs: Any) -> Any:
        transactions.append(1)
        if len(transactions) == 2:
            raise client_error("ThrottlingException", "TransactWriteItems")
        return dynamodb.transact_write_items(**kwargs)

    turns = [message(i) for i in range(1, 61)]
    with pytest.raises(DependencyUnavailable):
        make_log(ClientProxy(dynamodb, transact_write_items=flaky_transaction)).append(scope(), turns)
    # When the caller retries the whole append
    result = make_log(dynamodb).append(scope(), turns)
    # Then
    assert result.duplicate_ids == tuple(t.id for t in turns[:49])
    assert result.stored_ids == tuple(t.id for t in turns[49:])
    pending = make_log(dynamodb).pending(scope())
    assert [p.message.id for p in pending] == [t.id for t in turns]
    assert [p.seq for p in pending] == sorted(p.seq for p in pending)


def test_a_concurrent_append_of_the_same_id_is_reported_as_duplicate(dynamodb: Any) -> None:
    # Given: a concurrent writer stores m2 between our guard read and our transaction
    log = make_log(dynamodb)

    def racing_batch_get(**kwargs: Any) -> Any:
        response = dynamodb.batch_get_item(**kwargs)
        log.append(scope(), [message(2)])
        return response

    racer = make_log(ClientProxy(dynamodb, batch_get_item=racing_batch_get))
    # When
    result = racer.append(scope(), [message(1), message(2), message(3)])
    # Then
    assert result.stored_ids == ("m1", "m3")
    assert result.duplicate_ids == ("m2",)
    assert sorted(p.message.id for p in log.pending(scope())) == ["m1", "m2", "m3"]


def test_turns_never_land_behind_a_watermark_that_passed_their_seqs(dynamodb: Any) -> None:
    # Given: after we reserved seqs, a later append was consolidated and the watermark moved past them
    log = make_log(dynamodb)
    log.append(scope(), [message(1)])
    moved: list[int] = []

    def transaction_after_watermark_moved(**kwargs: Any) -> Any:
        if not moved:
            moved.append(1)
            log.append(scope(), [message(9)])
            log.advance_watermark(scope(), log.state(scope()).last_seq)
        return dynamodb.transact_write_items(**kwargs)

    racer = make_log(ClientProxy(dynamodb, transact_write_items=transaction_after_watermark_moved))
    # When
    result = racer.append(scope(), [message(2), message(3)])
    # Then: the turns got new seqs after the watermark, in order
    assert result.stored_ids == ("m2", "m3")
    assert [p.message.id for p in log.pending(scope())] == ["m2", "m3"]


def test_watermark_repeat_does_not_count_observations_twice(dynamodb: Any) -> None:
    log = make_log(dynamodb)
    log.append(scope(), [message(1)])
    log.advance_watermark(scope(), 1, new_observations=3, at=T0)
    log.advance_watermark(scope(), 1, new_observations=3, at=T0)  # a retried consolidation job
    assert log.state(scope()).unreflected_observations == 3
    assert log.state(scope()).first_unreflected_at == T0


def test_due_index_holds_only_scopes_with_unreflected_observations(dynamodb: Any) -> None:
    # Given
    log = make_log(dynamodb)
    for user in ("busy", "idle", "done"):
        log.append(scope(user), [message(1)])
    log.advance_watermark(scope("busy"), 1, new_observations=2, at=T0)
    log.advance_watermark(scope("idle"), 1)
    log.advance_watermark(scope("done"), 1, new_observations=9, at=T0)
    # When
    log.mark_reflected(scope("done"), at=T0)
    log.mark_reflected(scope("never-seen"), at=T0)
    # Then
    indexed = dynamodb.scan(TableName=TABLE, IndexName=REFLECT_DUE_INDEX)["Items"]
    assert [i["pk"]["S"] for i in indexed] == [f"SCOPE#{scope('busy').key}"]
    assert log.state(scope("never-seen")).last_reflected_at is None
    cut = T0 + timedelta(hours=1)
    assert log.scopes_due_for_reflection(min_observations=5, max_age_before=cut) == [scope("busy")]
    assert log.scopes_due_for_reflection(min_observations=5, max_age_before=T0 - timedelta(hours=1)) == []


def test_unprocessed_deletes_are_retried_with_backoff(dynamodb: Any) -> None:
    # Given: DynamoDB leaves the last request of each first try unprocessed
    naps: list[float] = []
    tries: list[int] = []

    def partial_batch_write(**kwargs: Any) -> Any:
        requests = kwargs["RequestItems"][TABLE]
        tries.append(len(requests))
        if len(tries) % 2 == 1 and len(requests) > 1:
            dynamodb.batch_write_item(RequestItems={TABLE: requests[:-1]})
            return {"UnprocessedItems": {TABLE: requests[-1:]}}
        return dynamodb.batch_write_item(**kwargs)

    make_log(dynamodb).append(scope(), [message(i) for i in range(1, 21)])
    log = make_log(ClientProxy(dynamodb, batch_write_item=partial_batch_write), sleep=naps.append)
    # When
    log.delete_scope(scope())
    # Then
    assert dynamodb.scan(TableName=TABLE)["Count"] == 0
    assert max(tries) <= 25
    assert naps and all(0 < nap <= 1.0 for nap in naps)


def test_deletes_that_stay_unprocessed_give_up_as_unavailable(dynamodb: Any) -> None:
    naps: list[float] = []
    make_log(dynamodb).append(scope(), [message(1)])

    def never(**kwargs: Any) -> Any:
        return {"UnprocessedItems": kwargs["RequestItems"]}

    log = make_log(ClientProxy(dynamodb, batch_write_item=never), sleep=naps.append)
    with pytest.raises(DependencyUnavailable):
        log.delete_scope(scope())
    assert len(naps) == 5
    assert sum(naps) < 2


@pytest.mark.parametrize(
    "error",
    [
        client_error("ProvisionedThroughputExceededException"),
        client_error("ThrottlingException"),
        client_error("InternalServerError"),
        EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
    ],
    ids=["throughput", "throttling", "internal", "endpoint", "read-timeout"],
)
def test_throttling_and_connection_errors_become_dependency_unavailable(dynamodb: Any, error: Exception) -> None:
    def fail(**_kwargs: Any) -> Any:
        raise error

    broken = ClientProxy(dynamodb, **dict.fromkeys(("query", "get_item", "batch_get_item", "update_item"), fail))
    log = make_log(broken)
    for call in (
        lambda: log.append(scope(), [message(1)]),
        lambda: log.pending(scope()),
        lambda: log.recent(scope(), 3),
        lambda: log.state(scope()),
        lambda: log.advance_watermark(scope(), 1),
        lambda: log.scopes_due_for_reflection(3, T0),
        lambda: log.delete_scope(scope()),
    ):
        with pytest.raises(DependencyUnavailable):
            call()


def test_stubbed_throughput_error_on_get_item_is_unavailable(dynamodb: Any) -> None:
    client = boto3.client("dynamodb")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_item", service_error_code="ProvisionedThroughputExceededException")
        with pytest.raises(DependencyUnavailable, match="ProvisionedThroughputExceeded"):
            make_log(client).state(scope())


def test_a_request_error_is_not_disguised_as_unavailable(dynamodb: Any) -> None:
    log = DynamoDbChatLog("no-such-table", boto3.client("dynamodb"), sleep=lambda _seconds: None)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        log.state(scope())


def test_a_poison_turn_is_quarantined_and_retried_on_dynamodb(dynamodb: Any, tmp_path: Any) -> None:
    # Given consolidation over the DynamoDB log: a poison turn A, then good turns B and C
    log = make_log(dynamodb, page_size=2, clock=FixedClock(T0))
    index = SqliteMemoryIndex(SqliteDatabase(tmp_path / "index.db"), DIM)
    s = scope()
    log.append(s, [message(1, content=f"{POISON} A"), message(2, content="I own a kayak."), message(3, content="Hi")])

    def drain(service: ConsolidationService) -> int:
        jobs = 1
        while service.run(s).has_more:
            jobs += 1
            assert jobs < 20
        return jobs

    # When jobs run until the scope settles
    drain(ConsolidationService(log, index, HashEmbedder(), answers(), FixedClock(T0), min_similarity=0.5))

    # Then m1 is quarantined and the later turns are consolidated
    assert [v.state for v in log.list_turns(s, limit=10).items] == ["consolidated", "consolidated", "quarantined"]
    assert log.pending(s) == [] and log.state(s).failure is None

    # When it is retried with a model that can read it
    assert log.release_quarantine(s) == ["m1"]
    fixed = answers(poison_reply=None)
    assert drain(ConsolidationService(log, index, HashEmbedder(), fixed, FixedClock(T0), min_similarity=0.5)) == 1

    # Then it is consolidated, its observation counted, the watermark untouched
    assert [v.state for v in log.list_turns(s, limit=10).items] == ["consolidated"] * 3
    assert log.state(s).watermark == 3
    assert log.state(s).unreflected_observations == 3
