"""Tool input schemas, generated from the REST API's request models (one source of truth for both)."""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

from mnemoscope.contracts.fields import TIMEZONE_SCHEMA_REF

# The REST models point `timezone` at an OpenAPI component (the full zone list); an MCP schema stands alone.
_TIMEZONE_SCHEMA = {"type": "string", "description": "An IANA timezone name, e.g. 'Europe/Paris' or 'UTC'"}


class _StandaloneSchema(GenerateJsonSchema):
    """Pydantic's generator, with the OpenAPI-only timezone reference inlined before refs are resolved."""

    def get_json_ref_counts(self, json_schema: JsonSchemaValue) -> dict[Any, int]:
        _inline_timezone(json_schema)
        for definition in self.definitions.values():
            _inline_timezone(definition)
        return super().get_json_ref_counts(json_schema)


def input_schema(model: type[BaseModel], pinned: Iterable[str] = ()) -> dict[str, Any]:
    """`model`'s JSON Schema without the fields the server's configuration fixes."""
    schema = model.model_json_schema(schema_generator=_StandaloneSchema)
    hidden = set(pinned)
    schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in hidden}
    required = [name for name in schema.get("required", []) if name not in hidden]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)
    return schema


def _inline_timezone(node: Any) -> None:
    """Replace every {"$ref": TIMEZONE_SCHEMA_REF} in place (the generator keeps using the objects it built)."""
    if isinstance(node, dict):
        if node.get("$ref") == TIMEZONE_SCHEMA_REF:
            node.clear()
            node.update(_TIMEZONE_SCHEMA)
        for value in node.values():
            _inline_timezone(value)
    elif isinstance(node, list):
        for item in node:
            _inline_timezone(item)
