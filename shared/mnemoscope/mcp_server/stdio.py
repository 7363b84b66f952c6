"""MCP over stdio (`mnemoscope mcp`): one connection for the life of the process, for a desktop agent."""

import anyio
from mcp.server.stdio import stdio_server

from mnemoscope.mcp_server.binding import Binding
from mnemoscope.mcp_server.server import build_server


def serve_stdio(binding: Binding) -> None:
    """Serve until the client closes stdin."""
    anyio.run(_serve, binding)


async def _serve(binding: Binding) -> None:
    server = build_server(binding)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
