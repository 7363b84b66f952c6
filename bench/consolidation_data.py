"""The consolidation benchmark's fixed conversation: 200 turns (100 user + 100 assistant), English and Chinese.

Deterministic (no randomness): jobs of 10 turns alternate English and Chinese; each language has its own facts,
changes (contradictions), repeats, time-relative facts, fiction and chit-chat. Every user turn carries its truth
(score, facts with slot/value and an absolute event time), which the benchmark's scripted model answers from."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

TZ = timezone(timedelta(hours=8))
START = datetime(2024, 8, 1, 9, 0, tzinfo=TZ)  # a Thursday


@dataclass(frozen=True)
class Truth:
    text: str
    score: int
    facts: tuple[dict[str, Any], ...] = ()
    slot: str | None = None
    value: str | None = None
    timed: bool = False


@dataclass
class Turn:
    message_id: str
    role: str
    content: str
    at: datetime
    truth: Truth | None = None
    language: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)


# (kind, slot, value, user text, fact content, keywords); kind: new | change | repeat | time
EN_FACTS = [
    (
        "new",
        "job",
        "tencent",
        "I work at Tencent as a backend engineer.",
        "The user works at Tencent as a backend engineer.",
        ["Tencent", "engineer"],
    ),
    (
        "new",
        "city",
        "shenzhen",
        "I live in Shenzhen with my family.",
        "The user lives in Shenzhen with their family.",
        ["Shenzhen", "family"],
    ),
    ("new", "pet", "mimi", "My cat Mimi keeps stealing my chair.", "The user has a cat named Mimi.", ["cat", "Mimi"]),
    (
        "new",
        "fruit",
        "apples",
        "Apples are my favourite fruit, I eat one every day.",
        "The user's favourite fruit is apples.",
        ["apples", "fruit"],
    ),
    (
        "time",
        "trip",
        "hangzhou",
        "I'm going to Hangzhou on a business trip next week.",
        "The user will go to Hangzhou on a business trip.",
        ["Hangzhou", "business trip"],
    ),
    (
        "new",
        "hobby",
        "hiking",
        "On weekends I love hiking in the hills.",
        "The user loves hiking on weekends.",
        ["hiking", "weekend"],
    ),
    (
        "repeat",
        "pet",
        "mimi",
        "Mimi, my cat, slept on my keyboard again.",
        "The user has a cat named Mimi.",
        ["cat", "Mimi"],
    ),
    (
        "new",
        "allergy",
        "peanuts",
        "Please remember that I'm allergic to peanuts.",
        "The user is allergic to peanuts.",
        ["allergy", "peanuts"],
    ),
    (
        "change",
        "job",
        "alibaba",
        "Big news: I left Tencent and now I'm a product manager at Alibaba.",
        "The user works at Alibaba as a product manager.",
        ["Alibaba", "product manager"],
    ),
    (
        "time",
        "school",
        "daughter",
        "Next month my daughter starts primary school.",
        "The user's daughter starts primary school.",
        ["daughter", "school"],
    ),
    ("new", "car", "tesla", "I drive a Tesla Model 3 to work.", "The user drives a Tesla Model 3.", ["Tesla", "car"]),
    (
        "change",
        "fruit",
        "watermelon",
        "I'm tired of apples; these days I only want watermelon.",
        "The user's favourite fruit is now watermelon.",
        ["watermelon", "fruit"],
    ),
    (
        "repeat",
        "allergy",
        "peanuts",
        "No peanuts for me, remember, I'm allergic.",
        "The user is allergic to peanuts.",
        ["allergy", "peanuts"],
    ),
    (
        "change",
        "city",
        "hangzhou",
        "We finally moved from Shenzhen to Hangzhou.",
        "The user lives in Hangzhou.",
        ["Hangzhou", "moved"],
    ),
    (
        "time",
        "birthday",
        "apr28",
        "My birthday is on April 28, don't forget.",
        "The user's birthday is on April 28.",
        ["birthday"],
    ),
    (
        "new",
        "music",
        "radiohead",
        "Radiohead is the band I listen to the most.",
        "The user's favourite band is Radiohead.",
        ["Radiohead", "music"],
    ),
    (
        "repeat",
        "hobby",
        "hiking",
        "Went hiking again this Sunday, loved it.",
        "The user loves hiking on weekends.",
        ["hiking"],
    ),
    ("change", "car", "byd", "I sold the Tesla and bought a BYD Seal.", "The user drives a BYD Seal.", ["BYD", "car"]),
]
ZH_FACTS = [
    (
        "new",
        "job",
        "bytedance",
        "我在字节跳动做算法工程师。",
        "用户在字节跳动做算法工程师。",
        ["字节跳动", "算法工程师"],
    ),
    ("new", "city", "beijing", "我住在北京海淀区。", "用户住在北京海淀区。", ["北京", "海淀"]),
    ("new", "pet", "wangcai", "我家的狗叫旺财，特别能吃。", "用户养了一只叫旺财的狗。", ["狗", "旺财"]),
    ("new", "food", "hotpot", "我最喜欢吃火锅了。", "用户最喜欢吃火锅。", ["火锅"]),
    ("time", "trip", "chengdu", "下周我要去成都出差。", "用户下周要去成都出差。", ["成都", "出差"]),
    ("new", "sport", "badminton", "我每周三晚上打羽毛球。", "用户每周三晚上打羽毛球。", ["羽毛球"]),
    ("repeat", "pet", "wangcai", "旺财今天又把拖鞋咬坏了。", "用户养了一只叫旺财的狗。", ["狗", "旺财"]),
    ("new", "allergy", "pollen", "记住，我对花粉过敏。", "用户对花粉过敏。", ["花粉", "过敏"]),
    ("change", "job", "meituan", "我从字节跳动离职了，现在在美团做产品。", "用户现在在美团做产品。", ["美团", "产品"]),
    ("time", "exam", "son", "我儿子下个月参加钢琴考级。", "用户的儿子下个月参加钢琴考级。", ["儿子", "钢琴考级"]),
    ("new", "car", "li", "我开的是理想L7。", "用户开理想L7。", ["理想", "汽车"]),
    ("change", "food", "sushi", "最近不爱吃火锅了，改成喜欢寿司。", "用户现在喜欢吃寿司。", ["寿司"]),
    ("repeat", "allergy", "pollen", "春天花粉多，我过敏得厉害。", "用户对花粉过敏。", ["花粉", "过敏"]),
    ("change", "city", "shanghai", "我们全家从北京搬到上海了。", "用户全家搬到了上海。", ["上海", "搬家"]),
    ("time", "birthday", "oct3", "我的生日是10月3日。", "用户的生日是10月3日。", ["生日"]),
    ("new", "music", "jay", "我最喜欢周杰伦的歌。", "用户最喜欢周杰伦的歌。", ["周杰伦", "音乐"]),
    ("repeat", "sport", "badminton", "今晚又去打羽毛球了，周三雷打不动。", "用户每周三晚上打羽毛球。", ["羽毛球"]),
    ("change", "car", "xiaomi", "理想卖了，换了一台小米SU7。", "用户开小米SU7。", ["小米SU7", "汽车"]),
]
CHAT = {
    "en": [
        "Hi there!",
        "How's your day going?",
        "Thanks, that's helpful.",
        "What's the capital of Canada?",
        "Can you explain how photosynthesis works?",
        "Tell me a joke.",
        "Good night!",
        "What does 'serendipity' mean?",
        "Can you summarise the plot of Hamlet?",
        "OK, thanks.",
    ],
    "zh": [
        "你好！",
        "今天过得怎么样？",
        "谢谢，很有帮助。",
        "加拿大的首都是哪里？",
        "光合作用是怎么回事？",
        "给我讲个笑话吧。",
        "晚安！",
        "“塞翁失马”是什么意思？",
        "帮我总结一下《红楼梦》的主要情节。",
        "好的，谢谢。",
    ],
}
FICTION = {
    "en": [
        "Let's write a story: I am a pirate captain sailing to the moon.",
        "Imagine I were a dragon living in a castle. What would I eat?",
    ],
    "zh": ["我们来写个故事：我是一个会飞的魔法师，住在云上。", "假如我是一只猫，我每天会做什么？"],
}
REPLY = {
    "en": [
        "Got it, thanks for telling me!",
        "Sure. " + "Here is a short explanation with a few details. " * 4,
        "Ha! That's a fun one.",
        "Noted. Anything else I can help with?",
    ],
    "zh": [
        "好的，我记住了！",
        "当然。" + "下面是简要的解释，包含一些细节。" * 4,
        "哈哈，这个有意思。",
        "明白了，还有什么需要帮忙的吗？",
    ],
}


BIRTHDAYS = {"apr28": (4, 28), "oct3": (10, 3)}


def _event(slot: str, value: str, said: datetime) -> dict[str, Any]:
    """The absolute time a time-relative fact refers to, computed from the message's own timestamp."""
    day = said.replace(hour=0, minute=0, second=0, microsecond=0)
    if slot == "trip":  # "next week": Monday to Monday after the message's week
        start = day + timedelta(days=7 - day.weekday())
        return {"event_start": start.isoformat(), "event_end": (start + timedelta(days=7)).isoformat()}
    if slot in ("school", "exam"):  # "next month"
        first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        return {"event_start": first.isoformat(), "event_end": after.isoformat()}
    month, dom = BIRTHDAYS[value]
    start = day.replace(month=month, day=dom)
    return {
        "event_start": start.isoformat(),
        "event_end": (start + timedelta(days=1)).isoformat(),
        "recurrence": "yearly",
    }


