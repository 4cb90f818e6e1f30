"""RQ6 (analysis/rq6.py) on known histories, and the family-collapsed and per-stratum headline
shares of analysis/sensitivity.py."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import rq6, sensitivity
from analysis.formatting import Macros
from analysis.inference import wilson


def _data() -> dict[str, pd.DataFrame]:
    hist = pd.DataFrame([
        {"repo": "a__x", "status": "ok", "first_commit_date": "2023-01-01T00:00:00+00:00",
         "pinned_commit_date": "2024-06-01T00:00:00+00:00", "age_days": "517", "commits": "40", "authors": "1",
         "days_to_first_tracking": "10", "stages_then_aliases": "true", "branches": "3", "branches_using_mlflow": "2",
         "mlflow_only_off_default": "false", "branches_with_mlruns": "1", "branches_with_models": "0"},
        {"repo": "b__y", "status": "ok", "first_commit_date": "2024-01-01T00:00:00+00:00",
         "pinned_commit_date": "2024-02-01T00:00:00+00:00", "age_days": "31", "commits": "25", "authors": "2",
         "days_to_first_tracking": "0", "stages_then_aliases": "false", "branches": "1", "branches_using_mlflow": "1",
         "mlflow_only_off_default": "false", "branches_with_mlruns": "0", "branches_with_models": "0"},
        {"repo": "c__z", "status": "error", "first_commit_date": "", "pinned_commit_date": "", "age_days": "",
         "commits": "", "authors": "", "days_to_first_tracking": "", "stages_then_aliases": "false", "branches": "",
         "branches_using_mlflow": "", "mlflow_only_off_default": "", "branches_with_mlruns": "",
         "branches_with_models": ""},
        {"repo": "d__w", "status": "ok", "first_commit_date": "2022-01-01T00:00:00+00:00",
         "pinned_commit_date": "2022-02-01T00:00:00+00:00", "age_days": "31", "commits": "3", "authors": "1",
         "days_to_first_tracking": "", "stages_then_aliases": "false", "branches": "2", "branches_using_mlflow": "1",
         "mlflow_only_off_default": "true", "branches_with_mlruns": "0", "branches_with_models": "1"},  # not analysed
    ])
    ev = pd.DataFrame([
        # a: tracking added later, stages before the deprecation then aliases after it
        {"repo": "a__x", "family": "tracking", "first_date": "2023-01-11T00:00:00+00:00", "removed_commit": "",
         "present_at_pin": "true"},
        {"repo": "a__x", "family": "registry", "first_date": "2023-03-01T00:00:00+00:00", "removed_commit": "",
         "present_at_pin": "true"},
        {"repo": "a__x", "family": "registry_stages", "first_date": "2023-03-01T00:00:00+00:00",
         "removed_commit": "f" * 40, "present_at_pin": "false"},
        {"repo": "a__x", "family": "registry_aliases", "first_date": "2024-03-01T00:00:00+00:00",
         "removed_commit": "", "present_at_pin": "true"},
        # b: tracking from the first commit, stages after the deprecation, seed removed
        {"repo": "b__y", "family": "tracking", "first_date": "2024-01-01T00:00:00+00:00", "removed_commit": "",
         "present_at_pin": "true"},
        {"repo": "b__y", "family": "seed", "first_date": "2024-01-01T00:00:00+00:00", "removed_commit": "e" * 40,
         "present_at_pin": "false"},
        {"repo": "b__y", "family": "registry", "first_date": "2024-01-05T00:00:00+00:00", "removed_commit": "",
         "present_at_pin": "true"},
        {"repo": "b__y", "family": "registry_stages", "first_date": "2024-01-05T00:00:00+00:00",
         "removed_commit": "", "present_at_pin": "true"},
        {"repo": "d__w", "family": "tracking", "first_date": "2022-01-01T00:00:00+00:00", "removed_commit": "",
         "present_at_pin": "true"},
    ])
    feats = pd.DataFrame({"repo": ["a__x", "b__y", "c__z", "d__w"], "uses_mlflow": ["true", "true", "true", "false"],
                          "logs_metrics": "false", "uses_autolog": "false",
                          "sets_seed": ["false", "true", "false", "false"],  # b: the scan disagrees
                          "uses_registry": ["true", "true", "false", "false"],
                          "uses_stages": ["false", "true", "false", "false"],
                          "uses_aliases": ["true", "false", "false", "false"]})
    return {"repo_history": hist, "history_events": ev, "repo_features": feats}


def test_rq6_families_stages_and_adoption_on_known_histories() -> None:
    m = Macros("rq6")
    out = rq6.tables(_data(), m)
    families = out["rq6_families"]
    fam = families[families["population"] == "all"].set_index("family")
    assert fam.loc["tracking", ["walked", "ever", "added_later", "removed"]].tolist() == [2, 2, 1, 0]
    assert fam.loc["seed", ["ever", "added_later", "removed"]].tolist() == [1, 0, 1]
    assert fam.loc["registry_stages", ["ever", "added_later", "removed"]].tolist() == [2, 2, 1]
    assert fam.loc["tracking", "median_days_after_first_commit"] == 5.0
    lo, _hi = wilson(1, 2)
    assert fam.loc["tracking", "added_later_ci_low"] == pytest.approx(lo)
    st = out["rq6_stages"].set_index("measure")
    assert st.loc["stages_after", ["k", "n"]].tolist() == [1, 2]  # b after 2023-11-16, a before
    assert st.loc["registry_after", ["k", "n"]].tolist() == [1, 2]  # the base rate
    assert st.loc["migrated", ["k", "n"]].tolist() == [1, 2]
    ad = out["rq6_adoption"]
    tracking = ad[ad["family"] == "tracking"].set_index("half_year")
    assert tracking.index[0] == "2023-01-01" and tracking.index[-1] == "2024-01-01"
    assert tracking["adopted"].tolist() == [1, 0, 1] and tracking["cumulative"].tolist() == [1, 1, 2]
    assert m.values["RQSixWalked"] == "2" and m.values["RQSixSingleAuthorPct"] == "50.0\\%"
    assert m.values["RQSixStagesAfterPct"] == "50.0\\%"
    assert (m.values["RQSixAgreeCount"], m.values["RQSixAgreeTotal"]) == ("13", "14")
    # engineered: b only (2 authors, 25 commits, 31 days); a has one author
    eng = families[families["population"] == "engineered"].set_index("family")
    assert eng.loc["tracking", ["walked", "ever", "added_later"]].tolist() == [1, 1, 0]
    assert m.values["RQSixEngWalked"] == "1"
    # branches, over every walked repository (d is not analysed but is walked)
    assert m.values["RQSixBranchRepos"] == "3"
    assert (m.values["RQSixMultiBranchCount"], m.values["RQSixOffDefaultCount"]) == ("2", "1")
    assert (m.values["RQSixBranchesMlflowCount"], m.values["RQSixBranchesMlrunsCount"],
            m.values["RQSixBranchesModelsCount"]) == ("1", "1", "1")
    tex = rq6.latex(out)["rq6_table"]
    assert "Eng." in tex and tex.count("\\\\") >= len(rq6.FAMILIES)


def test_rq6_without_histories_writes_every_table_empty() -> None:
    empty = {name: pd.DataFrame(columns=list(cols)) for name, cols in rq6.INPUTS.items()}
    out = rq6.tables(empty, Macros("rq6"))
    assert out["rq6_adoption"].empty and (out["rq6_families"]["ever"] == 0).all()
    assert math.isnan(out["rq6_stages"]["share"].iloc[0])


def _repos() -> pd.DataFrame:
    rows = []
    for i in range(6):  # one template family of six, all with CI
        rows.append({"repo": f"f{i}__t", "full_name": f"1owner{i}/t", "frame_cluster": "course A",
                     "frame_evidence_strength": "strong", "mlflow": True, "ci": True})
    for i in range(4):  # four independent projects, one with CI
        rows.append({"repo": f"p{i}__q", "full_name": f"zed{i}/q", "frame_cluster": "",
                     "frame_evidence_strength": "weak", "mlflow": True, "ci": i == 0})
    df = pd.DataFrame(rows)
    for _rq, col in sensitivity.HEADLINE:
        if col not in df:
            df[col] = False
    return df


def test_one_vote_per_family_and_a_cluster_bootstrap() -> None:
    m = Macros("stats")
    table = sensitivity.clusters(_repos(), m).set_index("measure")
    ci = table.loc["ci"]
    assert (ci["k"], ci["n"], ci["families"]) == (7, 10, 5)
    assert ci["family_share"] == pytest.approx(2 / 5)  # the family one vote (yes), then 1 of 4
    assert ci["cluster_ci_low"] <= 0.7 <= ci["cluster_ci_high"]
    assert ci["cluster_ci_high"] - ci["cluster_ci_low"] > ci["ci_high"] - ci["ci_low"]  # clusters widen it
    again = sensitivity.clusters(_repos(), Macros("stats")).set_index("measure")
    assert again.loc["ci", "cluster_ci_low"] == ci["cluster_ci_low"]  # seeded: deterministic
    assert m.values["CluFamilies"] == "5" and m.values["CluCiFamilyPct"] == "40.0\\%"


def test_headline_shares_per_stratum_of_the_frames_biases() -> None:
    m = Macros("stats")
    table = sensitivity.bias(_repos(), m)
    ci = table[table["measure"] == "ci"].set_index(["dimension", "stratum"])
    assert ci.loc[("owner_initial", "digit"), ["k", "n"]].tolist() == [6, 6]
    assert ci.loc[("owner_initial", "other"), ["k", "n"]].tolist() == [1, 4]
    assert ci.loc[("evidence", "weak"), ["k", "n"]].tolist() == [1, 4]
    assert ci.loc[("owner_initial", "a"), "n"] == 0
    assert m.values["BiasMaxSpreadPts"] == "n/a"  # no stratum reaches MIN_STRATUM repositories
    assert [sensitivity.owner_initial(n) for n in ("0x/a", "Acme/b", "zed/c")] == ["digit", "a", "other"]


def test_headline_shares_over_all_and_engineered_projects() -> None:
    """The engineered projects are a population of their own in rq_sensitivity, set beside all
    analysed projects in the paper's table, with the largest difference as a macro."""
    df = _repos()
    df["_engineered"] = df["repo"].isin(["f0__t", "p1__q", "p2__q", "p3__q"])  # CI: 1 of 4
    df["has_history"] = True
    df["in_family"] = df["frame_cluster"] != ""
    df["kind"] = "project"
    m = Macros("stats")
    out = sensitivity.tables(df, m)
    table = out["rq_sensitivity"].set_index(["population", "measure"])
    assert table.loc[("all analysed", "ci"), ["k", "n"]].tolist() == [7, 10]
    assert table.loc[("engineered projects", "ci"), ["k", "n"]].tolist() == [1, 4]
    assert m.values["EngMaxDiffPts"] == "45.0"  # 70% of all against 25% of the engineered
    assert (m.values["EngMaxDiffMeasure"], m.values["EngMaxDiffAllPct"], m.values["EngMaxDiffEngPct"]) == (
        "has CI", "70.0\\%", "25.0\\%")
    assert (m.values["EngAnalysed"], m.values["EngAnalysedPct"]) == ("4", "40.0\\%")
    assert (m.values["EngMinAuthors"], m.values["EngMinCommits"], m.values["EngMinAgeDays"]) == ("2", "20", "30")
    tex = sensitivity.latex(out)["rq_robustness"]
    assert "Engineered ($n$=4)" in tex and "All ($n$=10)" in tex


def test_rq5_counts_the_engineered_projects_among_the_judged() -> None:
    from analysis import rq5

    repos = pd.DataFrame({"repo": ["a__x", "b__y", "e__v", "b__y"],
                          "condition": ["as_written", "as_written", "as_written", "seeds_forced"],
                          "verdict": ["identical", "varying", "not_judged", "identical"]})
    history = _data()["repo_history"]
    history.loc[history["repo"] == "a__x", "authors"] = "3"  # a and b are engineered; c failed
    m = Macros("rq5")
    rq5._engineered_macros(repos, history, m)
    assert (m.values["RQFiveEngJudged"], m.values["RQFiveEngStable"]) == ("2", "1")
