"""The model adapters the settings choose: chat model, embedder, reranker (and the secrets they need)."""

from __future__ import annotations

from typing import Any

from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.ports.embedder import Embedder
from mnemoscope.ports.reranker import Reranker
from mnemoscope.settings import Settings

# Cheap, in-region on demand, tool use with toolChoice "tool" (docs/aws.md compares models).
BEDROCK_CHAT_MODEL = "amazon.nova-lite-v1:0"


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None (consolidation then pauses; retrieval keeps working)."""
    if settings.chat_provider == "openai":
        from mnemoscope.adapters.models.openai_chat import OpenAIChatModel

        return OpenAIChatModel(
            settings.chat_model or "gpt-4o-mini",
            api_key=secret(settings, settings.openai_api_key, settings.openai_api_key_secret),
            base_url=settings.openai_base_url,
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    if settings.chat_provider == "dashscope":
        from mnemoscope.adapters.models.dashscope_chat import DashScopeChatModel

        return DashScopeChatModel(
            settings.chat_model or "qwen-plus",
            api_key=secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret),
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    if settings.chat_provider == "bedrock":
        from mnemoscope.adapters.models.bedrock_chat import BedrockChatModel

        # The bedrock-runtime client is made on the first request, not here.
        return BedrockChatModel(
            settings.chat_model or BEDROCK_CHAT_MODEL,
            region=settings.bedrock_region or settings.aws_region,
            timeout=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
        )
    return None


def build_reranker(settings: Settings) -> Reranker | None:
    if settings.reranker == "none":
        return None
    from mnemoscope.adapters.models.dashscope_reranker import DashScopeReranker

    return DashScopeReranker(
        settings.rerank_model, api_key=secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret)
    )


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedder == "local":
        from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

        # Unless the sparse list is off, try the one-pass engine (dense + sparse from one pass; issue 18).
        return LocalE5Embedder(sparse=settings.sparse_ranking is not False, native_dir=settings.native_dir)
    if settings.embedder == "openai":
        from mnemoscope.adapters.models.openai_embedder import DEFAULT_MODEL, OpenAIEmbedder

        return OpenAIEmbedder(
            settings.embedding_model or DEFAULT_MODEL,
            api_key=secret(settings, settings.openai_api_key, settings.openai_api_key_secret),
            base_url=settings.openai_base_url,
            dimension=settings.embedding_dimension,
            max_retries=settings.model_max_retries,
        )
    if settings.embedder == "bedrock":
        from mnemoscope.adapters.models.bedrock_embedder import TITAN_V2, bedrock_embedder

        return bedrock_embedder(
            settings.embedding_model or TITAN_V2,
            settings.embedding_dimension,
            settings.bedrock_region or settings.aws_region,
            settings.model_max_retries,
        )
    from mnemoscope.adapters.models.dashscope_embedder import DEFAULT_MODEL as DASHSCOPE_MODEL
    from mnemoscope.adapters.models.dashscope_embedder import DashScopeEmbedder

    return DashScopeEmbedder(
        settings.embedding_model or DASHSCOPE_MODEL,
        api_key=secret(settings, settings.dashscope_api_key, settings.dashscope_api_key_secret),
        dimension=settings.embedding_dimension or 1024,
        max_retries=settings.model_max_retries,
    )


def secret(settings: Settings, value: Any, secret_name: str | None) -> str | None:
    """A key given directly (local use) or read from Secrets Manager through Powertools (cached 5 min); on the
    local stand-ins (`MNEMOSCOPE_AWS_ENDPOINT_URL`) from theirs."""
    if value is not None:
        return str(value.get_secret_value())
    if secret_name:
        from aws_lambda_powertools.utilities import parameters

        from mnemoscope.adapters.aws.clients import secrets_client

        client = secrets_client(settings)
        if client is None:
            return str(parameters.get_secret(secret_name, max_age=300))
        return str(parameters.SecretsProvider(boto3_client=client).get(secret_name, max_age=300))
    return None
