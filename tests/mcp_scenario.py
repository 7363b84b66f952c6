"""One MCP conversation every transport must carry the same way (stdio, streamable HTTP on `serve`, the api
handler through API-Gateway-shaped events): driven with the SDK's own client."""

import json
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

TOOLS = {
    "search_memory",
    "add_memory",
    "list_memories",
    "get_memory",
    "delete_memory",
    "add_messages",
    "forget_user",
}


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The tool's structured answer; fails the test when the tool reports an error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.structured_content
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    answer: dict[str, Any] = result.structured_content
    return answer


async def error_of(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """The REST-shaped error body of a call that must fail."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    error: dict[str, Any] = result.structured_content["error"]
    return error


async def check_tool_list(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    assert tools["forget_user"].annotations is not None
    assert tools["forget_user"].annotations.destructive_hint is True
    assert tools["delete_memory"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert tools["search_memory"].annotations.read_only_hint is True  # type: ignore[union-attr]
    search = tools["search_memory"].input_schema
    assert search["properties"]["top_k"]["maximum"] == 50  # the REST model's limit, not a copy
    assert set(search["required"]) == {"query", "user_id"}


async def check_invalid_arguments(client: Client, user: str) -> None:
    with pytest.raises(MCPError) as unknown:
        await client.call_tool("remember_everything", {"user_id": user})
    assert unknown.value.code == -32602
    too_many = await error_of(client, "search_memory", user_id=user, query="peanuts", top_k=500)
    assert (too_many["code"], too_many["fields"]) == ("validation_error", ["top_k"])
    assert "50" in too_many["message"]
    blank = await error_of(client, "add_memory", user_id=user, content="   ")
    assert blank["fields"] == ["content"]
    missing = await error_of(client, "add_messages", user_id=user)
    assert missing["fields"] == ["messages"]
    bad_role = await error_of(client, "add_messages", user_id=user, messages=[{"role": "robot", "content": "hi"}])
    assert bad_role["fields"] == ["messages[0].role"]
    typo = await error_of(client, "list_memories", user_id=user, limt=5)
    assert typo["fields"] == ["limt"]
    bad_user = await error_of(client, "list_memories", user_id="no spaces allowed")
    assert bad_user["fields"] == ["user_id"]


async def check_memory_lifecycle(client: Client, user: str) -> str:
    """add, search, get (with lineage), list, resources, add_messages; returns the added memory's id."""
    added = await call(client, "add_memory", user_id=user, content="Alice is allergic to peanuts")
    memory_id: str = added["memory"]["id"]
    found = await call(client, "search_memory", user_id=user, query="what is Alice allergic to?", top_k=5)
    assert memory_id in [m["id"] for m in found["memories"]]
    assert "peanuts" in found["context"]
    got = await call(client, "get_memory", user_id=user, memory_id=memory_id)
    assert got["memory"]["content"] == "Alice is allergic to peanuts"
    assert got["memory"]["history"] == []
    assert got["lineage"] == {"source_messages": [], "source_memories": [], "superseded_by": None}
    listed = await call(client, "list_memories", user_id=user, type="custom")
    assert [m["id"] for m in listed["memories"]] == [memory_id]
    logged = await call(
        client, "add_messages", user_id=user, messages=[{"role": "user", "content": "I moved to Hangzhou"}]
    )
    assert logged["accepted"] == 1
    recent = await call(client, "search_memory", user_id=user, query="where does Alice live?")
    assert [turn["content"] for turn in recent["recent"]] == ["I moved to Hangzhou"]
    await check_resources(client, user, memory_id)
    return memory_id


async def check_resources(client: Client, user: str, memory_id: str) -> None:
    templates = await client.list_resource_templates()
    assert {t.uri_template for t in templates.resource_templates} == {
        "mnemoscope://users/{user_id}/memories",
        "mnemoscope://users/{user_id}/memories/{memory_id}",
    }
    page = await client.read_resource(f"mnemoscope://users/{user}/memories")
    assert [m["id"] for m in json.loads(page.contents[0].text)["memories"]] == [memory_id]  # type: ignore[union-attr]
    one = await client.read_resource(f"mnemoscope://users/{user}/memories/{memory_id}")
    assert json.loads(one.contents[0].text)["memory"]["id"] == memory_id  # type: ignore[union-attr]
    with pytest.raises(MCPError) as missing:
        await client.read_resource(f"mnemoscope://users/{user}/memories/cus_nosuchmemory")
    assert missing.value.code == -32002
    with pytest.raises(MCPError) as unknown:
        await client.read_resource("mnemoscope://elsewhere")
    assert unknown.value.code == -32002
    assert (await client.list_resources()).resources == []  # unbound: the templates name the users


async def check_delete_and_forget(client: Client, user: str, memory_id: str) -> None:
    assert await call(client, "delete_memory", user_id=user, memory_id=memory_id) == {"deleted": memory_id}
    gone = await error_of(client, "get_memory", user_id=user, memory_id=memory_id)
    assert (gone["code"], gone["fields"]) == ("not_found", ["memory_id"])
    await call(client, "add_memory", user_id=user, content="Alice plays the cello")
    forgotten = await call(client, "forget_user", user_id=user)
    assert forgotten == {"forgotten": {"user_id": user, "agent_id": "default"}}
    assert (await call(client, "list_memories", user_id=user))["memories"] == []
    assert (await call(client, "search_memory", user_id=user, query="cello"))["recent"] == []


async def check_other_tenant(owner: Client, stranger: Client, user: str) -> None:
    """The same user id under another API key is another person: nothing of the owner's is visible or deletable."""
    memory_id = (await call(owner, "add_memory", user_id=user, content="The vault code is 4711"))["memory"]["id"]
    for tool in ("get_memory", "delete_memory"):
        hidden = await error_of(stranger, tool, user_id=user, memory_id=memory_id)
        assert hidden["code"] == "not_found"
    assert (await call(stranger, "list_memories", user_id=user))["memories"] == []
    assert (await call(stranger, "search_memory", user_id=user, query="vault code"))["memories"] == []
    with pytest.raises(MCPError):
        await stranger.read_resource(f"mnemoscope://users/{user}/memories/{memory_id}")
    await call(stranger, "forget_user", user_id=user)
    assert (await call(owner, "get_memory", user_id=user, memory_id=memory_id))["memory"]["id"] == memory_id


async def full_conversation(client: Client, stranger: Client | None, user: str = "alice") -> None:
    await check_tool_list(client)
    await check_invalid_arguments(client, user)
    memory_id = await check_memory_lifecycle(client, user)
    await check_delete_and_forget(client, user, memory_id)
    if stranger is not None:
        await check_other_tenant(client, stranger, user)
