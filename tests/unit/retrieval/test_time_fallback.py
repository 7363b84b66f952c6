"""The LLM time fallback validates the model's answer and never fails a search."""

from datetime import UTC, datetime

from mnemoscope.domain.errors import DependencyUnavailable
from mnemoscope.services.time_fallback import ChatModelTimeExtractor
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json

NOW = datetime(2024, 8, 14, 12, tzinfo=UTC)


def test_a_valid_range_is_returned_in_nows_timezone() -> None:
    model = ScriptedChatModel([as_json({"start": "2024-07-15T00:00:00+08:00", "end": "2024-08-14T00:00:00+08:00"})])
    found = ChatModelTimeExtractor(model).extract("what did I do recently", NOW)
    assert found is not None
    assert (found.start, found.end) == (datetime(2024, 7, 14, 16, tzinfo=UTC), datetime(2024, 8, 13, 16, tzinfo=UTC))
    assert "2024-08-14T12:00:00+0000 (Wednesday)" in model.user_prompts[0]


def test_no_range_backwards_range_garbage_or_outage_give_none() -> None:
    answers = [
        as_json({"start": None, "end": None}),
        as_json({"start": "2024-08-14T00:00:00+00:00", "end": "2024-08-01T00:00:00+00:00"}),
        "not json",
        "still not json",  # the repair attempt fails too
    ]
    model = ScriptedChatModel(answers)
    extractor = ChatModelTimeExtractor(model)
    assert extractor.extract("q", NOW) is None
    assert extractor.extract("q", NOW) is None
    assert extractor.extract("q", NOW) is None
    down = ScriptedChatModel([DependencyUnavailable("down")], max_retries=0)
    assert ChatModelTimeExtractor(down).extract("q", NOW) is None
