"""ModelProvider=bedrock: no secret anywhere, and bedrock:InvokeModel on exactly the chosen model (and inference
profile) ARNs, only for the functions that call models (tests/infra/test_iam.py checks the actions)."""

from typing import Any

import pytest

from infra import iam_needs
from tests.infra.conftest import Resolved

REGION_ARN = "arn:aws:bedrock:us-east-1"
MODEL_FUNCTIONS = sorted(name for name, uses in iam_needs.FUNCTIONS.items() if uses.models)


def bedrock_statements(resolved: Resolved, function: str) -> list[dict[str, Any]]:
    resources = resolved.resources()
    role = resources[resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]]["Properties"]
    statements = [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]
    for arn in role.get("ManagedPolicyArns", []):
        statements += resources[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    found = [resolved.render(s) for s in statements if "bedrock" in str(s.get("Action"))]
    assert all(s["Action"] == "bedrock:InvokeModel" and s["Effect"] == "Allow" for s in found)
    return found


def granted(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(resource, condition) pairs: what each grant reaches and through what."""
    pairs = set()
    for statement in statements:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        condition = str(statement.get("Condition", ""))
        pairs |= {(resource, condition) for resource in resources}
    return pairs


def test_with_bedrock_for_both_no_secret_exists_and_each_model_function_gets_the_two_models(
    translated: dict[str, Any],
) -> None:
    # Given the defaults for both models
    resolved = Resolved(translated, {"ModelProvider": "bedrock", "EmbeddingProvider": "bedrock"})
    resources = resolved.resources()
    # Then nothing reads a secret, and no function is told a secret's name
    assert not any(r["Type"] == "AWS::SecretsManager::Secret" for r in resources.values())
    assert "secretsmanager" not in str(resources)
    assert "ModelSecretsPolicy" not in resources
    # And the model functions may invoke exactly the chosen models in the stack's Region
    for function in MODEL_FUNCTIONS:
        assert granted(bedrock_statements(resolved, function)) == {
            (f"{REGION_ARN}::foundation-model/amazon.nova-lite-v1:0", ""),
            (f"{REGION_ARN}::foundation-model/amazon.titan-embed-text-v2:0", ""),
        }
    # And the reflect sweep calls no model
    assert bedrock_statements(resolved, "ReflectFunction") == []


@pytest.mark.parametrize("profile", ["us", "eu", "global"])
def test_an_inference_profile_grants_the_profile_and_its_model_only_through_it(
    translated: dict[str, Any], profile: str
) -> None:
    # Given a Claude model through a cross-region profile and Cohere embeddings
    model = "anthropic.claude-3-5-haiku-20241022-v1:0"
    resolved = Resolved(
        translated,
        {
            "ModelProvider": "bedrock",
            "ChatModel": model,
            "BedrockChatInferenceProfile": profile,
            "EmbeddingProvider": "bedrock",
            "EmbeddingModel": "cohere.embed-multilingual-v3",
        },
    )
    profile_arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile}.{model}"
    through_profile = str({"ArnEquals": {"bedrock:InferenceProfileArn": profile_arn}})
    for function in MODEL_FUNCTIONS:
        assert granted(bedrock_statements(resolved, function)) == {
            (profile_arn, ""),
            # the model in every Region the profile routes to (a global profile's model ARN has no Region)
            (f"arn:aws:bedrock:*::foundation-model/{model}", through_profile),
            (f"{REGION_ARN}::foundation-model/cohere.embed-multilingual-v3", ""),
        }
    # And the functions call the profile id
    env = resolved.render(translated["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"])
    assert env["MNEMOSCOPE_CHAT_MODEL"] == f"{profile}.{model}"
    assert env["MNEMOSCOPE_CHAT_PROVIDER"] == env["MNEMOSCOPE_EMBEDDER"] == "bedrock"
    assert env["MNEMOSCOPE_EMBEDDING_DIMENSION"] == "1024"


def test_key_providers_get_no_bedrock_grant(translated: dict[str, Any]) -> None:
    resolved = Resolved(translated, {"OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:x"})
    assert "BedrockModelsPolicy" not in resolved.resources()
    assert all(bedrock_statements(resolved, f) == [] for f in iam_needs.FUNCTIONS)


def test_bedrock_embeddings_with_an_openai_chat_model_grant_only_the_embedding_model(
    translated: dict[str, Any],
) -> None:
    resolved = Resolved(
        translated,
        {
            "EmbeddingProvider": "bedrock",
            "EmbeddingModel": "amazon.titan-embed-text-v2:0",
            "EmbeddingDimension": "512",
            "OpenAiApiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:oa",
        },
    )
    for function in MODEL_FUNCTIONS:
        assert granted(bedrock_statements(resolved, function)) == {
            (f"{REGION_ARN}::foundation-model/amazon.titan-embed-text-v2:0", "")
        }
    env = resolved.render(translated["Resources"]["ConsolidateFunction"]["Properties"]["Environment"]["Variables"])
    assert env["MNEMOSCOPE_EMBEDDING_DIMENSION"] == "512"
    assert env["MNEMOSCOPE_CHAT_MODEL"] == "gpt-4o-mini"
