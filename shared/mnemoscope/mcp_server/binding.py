"""Whose memory an MCP connection may touch: the tenant (from the API key, or `local` for stdio) and, when the
server is configured so, one user and/or agent fixed for the whole connection (docs/decisions.md, issue 15)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mnemoscope.contracts.api import ScopeRef
from mnemoscope.domain.errors import InvalidMemoryRequest
from mnemoscope.domain.scope import Scope


class ScopeNotAllowed(InvalidMemoryRequest):
    """A tool argument names a user or agent other than the one this server is bound to."""


@dataclass(frozen=True)
class Binding:
    tenant_id: str
    user_id: str | None = None
    agent_id: str | None = None

    def pinned(self) -> dict[str, str]:
        """The scope fields fixed by configuration (absent from the tools' input schemas)."""
        fixed = {"user_id": self.user_id, "agent_id": self.agent_id}
        return {name: value for name, value in fixed.items() if value is not None}

    def arguments(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        """The caller's arguments with the fixed scope filled in.

        Raises:
            ScopeNotAllowed: naming the field, when the caller asks for another user or agent.
        """
        merged = dict(given or {})
        for name, value in self.pinned().items():
            if merged.get(name, value) != value:
                raise ScopeNotAllowed(f"this server is bound to {name} {value!r}", field=name)
            merged[name] = value
        return merged

    def scope(self, request: ScopeRef) -> Scope:
        return Scope(tenant_id=self.tenant_id, agent_id=request.agent_id, user_id=request.user_id)
