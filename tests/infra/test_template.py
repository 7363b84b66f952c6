"""template.yaml against the code: handlers exist, env vars are settings, the table matches the adapter, limits hold."""

import ast
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cfn_yaml import load_template

from mnemoscope.adapters.aws.dynamodb_memory_records import MEMORY_TABLE_DEFINITION
from mnemoscope.adapters.aws.dynamodb_table import CHAT_TABLE_DEFINITION, TTL_ATTRIBUTE
from mnemoscope.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NO_VALUE = object()


TEMPLATE: dict[str, Any] = load_template(REPO / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE.get("Globals", {}).get("Function", {})


def prop(function: str, name: str) -> Any:
    return RESOURCES[function]["Properties"].get(name, GLOBAL_FUNCTION.get(name))


def environment(function: str) -> dict[str, Any]:
    own = RESOURCES[function]["Properties"].get("Environment", {}).get("Variables", {})
    return {**GLOBAL_FUNCTION.get("Environment", {}).get("Variables", {}), **own}


class Resolver:
    """Evaluates the intrinsics the environment uses, for one set of parameter values."""

    def __init__(self, overrides: dict[str, str]) -> None:
        self.params = {k: str(v.get("Default", "")) for k, v in TEMPLATE["Parameters"].items()} | overrides

    def condition(self, name: str) -> bool:
        return bool(self.value(TEMPLATE["Conditions"][name]))

    def value(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic
        if not isinstance(node, dict) or len(node) != 1:
            return node
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return NO_VALUE if arg == "AWS::NoValue" else self.params.get(arg, f"<{arg}>")
        if fn == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if fn == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if fn in ("Fn::Not", "Fn::Or", "Fn::And"):
            values = [self.value(a) for a in arg]
            return {"Fn::Not": lambda: not values[0], "Fn::Or": lambda: any(values), "Fn::And": lambda: all(values)}[
                fn
            ]()
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::FindInMap":
            return TEMPLATE["Mappings"][arg[0]][self.value(arg[1])][arg[2]]
        if fn == "Fn::GetAtt":
            return f"https://{arg[0].lower()}.example.com"
        if fn == "Fn::Sub" and isinstance(arg, list):
            text, variables = arg
            names = self.params | {k: self.value(v) for k, v in variables.items()}
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(names[m.group(1)]), text)
        raise AssertionError(f"the test resolver does not know {fn}")


SCENARIOS = {
    "openai-default-domain": {"OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:oa"},
    "openai-collection": {
        "SearchTarget": "serverless",
        "OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:oa",
    },
    "dashscope-existing-domain": {
        "ModelProvider": "dashscope",
        "EmbeddingProvider": "dashscope",
        "DashScopeApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ds",
        "ExistingOpenSearchEndpoint": "https://search-memories-abc.us-east-1.es.amazonaws.com",
        "ExistingOpenSearchDomainName": "memories",
    },
    "no-chat-model": {"ModelProvider": "none", "OpenAiApiKeySecretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:x"},
    "bedrock-no-keys": {"ModelProvider": "bedrock", "EmbeddingProvider": "bedrock"},
    "bedrock-profile-cohere": {
        "ModelProvider": "bedrock",
        "ChatModel": "anthropic.claude-3-5-haiku-20241022-v1:0",
        "BedrockChatInferenceProfile": "eu",
        "EmbeddingProvider": "bedrock",
        "EmbeddingModel": "cohere.embed-multilingual-v3",
    },
}
REQUIRED_FOR_AWS = {
    "chat_table",
    "memory_table",
    "jobs_queue_url",
    "opensearch_endpoint",
    "opensearch_auth",
    "embedder",
    "embedding_model",
}


def resolved_settings(function: str, overrides: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    resolver = Resolver(overrides)
    for name in [n for n in os.environ if n.startswith("MNEMOSCOPE_")]:
        monkeypatch.delenv(name)
    for name, node in environment(function).items():
        value = resolver.value(node)
        if value is not NO_VALUE and name.startswith("MNEMOSCOPE_"):
            monkeypatch.setenv(name, str(value))
    return Settings()


def defines(path: Path, attribute: str, hops: int = 3) -> bool:
    """Does the module at `path` define `attribute`, itself or by importing it from a mnemoscope module?"""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attribute:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, ast.Assign | ast.AnnAssign) and any(getattr(t, "id", "") == attribute for t in targets):
            return True
        if isinstance(node, ast.ImportFrom) and node.module and hops > 0:
            names = {alias.asname or alias.name: alias.name for alias in node.names}
            source = REPO / "shared" / f"{node.module.replace('.', '/')}.py"
            if attribute in names and node.module.startswith("mnemoscope."):
                return source.is_file() and defines(source, names[attribute], hops - 1)
    return False


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_code_uri_holds_a_handler_module_with_lambda_handler(function: str) -> None:
    # No skip on purpose: a template that points at missing code must fail here, not at deploy time.
    module, attribute = prop(function, "Handler").rsplit(".", 1)
    path = REPO / prop(function, "CodeUri") / f"{module.replace('.', '/')}.py"
    assert path.is_file(), f"{function}: {path.relative_to(REPO)} is missing"
    assert defines(path, attribute), f"{function}: {path.relative_to(REPO)} defines no {attribute}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_mnemoscope_variable_is_a_settings_field(function: str) -> None:
    names = [n for n in environment(function) if n.startswith("MNEMOSCOPE_")]
    unknown = [n for n in names if n.removeprefix("MNEMOSCOPE_").lower() not in Settings.model_fields]
    assert names and unknown == []


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_gets_valid_complete_aws_settings(
    function: str, scenario: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When
    settings = resolved_settings(function, SCENARIOS[scenario], monkeypatch)
    # Then
    assert settings.backend == "aws"
    assert [f for f in sorted(REQUIRED_FOR_AWS) if not getattr(settings, f)] == []
    assert settings.embedding_dimension
    if settings.chat_provider != "none":
        assert settings.chat_model
    for provider in {settings.chat_provider, settings.embedder} - {"none", "bedrock"}:
        assert str(getattr(settings, f"{provider}_api_key_secret")).startswith("arn:aws")
    if "bedrock" in (settings.chat_provider, settings.embedder):  # IAM, not keys
        assert settings.openai_api_key_secret is None and settings.dashscope_api_key_secret is None


def test_parameter_choices_are_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    wiring = {
        "ModelProvider": "chat_provider",
        "EmbeddingProvider": "embedder",
        "OpenSearchEngine": "opensearch_engine",
    }
    for parameter, field in wiring.items():
        for choice in TEMPLATE["Parameters"][parameter]["AllowedValues"]:
            monkeypatch.setenv(f"MNEMOSCOPE_{field.upper()}", choice)
            assert getattr(Settings(), field) == choice


def test_queue_outlives_the_consolidate_timeout_and_redrives_to_a_fifo_dlq() -> None:
    queue = RESOURCES["ScopeJobsQueue"]["Properties"]
    assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is False
    assert queue["VisibilityTimeout"] >= 6 * prop("ConsolidateFunction", "Timeout")
    assert 1 <= queue["RedrivePolicy"]["maxReceiveCount"] <= 5
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ScopeJobsDlq", "Arn"]}
    assert RESOURCES["ScopeJobsDlq"]["Properties"]["FifoQueue"] is True
    alarm = RESOURCES["DlqDepthAlarm"]["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 0


def test_worker_events_report_partial_failures_and_schedule_has_input() -> None:
    [sqs] = RESOURCES["ConsolidateFunction"]["Properties"]["Events"].values()
    assert sqs["Type"] == "SQS" and sqs["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sqs["Properties"]["BatchSize"] == 1  # tests/functions/test_queue_budget.py drives it with slow models
    [schedule] = RESOURCES["ReflectFunction"]["Properties"]["Events"].values()
    assert schedule["Type"] == "ScheduleV2"
    assert json.loads(schedule["Properties"]["Input"])["max_scopes"] > 0
    assert {"RetryPolicy", "FlexibleTimeWindow"} <= set(schedule["Properties"])


def test_chat_table_matches_the_adapter_definition() -> None:
    table = RESOURCES["ChatTable"]["Properties"]

    def by_name(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
        return {i[key]: i for i in items}

    expected = CHAT_TABLE_DEFINITION
    assert by_name(table["AttributeDefinitions"], "AttributeName") == by_name(
        expected["AttributeDefinitions"], "AttributeName"
    )
    assert table["KeySchema"] == expected["KeySchema"]
    assert by_name(table["GlobalSecondaryIndexes"], "IndexName") == by_name(
        expected["GlobalSecondaryIndexes"], "IndexName"
    )
    assert table["BillingMode"] == expected["BillingMode"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_layer_is_built_by_its_makefile() -> None:
    layer = RESOURCES["WorkerLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert (REPO / layer["Properties"]["ContentUri"] / "Makefile").read_text().count("build-WorkerLayer:") == 1
    assert all(prop(f, "Layers") == [{"Ref": "WorkerLayer"}] for f in FUNCTIONS)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_no_plain_text_secrets() -> None:
    key_like = re.compile(r"(sk-[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|-----BEGIN)")
    assert [s for s in _strings(TEMPLATE) if key_like.search(s)] == []
    secret_word = re.compile(r"(?i)(api_?key|secret|password|token)")
    for function in FUNCTIONS:
        for name, value in environment(function).items():
            if secret_word.search(name):
                assert not isinstance(value, str), f"{function}: {name} holds a literal value"
                assert name.endswith("_SECRET"), f"{function}: {name} should name a secret, not hold it"
    for name, parameter in TEMPLATE["Parameters"].items():
        if secret_word.search(name):
            assert parameter.get("Default", "") == "" and "secretsmanager" in parameter.get("AllowedPattern", "")


def test_policies_are_templates_or_references_never_bare_names() -> None:
    # `sam validate` offline cannot resolve bare managed-policy names (environment.md section 2).
    for function in FUNCTIONS:
        for policy in RESOURCES[function]["Properties"].get("Policies", []):
            assert not isinstance(policy, str) or policy.startswith("arn:"), f"{function}: {policy}"


def test_memory_table_matches_the_records_adapter_and_is_kept() -> None:
    table = RESOURCES["MemoryTable"]
    properties = table["Properties"]
    expected = MEMORY_TABLE_DEFINITION
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert properties["KeySchema"] == expected["KeySchema"]
    assert properties["LocalSecondaryIndexes"] == expected["LocalSecondaryIndexes"]
    assert properties["BillingMode"] == expected["BillingMode"]
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("resource", ["ChatTable", "MemoryTable", "VectorCollection", "SearchDomain"])
def test_stores_survive_stack_deletion_and_replacement(resource: str) -> None:
    assert RESOURCES[resource]["DeletionPolicy"] == "Retain"
    assert RESOURCES[resource]["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize(
    ("overrides", "auth", "endpoint"),
    [
        ({}, "sigv4-es", "https://searchdomain.example.com"),  # the cheap default: one small managed node
        ({"SearchTarget": "serverless"}, "sigv4-aoss", "https://vectorcollection.example.com"),
        (
            {"ExistingOpenSearchEndpoint": "https://search-x.es.amazonaws.com", "ExistingOpenSearchDomainName": "x"},
            "sigv4-es",
            "https://search-x.es.amazonaws.com",
        ),
    ],
)
def test_search_target_picks_the_endpoint_and_signing(
    overrides: dict[str, str], auth: str, endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = {"OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:x", **overrides}
    settings = resolved_settings("ApiFunction", overrides, monkeypatch)
    assert (settings.opensearch_auth, settings.opensearch_endpoint) == (auth, endpoint)
    resolver = Resolver(overrides)
    created = {
        name for name in ("SearchDomain", "VectorCollection") if resolver.condition(RESOURCES[name]["Condition"])
    }
    assert len(created) <= 1


def test_the_iam_map_names_every_operation_the_memory_records_adapter_makes() -> None:
    # tests/infra/test_iam.py holds each role to infra/iam_needs.py; this keeps the map honest about the adapter.
    from infra import iam_needs

    source = (REPO / "shared/mnemoscope/adapters/aws/dynamodb_memory_records.py").read_text()
    used = {f"dynamodb:{name}" for name in re.findall(r"record_errors\(\"(\w+)\"\)", source)}
    declared = set().union(*iam_needs.MEMORY_RECORDS.values())
    # TransactWriteItems is authorised per item: the transactions hold conditional Puts.
    assert used - {"dynamodb:TransactWriteItems"} == declared
