"""Scope: whose memory this is (tenant, assistant, human)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from mnemoscope.domain.ids import ID_PATTERN

ScopeId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

DEFAULT_AGENT_ID = "default"


class Scope(BaseModel):
    """(tenant, agent, user). MemoryScope's `user_name` is our agent_id, its `target_name` our user_id."""

    model_config = ConfigDict(frozen=True)

    tenant_id: ScopeId
    agent_id: ScopeId = DEFAULT_AGENT_ID
    user_id: ScopeId

    @property
    def key(self) -> str:
        """A stable string form; '/' never occurs inside an id."""
        return f"{self.tenant_id}/{self.agent_id}/{self.user_id}"

    @classmethod
    def from_key(cls, key: str) -> "Scope":
        tenant_id, agent_id, user_id = key.split("/")
        return cls(tenant_id=tenant_id, agent_id=agent_id, user_id=user_id)
