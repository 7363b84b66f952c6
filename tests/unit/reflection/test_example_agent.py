"""examples/agent_with_memory.py against the in-process API (real handlers, SQLite, hashing embedder)."""

import pytest

from examples.agent_with_memory import LongTermMemoryTool, MemoryAgent, Msg
from mnemoscope.client import MemoryClient
from mnemoscope.domain.scope import Scope
from mnemoscope.wiring import Services
from tests.fakes.handler_transport import HandlerTransport
from tests.fakes.scripted_chat_model import ScriptedChatModel

USER = "lin"


def _agent(server_has_model: bool) -> MemoryAgent:
    client = MemoryClient("http://testserver", agent_id="example-agent", transport=HandlerTransport())
    return MemoryAgent("Assistant", "Be concise.", LongTermMemoryTool(client, USER), server_has_model)


def _logged(services: Services) -> list[tuple[str, str]]:
    scope = Scope(tenant_id="local", agent_id="example-agent", user_id=USER)
    return [(t.message.role, t.message.content) for t in services.ports.chat_log.recent(scope, 50)]


def test_without_a_server_model_the_agent_shows_what_it_recalls_and_logs_the_turn(local_services: Services) -> None:
    # Given an agent whose server has no chat model, and an earlier turn
    agent = _agent(server_has_model=False)
    agent(Msg(name="Lin", content="I work at Alibaba.", role="user"))

    # When the user asks something
    reply = agent(Msg(name="Lin", content="Where do I work?", role="user"))

    # Then the reply shows the recalled (not yet consolidated) turn, and each turn is logged once
    assert "I work at Alibaba." in reply.content
    assert [role for role, _ in _logged(local_services)] == ["user", "assistant", "user", "assistant"]
    system, user = agent.prompt_for(Msg(name="Lin", content="Where do I work?", role="user"))
    assert "I work at Alibaba." in system["content"] and user["content"] == "Where do I work?"


class TestWithAServerModel:
    @pytest.fixture
    def chat_model(self) -> ScriptedChatModel:
        return ScriptedChatModel(["Hello Lin, nice to meet you."])

    def test_the_agent_answers_through_the_server_and_the_turn_is_logged_once(
        self, local_services: Services, chat_model: ScriptedChatModel
    ) -> None:
        # Given / When
        reply = _agent(server_has_model=True)(Msg(name="Lin", content="Hi, I'm Lin.", role="user"))

        # Then
        assert reply.content == "Hello Lin, nice to meet you."
        assert chat_model.calls == ["complete"]
        assert _logged(local_services) == [("user", "Hi, I'm Lin."), ("assistant", "Hello Lin, nice to meet you.")]
