"""The Embedder contract against the test fake and the Bedrock embedders (a real botocore client, answered at its
HTTP layer by tests/fakes/bedrock_runtime_http.py)."""

import pytest

from mnemoscope.adapters.models.bedrock_embedder import BedrockCohereEmbedder, BedrockTitanEmbedder
from mnemoscope.ports.embedder import Embedder
from tests.contracts.embedder_contract import EmbedderContract
from tests.fakes.bedrock_runtime_http import BedrockEmbeddingsHttp
from tests.fakes.hash_embedder import HashEmbedder


class TestHashEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashEmbedder()


class TestBedrockTitanEmbedder(EmbedderContract):
    @pytest.fixture(params=[256, 1024])
    def embedder(self, request: pytest.FixtureRequest) -> Embedder:
        return BedrockTitanEmbedder(dimension=request.param, client=BedrockEmbeddingsHttp().client)


class TestBedrockCohereEmbedder(EmbedderContract):
    @pytest.fixture
    def embedder(self) -> Embedder:
        return BedrockCohereEmbedder(client=BedrockEmbeddingsHttp().client)
