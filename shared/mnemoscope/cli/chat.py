"""`mnemoscope chat`: an interactive terminal chat with memory, like MemoryScope's CLI.

Plain text is sent to the memory-augmented chat; lines starting with '/' are commands (see /help)."""

import argparse
import os
import sys
from collections.abc import Callable
from typing import TextIO

from mnemoscope.cli.terminal import Style, is_tty, sleep_until, waiting
from mnemoscope.client import MemoryClient, MemoryClientError
from mnemoscope.client.client import DEFAULT_URL
from mnemoscope.contracts.api import MemoryOut

HELP = """commands:
  /help                              this list
  /exit                              leave
  /clear                             clear the screen
  /list_memory [refresh_time=N]      observations, insights and expired memories (every N seconds if given)
  /retrieve_memory <query>           what retrieval returns for <query>
  /add_memory <text>                 store <text> as a custom memory
  /delete_memory <id>                delete one memory
  /delete_all                        forget everything about you (asks first)
  /consolidate_memory                turn the new chat turns into observations now
  /list_messages [limit=N]           your chat turns, newest first, with their consolidation state
  /retry_quarantined [id ...]        consolidate quarantined turns again (all, or these ids)
  /reflect_and_reconsolidate         derive insights and resolve contradictions now
anything else is a chat message."""


