"""Consolidation, Chinese conversations (MemoryScope's simple_usages_zh scenario).

The test embedder hashes CJK characters and bigrams, so similar Chinese sentences score lower than English ones:
these tests use a lower neighbour threshold."""

from datetime import UTC, datetime

from mnemoscope.domain.time_range import TimeRange
from tests.fakes.scripted_chat_model import ScriptedChatModel, as_json
from tests.fakes.world import World
from tests.unit.consolidation.conftest import all_new, decisions, extraction, fact


def test_chinese_chit_chat_is_filtered_with_the_chinese_prompt(world: World) -> None:
    # Given small talk in Chinese
    world.say(("m1", "user", "你好呀，今天天气怎么样？"), ("a1", "assistant", "今天晴天，适合出门。"))
    model = ScriptedChatModel([as_json(extraction(("m1", 0, [])))])

    # When
    report = world.consolidation_zh(model).run(world.scope)

    # Then the Chinese prompt was used, with a Chinese weekday, and nothing was stored
    system, user = model.requests[0][0].content, model.user_prompts[0]
    assert "规则" in system
    assert "[m1] USER 2024-08-02T15:00:00+08:00 (星期五)" in user
    assert "ASSISTANT: 今天晴天" in user
    assert world.memories() == [] and report.watermark == 2 and model.calls == ["ExtractionResult"]


def test_chinese_facts_keep_the_language_and_names_and_get_absolute_times(world: World) -> None:
    # Given "next week" said on Friday 2024-08-02
    world.say(("m1", "user", "我下周要去杭州出差，帮我记一下。"), ("m2", "user", "我女儿叫小雨，每年4月28日过生日。"))
    answer = extraction(
        (
            "m1",
            3,
            [
                fact(
                    "用户下周要去杭州出差。",
                    "杭州",
                    "出差",
                    event_start="2024-08-05T00:00:00+08:00",
                    event_end="2024-08-12T00:00:00+08:00",
                )
            ],
        ),
        (
            "m2",
            3,
            [
                fact("用户的女儿叫小雨。", "女儿", "小雨"),
                fact(
                    "用户的女儿小雨每年4月28日过生日。",
                    "生日",
                    event_start="2025-04-28T00:00:00+08:00",
                    event_end="2025-04-29T00:00:00+08:00",
                    recurrence="yearly",
                ),
            ],
        ),
    )
    model = ScriptedChatModel([as_json(answer), all_new])

    # When
    report = world.consolidation_zh(model).run(world.scope)

    # Then
    assert report.stored == 3
    by_content = {m.content: m for m in world.memories()}
    assert by_content["用户下周要去杭州出差。"].event_time == TimeRange(
        start=datetime(2024, 8, 4, 16, tzinfo=UTC), end=datetime(2024, 8, 11, 16, tzinfo=UTC)
    )
    birthday = by_content["用户的女儿小雨每年4月28日过生日。"].event_time
    assert birthday is not None and birthday.recurrence == "yearly"
    assert by_content["用户的女儿叫小雨。"].keywords == ("女儿", "小雨")
    # Two facts from one message get different, deterministic ids
    assert len({m.id for m in world.memories()}) == 3


def test_chinese_fictional_micro_drama_is_ignored(world: World) -> None:
    world.say(("m1", "user", "我们来演一出短剧：我是一位被流放的公主，住在海底城堡里。"))
    model = ScriptedChatModel([as_json(extraction(("m1", 1, [])))])

    report = world.consolidation_zh(model).run(world.scope)

    assert world.memories() == [] and report.watermark == 1


def test_chinese_job_change_supersedes_the_old_job(world: World) -> None:
    # Given 用户在腾讯工作
    world.say(("m1", "user", "我在腾讯工作，是一名工程师。"))
    world.consolidation_zh(ScriptedChatModel([as_json(extraction(("m1", 3, [fact("用户在腾讯工作。", "腾讯")])))])).run(
        world.scope
    )
    [old] = world.memories()

    # When the user changes job a week later
    world.say(("m2", "user", "我跳槽了，现在在阿里巴巴工作。"), start=datetime(2024, 8, 9, 2, tzinfo=UTC))
    model = ScriptedChatModel(
        [
            as_json(extraction(("m2", 3, [fact("用户在阿里巴巴工作。", "阿里巴巴")]))),
            as_json(decisions(("F1", "contradicts", "M1"))),
        ]
    )
    report = world.consolidation_zh(model).run(world.scope)

    # Then
    assert "新事实及相似项" in model.user_prompts[1]
    assert "M1 (说于 2024-08-02 星期五): 用户在腾讯工作。" in model.user_prompts[1]
    [new] = world.valid()
    assert new.content == "用户在阿里巴巴工作。"
    stored_old = world.index.get(world.scope, old.id)
    assert stored_old is not None and stored_old.status == "expired" and stored_old.superseded_by == new.id
    assert report.superseded == 1


def test_chinese_repeat_merges_sources(world: World) -> None:
    world.say(("m1", "user", "我喜欢吃西瓜。"))
    world.consolidation_zh(ScriptedChatModel([as_json(extraction(("m1", 3, [fact("用户喜欢吃西瓜。")])))])).run(
        world.scope
    )
    world.say(("m2", "user", "夏天我最爱西瓜了。"), start=datetime(2024, 8, 3, tzinfo=UTC))
    model = ScriptedChatModel(
        [
            as_json(extraction(("m2", 3, [fact("用户喜欢吃西瓜。")]))),
            as_json(decisions(("F1", "repeat", "M1"))),
        ]
    )

    report = world.consolidation_zh(model).run(world.scope)

    [memory] = world.memories()
    assert memory.source_message_ids == ("m1", "m2") and report.repeats == 1
