"""The held-out validation: views, strata, the draw, kappa, consensus, corrections, and the
repository-level scores."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from analysis import validation_heldout as vh
from analysis import validation_repos as vr
from analysis.validation_score import match


def test_kappa_matches_the_textbook_example():
    # Cohen's example: 20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no -> po 0.7, pe 0.5, kappa 0.4
    assert vh.kappa(20, 5, 10, 15) == pytest.approx(0.4)
    assert vh.kappa(10, 0, 0, 10) == pytest.approx(1.0)
    assert math.isnan(vh.kappa(0, 0, 0, 10))  # chance agreement 1: undefined


def test_render_numbers_code_lines_and_counts_markdown_cells():
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# title\n", "text"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["import mlflow\n", "mlflow.log_param('a', 1)"]}]}
    view, units = vh.render(json.dumps(nb), "ipynb")
    assert units == 2
    assert "=== cell 0 [markdown] ===" in view and "# title" not in view
    assert "=== cell 1 [code] ===\n    1| import mlflow\n    2| mlflow.log_param('a', 1)" in view
    view, units = vh.render("a = 1\nb = 2\n", "py")
    assert (view, units) == ("    1| a = 1\n    2| b = 2\n", 2)


@pytest.mark.parametrize(("text", "lines", "expected"), [
    ("import mlflow\nmlflow.register_model(u, 'm')", 2, "mlflow_registry"),
    ("import mlflow", 401, "long"),
    ("x = 1", 400, "residual"),
    ("np.random.seed(0)", 3, "keyword"),
])
def test_heldout_stratum(text, lines, expected):
    assert vh.heldout_stratum(text, lines) == expected


def _frame(n_per: dict[str, int]) -> pd.DataFrame:
    rows = []
    for s, n in n_per.items():
        for i in range(n):
            rows.append({"id": "", "repo": f"{s}{i % 3}", "commit": "c" * 40, "path": f"f{i}.py",
                         "kind": "py", "lines": 10, "units": 10, "stratum": s,
                         "rank": f"{(hash((s, i)) & 0xffffffff):08x}"})
    return pd.DataFrame(rows).sort_values("rank").reset_index(drop=True)


def test_select_fills_every_quota_and_caps_files_per_repository():
    frame = _frame({"a": 10, "b": 10})
    s = vh.select(frame, {"a": 4, "b": 2}, per_repo=2)
    assert s["stratum"].value_counts().to_dict() == {"a": 4, "b": 2}
    assert s.groupby("repo").size().max() <= 2
    assert list(s["id"]) == ["H001", "H002", "H003", "H004", "H005", "H006"]
    with pytest.raises(ValueError, match="cannot fill the quotas"):
        vh.select(frame, {"a": 7}, per_repo=2)  # three repositories x 2 files < 7


def _labels(rows):
    return pd.DataFrame([{"repo": r, "commit": "c", "path": p, "cell": c, "line": ln,
                          "category": cat, "api": api, "note": ""}
                         for r, p, c, ln, cat, api in rows])


SAMPLE = pd.DataFrame([{"id": "H001", "repo": "o__r", "commit": "c", "path": "a.py", "kind": "py",
                        "lines": 10, "units": 10, "stratum": "mlflow_other", "rank": "0"},
                       {"id": "H002", "repo": "o__s", "commit": "c", "path": "b.py", "kind": "py",
                        "lines": 10, "units": 10, "stratum": "keyword", "rank": "1"}])


def test_agreement_counts_units_per_category_and_the_kappa_follows():
    a = _labels([("o__r", "a.py", -1, 1, "tracking", "mlflow.log_param"),
                 ("o__r", "a.py", -1, 2, "tracking", "mlflow.log_metric"),
                 ("o__s", "b.py", -1, 3, "seed", "numpy.random.seed")])
    b = _labels([("o__r", "a.py", -1, 1, "tracking", "mlflow.log_param"),
                 ("o__s", "b.py", -1, 3, "seed", "numpy.random.seed"),
                 ("o__s", "b.py", -1, 4, "seed", "random.seed")])
    ag = vh.agreement(a, b, SAMPLE, ["tracking", "seed", "registry"], boot=50).set_index("category")
    t = ag.loc["tracking"]
    assert (t.units, t.a_units, t.b_units, t.both_units) == (20, 2, 1, 1)
    assert t.kappa_line == pytest.approx(vh.kappa(1, 1, 0, 18))
    assert t.positive_agreement == pytest.approx(2 / 3)
    assert math.isnan(ag.loc["registry"].kappa_line)  # nobody marked a registry unit
    assert ag.loc["all"].units == 60
    assert ag.loc["tracking"].kappa_line_low <= t.kappa_line <= ag.loc["tracking"].kappa_line_high


def test_consensus_needs_a_decision_for_every_disagreement_and_applies_it():
    a = _labels([("o__r", "a.py", -1, 1, "tracking", "mlflow.log_param"),
                 ("o__r", "a.py", -1, 2, "tracking", "mlflow.log_metric")])
    b = _labels([("o__r", "a.py", -1, 1, "tracking", "mlflow.log_param"),
                 ("o__s", "b.py", -1, 4, "seed", "random.seed")])
    keys = vh.disagreeing_keys(a, b)
    assert len(keys) == 2
    with pytest.raises(ValueError, match="no decision"):
        vh.consensus(a, b, pd.DataFrame(columns=vh.ADJ_COLUMNS))
    adj = keys.assign(decision=["a", "b"], explanation="")
    cons = vh.consensus(a, b, adj)
    assert sorted(cons["line"]) == [1, 2, 4]
    adj = keys.assign(decision=["none", "none"], explanation="")
    assert list(vh.consensus(a, b, adj)["line"]) == [1]


def test_correct_removes_a_wrong_label_and_adds_a_missed_site():
    labels = _labels([("o__r", "a.py", -1, 1, "tracking", "mlflow.log_param"),
                      ("o__r", "a.py", -1, 5, "seed", "random.seed")])
    sites = pd.DataFrame([{"repo": "o__r", "path": "a.py", "cell": -1, "line": 1,
                           "category": "tracking", "api": "mlflow.log_param", "detail": ""},
                          {"repo": "o__r", "path": "a.py", "cell": -1, "line": 7,
                           "category": "seed", "api": "numpy.random.seed", "detail": ""}])
    m = match(labels, sites)
    adj = pd.DataFrame([{"repo": "o__r", "path": "a.py", "cell": -1, "line": 5,
                         "category": "seed", "side": "label", "decision": "label_corrected",
                         "explanation": "x"},
                        {"repo": "o__r", "path": "a.py", "cell": -1, "line": 7,
                         "category": "seed", "side": "label", "decision": "label_corrected",
                         "explanation": "y"}])
    final = vh.correct(labels, m, adj)
    assert sorted(zip(final["line"], final["api"], strict=True)) == [
        (1, "mlflow.log_param"), (7, "numpy.random.seed")]
    bad = adj.iloc[:1].assign(line=9)
    with pytest.raises(ValueError, match="matches no disagreement"):
        vh.correct(labels, m, bad)


def _ann(values: dict[str, dict[str, str]]) -> pd.DataFrame:
    rows = [{"repo": r, **v, "evidence": ""} for r, v in values.items()]
    return vr.normalise(pd.DataFrame(rows, columns=vr.ANNOTATION_COLUMNS), "x")


BASE = {f: "false" for f in vr.BOOL_FIELDS} | {"seed_coverage": "none"}


def test_repository_scores_compare_the_scanner_with_the_consensus():
    a = _ann({"r1": BASE | {"logs_params": "true"}, "r2": BASE})
    b = _ann({"r1": BASE | {"logs_params": "true"}, "r2": BASE | {"sets_seed": "true"}})
    with pytest.raises(ValueError, match="no value for r2 sets_seed"):
        vr.consensus(a, b, pd.DataFrame(columns=vr.ADJ_COLUMNS))
    adj = pd.DataFrame([{"repo": "r2", "field": "sets_seed", "a": "false", "b": "true",
                         "value": "true", "explanation": ""}])
    cons = vr.consensus(a, b, adj)
    scanner = _ann({"r1": BASE | {"logs_params": "true"}, "r2": BASE}).drop(columns="evidence")
    sc = vr.score(a, b, cons, scanner).set_index("field")
    assert (sc.loc["logs_params", "tp"], sc.loc["logs_params", "accuracy"]) == (1, 1.0)
    assert (sc.loc["sets_seed", "fn"], sc.loc["sets_seed", "scanner_agree"]) == (1, 1)
    assert sc.loc["sets_seed", "ab_agree"] == 1
    assert list(vr.disagreements(cons, scanner)["field"]) == ["sets_seed"]
    with pytest.raises(ValueError, match="not a boolean"):
        vr.normalise(pd.DataFrame([{"repo": "r", **(BASE | {"logs_params": "maybe"}),
                                    "evidence": ""}]), "repos_a.csv")


# --------------------------------------------------------------------------- end to end

def _csv(path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _heldout_study(tmp_path):
    """A held-out study of two files (one with a tracking and a seed site, one without sites),
    the scanner's results, both annotators' labels (B missed the seed site) and the
    adjudication of that one disagreement."""
    from tests.test_stats import _write
    results, d = tmp_path / "results", tmp_path / "labels" / "heldout"
    results.mkdir()
    d.mkdir(parents=True)
    _write(results / "files.csv", ["repo", "path", "kind", "status"], [
        {"repo": "o__r", "path": "train.py", "kind": "py", "status": "parsed"},
        {"repo": "o__r", "path": "util.py", "kind": "py", "status": "parsed"}])
    _write(results / "call_sites.csv", ["repo", "path", "cell", "line", "category", "api", "detail"], [
        {"repo": "o__r", "path": "train.py", "line": "3", "category": "tracking",
         "api": "mlflow.log_param"},
        {"repo": "o__r", "path": "train.py", "line": "4", "category": "seed",
         "api": "numpy.random.seed", "detail": "framework=numpy"}])
    _csv(d / "sample.csv", "id,repo,commit,path,kind,lines,units,stratum,rank",
         ["H001,o__r,abc,train.py,py,5,5,mlflow_other,1",
          "H002,o__r,abc,util.py,py,2,2,residual,2"])
    _csv(d / "strata.csv", "stratum,frame_files,frame_repos,sample_files,sample_repos",
         ["mlflow_other,10,5,1,1", "residual,40,20,1,1"])
    header = "repo,commit,path,cell,line,category,api,note"
    _csv(d / "labels_a.csv", header, ["o__r,abc,train.py,,3,tracking,mlflow.log_param,",
                                      "o__r,abc,train.py,,4,seed,numpy.random.seed,"])
    _csv(d / "labels_b.csv", header, ["o__r,abc,train.py,,3,tracking,mlflow.log_param,"])
    _csv(d / "adjudication_ab.csv", ",".join(vh.ADJ_COLUMNS),
         ["o__r,train.py,,4,seed,numpy.random.seed,,a,numpy.random.seed is a seed site"])
    return results, d


def test_validate_heldout_writes_its_tables_and_macros_from_the_labels(tmp_path):
    from analysis import validation
    from analysis import validation_heldout_report as report
    results, d = _heldout_study(tmp_path)
    tables, generated = tmp_path / "tables", tmp_path / "generated"
    out = validation.validate_heldout(d, results, tables, generated)
    assert out is not None
    written = {p.stem for p in tables.glob("*.csv")}
    assert {"validation_heldout", "validation_agreement",
            "validation_heldout_disagreements"} <= written <= set(report.TABLES)
    agreement = pd.read_csv(tables / "validation_agreement.csv")
    seed = agreement[agreement["category"] == "seed"].iloc[0]
    assert (seed["a_units"], seed["b_units"], seed["both_units"]) == (1, 0, 0)
    scores = pd.read_csv(tables / "validation_heldout.csv")
    cons = scores[(scores["reference"] == "consensus") & (scores["stratum"] == "all")
                  & (scores["category"] == "all")].iloc[0]
    assert (cons["tp"], cons["fp"], cons["fn"]) == (2, 0, 0)  # the consensus took A's seed site
    assert "\\newcommand" in (generated / "validation_heldout.tex").read_text(encoding="utf-8")


def test_heldout_views_are_written_from_the_clones_and_missing_files_counted(tmp_path):
    from analysis import validation
    results, d = _heldout_study(tmp_path)
    clones = tmp_path / "clones"
    (clones / "o__r").mkdir(parents=True)
    (clones / "o__r" / "train.py").write_text("import mlflow\nimport numpy\nmlflow.log_param('a', 1)\n")
    _csv(d / "repos_sample.csv", "id,repo,commit,stratum,files,rank", ["R01,o__r,abc,other,2,1"])
    code = validation.main(["--labels", str(d.parent), "--results", str(results), "--clones",
                            str(clones), "--heldout-views", str(tmp_path / "views")])
    assert code == 1  # util.py is missing from the clone: counted, and the exit code says so
    views = tmp_path / "views"
    assert sorted(p.name for p in views.glob("*.txt")) == ["H001.txt"]
    assert "mlflow.log_param" in (views / "H001.txt").read_text(encoding="utf-8")
    assert (views / "repos" / "R01" / "train.py.txt").is_file()
    assert list(pd.read_csv(views / "repos" / "index.csv")["id"]) == ["R01"]


def test_heldout_macros_count_the_units_as_numbers(tmp_path):
    """sample.csv is read as text: the unit count is a sum of numbers, not of strings."""
    from analysis import validation
    results, d = _heldout_study(tmp_path)
    validation.validate_heldout(d, results, tmp_path / "tables", tmp_path / "generated")
    text = (tmp_path / "generated" / "validation_heldout.tex").read_text(encoding="utf-8")
    assert "\\newcommand{\\ValHUnits}{7}" in text


def test_heldout_validation_is_not_written_for_a_corpus_without_the_heldout_files(tmp_path):
    """The demo's corpus holds none of the held-out files: no tables and no macros, so the paper
    shows its 'not available in this build' text instead of undefined macros."""
    from analysis import validation
    from tests.test_stats import _write
    _results, d = _heldout_study(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _write(other / "files.csv", ["repo", "path", "kind", "status"],
           [{"repo": "x__y", "path": "a.py", "kind": "py", "status": "parsed"}])
    tables, generated = tmp_path / "tables", tmp_path / "generated"
    assert validation.validate_heldout(d, other, tables, generated) is None
    assert not list(tables.glob("*.csv")) and not (generated / "validation_heldout.tex").exists()
