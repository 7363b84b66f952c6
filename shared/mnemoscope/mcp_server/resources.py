"""MCP resources: a user's memories (newest first) and one memory with its lineage, as JSON documents."""

import re
from typing import Any
from urllib.parse import unquote

from mcp_types import Resource, ResourceTemplate

from mnemoscope.api import views
from mnemoscope.contracts.api import ListMemoriesQuery, MemoryRef
from mnemoscope.mcp_server.binding import Binding

MEMORIES_TEMPLATE = "mnemoscope://users/{user_id}/memories"
MEMORY_TEMPLATE = "mnemoscope://users/{user_id}/memories/{memory_id}"
JSON = "application/json"
_URI = re.compile(r"mnemoscope://users/(?P<user_id>[^/?#]+)/memories(?:/(?P<memory_id>[^/?#]+))?")
RESOURCE_NOT_FOUND = -32002  # the MCP spec's code for an unknown resource


def templates() -> list[ResourceTemplate]:
    return [
        ResourceTemplate(
            uri_template=MEMORIES_TEMPLATE,
            name="memories",
            description="The user's memories, newest first (first 200)",
            mime_type=JSON,
        ),
        ResourceTemplate(
            uri_template=MEMORY_TEMPLATE,
            name="memory",
            description="One memory with its history and lineage",
            mime_type=JSON,
        ),
    ]


def listed(binding: Binding) -> list[Resource]:
    """The bound user's memories; an unbound server lists none (its users are named by the templates)."""
    if binding.user_id is None:
        return []
    uri = MEMORIES_TEMPLATE.format(user_id=binding.user_id)
    return [Resource(uri=uri, name=f"memories of {binding.user_id}", mime_type=JSON)]


class UnknownResource(Exception):
    """The URI matches neither template."""


def read(binding: Binding, uri: str) -> str:
    """The JSON text behind `uri`.

    Raises:
        UnknownResource: `uri` names no resource of this server.
        ValidationError / ScopeNotAllowed / MemoryNotFound: as the matching tool would.
    """
    found = _URI.fullmatch(uri)
    if not found:
        raise UnknownResource(f"no resource {uri[:200]!r}; see the templates {MEMORIES_TEMPLATE}, {MEMORY_TEMPLATE}")
    given: dict[str, Any] = {"user_id": unquote(found["user_id"])}
    if found["memory_id"] is None:
        query = ListMemoriesQuery.model_validate(binding.arguments(given) | {"limit": 200})
        return views.list_memories(binding.scope(query), query).model_dump_json()
    ref = MemoryRef.model_validate(binding.arguments(given | {"memory_id": unquote(found["memory_id"])}))
    return views.memory_with_lineage(binding.scope(ref), ref.memory_id).model_dump_json()
