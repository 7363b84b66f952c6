"""Reranking through DashScope's gte-rerank (native SDK)."""

from collections.abc import Callable, Sequence
from typing import Any

from mnemoscope.adapters.models.dashscope_status import checked, is_transient
from mnemoscope.adapters.models.transient import call_with_retries

DEFAULT_MODEL = "gte-rerank"


class DashScopeReranker:
    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_key: str | None = None,
        max_retries: int = 1,
        call: Callable[..., Any] | None = None,
    ) -> None:
        if call is None:
            import dashscope

            call = dashscope.TextReRank.call
        self._call = call
        self._model = model
        self._api_key = api_key
        self._max_retries = max_retries

    def rerank(self, query: str, documents: Sequence[str]) -> list[float]:
        def once() -> Any:
            response = self._call(
                model=self._model,
                query=query,
                documents=list(documents),
                top_n=len(documents),
                return_documents=False,
                api_key=self._api_key,
            )
            return checked(response, "DashScope rerank")

        response = call_with_retries(once, is_transient, what="DashScope rerank", max_retries=self._max_retries)
        scores = [0.0] * len(documents)
        for result in response.output["results"]:
            scores[int(result["index"])] = float(result["relevance_score"])
        return scores
