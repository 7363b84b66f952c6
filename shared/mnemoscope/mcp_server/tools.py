"""The MCP tools: each validates its arguments with the REST API's request model and answers through the same
view (api/views.py) the REST route uses."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp_types import ToolAnnotations
from pydantic import BaseModel

from mnemoscope.api import views
from mnemoscope.contracts.api import (
    AddMemoryRequest,
    AppendMessagesRequest,
    ListMemoriesQuery,
    MemoryRef,
    ScopeRef,
    SearchRequest,
)
from mnemoscope.domain.scope import Scope

Answer = Callable[[Scope, Any], dict[str, Any]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    request: type[ScopeRef]
    answer: Answer
    annotations: ToolAnnotations


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _search(scope: Scope, body: SearchRequest) -> dict[str, Any]:
    return _dump(views.search(scope, body))


def _add(scope: Scope, body: AddMemoryRequest) -> dict[str, Any]:
    return _dump(views.add_memory(scope, body))


def _list(scope: Scope, query: ListMemoriesQuery) -> dict[str, Any]:
    return _dump(views.list_memories(scope, query))


def _get(scope: Scope, ref: MemoryRef) -> dict[str, Any]:
    return _dump(views.memory_with_lineage(scope, ref.memory_id))


def _delete(scope: Scope, ref: MemoryRef) -> dict[str, Any]:
    views.delete_memory(scope, ref.memory_id)
    return {"deleted": ref.memory_id}


def _append(scope: Scope, body: AppendMessagesRequest) -> dict[str, Any]:
    return _dump(views.append_messages(scope, body))


def _forget(scope: Scope, ref: ScopeRef) -> dict[str, Any]:
    views.forget_user(scope)
    return {"forgotten": {"user_id": ref.user_id, "agent_id": ref.agent_id}}


_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
_ADD = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
_REMOVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search_memory",
        "Search memory",
        "Find what is remembered about the user that is relevant to `query` (hybrid, time-aware). Returns scored "
        "memories, the user's recent turns not yet consolidated, and `context` lines ready to paste into a prompt. "
        "Time window: `time_window` {start, end}, or else a time expression in the query ('last week', 'in May') "
        "resolved against `at` (default now) in `timezone`; memories whose event time overlaps it rank higher, and "
        "`time_filter: true` keeps only those.",
        SearchRequest,
        _search,
        _READ,
    ),
    ToolSpec(
        "add_memory",
        "Add a memory",
        "Remember one fact about the user, as given (a custom memory, searchable at once).",
        AddMemoryRequest,
        _add,
        _ADD,
    ),
    ToolSpec(
        "list_memories",
        "List memories",
        "The user's memories, newest first, one page at a time (pass `next_cursor` back as `cursor`).",
        ListMemoriesQuery,
        _list,
        _READ,
    ),
    ToolSpec(
        "get_memory",
        "Get a memory",
        "One memory with its history (earlier values) and lineage: the turns and memories it came from and the "
        "memory that replaced it, if any.",
        MemoryRef,
        _get,
        _READ,
    ),
    ToolSpec(
        "delete_memory",
        "Delete a memory",
        "Delete one memory of the user.",
        MemoryRef,
        _delete,
        _REMOVE,
    ),
    ToolSpec(
        "add_messages",
        "Log conversation turns",
        "Log 1-100 turns of the conversation (role user/assistant/system, content); they are searchable at once "
        "and consolidated into memories in the background.",
        AppendMessagesRequest,
        _append,
        _ADD,
    ),
    ToolSpec(
        "forget_user",
        "Forget the user",
        "Delete EVERYTHING remembered about the user for this agent: the chat log and all memories. "
        "Irreversible; only on the user's explicit request.",
        ScopeRef,
        _forget,
        _REMOVE,
    ),
)

TOOLS_BY_NAME = {tool.name: tool for tool in TOOLS}
