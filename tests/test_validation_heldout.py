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
