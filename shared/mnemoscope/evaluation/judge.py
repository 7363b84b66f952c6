"""The LLM judge (pinned prompt, JSON verdict) and its stress test: wrong or vague answers made from the gold
answers by fixed rules, which a trustworthy judge rejects. Its false-accept rate is reported beside J."""

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

from mnemoscope.evaluation.dataset import Question
from mnemoscope.evaluation.prompts import JUDGE_SYSTEM, JUDGE_USER
from mnemoscope.evaluation.scoring import tokens
from mnemoscope.ports.chat_model import ChatMessage, ChatModel


class Verdict(BaseModel):
    reasoning: str = ""
    label: Literal["CORRECT", "WRONG"]


def judge(model: ChatModel, question: str, gold: str, answer: str) -> bool:
    messages = [
        ChatMessage(role="system", content=JUDGE_SYSTEM),
        ChatMessage(role="user", content=JUDGE_USER.format(question=question, gold=gold, answer=answer)),
    ]
    return model.generate(messages, Verdict).label == "CORRECT"


VAGUE = "It came up at some point in their conversations."
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _shift_digits(text: str) -> str:
    return re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), text)


def stress_answers(question: Question, others: Sequence[Question]) -> dict[str, str]:
    """Rule name -> a wrong answer built from `question`'s gold answer (rules that would not change it are left
    out). `others` are the other questions of the same conversation, for the 'another question's answer' rule."""
    gold = question.answer
    out = {"vague": VAGUE}
    if re.search(r"\d", gold):
        out["shifted_numbers"] = _shift_digits(gold)
    year = _YEAR.search(gold)
    if year and tokens(gold) != [year.group()]:
        out["year_only"] = f"Sometime in {year.group()}."
    mine = set(tokens(gold))
    other = next((o.answer for o in others if o.id != question.id and mine.isdisjoint(tokens(o.answer))), None)
    if other:
        out["other_answer"] = other
    return {rule: answer for rule, answer in out.items() if tokens(answer) != tokens(gold)}
