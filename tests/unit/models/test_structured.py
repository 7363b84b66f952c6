"""The provider-independent parsing policy: JSON extraction and validation messages."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from mnemoscope.adapters.models.structured import OutputInvalid, extract_json, parse_structured, with_schema
from mnemoscope.ports.chat_model import ChatMessage

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4), st.sampled_from(["", "Sure!\n", "```json\n"]))
def test_any_object_is_found_inside_fences_and_prose(obj: dict[str, object], prefix: str) -> None:
    text = f"{prefix}{json.dumps(obj, ensure_ascii=False)}\n```\nHope this helps {{really}}."
    assert extract_json(text) == obj


@pytest.mark.parametrize(
    ("text", "problem"),
    [("no braces at all", "no JSON object"), ('{"a": [1, 2', "truncated"), ("{'a': 1}", "invalid")],
)
def test_unusable_text_is_explained(text: str, problem: str) -> None:
    with pytest.raises(OutputInvalid, match=problem):
        extract_json(text)


def test_braces_inside_strings_do_not_confuse_the_parser() -> None:
    assert extract_json('x {"a": "}{\\"}", "b": 1} y') == {"a": '}{"}', "b": 1}


class Pair(BaseModel):
    left: int
    right: int


def test_validation_errors_name_the_fields() -> None:
    with pytest.raises(OutputInvalid, match=r"right: Field required"):
        parse_structured('{"left": 1}', Pair)


def test_the_schema_is_appended_to_the_system_message() -> None:
    messages = with_schema([ChatMessage(role="system", content="Task."), ChatMessage(role="user", content="x")], Pair)
    assert messages[0].content.startswith("Task.") and '"right"' in messages[0].content
    assert with_schema([ChatMessage(role="user", content="x")], Pair)[0].role == "system"
