"""The MemoryIndex contract: every adapter runs these through a `memory_index` fixture (fresh, empty, DIM=8)."""

from datetime import UTC, datetime

import pytest

from mnemoscope.ports.memory_index import ANY, IndexEntry, MemoryFilter, MemoryIndex
from tests.contracts.builders import entry, memory, scope, unit_vector


class MemoryIndexContract:
    """Search may be eventually consistent (OpenSearch); get/list/delete may not. `settle` waits for search."""

    def settle(self) -> None:
        """Wait until writes are searchable; adapters whose search reads its own writes keep this no-op."""

    def test_upsert_then_get_round_trips_every_field(self, memory_index: MemoryIndex) -> None:
        # Given
        from mnemoscope.domain.time_range import TimeRange

        when = TimeRange(start=datetime(2024, 8, 5, tzinfo=UTC), end=datetime(2024, 8, 12, tzinfo=UTC))
        node = memory("a1", "Alice works at a bakery", event_time=when).model_copy(
            update={"key": "job", "value": "baker", "source_memory_ids": ("o1", "o2"), "reflected": True}
        )
        # When
        memory_index.upsert([entry(node, 1.0)])
        # Then
        assert memory_index.get(scope(), "a1") == node

    def test_get_from_another_scope_is_none(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory("a1", "Alice likes tea"), 1.0)])
        assert memory_index.get(scope("bob"), "a1") is None
        assert memory_index.get(scope(tenant="t2"), "a1") is None
        assert memory_index.get(scope(agent="other"), "a1") is None
        assert memory_index.get(scope(), "nope") is None

    def test_upsert_replaces_by_id(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory("a1", "first"), 1.0)])
        memory_index.upsert([entry(memory("a1", "second"), 0.0, 1.0)])
        assert memory_index.get(scope(), "a1").content == "second"  # type: ignore[union-attr]
        self.settle()
        hits = memory_index.vector_search(scope(), unit_vector(0.0, 1.0), k=5)
        assert [h.node.id for h in hits] == ["a1"]
        assert hits[0].score == pytest.approx(1.0, abs=1e-3)

    def test_upsert_without_vector_keeps_the_stored_vector(self, memory_index: MemoryIndex) -> None:
        node = memory("a1", "Alice likes tea")
        memory_index.upsert([entry(node, 0.0, 1.0)])
        memory_index.upsert([IndexEntry(node=node.expire("a2", node.updated_at), vector=None)])
        self.settle()
        hits = memory_index.vector_search(scope(), unit_vector(0.0, 1.0), k=5, memory_filter=ANY)
        assert [(h.node.id, h.node.status) for h in hits] == [("a1", "expired")]

    def test_get_many(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory(f"a{i}", f"fact {i}"), 1.0) for i in range(3)])
        memory_index.upsert([entry(memory("b1", "bob fact", scope("bob")), 1.0)])
        found = memory_index.get_many(scope(), ["a2", "a0", "b1", "zz"])
        assert sorted(n.id for n in found) == ["a0", "a2"]

    def test_vector_search_orders_by_cosine_and_stays_in_scope(self, memory_index: MemoryIndex) -> None:
        # Given
        memory_index.upsert(
            [
                entry(memory("near", "near"), 1.0, 0.1),
                entry(memory("mid", "mid"), 1.0, 1.0),
                entry(memory("far", "far"), 0.0, 1.0),
                entry(memory("bob", "bob", scope("bob")), 1.0, 0.0),
                entry(memory("t2", "other tenant", scope(tenant="t2")), 1.0, 0.0),
            ]
        )
        # When
        self.settle()
        hits = memory_index.vector_search(scope(), unit_vector(1.0, 0.0), k=10)
        # Then
        assert [h.node.id for h in hits] == ["near", "mid", "far"]
        assert hits[0].score > hits[1].score > hits[2].score
        assert hits[0].score == pytest.approx(0.995, abs=0.01)
        assert len(memory_index.vector_search(scope(), unit_vector(1.0), k=2)) == 2

    def test_vector_search_filters_type_status_and_flags(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("obs", "o", kind="observation"), 1.0),
                entry(memory("ins", "i", kind="insight"), 1.0),
                entry(memory("cus", "c", kind="custom"), 1.0),
                entry(memory("old", "x", status="expired"), 1.0),
                entry(memory("done", "d", reflected=True), 1.0),
            ]
        )
        q = unit_vector(1.0)
        self.settle()
        default = {h.node.id for h in memory_index.vector_search(scope(), q, k=10)}
        assert default == {"obs", "ins", "cus", "done"}
        insights = memory_index.vector_search(
            scope(), q, k=10, memory_filter=MemoryFilter(types=frozenset({"insight"}))
        )
        assert [h.node.id for h in insights] == ["ins"]
        everything = memory_index.vector_search(scope(), q, k=10, memory_filter=ANY)
        assert {h.node.id for h in everything} == default | {"old"}
        expired = MemoryFilter(statuses=frozenset({"expired"}))
        assert [h.node.id for h in memory_index.vector_search(scope(), q, k=10, memory_filter=expired)] == ["old"]
        unreflected = MemoryFilter(types=frozenset({"observation"}), reflected=False)
        assert [h.node.id for h in memory_index.vector_search(scope(), q, k=10, memory_filter=unreflected)] == ["obs"]

    def test_filtered_vector_search_finds_rare_matches(self, memory_index: MemoryIndex) -> None:
        # Many close but filtered-out memories must not crowd out the one that matches the filter.
        memory_index.upsert([entry(memory(f"o{i}", f"obs {i}"), 1.0, 0.01 * i) for i in range(60)])
        memory_index.upsert([entry(memory("ins", "insight", kind="insight"), 0.0, 1.0)])
        self.settle()
        hits = memory_index.vector_search(
            scope(), unit_vector(1.0), k=3, memory_filter=MemoryFilter(types=frozenset({"insight"}))
        )
        assert [h.node.id for h in hits] == ["ins"]

    def test_keyword_search_matches_words_in_scope(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("tea", "Alice drinks green tea every morning"), 1.0),
                entry(memory("job", "Alice works as a nurse in Berlin"), 1.0),
                entry(memory("bob", "Bob drinks tea", scope("bob")), 1.0),
            ]
        )
        self.settle()
        hits = memory_index.keyword_search(scope(), "tea", k=5)
        assert [h.node.id for h in hits] == ["tea"]
        assert hits[0].score > 0
        assert [h.node.id for h in memory_index.keyword_search(scope(), "Berlin nurse?", k=5)] == ["job"]
        assert memory_index.keyword_search(scope(), "volcano", k=5) == []

    def test_keyword_search_ranks_more_matching_terms_higher(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("one", "Alice has a cat"), 1.0),
                entry(memory("two", "Alice has a black cat named Miso"), 1.0),
                entry(memory("none", "Alice likes hiking"), 1.0),
            ]
        )
        self.settle()
        hits = memory_index.keyword_search(scope(), "black cat Miso", k=5)
        assert [h.node.id for h in hits][:2] == ["two", "one"]

    def test_keyword_search_finds_chinese_words(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("zh1", "用户下周要去杭州出差"), 1.0),
                entry(memory("zh2", "用户喜欢喝绿茶"), 1.0),
            ]
        )
        self.settle()
        assert [h.node.id for h in memory_index.keyword_search(scope(), "杭州", k=5)] == ["zh1"]
        assert [h.node.id for h in memory_index.keyword_search(scope(), "他喜欢喝什么茶", k=5)][:1] == ["zh2"]

    def test_keyword_search_respects_filters(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("v", "likes apples"), 1.0),
                entry(memory("x", "likes apples a lot", status="expired"), 1.0),
                entry(memory("i", "apples insight", kind="insight"), 1.0),
            ]
        )
        self.settle()
        assert {h.node.id for h in memory_index.keyword_search(scope(), "apples", k=5)} == {"v", "i"}
        only_obs = MemoryFilter(types=frozenset({"observation"}))
        assert [h.node.id for h in memory_index.keyword_search(scope(), "apples", 5, only_obs)] == ["v"]

    def test_keyword_search_tolerates_query_syntax(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory("q", 'Alice said "hello" (AND) OR NOT*'), 1.0)])
        self.settle()
        for query in ['"hello"', "AND OR NOT", "(*)", "hello:world", "   ", "-", "NEAR(a b)"]:
            memory_index.keyword_search(scope(), query, k=5)  # must not raise

    def test_hybrid_search_answers_both_lists_like_the_two_searches(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("tea", "Alice drinks green tea every morning"), 1.0, 0.2),
                entry(memory("cat", "Alice has a black cat named Miso"), 0.1, 1.0),
                entry(memory("old", "Alice drank black tea", status="expired"), 1.0, 0.0),
                entry(memory("ins", "Alice likes tea", kind="insight"), 0.9, 0.3),
                entry(memory("bob", "Bob drinks tea", scope("bob")), 1.0, 0.0),
            ]
        )
        self.settle()
        q = unit_vector(1.0, 0.0)
        for memory_filter in (MemoryFilter(), ANY, MemoryFilter(types=frozenset({"observation"}))):
            both = memory_index.hybrid_search(scope(), q, "black tea", 10, memory_filter)
            assert [(h.node, h.score) for h in both.vector] == [
                (h.node, h.score) for h in memory_index.vector_search(scope(), q, 10, memory_filter)
            ]
            assert [(h.node, h.score) for h in both.keyword] == [
                (h.node, h.score) for h in memory_index.keyword_search(scope(), "black tea", 10, memory_filter)
            ]
        both = memory_index.hybrid_search(scope(), q, "black tea", 10)
        assert {h.node.id for h in both.vector} == {"tea", "cat", "ins"}  # valid memories of this scope only
        assert {h.node.id for h in both.keyword} == {"tea", "cat", "ins"}
        assert [h.node.id for h in memory_index.hybrid_search(scope(), q, "black tea", 1).vector] == ["tea"]

    def test_hybrid_search_with_nothing_to_match(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory("a", "Alice likes hiking"), 1.0)])
        self.settle()
        both = memory_index.hybrid_search(scope(), unit_vector(1.0), "   ", 5)
        assert [h.node.id for h in both.vector] == ["a"] and both.keyword == []
        assert memory_index.hybrid_search(scope("nobody"), unit_vector(1.0), "hiking", 5).vector == []
        deleted = memory_index.delete(scope(), "a")
        assert deleted
        self.settle()
        after = memory_index.hybrid_search(scope(), unit_vector(1.0), "hiking", 5)
        assert after.vector == [] and after.keyword == []

    def test_list_is_newest_first_and_pages_with_cursor(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory(f"m{i:02d}", f"fact {i}", minutes=i), 1.0) for i in range(7)])
        memory_index.upsert([entry(memory("tie", "same time as m03", minutes=3), 1.0)])
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            page = memory_index.list(scope(), limit=3, cursor=cursor)
            seen += [n.id for n in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == ["m06", "m05", "m04", "tie", "m03", "m02", "m01", "m00"]

    def test_list_filters_and_scope(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert(
            [
                entry(memory("o", "o", kind="observation"), 1.0),
                entry(memory("e", "e", status="expired", minutes=1), 1.0),
                entry(memory("i", "i", kind="insight", minutes=2), 1.0),
                entry(memory("b", "b", scope("bob")), 1.0),
            ]
        )
        assert [n.id for n in memory_index.list(scope()).items] == ["i", "e", "o"]
        valid = memory_index.list(scope(), MemoryFilter())
        assert [n.id for n in valid.items] == ["i", "o"]
        expired = memory_index.list(scope(), MemoryFilter(statuses=frozenset({"expired"})))
        assert [n.id for n in expired.items] == ["e"]
        assert memory_index.list(scope("nobody")).items == ()
        assert memory_index.list(scope("nobody")).next_cursor is None

    def test_delete_one(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory("a1", "alice fact"), 1.0), entry(memory("a1", "bob", scope("bob")), 1.0)])
        self.settle()  # searchable first, so the search below meets a projection that may still show it
        assert memory_index.delete(scope("bob"), "a1") is True
        assert memory_index.delete(scope("bob"), "a1") is False
        assert memory_index.get(scope(), "a1") is not None
        assert memory_index.keyword_search(scope("bob"), "bob", k=5) == []

    def test_delete_scope_removes_only_that_scope(self, memory_index: MemoryIndex) -> None:
        memory_index.upsert([entry(memory(f"a{i}", f"alice {i}"), 1.0) for i in range(5)])
        memory_index.upsert([entry(memory("b1", "bob", scope("bob")), 1.0)])
        self.settle()
        assert memory_index.delete_scope(scope()) == 5
        assert memory_index.list(scope()).items == ()
        assert memory_index.vector_search(scope(), unit_vector(1.0), k=5) == []
        assert memory_index.keyword_search(scope(), "alice", k=5) == []
        assert [n.id for n in memory_index.list(scope("bob")).items] == ["b1"]
