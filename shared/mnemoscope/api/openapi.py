"""The OpenAPI document of the memory API, generated from the routes and wire schemas."""

import json

from mnemoscope import __version__
from mnemoscope.api.app import api_app


def openapi_json() -> str:
    document = api_app().get_openapi_json_schema(
        title="mnemoscope memory API",
        version=__version__,
        description="Long-term memory for LLM chatbots: store chat turns, consolidate them into memories, retrieve.",
    )
    return json.dumps(json.loads(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
