"""Query-string parameter types shared by routes (validated by the resolver, named in 422 errors)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from mnemoscope.domain.ids import ID_PATTERN

UserIdQuery = Annotated[str, Query(pattern=ID_PATTERN, description="The human the memory is about")]
AgentIdQuery = Annotated[str, Query(pattern=ID_PATTERN, description="The assistant that owns the memory")]
UserIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The human whose memory is forgotten")]
MemoryIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The memory's id")]
ExportUserIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The human whose memory is exported")]
