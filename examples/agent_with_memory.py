"""An agent with long-term memory through mnemoscope, written the way AgentScope / AutoGen agents are written
(a message class, an agent with `reply(message)`, a memory exposed as a tool) but without depending on either.

    mnemoscope serve                           # in another terminal (add MNEMOSCOPE_CHAT_PROVIDER=... for a model)
    python examples/agent_with_memory.py       # a short scripted conversation, then what the agent recalls
    python examples/agent_with_memory.py --chat

Environment: MNEMOSCOPE_URL (default http://127.0.0.1:8000), MNEMOSCOPE_API_KEY (only if the server wants one),
MNEMOSCOPE_EXAMPLE_USER (default "example-user")."""

import argparse
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mnemoscope.client import ConnectionFailed, MemoryClient

RECENT_TURNS = 5
DEMO = [
    "Hi! I'm Lin. I work as a software engineer at Alibaba.",
    "I love apples, and watermelon in summer. Coconuts, not so much.",
    "I'm going to Hangzhou on a business trip next week.",
    "What fruit should I buy for the trip?",
]


@dataclass(frozen=True)
class Msg:
    """One message between agents and people (AgentScope's Msg, reduced to what this example needs)."""

    name: str
    content: str
    role: Literal["user", "assistant"]
    id: str = field(default_factory=lambda: f"msg-{uuid.uuid4().hex[:12]}")
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))


class LongTermMemoryTool:
    """The agent's long-term memory, as a tool with two functions (both also described for a model's tool calling).

    The memory belongs to (agent_id, user_id) on the server; consolidation and reflection run there."""

    def __init__(self, client: MemoryClient, user_id: str) -> None:
        self.client = client
        self.user_id = user_id

    def recall(self, query: str, top_k: int = 10) -> str:
        """Memories relevant to `query` ('[date] memory' lines) and the user's turns not consolidated yet."""
        found = self.client.search(self.user_id, query, top_k=top_k)
        recent = [f"- {m.content}" for m in found.recent if m.role == "user"][-RECENT_TURNS:]
        parts = [found.context.strip()] if found.context.strip() else []
        if recent:
            parts.append("Recent messages (not consolidated yet):\n" + "\n".join(recent))
        return "\n".join(parts)

    def remember(self, *turns: Msg) -> None:
        """Store turns; the server extracts facts from them later (idempotent: ids are the messages' own)."""
        self.client.add_messages(
            self.user_id,
            [
                {
                    "id": m.id,
                    "role": m.role,
                    "name": m.name,
                    "content": m.content,
                    "created_at": m.timestamp.isoformat(),
                }
                for m in turns
            ],
        )

    def tool_specs(self) -> list[dict[str, Any]]:
        """OpenAI-style function specs, for an agent whose model decides itself when to recall."""
        query = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
        return [
            {
                "type": "function",
                "function": {"name": "recall", "description": self.recall.__doc__, "parameters": query},
            }
        ]


class MemoryAgent:
    """A dialog agent: recall -> answer -> remember. Like AgentScope's AgentBase, call it with a Msg."""

    def __init__(self, name: str, sys_prompt: str, memory: LongTermMemoryTool, server_has_model: bool) -> None:
        self.name = name
        self.sys_prompt = sys_prompt
        self.memory = memory
        self.server_has_model = server_has_model

    def __call__(self, x: Msg) -> Msg:
        return self.reply(x)

    def reply(self, x: Msg) -> Msg:
        context = self.memory.recall(x.content)
        if self.server_has_model:
            # The server's chat endpoint runs the same recall, builds the prompt, answers with its model and logs
            # both turns itself, so remember() is not called here (it would store the turn twice).
            answer = self.memory.client.chat(self.memory.user_id, x.content, system_prompt=self.sys_prompt).reply
            return Msg(name=self.name, content=answer, role="assistant")
        # No model on the server: show what a model would have been given, and still log the turn so it is
        # consolidated once a model is configured (nothing is lost).
        answer = "[no chat model configured on the server] What I recall for this message:\n" + (
            context.strip() or "(nothing yet)"
        )
        message = Msg(name=self.name, content=answer, role="assistant")
        self.memory.remember(x, message)
        return message

    def prompt_for(self, x: Msg) -> list[dict[str, str]]:
        """The messages this agent would send to its own model: persona + recalled memories + the user message."""
        system = f"{self.sys_prompt}\n\nWhat you remember about the user:\n{self.memory.recall(x.content)}"
        return [{"role": "system", "content": system}, {"role": "user", "content": x.content}]


def _server_has_model(client: MemoryClient) -> bool:
    return client.health().consolidation == "active"


def _run_demo(agent: MemoryAgent, user: str) -> None:
    for text in DEMO:
        print(f"\n{user}: {text}")
        print(f"{agent.name}: {agent(Msg(name=user, content=text, role='user')).content}")
    client, user_id = agent.memory.client, agent.memory.user_id
    client.consolidate(user_id)
    client.reflect(user_id)
    print("\nConsolidation and reflection were requested; they run in the background on the server.")
    print("Run this example again in a few seconds to see what the agent now recalls:")
    print(agent.memory.recall("What does the user do for work and which fruit do they like?") or "(nothing yet)")


def _run_chat(agent: MemoryAgent, user: str) -> None:
    print("Type a message (empty line or Ctrl-D to quit).")
    for line in sys.stdin:
        if not line.strip():
            break
        print(f"{agent.name}: {agent(Msg(name=user, content=line.strip(), role='user')).content}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chat", action="store_true", help="talk to the agent instead of the scripted demo")
    args = parser.parse_args()
    url = os.environ.get("MNEMOSCOPE_URL", "http://127.0.0.1:8000")
    user_id = os.environ.get("MNEMOSCOPE_EXAMPLE_USER", "example-user")
    with MemoryClient(url, api_key=os.environ.get("MNEMOSCOPE_API_KEY"), agent_id="example-agent") as client:
        try:
            memory = LongTermMemoryTool(client, user_id)
            agent = MemoryAgent("Assistant", "You are a warm, concise assistant.", memory, _server_has_model(client))
            print(f"Connected to {url} (server model: {'yes' if agent.server_has_model else 'no'}), user {user_id!r}.")
            (_run_chat if args.chat else _run_demo)(agent, "Lin")
        except ConnectionFailed as error:
            print(f"{error}\nStart it with `mnemoscope serve` (or set MNEMOSCOPE_URL).", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
