"""Reflection prompts: (1) propose new insight subjects from unreflected observations; (2) update insight values
from relevant observations, newer information winning. Items carry short labels (O1, I1) instead of ids: fewer
tokens, fewer copy errors. Each answer model validates the labels with `for_...(...)`."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Self, cast

from pydantic import BaseModel, Field, field_validator, model_validator

from mnemoscope.ports.chat_model import ChatMessage
from mnemoscope.prompts.common import clip, day
from mnemoscope.prompts.language import Language

MAX_SUBJECT_CHARS = 60
MAX_VALUE_CHARS = 300
MAX_OBSERVATION_CHARS = 400
InsightStatus = Literal["updated", "unchanged", "unknown"]


@dataclass(frozen=True)
class ObservationItem:
    """An observation as the prompt shows it; `said_at` is already in the scope's timezone."""

    label: str
    content: str
    said_at: datetime


@dataclass(frozen=True)
class InsightItem:
    """An insight (or a new subject, `value=None`) with the labels of the observations listed under it."""

    label: str
    subject: str
    value: str | None
    updated_at: datetime | None
    observations: tuple[str, ...]


def _collapse(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


class ProposedSubject(BaseModel):
    subject: str = Field(
        min_length=1,
        max_length=MAX_SUBJECT_CHARS,
        description="A short noun phrase naming a lasting attribute of the user, e.g. 'job', 'fruit preference', "
        "'home city', 'sister's name' (Chinese: 2-6 characters, e.g. '职业'). Same language as the observations.",
    )
    observations: list[str] = Field(
        default_factory=list, description="Labels (O...) of the observations that answer this subject."
    )

    _collapse_subject = field_validator("subject", mode="before")(_collapse)


class SubjectResult(BaseModel):
    """New profile subjects supported by the observations shown; an empty list when there are none."""

    # Sent to the model as the JSON schema. Validate with `for_observations(labels)`: unknown labels are rejected.
    allowed: ClassVar[frozenset[str] | None] = None

    subjects: list[ProposedSubject] = Field(default_factory=list, description="New subjects, most important first.")

    @model_validator(mode="after")
    def _known_labels(self) -> Self:
        if self.allowed is not None:
            unknown = sorted({o for s in self.subjects for o in s.observations} - self.allowed)
            if unknown:
                raise ValueError(f"unknown observation labels {unknown}; use only the O... labels shown")
        return self

    @classmethod
    def for_observations(cls, labels: Iterable[str]) -> type["SubjectResult"]:
        namespace = {"allowed": frozenset(labels), "__module__": cls.__module__}
        return cast(type[SubjectResult], type(cls.__name__, (cls,), namespace))


class InsightUpdate(BaseModel):
    insight: str = Field(description="Label of the insight, e.g. I2.")
    status: InsightStatus = Field(
        description="updated: the observations add to or change the value; unchanged: they add nothing new; "
        "unknown: they say nothing about this subject."
    )
    value: str | None = Field(
        default=None,
        max_length=MAX_VALUE_CHARS,
        description="Only for updated: the complete new value (not only the change), without the subject or "
        "'the user', in the language of the observations. Where old and new disagree, the more recent wins.",
    )
    observations: list[str] = Field(
        default_factory=list, description="Only for updated: labels (O...) of the observations the value rests on."
    )

    _collapse_value = field_validator("value", mode="before")(_collapse)


class InsightUpdateResult(BaseModel):
    """One entry per insight shown."""

    # Sent to the model as the JSON schema. Validate with `for_items(...)`: only the labels shown are accepted.
    allowed_insights: ClassVar[frozenset[str] | None] = None
    allowed_observations: ClassVar[frozenset[str]] = frozenset()

    updates: list[InsightUpdate] = Field(description="One entry per insight label shown.")

    @model_validator(mode="after")
    def _known_labels(self) -> Self:
        if self.allowed_insights is None:
            return self
        seen: set[str] = set()
        for item in self.updates:
            if item.insight not in self.allowed_insights or item.insight in seen:
                raise ValueError(f"insight {item.insight!r} is not a label shown, or is answered twice")
            seen.add(item.insight)
            unknown = sorted(set(item.observations) - self.allowed_observations)
            if unknown:
                raise ValueError(f"{item.insight}: unknown observation labels {unknown}; use only the O... shown")
            if item.status == "updated" and not item.value:
                raise ValueError(f"{item.insight}: status updated needs a non-empty value")
        return self

    @classmethod
    def for_items(cls, insights: Sequence[InsightItem], observations: Sequence[ObservationItem]) -> type[Self]:
        namespace = {
            "allowed_insights": frozenset(i.label for i in insights),
            "allowed_observations": frozenset(o.label for o in observations),
            "__module__": cls.__module__,
        }
        return cast(type[Self], type(cls.__name__, (cls,), namespace))


def render_insight(subject: str, value: str, language: Language, user_name: str | None = None) -> str:
    """The insight's memory text: 'job of the user: nurse' / '用户的职业：护士'."""
    if language == "zh":
        return f"{user_name or '用户'}的{subject}：{value}"
    return f"{subject} of {user_name or 'the user'}: {value}"


_SUBJECT_SYSTEM = {
    "en": """You maintain a profile of "the user" for an assistant with a long-term memory. The profile is a \
list of subjects (lasting attributes of the user, such as "job", "home city", "fruit preference", "sister's name", \
"allergies"), each with a value. Below are new observations about the user, each with the date it was said, and the \
subjects the profile already has.
Propose at most {limit} NEW subjects. Each one must:
- be answered by some of the observations: "what is the user's <subject>?" (cite those observations);
- be a lasting trait, preference, relationship or fact of the user's life, not a one-off event or a mood;
- not be in the profile already, not even in other words (if "job" exists, do not propose "occupation");
- be general enough to collect future observations ("fruit preference", not "likes apples");
- be a short noun phrase (at most 60 characters) in the language of the observations.
Propose nothing (an empty list) when no observation fits.
Example answer: {{"subjects":[{{"subject":"fruit preference","observations":["O2","O5"]}}]}}""",
    "zh": """你为一位有长期记忆的助手维护"用户"的画像。画像由若干主题组成（用户的持久属性，如"职业"、"居住城市"、\
"水果偏好"、"姐姐的名字"、"过敏原"），每个主题有一个值。下面是关于用户的新观察（每条带说出的日期），以及画像中已有的主题。
最多提出 {limit} 个新主题。每个主题必须：
- 能由其中一些观察回答"用户的<主题>是什么？"（列出这些观察的标签）；
- 是持久的特点、喜好、人际关系或生活事实，而不是一次性的事件或心情；
- 画像中还没有，换个说法也不行（已有"职业"就不要再提"工作"）；
- 足够概括，能容纳以后的观察（"水果偏好"，而不是"喜欢苹果"）；
- 是简短的名词短语（中文约 2-6 个字），使用观察的语言。
没有合适的观察时，返回空列表。
示例答案：{{"subjects":[{{"subject":"水果偏好","observations":["O2","O5"]}}]}}""",
}

_UPDATE_SYSTEM = {
    "en": """You keep the profile of "the user" up to date. Each insight (I...) has a subject and its current \
value with the date it was last updated ("no value yet" for a new subject). Under each insight are the labels of \
new observations that may be relevant; the observations are listed with the date each was said.
For each insight answer:
- "updated": the observations add to or change what is known. value = the complete new value: keep what is still \
true, add the new details, and where they disagree the more recent information wins (a later date beats an earlier \
one). observations = the labels the new value rests on.
- "unchanged": the observations add nothing new to the current value.
- "unknown": the observations say nothing about this subject (a new subject then stays empty).
The value is short (under 300 characters), only the value itself ("nurse at Ruijin Hospital", not "The user's job \
is ..."), in the language of the observations, with names copied exactly. Never add what the observations and the \
current value do not say.
Example: current "likes apples and pears"; observation (later) "The user no longer likes apples and now prefers \
mangoes" -> {{"updates":[{{"insight":"I1","status":"updated","value":"prefers mangoes; likes pears",\
"observations":["O3"]}},{{"insight":"I2","status":"unchanged"}}]}}""",
    "zh": """你负责让"用户"的画像保持最新。每条画像（I...）有一个主题和当前的值，并标有最后更新日期\
（新主题显示"暂无"）。每条画像下列出可能相关的新观察的标签；观察单独列出，每条带说出的日期。
对每条画像回答：
- "updated"：观察补充或改变了已知信息。value = 完整的新值：保留仍然成立的内容，加入新的细节，冲突时以更新的\
信息为准（日期晚的胜过日期早的）。observations = 新值所依据的观察标签。
- "unchanged"：观察没有给当前的值带来新信息。
- "unknown"：观察与该主题无关（新主题则保持为空）。
值要简短（300 字以内），只写值本身（"瑞金医院的护士"，而不是"用户的职业是……"），使用观察的语言，人名地名照抄。\
不要添加观察和当前值中没有的内容。
示例：当前值"喜欢苹果和梨"；较晚的观察"用户不再喜欢苹果，现在更喜欢芒果" -> {{"updates":[{{"insight":"I1",\
"status":"updated","value":"更喜欢芒果；喜欢梨","observations":["O3"]}},{{"insight":"I2","status":"unchanged"}}]}}""",
}

_TEXT: dict[Language, dict[str, str]] = {
    "en": {
        "existing": "Subjects already in the profile:",
        "none": "(none)",
        "observations": "New observations, oldest first:",
        "insights": "Insights:",
        "said": "said",
        "updated": "updated",
        "no_value": "no value yet",
        "relevant": "observations",
    },
    "zh": {
        "existing": "画像中已有的主题：",
        "none": "（无）",
        "observations": "新观察，按时间先后：",
        "insights": "画像：",
        "said": "说于",
        "updated": "更新于",
        "no_value": "暂无",
        "relevant": "观察",
    },
}


def _observation_lines(observations: Sequence[ObservationItem], language: Language) -> list[str]:
    text = _TEXT[language]
    lines = [text["observations"]]
    lines += [
        f"{o.label} ({text['said']} {day(o.said_at, language)}): {clip(o.content, MAX_OBSERVATION_CHARS)}"
        for o in observations
    ]
    return lines


def subject_messages(
    observations: Sequence[ObservationItem], existing_subjects: Sequence[str], language: Language, limit: int
) -> list[ChatMessage]:
    """Call 1 of reflection: propose new subjects that the observations answer."""
    text = _TEXT[language]
    existing = "; ".join(existing_subjects) if existing_subjects else text["none"]
    lines = [f"{text['existing']} {existing}", "", *_observation_lines(observations, language)]
    return [
        ChatMessage(role="system", content=_SUBJECT_SYSTEM[language].format(limit=limit)),
        ChatMessage(role="user", content="\n".join(lines)),
    ]


def _insight_line(item: InsightItem, language: Language) -> str:
    text = _TEXT[language]
    if item.value is None or item.updated_at is None:
        current = text["no_value"]
    else:
        current = f"{clip(item.value, MAX_VALUE_CHARS)} ({text['updated']} {day(item.updated_at, language)})"
    return f"{item.label} [{item.subject}]: {current}\n    {text['relevant']}: {', '.join(item.observations)}"


def insight_update_messages(
    insights: Sequence[InsightItem], observations: Sequence[ObservationItem], language: Language
) -> list[ChatMessage]:
    """Call 2 of reflection: the new value of every insight shown, from the observations listed under it."""
    lines = [_TEXT[language]["insights"], *(_insight_line(i, language) for i in insights), ""]
    lines += _observation_lines(observations, language)
    return [
        ChatMessage(role="system", content=_UPDATE_SYSTEM[language]),
        ChatMessage(role="user", content="\n".join(lines)),
    ]
