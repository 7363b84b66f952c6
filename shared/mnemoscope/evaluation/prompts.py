"""The pinned answer and judge prompts (English). Changing a word changes PROMPTS_VERSION, which every result
file records, so two runs with different prompts are never compared unknowingly."""

import hashlib

ANSWER_SYSTEM = (
    "You answer questions about a long conversation between {a} and {b}. Use only the information given below. "
    "Answer with a short phrase (at most 12 words), not a sentence about the question. When the information "
    "dates an event relative to a message ('last week', 'yesterday'), give the absolute date or period. If the "
    "information does not contain the answer, answer exactly: Not mentioned."
)
ANSWER_WITH_CONTEXT = "{label}:\n{context}\n\nQuestion (asked on {date}): {question}\nShort answer:"
ANSWER_WITHOUT_CONTEXT = "Question (asked on {date}): {question}\nShort answer:"

JUDGE_SYSTEM = (
    "You grade answers to questions about a conversation against a gold answer. Be strict. Label the answer "
    "CORRECT only if it commits to the same fact as the gold answer, specific enough to be checked: a date or "
    "time period must name the same period (a different day, month or year, or a much wider span, is WRONG); a "
    "name, number, place or thing must be the same one. Extra correct detail is fine. Vague answers, hedges, "
    "answers listing several options, 'not mentioned' (unless the gold answer says so) and answers about "
    "something else are WRONG. Reply with JSON only: "
    '{"reasoning": "<one sentence>", "label": "CORRECT" or "WRONG"}.'
)
JUDGE_USER = "Grade this answer.\nQuestion: {question}\nGold answer: {gold}\nAnswer to grade: {answer}"

PROMPTS_VERSION = hashlib.sha256(
    "\x00".join((ANSWER_SYSTEM, ANSWER_WITH_CONTEXT, ANSWER_WITHOUT_CONTEXT, JUDGE_SYSTEM, JUDGE_USER)).encode()
).hexdigest()[:12]
