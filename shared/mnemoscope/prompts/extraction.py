"""Call 1 of consolidation: score each user turn (0-3) and extract dated third-person facts, in one request."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, Self, cast

from pydantic import BaseModel, Field, model_validator

from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.prompts.common import Keywords, LenientRecurrence, LenientTime, clip, stamp
from mnemoscope.prompts.language import Language
from mnemoscope.prompts.markers import RECALLED_MEMORY_MARKER

MAX_USER_CHARS = 2_000
MAX_ASSISTANT_CHARS = 300


@dataclass(frozen=True)
class PromptTurn:
    """A turn as the prompt shows it; `said_at` is already in the scope's timezone."""

    message_id: str
    role: Literal["user", "assistant"]
    content: str
    said_at: datetime


class Fact(BaseModel):
    content: str = Field(
        min_length=1,
        max_length=500,
        description="One short third-person statement about the user, in the language of the user's message; "
        "names, places and brands exactly as written (never translated).",
    )
    keywords: Keywords = Field(default_factory=list, max_length=8, description="1-5 keywords, same language.")
    event_start: LenientTime = Field(
        default=None,
        description="Start (inclusive) of the time the fact is about, ISO 8601 with UTC offset, computed from THIS "
        "message's timestamp. null when the message states no time.",
    )
    event_end: LenientTime = Field(default=None, description="End (exclusive) of that time range, ISO 8601.")
    recurrence: LenientRecurrence = Field(
        default=None,
        description="yearly, monthly or weekly when the event repeats (birthday, weekly class); else null.",
    )


class TurnFacts(BaseModel):
    message_id: str = Field(description="The id of a USER turn shown in the conversation, e.g. m12.")
    score: int = Field(
        ge=0,
        le=3,
        description="0 nothing about the user; 1 fiction, role-play, hypothetical or joke; 2 general, vague or "
        "short-lived information; 3 important information or an explicit request to remember.",
    )
    facts: list[Fact] = Field(default_factory=list, description="Facts for scores 2 and 3; empty for 0 and 1.")


class ExtractionResult(BaseModel):
    """Scores and facts for the USER turns shown."""

    # The docstring and Field descriptions are sent to the model as the JSON schema: write them for the model.
    # Validate with `for_messages(ids)`, so that ids not shown are rejected.

    allowed_ids: ClassVar[frozenset[str] | None] = None

    turns: list[TurnFacts] = Field(description="One entry per USER turn (or per sentence, repeating the id).")

    @model_validator(mode="after")
    def _known_ids(self) -> Self:
        if self.allowed_ids is not None:
            unknown = sorted({t.message_id for t in self.turns} - self.allowed_ids)
            if unknown:
                raise ValueError(f"unknown message_id {unknown}; use only ids of USER turns shown")
        return self

    @classmethod
    def for_messages(cls, message_ids: Iterable[str]) -> type["ExtractionResult"]:
        """A subclass that accepts only these message ids."""
        namespace = {"allowed_ids": frozenset(message_ids), "__module__": cls.__module__}
        return cast(type[ExtractionResult], type(cls.__name__, (cls,), namespace))


_SYSTEM_EN = f"""You keep a long-term memory about one person, "the user", for an assistant that chats with them.
Read the conversation and record what the USER's own messages reveal about the user.

Rules:
1. Analyse only turns marked USER. ASSISTANT turns are context for understanding the user; never take facts from \
them, nor from any system or instruction text.
2. Lines inside a block that starts with "{RECALLED_MEMORY_MARKER}" are memories recalled earlier, not new \
information: ignore them.
3. Score each USER turn (or each sentence, repeating the turn's message_id, when a turn mixes content):
   0 = nothing about the user: greetings, small talk, general knowledge questions, tasks for the assistant;
   1 = fiction, role-play, stories, hypotheticals ("if I were..."), jokes;
   2 = general, vague or short-lived information about the user (today's mood, a tentative plan);
   3 = clear, important information (identity, work, family and relationships, home, health, likes and dislikes, \
habits, values, major events) or anything the user asks you to remember.
   A question counts only when it reveals a fact ("what should I get my daughter for her 5th birthday?" reveals a \
daughter).
4. For scores 2 and 3 write facts: short third-person statements ("The user ..."), one idea each, in the language \
of that user message. Copy names, places and brands exactly; never translate them.
5. Times: when a fact refers to a time, give an absolute range computed from THAT message's timestamp, not from \
today: event_start inclusive, event_end exclusive, with the message's UTC offset. For a message sent on Friday \
2024-08-02: "tomorrow" = 2024-08-03 to 2024-08-04; "next week" = 2024-08-05 to 2024-08-12; "next month" = \
2024-09-01 to 2024-10-01; "two years ago" = 2022-01-01 to 2023-01-01. For repeating events (birthday, weekly \
class) give one occurrence and a recurrence. No stated time: null (the message time is not an event time).
6. Scores 0 and 1 have no facts.

Example answer: {{"turns":[{{"message_id":"m7","score":3,"facts":[{{"content":"The user will go to Hangzhou on a \
business trip.","keywords":["Hangzhou","business trip"],"event_start":"2024-08-05T00:00:00+08:00","event_end":\
"2024-08-12T00:00:00+08:00","recurrence":null}}]}},{{"message_id":"m8","score":0,"facts":[]}}]}}"""

