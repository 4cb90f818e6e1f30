"""The published schema (miners/schema/): tables well formed, vocabularies shared, and every CSV
the pipeline wrote and published fits it, header and values."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from miners import schema
from miners.schema import vocab
from miners.schema.check import problems, value_problem
from miners.schema.columns import Col, SchemaError, integer, string

ROOT = Path(__file__).resolve().parents[1]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def test_tables_are_well_formed() -> None:
    assert list(schema.TABLES)[:8] == ["funnel", "corpus", "clone_status", "files", "skipped_folders",
                                       "call_sites", "repo_features", "repo_practices"]
    for name, table in schema.TABLES.items():
        assert table.name == name and table.title and table.description
        assert set(table.primary_key) <= set(table.columns), name
        for local, target, remote in table.foreign_keys:
            assert set(local) <= set(table.columns)
            assert set(remote) <= set(schema.get(target).columns), (name, target)


def test_vocabularies_constrain_the_columns_that_use_them() -> None:
    assert schema.get("call_sites").columns["category"].enum == vocab.CATEGORIES
    assert schema.get("reruns").columns["status"].enum == vocab.RUN_STATUSES
    assert schema.get("reruns").columns["condition"].enum == vocab.CONDITIONS
    assert vocab.CONDITIONS == ("as_written", "seeds_forced", "latest_env")
    assert schema.get("repo_features").columns["seed_coverage"].enum == vocab.SEED_COVERAGE
    assert set(vocab.FRAMEWORKS) >= {"numpy", "torch"} and len(vocab.TRACE_POINTS) == 7


def test_header_check_names_what_is_wrong() -> None:
    files = schema.get("files")
    files.check_header(files.names)
    with pytest.raises(SchemaError, match=r"surprise.*not in the schema"):
        files.check_header([*files.names, "surprise"])
    with pytest.raises(SchemaError, match="sha256 are missing"):
        files.check_header([c for c in files.names if c != "sha256"])
    with pytest.raises(SchemaError, match="order"):
        files.check_header(list(reversed(files.names)))
    with pytest.raises(SchemaError, match="no published table 'nope'"):
        schema.get("nope")
    # optional columns may be absent; the frame's own columns may be present
    reruns = schema.get("reruns")
    reruns.check_header([c for c in reruns.names if not reruns.columns[c].optional])
    schema.get("corpus").check_header([*schema.names("corpus")[:20], "frame_anything",
                                       *schema.names("corpus")[20:]])


@pytest.mark.parametrize(("col", "value", "ok"), [
    (integer("n"), "3", True), (integer("n"), "-1", False), (integer("n"), "3.5", False),
    (Col("number", "x"), "1e-3", True), (Col("number", "x"), "nan", True), (Col("number", "x"), "a", False),
    (Col("boolean", "b"), "true", True), (Col("boolean", "b"), "True", False),
    (string("s", enum=("a", "b")), "c", False), (string("s", enum=("a", "b")), "", True),
    (Col("datetime", "t"), "2026-01-01T00:00:00+00:00", True), (Col("datetime", "t"), "2026-01-01", False),
])
def test_value_check(col: Col, value: str, ok: bool) -> None:
    assert (value_problem(col, value) == "") is ok


def test_problems_reports_rows_and_columns(tmp_path: Path) -> None:
    names = schema.names("call_sites")
    good = ["acme__demo", "train.py", "", "3", "0", "tracking", "mlflow.log_param", "kind=param"]
    assert problems("call_sites", _write(tmp_path / "ok.csv", names, [good])) == []
    bad = _write(tmp_path / "bad.csv", names, [[*good[:5], "tracing", *good[6:]]])
    assert problems("call_sites", bad) == [f"{bad}:2: column category: 'tracing' is not one of tracking, seed, registry, model_ref"]


PUBLISHED = sorted(p.stem for p in (ROOT / "results").glob("*.csv"))


def test_the_published_tables_are_the_schemas() -> None:
    assert len(PUBLISHED) >= 15 and set(PUBLISHED) <= set(schema.TABLES)


@pytest.mark.parametrize("name", PUBLISHED)
def test_every_published_table_fits_the_schema(name: str) -> None:
    assert problems(name, ROOT / "results" / f"{name}.csv") == []


def test_the_categories_are_the_detector_families() -> None:
    """A new detector family is a new value of call_sites.csv's category, in the families' order."""
    from miners.scan.detectors import FAMILIES

    assert tuple(family.CATEGORY for family in FAMILIES) == vocab.CATEGORIES


def test_the_validated_categories_are_detector_categories() -> None:
    from analysis.validation_labels import CATEGORIES as LABELLED

    assert set(LABELLED) < set(vocab.CATEGORIES) and "model_ref" not in LABELLED

