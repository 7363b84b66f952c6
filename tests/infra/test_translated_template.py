"""What CloudFormation will create (the translated template): throttling, reserved concurrency, log retention,
alarms, and tracing that follows EnableTracing everywhere."""

from typing import Any

import pytest

from tests.infra.conftest import Resolved

SECRET = {"OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:model"}


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == kind}


def test_the_stage_is_throttled_and_the_open_health_route_more_so(translated: dict[str, Any]) -> None:
    resources = Resolved(translated, SECRET).resources()
    [stage] = _of_type(resources, "AWS::ApiGateway::Stage").values()
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in stage["MethodSettings"]}
    everything, health = settings[("/*", "*")], settings[("/~1v1~1health", "GET")]
    params = translated["Parameters"]
    assert everything["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"} and params["ApiRateLimit"]["Default"] > 0
    assert everything["ThrottlingBurstLimit"] == {"Ref": "ApiBurstLimit"}
    assert 0 < health["ThrottlingRateLimit"] < params["ApiRateLimit"]["Default"]
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}


@pytest.mark.parametrize("reserve", ["true", "false"])
def test_every_function_reserves_concurrency_unless_told_not_to(translated: dict[str, Any], reserve: str) -> None:
    resources = Resolved(translated, SECRET | {"ReserveConcurrency": reserve}).resources()
    functions = _of_type(resources, "AWS::Lambda::Function")
    reserved = {name: f.get("ReservedConcurrentExecutions") for name, f in functions.items()}
    if reserve == "false":
        assert set(reserved.values()) == {None}
        return
    assert None not in reserved.values()
    # The SQS poller's MaximumConcurrency must fit in the consolidate function's reservation.
    [mapping] = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == reserved["ConsolidateFunction"]
    assert reserved["ReflectFunction"] == 1


def test_every_function_and_the_api_log_to_a_group_with_retention(translated: dict[str, Any]) -> None:
    resources = Resolved(translated, SECRET).resources()
    groups = _of_type(resources, "AWS::Logs::LogGroup")
    assert all(group["RetentionInDays"] == {"Ref": "LogRetentionDays"} for group in groups.values())
    for name, function in _of_type(resources, "AWS::Lambda::Function").items():
        assert function["LoggingConfig"]["LogGroup"]["Ref"] in groups, name
    [stage] = _of_type(resources, "AWS::ApiGateway::Stage").values()
    assert stage["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0] in groups


def test_alarms_cover_errors_throttles_5xx_job_age_and_the_dlq(translated: dict[str, Any]) -> None:
    resources = Resolved(translated, SECRET | {"AlarmTopicArn": "arn:aws:sns:us-east-1:1:ops"}).resources()
    alarms = _of_type(resources, "AWS::CloudWatch::Alarm").values()
    watched = set()
    for alarm in alarms:
        [dimension, *_] = alarm["Dimensions"]
        watched.add((alarm["Namespace"], alarm["MetricName"], str(dimension["Value"])))
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]
    functions = [n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"]
    for function in functions:
        for metric in ("Errors", "Throttles"):
            assert ("AWS/Lambda", metric, str({"Ref": function})) in watched
    assert ("AWS/ApiGateway", "5XXError", str({"Fn::Sub": "mnemoscope-${Stage}"})) in watched
    jobs, dlq = str({"Fn::GetAtt": ["ScopeJobsQueue", "QueueName"]}), str({"Fn::GetAtt": ["ScopeJobsDlq", "QueueName"]})
    assert ("AWS/SQS", "ApproximateAgeOfOldestMessage", jobs) in watched
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible", dlq) in watched


@pytest.mark.parametrize("tracing", ["true", "false"])
def test_tracing_follows_the_parameter_everywhere(translated: dict[str, Any], tracing: str) -> None:
    resources = Resolved(translated, SECRET | {"EnableTracing": tracing}).resources()
    [stage] = _of_type(resources, "AWS::ApiGateway::Stage").values()
    assert stage["TracingEnabled"] is (tracing == "true")
    modes = {f["TracingConfig"]["Mode"] for f in _of_type(resources, "AWS::Lambda::Function").values()}
    assert modes == {"Active" if tracing == "true" else "PassThrough"}
    policies = str([r.get("ManagedPolicyArns") for r in _of_type(resources, "AWS::IAM::Role").values()])
    assert "Xray" not in policies and "XRay" not in policies
    granted = str([r.get("Policies") for r in _of_type(resources, "AWS::IAM::Role").values()])
    assert ("xray:PutTraceSegments" in granted) is (tracing == "true")
