"""analysis.results: the one reader of the published tables, its header check and errors."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from analysis import results
from analysis.formatting import EXACT, csv_number
from analysis.results import MissingTableError, ResultsError, read_table

FUNNEL = "step,stage,repositories,dropped,drop_reasons\n"


def test_a_table_is_read_as_text(tmp_path):
    (tmp_path / "funnel.csv").write_text(FUNNEL + "1,found,10,,\n2,sampled,5,5,x: 5\n")
    frame = read_table(tmp_path, "funnel", ["step", "stage"])
    assert frame.to_dict("records") == [
        {"step": "1", "stage": "found", "repositories": "10", "dropped": "", "drop_reasons": ""},
        {"step": "2", "stage": "sampled", "repositories": "5", "dropped": "5",
         "drop_reasons": "x: 5"}]


def test_a_published_table_must_fit_the_schema(tmp_path):
    for header, why in (("step,stage,repositories,dropped\n", "drop_reasons are missing"),
                        (FUNNEL.replace("\n", ",note\n"), "note are not in the schema"),
                        ("stage,step,repositories,dropped,drop_reasons\n", "schema's order")):
        (tmp_path / "funnel.csv").write_text(header)
        with pytest.raises(ResultsError, match=why):
            read_table(tmp_path, "funnel")
    (tmp_path / "labels.csv").write_text("repo,note\n")  # the study's own tables: no schema
    assert list(results.read_study_table(tmp_path, "labels", ["repo"]).columns) == ["repo", "note"]
    with pytest.raises(ResultsError, match=r"lacks the column\(s\) line"):
        results.read_study_table(tmp_path, "labels", ["repo", "line"])


def test_missing_and_malformed_tables_are_clear_errors(tmp_path):
    with pytest.raises(MissingTableError, match=r"funnel.csv not found: .*make mine"):
        read_table(tmp_path, "funnel")
    with pytest.raises(MissingTableError, match="make rerun"):
        read_table(tmp_path, "rerun_repos")
    with pytest.raises(MissingTableError, match="make analysis"):
        read_table(tmp_path, "tables/rq5_verdicts")
    absent = read_table(tmp_path, "funnel", ["step", "stage"], required=False)
    assert absent.empty and list(absent.columns) == ["step", "stage"]
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ResultsError, match=r"empty\.csv is empty"):
        read_table(tmp_path, "empty")
    (tmp_path / "funnel.csv").write_text("step,stage\n")
    with pytest.raises(ResultsError, match=r"funnel.csv lacks the column\(s\) repositories"):
        read_table(tmp_path, "funnel", ["step", "repositories"])
    assert isinstance(MissingTableError("x"), FileNotFoundError)


def test_an_analysis_table_must_have_its_documented_columns(tmp_path):
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "rq5_status.csv"
    path.write_text("condition,status,runs,executed,repositories\nas_written,ok,2,2,1\n")
    assert read_table(tmp_path, "tables/rq5_status")["runs"].tolist() == ["2"]
    path.write_text("condition,status,runs\nas_written,ok,2\n")
    with pytest.raises(ResultsError, match=r"differ from the documented .*make analysis"):
        read_table(tmp_path, "tables/rq5_status")


def test_exact_floats_read_back_as_the_same_floats(tmp_path):
    rng = random.Random(11)
    xs = [rng.random() * 10 ** rng.randint(-9, 4) for _ in range(5000)] + [2 / 3, 0.1, 1.0]
    (tmp_path / "x.csv").write_text("v\n" + "".join(csv_number(x, EXACT) + "\n" for x in xs))
    assert results.as_number(results.read_study_table(tmp_path, "x")["v"]).tolist() == xs


def test_cells_as_booleans_numbers_and_lists():
    assert results.as_bool(pd.Series(["true", " TRUE", "1", "yes", "false", ""])).tolist() == [
        True, True, True, True, False, False]
    assert results.as_number(pd.Series(["1", "", "x", "2.5"])).isna().tolist() == [
        False, True, True, False]
    assert results.split_list(pd.Series(["a;b", "", "c;"])).tolist() == [["a", "b"], [], ["c"]]


def test_provenance_is_read_as_text(tmp_path):
    assert results.read_provenance(tmp_path) == {"seed": "", "size": "", "jaccard": ""}
    (tmp_path / "provenance.json").write_text(
        '{"sample": {"seed": 2026, "size": 400}, "select": {"duplicate_jaccard": 0.6}}')
    assert results.read_provenance(tmp_path) == {"seed": "2026", "size": "400", "jaccard": "0.6"}
    (tmp_path / "provenance.json").write_text("not json")
    assert results.read_provenance(tmp_path)["seed"] == ""
