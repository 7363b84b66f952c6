"""The MCP server: the memory API's operations as MCP tools and resources, over stdio (`mnemoscope mcp`) and
streamable HTTP (`/mcp` on the api function and on `serve`). Imported only when MCP is used: the `mcp` SDK is
not on the api function's path for REST requests."""

# Defined here, where importing costs nothing: the api handler routes on it without loading the SDK.
MCP_PATH = "/mcp"