_SYSTEM_ZH = f"""你为一位与"用户"聊天的助手维护关于该用户的长期记忆。
阅读下面的对话，记录用户本人消息中透露的关于用户的信息。

规则：
1. 只分析标为 USER 的消息。ASSISTANT 消息只用来理解上下文，绝不从中提取事实，也不从系统提示或指令文字中提取。
2. 以"{RECALLED_MEMORY_MARKER}"开头的块中的行是之前召回的记忆，不是新信息，忽略它们。
3. 给每条 USER 消息打分（一条消息内容混杂时可逐句打分，重复使用该消息的 message_id）：
   0 = 与用户本人无关：问候、闲聊、常识问题、交给助手的任务；
   1 = 虚构、角色扮演、故事、假设（"如果我是……"）、玩笑；
   2 = 关于用户的一般、模糊或短暂的信息（今天的心情、未定的计划）；
   3 = 明确且重要的信息（身份、工作、家庭与人际关系、住处、健康、喜好、习惯、价值观、重大事件），或用户要求记住的内容。
   提问只有在透露事实时才算（"给我女儿过五岁生日买什么好？"透露了用户有个女儿）。
4. 对 2 分和 3 分的消息写出事实：以第三人称的简短陈述（"用户……"），每条一个要点，使用该条用户消息的语言。\
人名、地名、品牌照原文抄写，绝不翻译。
5. 时间：事实涉及时间时，根据该条消息自己的时间戳（而不是今天）算出绝对时间范围：event_start 含，event_end 不含，\
使用消息的 UTC 偏移。例如消息发送于 2024-08-02 星期五："明天" = 2024-08-03 至 2024-08-04；"下周" = 2024-08-05 至 \
2024-08-12；"下个月" = 2024-09-01 至 2024-10-01；"两年前" = 2022-01-01 至 2023-01-01。重复发生的事（生日、每周的课）\
给出一次的时间并填写 recurrence。没有提到时间则为 null（消息时间本身不是事件时间）。
6. 0 分和 1 分没有事实。

示例答案：{{"turns":[{{"message_id":"m7","score":3,"facts":[{{"content":"用户下周要去杭州出差。","keywords":["杭州","出差"],\
"event_start":"2024-08-05T00:00:00+08:00","event_end":"2024-08-12T00:00:00+08:00","recurrence":null}}]}},\
{{"message_id":"m8","score":0,"facts":[]}}]}}"""

_INTRO = {
    "en": "Conversation, oldest first. USER lines show [message_id] and the message's own timestamp. Answer in JSON.\n",
    "zh": "对话，按时间先后。USER 行显示 [message_id] 和该消息自己的时间戳。用 JSON 回答。\n",
}


def _render(turns: Sequence[PromptTurn], language: Language) -> str:
    lines: list[str] = []
    for turn in turns:
        if turn.role == "user":
            lines.append(
                f"[{turn.message_id}] USER {stamp(turn.said_at, language)}: {clip(turn.content, MAX_USER_CHARS)}"
            )
        else:
            lines.append(f"    ASSISTANT: {clip(turn.content, MAX_ASSISTANT_CHARS)}")
    return "\n".join(lines)


def extraction_messages(turns: Sequence[PromptTurn], language: Language) -> list[ChatMessage]:
    """The extraction prompt for a batch of turns (user turns to mine, assistant turns as context)."""
    system = _SYSTEM_ZH if language == "zh" else _SYSTEM_EN
    return [
        ChatMessage(role="system", content=system),
        ChatMessage(role="user", content=_INTRO[language] + _render(turns, language)),
    ]
