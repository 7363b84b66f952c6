"""mnemoscope: long-term memory for LLM chatbots. `from mnemoscope import Memory` for the embedded service,
`from mnemoscope.client import MemoryClient` for a server; both fit `mnemoscope.client.protocol.MemoryApi`."""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Memory", "__version__"]

if TYPE_CHECKING:
    from mnemoscope.client.local import Memory


def __getattr__(name: str) -> Any:
    # `import mnemoscope` stays cheap (the CLI, the Lambda handlers): the service graph loads on first use of Memory.
    if name == "Memory":
        from mnemoscope.client.local import Memory

        return Memory
    raise AttributeError(f"module 'mnemoscope' has no attribute {name!r}")
