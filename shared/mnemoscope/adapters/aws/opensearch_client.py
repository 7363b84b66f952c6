"""Build the opensearch-py client: plain http locally, SigV4 (`es` domains or `aoss` collections) in AWS."""

from __future__ import annotations

import sys
from typing import Literal

import boto3

from mnemoscope.domain.errors import ConfigurationError
from mnemoscope.settings import Settings


def _import_without_async_transport() -> None:
    """opensearch-py imports its asyncio transport whenever aiohttp is installed (dashscope depends on it): ~0.2 s of
    every cold start that touches the index, for a transport this client never uses. The package treats that
    transport as optional (it catches the ImportError), so its one aiohttp import is hidden while the package loads,
    and only then: anything imported later sees the real modules."""
    if "opensearchpy" in sys.modules:
        return
    hidden = "opensearchpy._async._extra_imports"
    sys.modules[hidden] = None  # type: ignore[assignment]  # None in sys.modules = "cannot be imported"
    try:
        import opensearchpy  # noqa: F401
    finally:
        del sys.modules[hidden]


_import_without_async_transport()

from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth, Urllib3HttpConnection  # noqa: E402

Auth = Literal["none", "sigv4-es", "sigv4-aoss"]


def build_opensearch_client(settings: Settings, session: boto3.Session | None = None) -> OpenSearch:
    """The client for MNEMOSCOPE_OPENSEARCH_* settings; no request is made here.

    Raises:
        ConfigurationError: the endpoint is missing, or SigV4 has no credentials or region.
    """
    if not settings.opensearch_endpoint:
        raise ConfigurationError("MNEMOSCOPE_OPENSEARCH_ENDPOINT is not set")
    return opensearch_client(
        settings.opensearch_endpoint,
        auth=settings.opensearch_auth,
        region=settings.aws_region,
        timeout_seconds=settings.opensearch_timeout_seconds,
        session=session,
    )


def opensearch_client(
    endpoint: str,
    *,
    auth: Auth = "none",
    region: str | None = None,
    timeout_seconds: float = 5.0,
    session: boto3.Session | None = None,
    compress: bool = False,
) -> OpenSearch:
    """A client for `endpoint` (a URL such as https://xyz.us-east-1.aoss.amazonaws.com)."""
    endpoint = endpoint if "://" in endpoint else f"https://{endpoint}"
    return OpenSearch(
        hosts=[endpoint],
        http_auth=_sigv4(auth, region, session),
        # The urllib3 signer signs the body after gzip, so compression and SigV4 work together. It is off by
        # default: bodies are mostly float vectors, and opensearch-py's gzip level 9 costs ~0.5 ms per memory on
        # a small CPU, more than it saves on an in-region link.
        connection_class=Urllib3HttpConnection,
        http_compress=compress,
        verify_certs=True,
        timeout=timeout_seconds,
        # One quick retry on a dropped connection; the Lambda budget, not the client, bounds waiting.
        max_retries=1,
        retry_on_timeout=False,
        pool_maxsize=8,
    )


def _sigv4(auth: Auth, region: str | None, session: boto3.Session | None) -> Urllib3AWSV4SignerAuth | None:
    if auth == "none":
        return None
    session = session or boto3.Session()
    # botocore's refreshable credentials: the signer freezes them per request, so Lambda role rotation works.
    credentials = session.get_credentials()
    region = region or session.region_name
    if credentials is None or not region:
        raise ConfigurationError("SigV4 needs AWS credentials and a region (MNEMOSCOPE_AWS_REGION)")
    return Urllib3AWSV4SignerAuth(credentials, region, "aoss" if auth == "sigv4-aoss" else "es")
