"""TimeExtractor over a ChatModel: used by retrieval only when time words remain unresolved by the parser."""

from datetime import datetime

from mnemoscope.domain.errors import DependencyUnavailable, LlmOutputInvalid
from mnemoscope.domain.time_range import TimeRange
from mnemoscope.ports.chat_model import ChatModel
from mnemoscope.prompts.time_extraction import TimeAnswer, time_extraction_messages


class ChatModelTimeExtractor:
    def __init__(self, chat_model: ChatModel) -> None:
        self._model = chat_model

    def extract(self, text: str, now: datetime) -> TimeRange | None:
        """A range, or None when the model finds none, answers nonsense or is down (search goes on without it)."""
        try:
            answer = self._model.generate(time_extraction_messages(text, now), TimeAnswer)
        except (LlmOutputInvalid, DependencyUnavailable):
            return None
        if answer.start is None or answer.end is None or answer.end <= answer.start:
            return None
        return TimeRange(start=answer.start.astimezone(now.tzinfo), end=answer.end.astimezone(now.tzinfo))
