"""The MCP server of one connection (stdio) or one request (streamable HTTP, stateless): the SDK's low-level
`Server` with our tools and resources, bound to a tenant and optionally to one user/agent."""

import functools
import json
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CallToolResult,
    ListResourcesResult,
    ListResourceTemplatesResult,
    ListToolsResult,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    ReadResourceResult,
    TextContent,
    TextResourceContents,
    Tool,
)

from mnemoscope import __version__
from mnemoscope.mcp_server import resources
from mnemoscope.mcp_server.binding import Binding
from mnemoscope.mcp_server.errors import error_detail
from mnemoscope.mcp_server.schemas import input_schema
from mnemoscope.mcp_server.tools import TOOLS, TOOLS_BY_NAME, ToolSpec

INSTRUCTIONS = (
    "Long-term memory about the people you talk with. Search it (search_memory) before answering anything "
    "that may depend on what you were told earlier; log each conversation turn (add_messages) so it is "
    "remembered; add_memory stores one fact as given. forget_user erases everything about a user."
)
Context = ServerRequestContext[Any, Any]


def build_server(binding: Binding) -> Server[Any]:
    pinned = tuple(binding.pinned())

    async def list_tools(ctx: Context, params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=list(_tools(pinned)))

    async def call_tool(ctx: Context, params: CallToolRequestParams) -> CallToolResult:
        spec = TOOLS_BY_NAME.get(params.name)
        if spec is None:
            raise MCPError(INVALID_PARAMS, f"unknown tool {params.name[:100]!r}")
        return call(binding, spec, params.arguments)

    async def list_resources(ctx: Context, params: PaginatedRequestParams | None) -> ListResourcesResult:
        return ListResourcesResult(resources=resources.listed(binding))

    async def list_templates(ctx: Context, params: PaginatedRequestParams | None) -> ListResourceTemplatesResult:
        return ListResourceTemplatesResult(resource_templates=resources.templates())

    async def read_resource(ctx: Context, params: ReadResourceRequestParams) -> ReadResourceResult:
        return ReadResourceResult(contents=[read(binding, str(params.uri))])

    return Server(
        "mnemoscope",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


@functools.cache
def _tools(pinned: tuple[str, ...]) -> tuple[Tool, ...]:
    """The tool list for a binding's fixed fields (built once per process: schema generation is not free)."""
    return tuple(_tool(spec, pinned) for spec in TOOLS)


def _tool(spec: ToolSpec, pinned: tuple[str, ...]) -> Tool:
    return Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=input_schema(spec.request, pinned),
        annotations=spec.annotations,
    )


def call(binding: Binding, spec: ToolSpec, arguments: dict[str, Any] | None) -> CallToolResult:
    """Run one tool; a failure the caller can act on is a tool error result naming the field, as REST's 4xx."""
    try:
        request = spec.request.model_validate(binding.arguments(arguments))
        answer = spec.answer(binding.scope(request), request)
    except Exception as error:  # every error becomes the REST error body; unexpected ones are logged there
        body = {"error": error_detail(error).model_dump(exclude_none=True)}
        return CallToolResult(content=[_text(body)], structured_content=body, is_error=True)
    return CallToolResult(content=[_text(answer)], structured_content=answer)


def read(binding: Binding, uri: str) -> TextResourceContents:
    try:
        text = resources.read(binding, uri)
    except resources.UnknownResource as error:
        raise MCPError(resources.RESOURCE_NOT_FOUND, str(error)) from error
    except Exception as error:
        detail = error_detail(error)
        code = resources.RESOURCE_NOT_FOUND if detail.code == "not_found" else INVALID_PARAMS
        raise MCPError(code, detail.message, {"error": detail.model_dump(exclude_none=True)}) from error
    return TextResourceContents(uri=uri, mime_type=resources.JSON, text=text)


def _text(body: dict[str, Any]) -> TextContent:
    return TextContent(text=json.dumps(body, ensure_ascii=False))
