"""Reflection in Chinese (MemoryScope's simple_usages_zh scenario): the Chinese prompts, Chinese subjects and the
'用户的<主题>：<值>' rendering. The hashing embedder scores similar Chinese sentences lower: lower thresholds."""

from mnemoscope.domain.memory import InsightRevision
from tests.fakes.scripted_chat_model import ScriptedChatModel
from tests.fakes.world import World
from tests.unit.reflection.conftest import NOW, day, pairs, subjects, updates

JOB = "用户是阿里巴巴的软件工程师。"
APPLES = "用户喜欢吃苹果。"
WATERMELON = "用户夏天喜欢吃西瓜。"
CAT = "用户养了一只叫咪咪的猫。"
CITY = "用户住在杭州。"
COCONUTS = "用户不喜欢椰子。"
MANGOES = "用户现在更喜欢芒果，不太喜欢苹果了。"


def test_chinese_observations_give_chinese_insights(world: World) -> None:
    # Given six unreflected Chinese observations
    ids = {t: world.observe(t, day(1 + i)).id for i, t in enumerate([JOB, APPLES, CAT, WATERMELON, CITY, COCONUTS])}
    model = ScriptedChatModel(
        [
            subjects(("职业", [JOB]), ("水果偏好", [APPLES, WATERMELON, COCONUTS])),
            updates(
                ("职业", "updated", "阿里巴巴的软件工程师", [JOB]),
                ("水果偏好", "updated", "喜欢苹果和西瓜；不喜欢椰子", [APPLES, WATERMELON, COCONUTS]),
            ),
        ]
    )

    # When
    report = world.reflection(model, insight_min_similarity=0.3).run(world.scope)

    # Then both prompts are Chinese, with Chinese weekdays
    assert model.calls == ["SubjectResult", "InsightUpdateResult"]
    assert "维护" in model.requests[0][0].content
    assert "画像中已有的主题： （无）" in model.user_prompts[0]
    assert f"O1 (说于 2024-08-01 星期四): {JOB}" in model.user_prompts[0]
    assert "I1 [职业]: 暂无" in model.user_prompts[1]
    # And the insights are rendered the Chinese way, with their lineage
    insights = world.insights()
    assert insights["职业"].content == "用户的职业：阿里巴巴的软件工程师"
    assert insights["水果偏好"].content == "用户的水果偏好：喜欢苹果和西瓜；不喜欢椰子"
    assert insights["水果偏好"].source_memory_ids == (ids[APPLES], ids[WATERMELON], ids[COCONUTS])
    assert report.subjects_added == 2


def test_a_changed_chinese_fruit_preference_keeps_the_old_value_as_history(world: World) -> None:
    # Given
    apples = world.observe(APPLES, day(1), reflected=True, used_in_insight=True, reconsolidated=True)
    world.insight("水果偏好", "喜欢苹果", day(1), sources=[apples.id])
    mangoes = world.observe(MANGOES, day(9))
    model = ScriptedChatModel([updates(("水果偏好", "updated", "更喜欢芒果", [MANGOES]))])

    # When
    world.reflection(model).run(world.scope)

    # Then
    assert "I1 [水果偏好]: 喜欢苹果 (更新于 2024-08-01 星期四)" in model.user_prompts[0]
    assert f"O1 (说于 2024-08-09 星期五): {MANGOES}" in model.user_prompts[0]
    fruit = world.insights()["水果偏好"]
    assert fruit.content == "用户的水果偏好：更喜欢芒果"
    assert fruit.history == (InsightRevision(value="喜欢苹果", replaced_at=NOW),)
    assert fruit.source_memory_ids == (apples.id, mangoes.id)


def test_a_chinese_job_change_across_days_supersedes_the_old_job(world: World) -> None:
    # Given an old job and, weeks later, a new one
    old = world.observe("用户在面包店工作。", day(1, month=7), reflected=True, reconsolidated=True)
    new = world.observe("用户在医院工作。", day(9), reflected=True)
    model = ScriptedChatModel([pairs(("用户在医院工作。", "用户在面包店工作。", "contradicts"))])

    # When
    report = world.reflection(model, min_similarity=0.45).run(world.scope)

    # Then the Chinese prompt was used and the old job is history, superseded by the new one
    assert "记忆，按时间先后：" in model.user_prompts[0] and "O2 -> O1" in model.user_prompts[0]
    expired = world.get(old.id)
    assert (expired.status, expired.superseded_by) == ("expired", new.id)
    assert report.superseded == 1
