from __future__ import annotations

from miners.corpus.fingerprint import clusters, jaccard
from miners.corpus.sample import draw, rank


def _rows(n):
    return [{"full_name": f"o{i % 7}/r{i}", "kind": "course" if i % 3 == 0 else "project"} for i in range(n)]


def test_draw_is_seeded_and_independent_of_frame_order():
    rows = _rows(200)
    a = draw(rows, 50, seed=1)
    assert a == draw(list(reversed(rows)), 50, seed=1)
    assert a != draw(rows, 50, seed=2)
    assert len(a) == 50
    assert a == {r["full_name"] for r in sorted(rows, key=lambda r: rank(1, r["full_name"]))[:50]}


def test_growing_the_frame_only_adds_candidates():
    rows = _rows(200)
    small = draw(rows, 20, seed=3)
    big = draw(rows + [{"full_name": f"new/r{i}", "kind": "project"} for i in range(10)], 20, seed=3)
    assert len(small & big) >= 20 - 10


def test_stratified_draw_is_proportional():
    rows = _rows(300)  # 100 course, 200 project
    picked = draw(rows, 30, seed=5, stratify_by="kind")
    kinds = [r["kind"] for r in rows if r["full_name"] in picked]
    assert kinds.count("course") == 10 and kinds.count("project") == 20


def test_size_zero_takes_everything():
    rows = _rows(10)
    assert draw(rows, 0, seed=1) == {r["full_name"] for r in rows}


def test_near_duplicate_families():
    prints = {"a": ["1", "2", "3", "4"], "b": ["1", "2", "3", "5"], "c": ["1", "2", "3", "4", "5"], "d": ["9"], "e": []}
    order = {"a": "3", "b": "1", "c": "2", "d": "0", "e": "4"}
    fam = clusters(prints, order, 0.6)
    assert fam["a"] == fam["b"] == fam["c"] == "b"  # the family's id is its lowest-ranked member
    assert fam["d"] == "d" and fam["e"] == "e"
    assert jaccard({"1", "2"}, {"2", "3"}) == 1 / 3