class ChatSession:
    """The command layer: one `handle(line)` per input line; returns False when the user leaves."""

    def __init__(
        self,
        client: MemoryClient,
        user_id: str,
        out: TextIO,
        *,
        color: bool = False,
        animate: bool = False,
        confirm: Callable[[str], bool] | None = None,
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.out = out
        self.style = Style(color)
        self.animate = animate
        self.confirm = confirm or (lambda _: True)
        self._commands: dict[str, Callable[[str], None]] = {
            "/help": lambda _: self._print(HELP),
            "/clear": lambda _: self._print("\x1b[2J\x1b[H" if color else ""),
            "/list_memory": self.list_memory,
            "/retrieve_memory": self.retrieve_memory,
            "/add_memory": self.add_memory,
            "/delete_memory": self.delete_memory,
            "/delete_all": self.delete_all,
            "/consolidate_memory": lambda _: self._job("consolidate"),
            "/reflect_and_reconsolidate": lambda _: self._job("reflect"),
            "/list_messages": self.list_messages,
            "/retry_quarantined": self.retry_quarantined,
        }

    def handle(self, line: str) -> bool:
        text = line.strip()
        if not text:
            return True
        if text in ("/exit", "/quit"):
            return False
        command, _, argument = text.partition(" ")
        try:
            if command.startswith("/"):
                action = self._commands.get(command)
                if action is None:
                    self._print(self.style(f"unknown command {command}; /help lists them", "yellow"))
                else:
                    action(argument.strip())
            else:
                self.say(text)
        except MemoryClientError as error:
            self._print(self.style(str(error), "red"))
        return True

    # -- commands --------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        response = waiting(self.out, self.animate, lambda: self.client.chat(self.user_id, text))
        self._print(self.style("assistant", "bold", "cyan") + ": " + response.reply)

    def list_memory(self, argument: str) -> None:
        refresh = _refresh_time(argument)
        if refresh is None:
            self._print(self._memory_report())
            return
        try:
            while True:
                self._print(("\x1b[2J\x1b[H" if self.style.enabled else "") + self._memory_report())
                self._print(self.style(f"(refreshing every {refresh:g}s; Ctrl-C to stop)", "dim"))
                sleep_until(refresh)
        except KeyboardInterrupt:
            self._print("")

    def retrieve_memory(self, query: str) -> None:
        if not query:
            self._print(self.style("usage: /retrieve_memory <query>", "yellow"))
            return
        found = waiting(self.out, self.animate, lambda: self.client.search(self.user_id, query), "searching")
        if not found.memories and not found.recent:
            self._print("nothing relevant remembered")
        for memory in found.memories:
            self._print(f"{memory.score or 0:6.3f}  {_describe(memory)}")
        if found.recent:
            self._print(self.style("not yet consolidated:", "dim"))
            for turn in found.recent:
                self._print(f"  {turn.role}: {turn.content}")

    def add_memory(self, text: str) -> None:
        if not text:
            self._print(self.style("usage: /add_memory <text>", "yellow"))
            return
        memory = self.client.add_memory(self.user_id, text)
        self._print(self.style(f"remembered ({memory.id})", "green"))

    def delete_memory(self, memory_id: str) -> None:
        if not memory_id:
            self._print(self.style("usage: /delete_memory <id>", "yellow"))
            return
        self.client.delete_memory(self.user_id, memory_id)
        self._print(self.style(f"deleted {memory_id}", "green"))

    def delete_all(self, _: str) -> None:
        if not self.confirm(f"forget everything about {self.user_id}? [y/N] "):
            self._print("kept")
            return
        self.client.forget_user(self.user_id)
        self._print(self.style("forgotten: chat log and all memories", "green"))

    def list_messages(self, argument: str) -> None:
        limit = _int_option(argument, "limit", default=20, low=1, high=200)
        page = waiting(self.out, self.animate, lambda: self.client.list_messages(self.user_id, limit=limit), "loading")
        if not page.messages:
            self._print("no chat turns yet")
        colors = {"pending": "yellow", "consolidated": "dim", "quarantined": "red"}
        for turn in page.messages:
            state: str = turn.state
            if turn.quarantine is not None and turn.state == "quarantined":
                q = turn.quarantine
                state += f": {q.error} after {q.attempts} attempts — {q.reason}"
            when = turn.created_at.strftime("%Y-%m-%d %H:%M")
            tag = self.style(f"({turn.id}, {state})", colors[turn.state])
            self._print(f"[{when}] {turn.role}: {turn.content}  {tag}")
        if page.next_cursor:
            self._print(self.style("(older turns not shown)", "dim"))

    def retry_quarantined(self, argument: str) -> None:
        ids = argument.split() or None
        accepted = self.client.retry_quarantined(self.user_id, ids)
        if not accepted.released:
            self._print("no quarantined turns to retry")
            return
        self._print(self.style(f"retrying {accepted.released}: {' '.join(accepted.message_ids)}", "green"))

    def _job(self, kind: str) -> None:
        job = self.client.consolidate(self.user_id) if kind == "consolidate" else self.client.reflect(self.user_id)
        self._print(self.style(f"{job.kind} job queued", "green"))

    # -- rendering -------------------------------------------------------------------------------
    def _memory_report(self) -> str:
        memories = waiting(self.out, self.animate, lambda: self.client.all_memories(self.user_id), "loading")
        sections = [
            ("observations", [m for m in memories if m.status == "valid" and m.type in ("observation", "custom")]),
            ("insights", [m for m in memories if m.status == "valid" and m.type == "insight"]),
            ("expired", [m for m in memories if m.status == "expired"]),
        ]
        lines: list[str] = []
        for title, items in sections:
            lines.append(self.style(f"{title} ({len(items)})", "bold"))
            lines.extend(f"  {_describe(m)}" for m in items)
        return "\n".join(lines)

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def _describe(memory: MemoryOut) -> str:
    when = memory.created_at.strftime("%Y-%m-%d %H:%M")
    tail = f" → superseded by {memory.superseded_by}" if memory.superseded_by else ""
    return f"[{when}] {memory.content}  ({memory.type}, {memory.id}){tail}"


def _int_option(argument: str, name: str, *, default: int, low: int, high: int) -> int:
    for token in argument.split():
        key, _, value = token.partition("=")
        if key == name and value.isdigit():
            return min(max(int(value), low), high)
    return default


def _refresh_time(argument: str) -> float | None:
    for token in argument.split():
        key, _, value = token.partition("=")
        if key == "refresh_time" and value:
            try:
                return max(float(value), 0.5)
            except ValueError:
                return None
    return None


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subparsers.add_parser("chat", help="chat with memory in the terminal")
    parser.add_argument("--url", default=os.environ.get("MNEMOSCOPE_URL", DEFAULT_URL))
    parser.add_argument("--api-key", default=os.environ.get("MNEMOSCOPE_API_KEY"))
    parser.add_argument("--user", default=os.environ.get("USER", "user") or "user", help="your user id")
    parser.add_argument("--agent", default="default", help="the assistant's id (agent_id)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    color = is_tty(sys.stdout) and not os.environ.get("NO_COLOR")
    with MemoryClient(args.url, args.api_key, agent_id=args.agent) as client:
        session = ChatSession(client, args.user, sys.stdout, color=color, animate=is_tty(sys.stdout), confirm=_ask)
        try:
            health = client.health()
        except MemoryClientError as error:
            print(session.style(str(error), "red"), file=sys.stderr)
            return 1
        print(session.style(f"mnemoscope chat as {args.user} — {health.consolidation}; /help for commands", "dim"))
        return _loop(session)


def _loop(session: ChatSession) -> int:
    prompt = session.style("you", "bold", "green") + ": "
    while True:
        try:
            line = input(prompt)
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not session.handle(line):
            return 0


def _ask(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("y", "yes")
    except EOFError:
        return False
