"""A tiny conversation in LoCoMo's JSON format, written for these tests (no LoCoMo content: its licence is NC).

Ana tells her job in session 1 (the fake consolidation model turns 'I work as a <job>' said by the scope's user
into a fact), Ben his; the dog is never a fact. Question 4 is adversarial (category 5)."""

from typing import Any

SESSION_1 = "2:00 pm on 3 March, 2024"
SESSION_2 = "10:15 am on 9 April, 2024"


def locomo_sample() -> list[dict[str, Any]]:
    return [
        {
            "sample_id": "syn-1",
            "conversation": {
                "speaker_a": "Ana",
                "speaker_b": "Ben",
                "session_1_date_time": SESSION_1,
                "session_1": [
                    {"speaker": "Ana", "dia_id": "D1:1", "text": "Hi Ben! I work as a baker."},
                    {"speaker": "Ben", "dia_id": "D1:2", "text": "Great! I work as a pilot."},
                    {"speaker": "Ana", "dia_id": "D1:3", "text": "Last week I adopted a dog named Pixel."},
                    {"speaker": "Ben", "dia_id": "D1:4", "text": "Lovely name.", "blip_caption": "a small dog"},
                ],
                "session_2_date_time": SESSION_2,
                "session_2": [
                    {"speaker": "Ana", "dia_id": "D2:1", "text": "Pixel learned to fetch."},
                    {"speaker": "Ben", "dia_id": "D2:2", "text": "I flew to Lisbon yesterday."},
                ],
                "session_3_date_time": "9:00 am on 1 May, 2024",  # a date without a session: ignored
            },
            "qa": [
                {"question": "What does Ana do for work?", "answer": "baker", "evidence": ["D1:1"], "category": 4},
                {"question": "What is Ben's job?", "answer": "pilot", "evidence": ["D1:2"], "category": 4},
                {
                    "question": "When did Ana adopt her dog?",
                    "answer": "late February 2024",
                    "evidence": ["D:1:3", "D9:99"],
                    "category": 2,
                },
                {"question": "What is the name of Ana's dog?", "answer": "Pixel", "evidence": ["D1:03"], "category": 1},
                {
                    "question": "What did Ben say about Ana's cat?",
                    "adversarial_answer": "nothing",
                    "evidence": ["D1:4"],
                    "category": 5,
                },
            ],
            "observation": {
                "session_1_observation": {
                    "Ana": [["Ana works as a baker.", "D1:1"], ["Ana adopted a dog named Pixel.", "D1:3"]],
                    "Ben": [["Ben works as a pilot.", "D1:2"]],
                },
                "session_2_observation": {
                    "Ana": [["Ana's dog Pixel learned to fetch.", "D2:1"]],
                    "Ben": [["Ben flew to Lisbon.", "D2:2"]],
                },
            },
        }
    ]


# What `answer.transcript` must send to the full-context baseline, written out by hand.
TRANSCRIPT = """[Session 1, 03 March 2024, 14:00]
Ana: Hi Ben! I work as a baker.
Ben: Great! I work as a pilot.
Ana: Last week I adopted a dog named Pixel.
Ben: Lovely name. [shares a photo: a small dog]

[Session 2, 09 April 2024, 10:15]
Ana: Pixel learned to fetch.
Ben: I flew to Lisbon yesterday."""
