"""Conversations, questions and observations from LoCoMo's JSON (or LongMemEval's, when a user supplies it).

LoCoMo quirks handled here (the same as bench/locomo_recall.py): session dates like '1:56 pm on 8 May, 2023'
(read as UTC), evidence ids written as 'D8:6; D9:17', 'D:11:26' or 'D30:05', ids that name no turn (dropped), and
category 5 (adversarial: the answer is not in the conversation) whose gold answer is `adversarial_answer`."""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ADVERSARIAL = "cat5"


@dataclass(frozen=True)
class Turn:
    id: str
    speaker: str
    text: str
    time: datetime


@dataclass(frozen=True)
class Session:
    number: int
    time: datetime
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    question: str
    answer: str
    evidence: tuple[str, ...]
    at: datetime


@dataclass(frozen=True)
class Observation:
    """A fact LoCoMo's authors extracted per session and speaker, with the turns it rests on."""

    speaker: str
    text: str
    evidence: tuple[str, ...]
    time: datetime


@dataclass(frozen=True)
class Conversation:
    id: str
    speakers: tuple[str, str]
    sessions: tuple[Session, ...]
    questions: tuple[Question, ...]
    observations: tuple[Observation, ...] = ()
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def turns(self) -> list[Turn]:
        return [t for s in self.sessions for t in s.turns]


def locomo_time(text: str) -> datetime:
    """'1:56 pm on 8 May, 2023' -> an aware datetime (UTC)."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def clean_evidence(raw: list[str] | str) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    out: list[str] = []
    for item in items:
        for part in re.split(r"[;,\s]+", str(item)):
            match = re.fullmatch(r"D:?(\d+):0*(\d+)", part.strip())
            if match:
                out.append(f"D{int(match.group(1))}:{int(match.group(2))}")
    return out


def load(path: Path, limit: int = 0) -> list[Conversation]:
    """LoCoMo or LongMemEval, told apart by their fields; `limit` keeps the first N conversations."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty JSON list of conversations")
    loader = _longmemeval if "haystack_sessions" in data[0] else _locomo
    items = data[:limit] if limit else data
    return [loader(n, item) for n, item in enumerate(items)]


def _locomo(n: int, sample: dict[str, Any]) -> Conversation:
    conv = sample["conversation"]
    numbers = sorted(
        int(m.group(1))
        for key in conv
        if (m := re.fullmatch(r"session_(\d+)", key)) and isinstance(conv[key], list) and conv[key]
    )
    sessions: list[Session] = []
    for number in numbers:
        when = locomo_time(conv[f"session_{number}_date_time"])
        turns = []
        for raw in conv[f"session_{number}"]:
            text = str(raw["text"])
            if raw.get("blip_caption"):
                text += f" [shares a photo: {raw['blip_caption']}]"
            turns.append(Turn(str(raw["dia_id"]), str(raw["speaker"]), text, when))
        sessions.append(Session(number, when, tuple(turns)))
    known = {t.id for s in sessions for t in s.turns}
    last = max(s.time for s in sessions)
    # LoCoMo questions carry no date: they are asked the day after the last session.
    at = (last + timedelta(days=1)).replace(hour=12, minute=0)
    stats = {"evidence_ids_dropped": 0}
    questions = []
    for q, qa in enumerate(sample["qa"]):
        cleaned = clean_evidence(qa.get("evidence", []))
        evidence = tuple(dict.fromkeys(e for e in cleaned if e in known))
        stats["evidence_ids_dropped"] += len(set(cleaned)) - len(evidence)
        answer = qa.get("answer", qa.get("adversarial_answer", ""))
        category = f"cat{qa['category']}"
        questions.append(Question(f"q{q}", category, str(qa["question"]), str(answer), evidence, at))
    observations = []
    times = {s.number: s.time for s in sessions}
    for key, by_speaker in sorted(sample.get("observation", {}).items()):
        match = re.fullmatch(r"session_(\d+)_observation", key)
        if not match or int(match.group(1)) not in times:
            continue
        for speaker, items in by_speaker.items():
            for item in items:
                text, raw_evidence = (item[0], item[1]) if isinstance(item, list) else (str(item), [])
                evidence = tuple(e for e in clean_evidence(raw_evidence) if e in known)
                observations.append(Observation(speaker, str(text), evidence, times[int(match.group(1))]))
    speakers = (str(conv["speaker_a"]), str(conv["speaker_b"]))
    cid = str(sample.get("sample_id", f"conv-{n}"))
    return Conversation(cid, speakers, tuple(sessions), tuple(questions), tuple(observations), stats)


def longmemeval_time(text: str) -> datetime:
    """'2023/05/20 (Sat) 02:21' -> an aware datetime (UTC)."""
    return datetime.strptime(re.sub(r"\s*\(\w+\)\s*", " ", text.strip()), "%Y/%m/%d %H:%M").replace(tzinfo=UTC)


def _longmemeval(n: int, item: dict[str, Any]) -> Conversation:
    """One LongMemEval question = one conversation of user/assistant sessions; abstention questions ('_abs')
    are reported like LoCoMo's adversarial category."""
    sessions = []
    ids = item.get("haystack_session_ids") or [f"s{s}" for s in range(len(item["haystack_sessions"]))]
    for s, (raw_time, turns) in enumerate(zip(item["haystack_dates"], item["haystack_sessions"], strict=True)):
        when = longmemeval_time(raw_time)
        sid = ids[s]
        parsed = tuple(
            Turn(f"{sid}:{t}", str(turn["role"]), str(turn["content"]), when) for t, turn in enumerate(turns)
        )
        sessions.append(Session(s + 1, when, parsed))
    qid = str(item["question_id"])
    category = ADVERSARIAL if qid.endswith("_abs") else str(item["question_type"])
    evidence = tuple(t.id for s in sessions for t, raw in zip(s.turns, _raw(item, s), strict=True) if raw)
    question = Question(
        qid, category, str(item["question"]), str(item["answer"]), evidence, longmemeval_time(item["question_date"])
    )
    return Conversation(f"lme-{n}-{qid}", ("user", "assistant"), tuple(sessions), (question,))


def _raw(item: dict[str, Any], session: Session) -> list[bool]:
    return [bool(t.get("has_answer")) for t in item["haystack_sessions"][session.number - 1]]
