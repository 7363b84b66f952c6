"""events/ are what API Gateway, SQS FIFO and EventBridge Scheduler send for THIS template (routes, stage, queue
names, FIFO attributes our producer sets, the schedule's Input)."""

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mnemoscope.adapters.aws.sqs_job_queue import deduplication_id, message_group_id
from mnemoscope.contracts.jobs import ScopeJob
from tests.infra.test_template import RESOURCES, TEMPLATE

EVENTS = Path(__file__).resolve().parents[2] / "events"
STAGE = TEMPLATE["Parameters"]["Stage"]["Default"]
API_EVENTS = sorted(p.name for p in (EVENTS / "api").glob("*.json"))
SQS_EVENTS = sorted(p.name for p in (EVENTS / "consolidate").glob("*.json"))


def _load(folder: str, name: str) -> Any:
    return json.loads((EVENTS / folder / name).read_text())


def _api_routes() -> dict[str, bool]:
    """Resource path -> API key required, for the api function's Api events."""
    routes = {}
    for event in RESOURCES["ApiFunction"]["Properties"]["Events"].values():
        properties = event["Properties"]
        routes[properties["Path"]] = properties["Auth"]["ApiKeyRequired"]
    return routes


def _resource_for(path: str) -> str:
    """The most specific template route API Gateway matches for `path`."""
    routes = _api_routes()
    if path in routes:
        return path
    prefixes = [r.removesuffix("{proxy+}") for r in routes if r.endswith("{proxy+}")]
    best = max((p for p in prefixes if path.startswith(p)), key=len)
    return best + "{proxy+}"


@pytest.mark.parametrize("name", API_EVENTS)
def test_api_events_match_the_template_route_and_stage(name: str) -> None:
    event = _load("api", name)
    path, context = event["path"], event["requestContext"]
    resource = _resource_for(path)
    assert event["resource"] == context["resourcePath"] == resource
    if resource.endswith("{proxy+}"):
        assert event["pathParameters"] == {"proxy": path.removeprefix(resource.removesuffix("{proxy+}"))}
    else:
        assert event["pathParameters"] is None
    assert context["stage"] == STAGE and context["path"] == f"/{STAGE}{path}"
    assert context["httpMethod"] == event["httpMethod"]
    # A route without a required key gets no key identity from API Gateway.
    if not _api_routes()[resource]:
        assert context["identity"]["apiKeyId"] is None
    assert {k: [v] for k, v in event["headers"].items()} == event["multiValueHeaders"]


@pytest.mark.parametrize("name", SQS_EVENTS)
def test_sqs_events_carry_what_the_fifo_queue_and_our_producer_set(name: str) -> None:
    queue_name = RESOURCES["ScopeJobsQueue"]["Properties"]["QueueName"]["Fn::Sub"].replace("${Stage}", STAGE)
    records = _load("consolidate", name)["Records"]
    sequence = [int(r["attributes"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(set(sequence))
    for record in records:
        attributes = record["attributes"]
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(f":{queue_name}")
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "ApproximateReceiveCount"} <= set(
            attributes
        )
        try:
            job = ScopeJob.model_validate_json(record["body"])
        except ValueError:
            continue  # the poison record: no producer of ours sent it
        assert attributes["MessageGroupId"] == message_group_id(job.scope)
        assert attributes["MessageDeduplicationId"] == deduplication_id(job)


def test_the_schedule_event_is_the_schedules_input() -> None:
    [schedule] = RESOURCES["ReflectFunction"]["Properties"]["Events"].values()
    assert _load("reflect", "schedule.json") == json.loads(schedule["Properties"]["Input"])
