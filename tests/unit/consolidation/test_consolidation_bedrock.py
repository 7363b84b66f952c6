"""A consolidation job through the real BedrockChatModel (Converse answered by botocore's Stubber) on SQLite: the
extraction prompt's response model becomes the forced tool, and the tool's input becomes memories."""

import boto3
from botocore.stub import Stubber

from mnemoscope.adapters.models.bedrock_chat import TOOL_NAME, BedrockChatModel
from tests.fakes.world import World
from tests.unit.consolidation.conftest import extraction, fact


def test_a_turn_with_a_fact_becomes_a_memory_through_bedrock_tool_use(world: World) -> None:
    # Given a user turn with one fact, and Bedrock answering the extraction with a tool call
    world.say(("m1", "user", "I moved to Hangzhou last month."), ("a1", "assistant", "How do you like it?"))
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    sent: list[dict[str, object]] = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: sent.append(params)
    )
    answer = extraction(("m1", 3, [fact("The user lives in Hangzhou", "Hangzhou", "home")]))
    model = BedrockChatModel("us.amazon.nova-lite-v1:0", client=client, sleep=lambda _s: None)
    with Stubber(client) as stubber:
        stubber.add_response(
            "converse",
            {
                "output": {
                    "message": {
                        "role": "assistant",
                        "content": [{"toolUse": {"toolUseId": "t1", "name": TOOL_NAME, "input": answer}}],
                    }
                },
                "stopReason": "tool_use",
                "usage": {"inputTokens": 812, "outputTokens": 41, "totalTokens": 853},
                "metrics": {"latencyMs": 900},
            },
        )
        # When the scope is consolidated
        report = world.consolidation(model).run(world.scope)
        stubber.assert_no_pending_responses()

    # Then the fact is stored, the tool carried the extraction schema, and Bedrock's usage was counted
    assert [m.content for m in world.valid()] == ["The user lives in Hangzhou"]
    assert report.stored == 1 and report.model_calls == 1
    schema = sent[0]["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]  # type: ignore[index]
    assert "turns" in schema["properties"]
    assert (model.usage.prompt_tokens, model.usage.completion_tokens) == (812, 41)
