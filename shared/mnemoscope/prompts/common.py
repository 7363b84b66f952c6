"""Rendering helpers shared by the prompts: timestamps with weekdays, clipping, lenient time fields."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from mnemoscope.domain.time_range import Recurrence
from mnemoscope.prompts.language import Language

_WEEKDAYS: dict[Language, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "zh": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
RECURRENCES: frozenset[str] = frozenset({"yearly", "monthly", "weekly"})


def stamp(moment: datetime, language: Language) -> str:
    """ISO 8601 with offset plus the weekday, e.g. '2024-08-02T15:04:00+08:00 (Friday)'."""
    return f"{moment.replace(microsecond=0).isoformat()} ({_WEEKDAYS[language][moment.weekday()]})"


def day(moment: datetime, language: Language) -> str:
    """Date plus weekday, e.g. '2024-08-02 Friday'."""
    return f"{moment.date().isoformat()} {_WEEKDAYS[language][moment.weekday()]}"


def clip(text: str, limit: int) -> str:
    """Keep the start and end of a long text (the middle of a long turn is the least informative)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    half = max(1, (limit - 5) // 2)
    return f"{text[:half]} ... {text[-half:]}"


def _lenient_time(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # A time the model got wrong is dropped, not fatal: the fact itself is still worth keeping.
    try:
        return handler(value)
    except ValidationError:
        return None


def _lenient_recurrence(value: Any) -> Any:
    return value if isinstance(value, str) and value in RECURRENCES else None


def _keywords(value: Any) -> Any:
    if isinstance(value, str):  # "a, b, c" instead of a list
        return [part.strip() for part in value.replace("，", ",").split(",") if part.strip()]
    return value


LenientTime = Annotated[datetime | None, WrapValidator(_lenient_time)]
LenientRecurrence = Annotated[Recurrence | None, WrapValidator(lambda v, h: h(_lenient_recurrence(v)))]
Keywords = Annotated[list[str], WrapValidator(lambda v, h: h(_keywords(v)))]
