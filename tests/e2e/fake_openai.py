"""A stand-in for an OpenAI-compatible chat server on 127.0.0.1, for end-to-end tests of the real OpenAI adapter.

It answers free-text requests with a fixed reply, extraction requests (JSON mode) by reading the prompt's USER
lines ("I work as a <job>" becomes a fact, anything else scores 0) and reconcile requests by letting a new job
contradict the old one. Every request is recorded."""

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

USER_LINE = re.compile(r"^\[(?P<id>[^\]]+)\] USER .*?\(\w+\): (?P<text>.*)$", re.MULTILINE)
JOB = re.compile(r"I work as an? (?P<job>[\w ]+?)(?: now)?[.!]?$", re.IGNORECASE)
REPLY = "Noted, I will remember that."


FACT_LINE = re.compile(r"^(?P<indent>\s*)(?P<label>[A-Z]\d+) \(.*?\): (?P<text>.*)$", re.MULTILINE)


def reconcile_answer(prompt: str) -> dict[str, Any]:
    """A job fact contradicts the job memory listed under it; anything else is new."""
    decisions: list[dict[str, Any]] = []
    for match in FACT_LINE.finditer(prompt):
        if not match["indent"]:
            decisions.append({"fact": match["label"], "decision": "new", "target": None, "text": match["text"]})
        elif "works as" in match["text"] and "works as" in decisions[-1]["text"] and decisions[-1]["target"] is None:
            decisions[-1].update(decision="contradicts", target=match["label"])
    return {"decisions": [{k: v for k, v in d.items() if k != "text"} for d in decisions]}


def extraction_answer(prompt: str) -> dict[str, Any]:
    turns = []
    for match in USER_LINE.finditer(prompt):
        job = JOB.search(match["text"])
        facts = [{"content": f"The user works as a {job['job']}.", "keywords": ["job", job["job"]]}] if job else []
        turns.append({"message_id": match["id"], "score": 3 if job else 0, "facts": facts})
    return {"turns": turns}


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    # Optional: (request body) -> reply content; None falls back to the built-in answers above.
    answer: ClassVar[Callable[[dict[str, Any]], str | None] | None] = None

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(body)
        last_user = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
        json_mode = (body.get("response_format") or {}).get("type") == "json_object"
        scripted = type(self).answer(body) if type(self).answer else None
        if scripted is not None:
            content = scripted
        elif not json_mode:
            content = REPLY
        elif last_user.startswith("Conversation, oldest first"):
            content = json.dumps(extraction_answer(last_user))
        else:
            content = json.dumps(reconcile_answer(last_user))
        payload = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeOpenAI:
    def __init__(self, answer: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        """`answer` scripts replies (e.g. an answer model and a judge); without it the server plays consolidation."""
        self.handler = type(
            "Handler", (_Handler,), {"requests": [], "answer": staticmethod(answer) if answer else None}
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.handler.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
