"""The LLM fallback for time references the deterministic parser could not resolve (retrieval, rare path)."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field

from mnemoscope.ports.chat_model import ChatMessage

_SYSTEM = (
    "You resolve the time a question refers to. Given the current time and a question, answer with the range of "
    "time the question is about as ISO 8601 datetimes with the same UTC offset as the current time: start "
    "inclusive, end exclusive. If the question refers to no particular time, set both to null."
)


class TimeAnswer(BaseModel):
    """The time range the question is about, or nulls."""

    start: AwareDatetime | None = Field(description="Start of the range (inclusive), ISO 8601 with offset, or null.")
    end: AwareDatetime | None = Field(description="End of the range (exclusive), ISO 8601 with offset, or null.")


def time_extraction_messages(question: str, now: datetime) -> list[ChatMessage]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S%z (%A)")
    return [
        ChatMessage(role="system", content=_SYSTEM),
        ChatMessage(role="user", content=f"Current time: {stamp}\nQuestion: {question}"),
    ]
