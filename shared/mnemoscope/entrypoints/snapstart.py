"""Lambda SnapStart (template parameter `SnapStart`): do the slow part of a cold start once, before the snapshot.

With SnapStart, Lambda runs a function's init when it publishes a version, snapshots the memory, and starts later
execution environments from that snapshot. Without it every cold start imports, on its first request, the modules
that request needs (a model SDK alone is 0.2-1 s). So the init that is snapshotted
(AWS_LAMBDA_INITIALIZATION_TYPE=snap-start) builds the service graph and imports every module its deferred adapters
will import. It builds no model client, reads no secret and opens no connection: those would be shared by every
restored environment (AWS's uniqueness rules). SDK clients made here use the default credential chain, which under
SnapStart reads the container credentials endpoint, so they stay valid after a restore.

After a restore the `random` module is re-seeded (retry jitter must not be identical across environments); ids
come from `uuid4` (os.urandom), which needs nothing."""

import importlib
import os
import random

from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.observability import logger
from mnemoscope.settings import Settings

SNAPSHOTTING = "snap-start"

# What each deferred adapter imports on its first use (kept in step with wiring's builders by
# tests/functions/test_snapstart.py, which builds every adapter and fails on any module missed here).
AWS_STORES = (
    "mnemoscope.adapters.aws.projected_memory_index",
    "mnemoscope.adapters.aws.opensearch_projection",
    "mnemoscope.adapters.aws.opensearch_client",
    "mnemoscope.adapters.aws.dynamodb_memory_records",
    "mnemoscope.adapters.aws.sqs_job_queue",
)
EMBEDDERS = {
    "openai": ("mnemoscope.adapters.models.openai_embedder", "openai"),
    "dashscope": ("mnemoscope.adapters.models.dashscope_embedder", "dashscope"),
    "bedrock": ("mnemoscope.adapters.models.bedrock_embedder",),
    "local": (),
}
CHAT_MODELS = {
    "openai": ("mnemoscope.adapters.models.openai_chat", "openai"),
    "dashscope": ("mnemoscope.adapters.models.dashscope_chat", "dashscope"),
    "bedrock": ("mnemoscope.adapters.models.bedrock_chat",),
    "none": (),
}
RERANKERS = {"dashscope": ("mnemoscope.adapters.models.dashscope_reranker", "dashscope"), "none": ()}


def _openai_transport() -> None:
    """The OpenAI client loads its HTTP transport when constructed: one client with a placeholder key, closed at
    once (no request; the adapter makes its own with the real key after the restore)."""
    import openai

    openai.OpenAI(api_key="snapstart-preload", base_url="http://127.0.0.1:9").close()


def modules_to_preload(settings: Settings) -> list[str]:
    """The modules a request may import on top of the handler's own, for these settings."""
    modules = list(AWS_STORES) if settings.backend == "aws" else []
    for group in (EMBEDDERS[settings.embedder], CHAT_MODELS[settings.chat_provider], RERANKERS[settings.reranker]):
        modules += [name for name in group if name not in modules]
    return modules


def preload(settings: Settings) -> None:
    """Import what these settings' adapters will import on first use."""
    modules = modules_to_preload(settings)
    for name in modules:
        importlib.import_module(name)
    if "openai" in modules:
        _openai_transport()


def prime_for_snapshot(extra_modules: tuple[str, ...] = ()) -> bool:
    """In SnapStart's snapshotted init: build the graph and import what its adapters will need, and
    `extra_modules` (what the function's own routes import on first use); True if it ran.

    A configuration error is logged, not raised: the requests then answer it as they would without SnapStart."""
    if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") != SNAPSHOTTING:
        return False
    from mnemoscope.wiring import services

    try:
        graph = services()
    except ConfigurationError as error:
        logger.error(
            "SnapStart: the service graph could not be built before the snapshot", extra={"reason": str(error)}
        )
        return False
    preload(graph.settings)
    for name in extra_modules:
        importlib.import_module(name)
    _reseed_after_restore()
    return True


def _reseed_after_restore() -> None:
    try:  # shipped in the Lambda Python runtimes (3.12+) that support SnapStart; absent elsewhere
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:
        return
    register_after_restore(random.seed)