def _truth(kind: str, slot: str, value: str, text: str, content: str, keywords: list[str], said: datetime) -> Truth:
    times = _event(slot, value, said) if kind == "time" else {}
    fact = {"content": content, "keywords": keywords, **times}
    return Truth(text, 3, (fact,), slot, value, timed=kind == "time")


def conversation() -> list[Turn]:
    """200 turns: 20 jobs of 5 user + 5 assistant turns, two jobs a day, languages alternating per job."""
    turns: list[Turn] = []
    facts = {"en": list(EN_FACTS), "zh": list(ZH_FACTS)}
    fillers = {"en": 0, "zh": 0}
    for job in range(20):
        language = "en" if job % 2 == 0 else "zh"
        day_start = START + timedelta(days=job // 2, hours=(job % 2) * 6)
        for slot_in_job in range(5):
            i = job * 5 + slot_in_job
            said = day_start + timedelta(minutes=6 * slot_in_job)
            # Two facts per job (positions 1 and 3); fiction at position 4 every third job; else chit-chat.
            if slot_in_job in (1, 3) and facts[language]:
                truth = _truth(*facts[language].pop(0), said=said)
            elif slot_in_job == 4 and job % 3 == 0:
                truth = Truth(FICTION[language][(job // 3) % 2], 1)
            else:
                truth = Truth(CHAT[language][fillers[language] % 10], 0)
                fillers[language] += 1
            turns.append(Turn(f"u{i:03d}", "user", truth.text, said, truth, language))
            reply = REPLY[language][i % 4]
            turns.append(Turn(f"a{i:03d}", "assistant", reply, said + timedelta(minutes=1), None, language))
    return turns
