"""The system prompt of memory-augmented chat (English and Chinese)."""

from collections.abc import Sequence
from datetime import datetime

from mnemoscope.prompts.language import detect_language
from mnemoscope.prompts.markers import RECALLED_MEMORY_END, RECALLED_MEMORY_MARKER

_DEFAULT = {
    "en": "You are a helpful assistant with a long-term memory of this user.",
    "zh": "你是一个有帮助的助手，并且对这位用户有长期记忆。",
}
_TIME = {"en": "The current time is {time}.", "zh": "现在的时间是 {time}。"}
_MEMORY_INTRO = {
    "en": (
        "Here is what you remember about the user, each line with the time it was recorded. Use only the memories "
        "that are relevant to the user's message, prefer the most recent when they disagree, and do not mention "
        "this list."
    ),
    "zh": (
        "以下是你记得的关于用户的信息，每行带有记录时间。"
        "只使用与用户消息相关的记忆；如有冲突以最新的为准；不要提及这份列表。"
    ),
}
_NO_MEMORY = {"en": "You do not remember anything relevant about the user yet.", "zh": "你暂时没有关于用户的相关记忆。"}


def chat_system_prompt(now: datetime, memory_lines: Sequence[str], system_prompt: str | None, message: str) -> str:
    """The system message: the caller's instructions, the current date/time/weekday and the recalled memories.

    The memories sit between RECALLED_MEMORY_MARKER lines so consolidation never mines them as new facts."""
    lang = detect_language([message])
    parts = [system_prompt or _DEFAULT[lang], _TIME[lang].format(time=now.strftime("%Y-%m-%d %H:%M:%S %A %Z").strip())]
    if memory_lines:
        parts += [_MEMORY_INTRO[lang], "\n".join([RECALLED_MEMORY_MARKER, *memory_lines, RECALLED_MEMORY_END])]
    else:
        parts.append(_NO_MEMORY[lang])
    return "\n\n".join(parts)
