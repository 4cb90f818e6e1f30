"""RQ5 at scale: the reproducibility study's executability funnel, root causes, drift, the
authors' originals, the spread per metric kind, what predicts the outcomes, and the ceiling a
reading of the projects sets. Part of the ``rq5`` stage (:mod:`analysis.rq5`).

Definitions (the study's design is :mod:`miners.rerun.study`).

* **Strata.** The *main sample* is ``rerun_sample.csv`` ``picked_by`` ``sample`` or
  ``sample_and_originals`` (the census's seeded order, one project per template family); the
  *originals stratum* is ``originals`` or ``sample_and_originals``. They are reported apart. A
  partial study is a prefix of the queue: every share is over the projects attempted so far.
* **Executability funnel** (main sample, absolute counts): attempted -> cloned -> entry found (a
  recipe) -> environment built -> ran (a run as written exited 0 or logged metrics) -> logged
  metrics -> judged (as written and with seeds forced, ``rerun_repos.csv``).
* **Executable**: logged metrics as written; **repeatable**: judged and ``identical`` or
  ``within_tolerance`` (relative 1e-6) as written; shares with Wilson 95% intervals. Because
  the main sample holds one project per template family, its projects are independent draws of
  families and the intervals need no cluster correction.
* **Drift** (``latest_env``, packages of the protocol's fixed recent date): of the projects that
  logged metrics as written, those whose latest_env runs logged metrics (*still runs*) and, of
  those, the ones whose final value of every common non-timing metric (median over the runs)
  equals the as-written median within relative 1e-6 (*drift-stable*). Of the projects whose
  probe failed for its environment, those that latest_env made run (*rescued*).
* **Against the original** (``rerun_originals.csv``, as written): per project, the worst
  agreement over its compared metrics and runs (identical < within_1e-6 < within_1pct <
  different); a project *reproduces its authors' numbers* when that is identical or within_1e-6.
* **Spread per metric kind**: the non-timing metrics of judged projects, ``kind`` from the key
  (:func:`metric_kind`: ``score`` accuracy/F1/AUC/precision/recall/R2, ``error``
  loss/error/MSE/RMSE/MAE, ``other``), relative range and CV as in ``variance.csv``.
* **Predictors** (Fisher's exact test, odds ratio with its exact 95% CI): for *executable*
  over the main sample's attempted projects, and *repeatable as written* over its judged ones:
  full seed coverage (``seed_coverage`` ``complete``), all dependencies pinned, notebook-only
  MLflow code, a deep-learning framework, traceability at or above the census median, maturity
  above the census median (the median level is 0, so "at or above" would hold for every project).
* **Ceiling**: the share of read projects (``study/rerun-readings``, one reading each by a
  language model) classified ``runs_offline``, with its Wilson interval; and how many of the read
  ``runs_offline`` projects the harness made log metrics.
* **Root causes against the reading** (attempted read projects): the harness's outcome and cause
  put in the reading's vocabulary (:data:`HARNESS_AS_READING`: metrics -> ``runs_offline``,
  ran without a metric -> ``no_tracking``, data not in the repository -> ``needs_data``, ...;
  an unresolvable environment and the harness's own limits have no reading class) and compared:
  *agree* (same class), *harness_short* (read ``runs_offline``, the harness got no metric: the
  harness's miss), *other_blocker_first* (read as blocked, the harness stopped at a different
  failure, which comes first in the run or in building its environment), *harness_ran* (read as
  blocked, yet the harness logged metrics). Agreement is the share *agree* with its Wilson
  interval, and Cohen's kappa over the projects whose harness class the reading can name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.formatting import Macros, interval, missing, number, p_value, percent
from analysis.inference import cohen_kappa, fisher, wilson_or_nan
from analysis.results import as_bool, as_number, read_study_table, read_table

MAIN = ("sample", "sample_and_originals")
ORIG = ("originals", "sample_and_originals")
METRIC_OK = ("ok", "crashed_after_metrics")
ENV_FAILURES = ("install_failed", "missing_module", "version_conflict", "import_error")
AGREEMENT_ORDER = ("identical", "within_1e-6", "within_1pct", "different")
DEEP = ("torch", "pytorch", "tensorflow", "keras", "jax", "lightning")
READINGS = ("first30", "census30")
#: The harness's outcome (``metrics``, ``ran_no_metrics``) or root cause, in the reading's classes
#: (study/rerun-readings/README.md); the causes missing here have no reading class.
HARNESS_AS_READING = {"metrics": "runs_offline", "ran_no_metrics": "no_tracking",
                      "data_not_in_repository": "needs_data", "needs_download": "needs_download",
                      "needs_credentials_or_server": "needs_server", "needs_gpu": "needs_gpu",
                      "broken_as_committed": "broken"}
#: How the paper names a root cause (macro ``RQFiveCauseTop``, the most common one).
CAUSE_WORDS = {"needs_gpu": "a GPU", "needs_credentials_or_server": "credentials or a server",
               "needs_download": "a download", "data_not_in_repository": "data not in the repository",
               "environment_unresolvable": "an environment that could not be resolved",
               "harness_limitation": "the harness's own limits", "broken_as_committed": "code broken as committed"}
#: Facts of the study's design read from rerun_provenance.json's ``sample`` (macros ``RQFiveStudy...``).
PROVENANCE = ("queued", "queued_main", "queued_originals", "target_judged")

INPUTS: dict[str, tuple[str, ...]] = {
    "rerun_causes": (),
    "rerun_originals": (),
    "rerun_metrics": (),
    "repo_features": ("full_name", "seed_coverage", "frameworks_used", "notebook_share"),
    "repo_practices": ("full_name", "deps_pinned", "traceability", "maturity"),
}

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq5_study_funnel": {
        "description": "RQ5: the executability funnel of the reproducibility study per stratum, absolute "
                       "counts of projects.",
        "fields": {
            "stratum": {"type": "string", "description": "main (the seeded sample) or originals"},
            "step": {"type": "integer", "description": "stage number"},
            "stage": {"type": "string", "description": "attempted, cloned, entry found, environment built, ran, "
                                                       "logged metrics, judged"},
            "projects": {"type": "integer", "description": "projects that reach the stage"},
            "dropped": {"type": "integer", "description": "projects lost at the stage"},
        },
    },
    "rq5_causes": {
        "description": "RQ5: root causes of the projects that did not run, per stratum "
                       "(rerun_causes.csv; miners/rerun/causes.py).",
        "fields": {
            "stratum": {"type": "string", "description": "main or originals"},
            "cause": {"type": "string", "description": "root-cause class"},
            "projects": {"type": "integer", "description": "projects"},
            "share": {"type": "number", "description": "share of the stratum's projects that did not run"},
        },
    },
    "rq5_drift": {
        "description": "RQ5: per project that logged metrics as written, its latest_env outcome.",
        "fields": {
            "repo": {"type": "string", "description": "repository id"},
            "stratum": {"type": "string", "description": "main, originals or both"},
            "latest_runs_metrics": {"type": "boolean", "description": "a latest_env run logged metrics"},
            "common_metrics": {"type": "integer", "description": "non-timing metrics logged in both conditions"},
            "same_metrics": {"type": "integer", "description": "of those, equal within relative 1e-6 (medians)"},
            "drift_stable": {"type": "boolean", "description": "every common metric equal within 1e-6"},
            "max_rel_diff": {"type": "number", "description": "largest |latest - as written| / |as written| "
                                                               "over the common metrics (medians)"},
        },
    },
    "rq5_against_originals": {
        "description": "RQ5: per project compared with its committed original (as written), the worst "
                       "agreement over its metrics and runs.",
        "fields": {
            "repo": {"type": "string", "description": "repository id"},
            "stratum": {"type": "string", "description": "main, originals or both"},
            "metrics_compared": {"type": "integer", "description": "(run, metric) pairs compared"},
            "worst": {"type": "string", "description": "identical, within_1e-6, within_1pct or different"},
            "best": {"type": "string", "description": "the best agreement of a metric"},
        },
    },
    "rq5_spread_kinds": {
        "description": "RQ5: run-to-run spread of the judged projects' non-timing metrics per metric kind "
                       "and condition.",
        "fields": {
            "condition": {"type": "string", "description": "rerun condition"},
            "kind": {"type": "string", "description": "score, error or other (analysis/rq5_study.py)"},
            "metrics": {"type": "integer", "description": "(project, metric) pairs"},
            "projects": {"type": "integer", "description": "projects"},
            "zero_spread": {"type": "integer", "description": "metrics with relative range 0"},
            "median_rel_range": {"type": "number", "description": "median relative range, a ratio"},
            "p90_rel_range": {"type": "number", "description": "90th percentile of the relative range"},
            "median_cv": {"type": "number", "description": "median coefficient of variation"},
        },
    },
    "rq5_predictors": {
        "description": "RQ5: static practices against executability (main sample) and repeatability as "
                       "written (its judged projects): Fisher's exact test.",
        "fields": {
            "outcome": {"type": "string", "description": "executable or repeatable"},
            "predictor": {"type": "string", "description": "the static practice"},
            "n": {"type": "integer", "description": "projects in the test"},
            "with_yes": {"type": "integer", "description": "projects with the practice and the outcome"},
            "with_n": {"type": "integer", "description": "projects with the practice"},
            "without_yes": {"type": "integer", "description": "projects without the practice with the outcome"},
            "without_n": {"type": "integer", "description": "projects without the practice"},
            "odds_ratio": {"type": "number", "description": "conditional ML odds ratio"},
            "or_low": {"type": "number", "description": "lower exact 95% bound"},
            "or_high": {"type": "number", "description": "upper exact 95% bound"},
            "p": {"type": "number", "description": "two-sided p-value"},
        },
    },
    "rq5_interventions": {
        "description": "RQ5: what the harness did beyond running the main sample's projects as committed, "
                       "per kind of intervention on the probe (reruns.interventions; miners/rerun/interventions.py), "
                       "and how many of those probes logged metrics.",
        "fields": {
            "intervention": {"type": "string", "description": "kind of intervention (miners/rerun/vocab.py "
                                                              "Intervention), or fallback_recipe (a recipe kept after "
                                                              "earlier ones failed) or latest_env_rescue"},
            "projects": {"type": "integer", "description": "main-sample probes with the intervention"},
            "logged_metrics": {"type": "integer", "description": "of those, probes that logged metrics: the "
                                                                 "projects the intervention was part of making "
                                                                 "runnable (exactly so for repair, fallback_recipe "
                                                                 "and latest_env_rescue, which are kept only when "
                                                                 "they get further; an upper bound for the others)"},
        },
    },
    "rq5_ceiling": {
        "description": "RQ5: the reading of a random subsample of the queue against the harness.",
        "fields": {
            "repo": {"type": "string", "description": "repository (owner/name)"},
            "reading": {"type": "string", "description": "the file of the reading"},
            "class": {"type": "string", "description": "the reading's class"},
            "attempted": {"type": "boolean", "description": "the study attempted the project"},
            "outcome": {"type": "string", "description": "its outcome as written (rerun_causes.csv)"},
            "cause": {"type": "string", "description": "its root cause when it did not run"},
            "harness_class": {"type": "string", "description": "the outcome and cause in the reading's "
                                                               "vocabulary (HARNESS_AS_READING; empty: a class the "
                                                               "reading has no name for, or not attempted)"},
            "agreement": {"type": "string", "description": "agree, harness_short (read runs_offline, the harness "
                                                           "got no metric), other_blocker_first (read as blocked, "
                                                           "the harness stopped at another failure), harness_ran "
                                                           "(read as blocked, the harness logged metrics); empty "
                                                           "when not attempted"},
        },
    },
}


def read_inputs(results: Path) -> dict[str, pd.DataFrame]:
    data = {name: read_table(results, name, cols, required=False) for name, cols in INPUTS.items()}
    readings = Path(results).resolve().parent / "study" / "rerun-readings"
    frames = []
    for name in READINGS:
        r = read_study_table(readings, name, ("repo", "class"), required=False)
        if len(r):
            frames.append(r[["repo", "class"]].assign(reading=f"{name}.csv"))
    data["readings"] = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["repo", "class", "reading"])
    prov = Path(results) / "rerun_provenance.json"
    info = json.loads(prov.read_text()).get("sample", {}) if prov.is_file() else {}
    data["study_provenance"] = pd.DataFrame([{k: info.get(k, "") for k in PROVENANCE}])
    return data


def metric_kind(key: str) -> str:
    """``score``, ``error`` or ``other`` from a metric key (its last path component)."""
    k = key.rsplit("/", 1)[-1].lower()
    if re.search(r"loss|error|mse|rmse|mae|mape|logloss|deviance", k):
        return "error"
    if re.search(r"acc|f1|auc|roc|precision|recall|r2|score|iou|dice|bleu|rouge", k):
        return "score"
    return "other"


def _stratum(picked: str) -> str:
    return {"sample": "main", "originals": "originals", "sample_and_originals": "both"}.get(picked, picked)


def tables(data: Mapping[str, pd.DataFrame], m: Macros) -> dict[str, pd.DataFrame]:
    """The study's RQ5 tables and their macros (``RQFiveStudy...``)."""
    sample, runs, repos = data["rerun_sample"], data["reruns"], data["rerun_repos"]
    causes = data["rerun_causes"]
    for col in ("repo", "full_name", "picked_by"):
        if col not in sample.columns:
            sample = sample.assign(**{col: pd.Series(dtype=str)})
    main = set(sample.loc[sample["picked_by"].isin(MAIN), "repo"])
    orig = set(sample.loc[sample["picked_by"].isin(ORIG), "repo"])
    prov = data.get("study_provenance", pd.DataFrame())
    for key in PROVENANCE:
        value = prov.iloc[0][key] if len(prov) and key in prov.columns else ""
        m.count("RQFiveStudy" + "".join(w.capitalize() for w in key.split("_")),
                int(value) if str(value).isdigit() else None)
    vals = {k: (int(prov.iloc[0][k]) if len(prov) and str(prov.iloc[0].get(k, "")).isdigit() else None)
            for k in ("queued", "queued_main", "queued_originals")}
    m.count("RQFiveStudyQueuedBoth", None if None in vals.values() else
            vals["queued_main"] + vals["queued_originals"] - vals["queued"])
    m.count("RQFiveStudyAttempted", len(sample))
    m.count("RQFiveStudyMain", len(main))
    m.count("RQFiveStudyOriginals", len(orig))
    funnel = pd.concat([_funnel(s, repos_in, sample, runs, repos, causes, m)
                        for s, repos_in in (("main", main), ("originals", orig))], ignore_index=True)
    return {"rq5_study_funnel": funnel,
            "rq5_causes": _causes(causes, main, orig, m),
            "rq5_drift": _drift(data, sample, m),
            "rq5_against_originals": _originals(data["rerun_originals"], sample, m),
            "rq5_spread_kinds": _spread_kinds(data["variance"], repos, m),
            "rq5_predictors": _predictors(data, sample, causes, repos, main, m),
            "rq5_interventions": _interventions(runs, main, m),
            "rq5_ceiling": _ceiling(data["readings"], sample, causes, m)}


def _judged(repos: pd.DataFrame) -> set[str]:
    if repos.empty:
        return set()
    j = repos[repos["verdict"] != "not_judged"]
    by = j.groupby("repo")["condition"].apply(set)
    return {r for r, conds in by.items() if {"as_written", "seeds_forced"} <= conds}


def _repeatable(repos: pd.DataFrame, condition: str) -> set[str]:
    if repos.empty:
        return set()
    return set(repos.loc[(repos["condition"] == condition) & repos["verdict"].isin(["identical", "within_tolerance"]),
                         "repo"])


def _funnel(stratum: str, members: set[str], sample: pd.DataFrame, runs: pd.DataFrame, repos: pd.DataFrame,
            causes: pd.DataFrame, m: Macros) -> pd.DataFrame:
    word = "Main" if stratum == "main" else "Orig"
    aw = runs[runs["condition"] == "as_written"] if len(runs) else runs
    by = {r: g for r, g in aw.groupby("repo")} if len(aw) else {}
    cloned = set(sample.loc[sample.get("clone_status", pd.Series(dtype=str)).isin(["cloned", "reused"]), "repo"]) \
        if "clone_status" in sample.columns else set(sample["repo"])
    stages = [
        ("attempted", members),
        ("cloned", members & cloned),
        ("entry found", {r for r in members & cloned if r in by and (by[r]["entry_kind"] != "none").all()}),
        ("environment built", {r for r in members & cloned if r in by and (by[r]["entry_kind"] != "none").all()
                               and (by[r]["status"] != "install_failed").all()}),
        ("ran", {r for r in members if r in by and ((as_number(by[r]["exit_code"]) == 0).any()
                                                    or by[r]["status"].isin(METRIC_OK).any())}),
        ("logged metrics", {r for r in members if r in by and by[r]["status"].isin(METRIC_OK).any()}),
        ("judged", members & _judged(repos)),
    ]
    rows, prev = [], None
    for step, (stage, kept) in enumerate(stages, 1):
        kept = kept if prev is None else kept & prev
        rows.append({"stratum": stratum, "step": step, "stage": stage, "projects": len(kept),
                     "dropped": 0 if prev is None else len(prev) - len(kept)})
        m.count(f"RQFiveStudy{word}{''.join(w.capitalize() for w in stage.split())}", len(kept))
        prev = kept
    n = len(members)
    for name, k in (("Ran", rows[4]["projects"]), ("Logged", rows[5]["projects"]), ("Judged", rows[6]["projects"])):
        low, high = wilson_or_nan(k, n)
        m.prevalence(f"RQFiveStudy{word}{name}Share", k, n, k / n if n else math.nan, low, high)
    judged = members & _judged(repos)
    for cond, cw in (("as_written", "AsWritten"), ("seeds_forced", "SeedsForced"), ("latest_env", "Latest")):
        k = len(judged & _repeatable(repos, cond))
        low, high = wilson_or_nan(k, len(judged))
        m.prevalence(f"RQFiveStudy{word}Repeatable{cw}", k, len(judged), k / len(judged) if judged else math.nan,
                     low, high)
    return pd.DataFrame(rows)


def _causes(causes: pd.DataFrame, main: set[str], orig: set[str], m: Macros) -> pd.DataFrame:
    rows = []
    for stratum, members in (("main", main), ("originals", orig)):
        c = causes[causes["repo"].isin(members) & (causes["outcome"] == "did_not_run")] if len(causes) else causes
        total = len(c)
        counts = c["cause"].value_counts() if total else pd.Series(dtype=int)
        for cause in sorted(counts.index):
            rows.append({"stratum": stratum, "cause": cause, "projects": int(counts[cause]),
                         "share": counts[cause] / total})
        if stratum == "main":
            m.count("RQFiveStudyMainDidNotRun", total)
            m.count("RQFiveStudyMainRanNoMetrics",
                    int(((causes["repo"].isin(members)) & (causes["outcome"] == "ran_no_metrics")).sum())
                    if len(causes) else 0)
            from miners.rerun.vocab import RootCause

            top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if total else ""
            m.raw("RQFiveCauseTop", CAUSE_WORDS.get(top, "n/a"))
            for cause in RootCause.values():
                word = "".join(w.capitalize() for w in cause.split("_"))
                k = int(counts.get(cause, 0))
                m.count(f"RQFiveCause{word}", k)
                m.raw(f"RQFiveCause{word}Pct", percent(k / total if total else None))
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq5_causes"]["fields"]))


def _final_medians(metrics: pd.DataFrame, condition: str) -> pd.DataFrame:
    last = metrics[(metrics["condition"] == condition) & as_bool(metrics["is_last"])].copy()
    last["v"] = as_number(last["value"])
    last = last.sort_values(["repo", "run", "key", "step"]).groupby(["repo", "run", "key"], as_index=False).last()
    return last.groupby(["repo", "key"], as_index=False)["v"].median()


def _drift(data: Mapping[str, pd.DataFrame], sample: pd.DataFrame, m: Macros) -> pd.DataFrame:
    runs, metrics, var = data["reruns"], data["rerun_metrics"], data["variance"]
    cols = list(TABLE_DOCS["rq5_drift"]["fields"])
    stratum = dict(zip(sample["repo"], sample["picked_by"].map(_stratum), strict=True)) if len(sample) else {}
    if runs.empty:
        table = pd.DataFrame(columns=cols)
        ran_aw: set[str] = set()
    else:
        aw = runs[(runs["condition"] == "as_written") & runs["status"].isin(METRIC_OK)]
        ran_aw = set(aw["repo"])
        lt = runs[(runs["condition"] == "latest_env") & runs["status"].isin(METRIC_OK)]
        latest_ok = set(lt["repo"])
        timing = set(zip(var.loc[as_bool(var["timing"]), "repo"], var.loc[as_bool(var["timing"]), "key"], strict=True)) \
            if len(var) else set()
        a, b = (_final_medians(metrics, c) for c in ("as_written", "latest_env")) if len(metrics) else (None, None)
        rows = []
        for repo in sorted(ran_aw):
            common, same, worst = 0, 0, math.nan
            if repo in latest_ok and a is not None:
                j = a[a["repo"] == repo].merge(b[b["repo"] == repo], on=["repo", "key"], suffixes=("_a", "_b"))
                j = j[pd.Series([(repo, k) not in timing for k in j["key"]], index=j.index, dtype=bool)]
                common = len(j)
                rel = [abs(y - x) / abs(x) if x else (0.0 if y == x else math.inf) for x, y in zip(j["v_a"], j["v_b"],
                                                                                                 strict=True)]
                same = sum(r <= 1e-6 for r in rel)
                worst = max(rel) if rel else math.nan
            rows.append({"repo": repo, "stratum": stratum.get(repo, ""), "latest_runs_metrics": repo in latest_ok,
                         "common_metrics": common, "same_metrics": same,
                         "drift_stable": repo in latest_ok and common > 0 and same == common, "max_rel_diff": worst})
        table = pd.DataFrame(rows, columns=cols)
    main = table[table["stratum"].isin(["main", "both"])] if len(table) else table
    n = len(main)
    k_run = int(main["latest_runs_metrics"].sum()) if n else 0
    k_same = int(main["drift_stable"].sum()) if n else 0
    for stem, k, tot in (("RQFiveDriftStillRuns", k_run, n), ("RQFiveDriftStable", k_same, k_run)):
        low, high = wilson_or_nan(k, tot)
        m.prevalence(stem, k, tot, k / tot if tot else math.nan, low, high)
    env_failed = set(runs.loc[(runs["condition"] == "as_written") & (runs["run"].astype(str) == "1")
                              & runs["status"].isin(ENV_FAILURES), "repo"]) if len(runs) else set()
    rescued = env_failed & (set(runs.loc[(runs["condition"] == "latest_env") & runs["status"].isin(METRIC_OK), "repo"])
                            if len(runs) else set())
    m.count("RQFiveDriftEnvFailed", len(env_failed))
    m.count("RQFiveDriftRescued", len(rescued))
    return table


def _originals(orig: pd.DataFrame, sample: pd.DataFrame, m: Macros) -> pd.DataFrame:
    cols = list(TABLE_DOCS["rq5_against_originals"]["fields"])
    stratum = dict(zip(sample["repo"], sample["picked_by"].map(_stratum), strict=True)) if len(sample) else {}
    rows = []
    if len(orig):
        o = orig[orig["condition"] == "as_written"]
        for repo, g in o.groupby("repo"):
            ranks = [AGREEMENT_ORDER.index(a) for a in g["agreement"] if a in AGREEMENT_ORDER]
            if ranks:
                rows.append({"repo": repo, "stratum": stratum.get(repo, ""), "metrics_compared": len(g),
                             "worst": AGREEMENT_ORDER[max(ranks)], "best": AGREEMENT_ORDER[min(ranks)]})
    table = pd.DataFrame(rows, columns=cols)
    n = len(table)
    m.count("RQFiveOrigCompared", n)
    for a in AGREEMENT_ORDER:
        word = {"identical": "Identical", "within_1e-6": "WithinSix", "within_1pct": "WithinPct",
                "different": "Different"}[a]
        m.count(f"RQFiveOrig{word}", int((table["worst"] == a).sum()) if n else 0)
    k = int(table["worst"].isin(["identical", "within_1e-6"]).sum()) if n else 0
    low, high = wilson_or_nan(k, n)
    m.prevalence("RQFiveOrigReproduced", k, n, k / n if n else math.nan, low, high)
    return table


def _spread_kinds(var: pd.DataFrame, repos: pd.DataFrame, m: Macros) -> pd.DataFrame:
    cols = list(TABLE_DOCS["rq5_spread_kinds"]["fields"])
    judged = _judged(repos)
    if var.empty or not judged:
        return pd.DataFrame(columns=cols)
    v = var[~as_bool(var["timing"]) & var["repo"].isin(judged) & (as_number(var["runs_with_key"]) >= 2)].copy()
    v["kind"] = v["key"].map(metric_kind)
    v["rel"] = as_number(v["rel_range"])
    v["cvn"] = as_number(v["cv"])
    rows = []
    for (cond, kind), g in v.groupby(["condition", "kind"]):
        rows.append({"condition": cond, "kind": kind, "metrics": len(g), "projects": g["repo"].nunique(),
                     "zero_spread": int((g["rel"] == 0).sum()), "median_rel_range": g["rel"].median(),
                     "p90_rel_range": g["rel"].quantile(0.9), "median_cv": g["cvn"].median()})
    table = pd.DataFrame(rows, columns=cols)
    aw = table[table["condition"] == "as_written"]
    m.count("RQFiveSpreadMetrics", int(aw["metrics"].sum()) if len(aw) else 0)
    m.count("RQFiveSpreadZero", int(aw["zero_spread"].sum()) if len(aw) else 0)
    return table


def _predictors(data: Mapping[str, pd.DataFrame], sample: pd.DataFrame, causes: pd.DataFrame, repos: pd.DataFrame,
                main: set[str], m: Macros) -> pd.DataFrame:
    from miners.schema.ids import repo_id

    feats, prac = data["repo_features"], data["repo_practices"]
    cols = list(TABLE_DOCS["rq5_predictors"]["fields"])
    if feats.empty or prac.empty or not main:
        return pd.DataFrame(columns=cols)
    f = feats.assign(repo=feats["full_name"].map(repo_id)).set_index("repo")
    p = prac.assign(repo=prac["full_name"].map(repo_id)).set_index("repo")
    trace, mat = as_number(p["traceability"]), as_number(p["maturity"])
    predictors = {
        "full seed coverage": f["seed_coverage"] == "complete",
        "all dependencies pinned": as_bool(p["deps_pinned"]).reindex(f.index, fill_value=False),
        "MLflow only in notebooks": as_number(f["notebook_share"]) >= 1.0,
        "deep-learning framework": f["frameworks_used"].fillna("").str.lower().map(
            lambda s: any(d in s.split(";") or d in s for d in DEEP)),
        "traceability >= census median": (trace >= trace.median()).reindex(f.index, fill_value=False),
        "maturity > census median": (mat > mat.median()).reindex(f.index, fill_value=False),
    }
    executable = set(causes.loc[causes["outcome"] == "metrics", "repo"]) if len(causes) else set()
    judged = main & _judged(repos)
    outcomes = {"executable": (sorted(main), executable),
                "repeatable": (sorted(judged), _repeatable(repos, "as_written"))}
    rows = []
    for outcome, (members, yes) in outcomes.items():
        for name, flag in predictors.items():
            fl = {r: bool(flag.get(r, False)) for r in members}
            a = sum(1 for r in members if fl[r] and r in yes)
            an = sum(fl.values())
            b = sum(1 for r in members if not fl[r] and r in yes)
            bn = len(members) - an
            fr = fisher([[a, an - a], [b, bn - b]])
            rows.append({"outcome": outcome, "predictor": name, "n": len(members), "with_yes": a, "with_n": an,
                         "without_yes": b, "without_n": bn, "odds_ratio": fr.effect, "or_low": fr.effect_low,
                         "or_high": fr.effect_high, "p": fr.p})
    table = pd.DataFrame(rows, columns=cols)
    for r in table.itertuples():
        word = {"executable": "Exec", "repeatable": "Rep"}[r.outcome] + "".join(
            w.capitalize() for w in re.sub(r"[^a-z ]", " ", r.predictor.lower()).split())
        m.raw(f"RQFivePred{word}OR", number(r.odds_ratio))
        m.raw(f"RQFivePred{word}CI", interval(r.or_low, r.or_high))
        m.raw(f"RQFivePred{word}P", p_value(r.p))
    return table


def _ceiling(readings: pd.DataFrame, sample: pd.DataFrame, causes: pd.DataFrame, m: Macros) -> pd.DataFrame:
    from miners.schema.ids import repo_id

    cols = list(TABLE_DOCS["rq5_ceiling"]["fields"])
    if readings.empty:
        table = pd.DataFrame(columns=cols)
    else:
        c = causes.set_index("repo") if len(causes) else pd.DataFrame(columns=["outcome", "cause"])
        attempted = set(sample["repo"])
        rows = []
        for r in readings.drop_duplicates("repo").rename(columns={"class": "cls"}).itertuples():
            rid = repo_id(r.repo)
            outcome, cause = ("" if rid not in c.index or missing(c.loc[rid, k]) else str(c.loc[rid, k])
                              for k in ("outcome", "cause"))
            hclass = HARNESS_AS_READING.get(cause or outcome, "") if rid in attempted else ""
            rows.append({"repo": r.repo, "reading": r.reading, "class": r.cls, "attempted": rid in attempted,
                         "outcome": outcome, "cause": cause, "harness_class": hclass,
                         "agreement": _agreement(r.cls, outcome, hclass) if rid in attempted else ""})
        table = pd.DataFrame(rows, columns=cols).sort_values("repo").reset_index(drop=True)
    n = len(table)
    k = int((table["class"] == "runs_offline").sum()) if n else 0
    low, high = wilson_or_nan(k, n)
    m.prevalence("RQFiveCeiling", k, n, k / n if n else math.nan, low, high)
    ro = table[(table["class"] == "runs_offline") & table["attempted"]] if n else table
    m.count("RQFiveCeilingReadAttempted", int(table["attempted"].sum()) if n else 0)
    m.count("RQFiveCeilingOfflineAttempted", len(ro))
    m.count("RQFiveCeilingOfflineLogged", int((ro["outcome"] == "metrics").sum()) if len(ro) else 0)
    judged = table[table["agreement"] != ""] if n else table
    agree = int((judged["agreement"] == "agree").sum()) if len(judged) else 0
    low, high = wilson_or_nan(agree, len(judged))
    m.prevalence("RQFiveCauseAgree", agree, len(judged), agree / len(judged) if len(judged) else math.nan,
                 low, high)
    for kind, word in (("harness_short", "Short"), ("other_blocker_first", "OtherFirst"),
                       ("harness_ran", "Ran")):
        m.count(f"RQFiveCauseAgree{word}", int((judged["agreement"] == kind).sum()) if len(judged) else 0)
    first = judged[judged["agreement"] == "other_blocker_first"] if len(judged) else judged
    m.count("RQFiveCauseOtherFirstEnv", int((first["cause"] == "environment_unresolvable").sum()) if len(first) else 0)
    named = judged[judged["harness_class"] != ""] if len(judged) else judged
    m.count("RQFiveCauseKappaN", len(named))
    m.raw("RQFiveCauseKappa", number(cohen_kappa(named["class"], named["harness_class"]), 2)
          if len(named) else "n/a")
    return table


def _agreement(reading: str, outcome: str, harness_class: str) -> str:
    """How the harness's outcome of an attempted project compares with its reading (module docstring)."""
    if harness_class == reading:
        return "agree"
    if reading == "runs_offline":
        return "harness_short"
    if outcome == "metrics":
        return "harness_ran"
    return "other_blocker_first"


def _interventions(runs: pd.DataFrame, main: set[str], m: Macros) -> pd.DataFrame:
    """Per intervention kind, the main-sample probes that had it and how many logged metrics."""
    from miners.rerun.interventions import kind_of

    cols = list(TABLE_DOCS["rq5_interventions"]["fields"])
    if runs.empty or "interventions" not in runs.columns:
        probes = pd.DataFrame(columns=["repo", "status", "interventions"])
    else:
        probes = runs[(runs["condition"] == "as_written") & (runs["run"].astype(str) == "1")
                      & runs["repo"].isin(main) & as_bool(runs["attempted"])]
    counts: dict[str, list[int]] = {}
    for r in probes.itertuples():
        kinds = {str(k) for k in (kind_of(x.strip()) for x in str(r.interventions).split("; ")) if k}
        if "tried before:" in str(r.interventions):
            kinds.add("fallback_recipe")
        for k in kinds:
            c = counts.setdefault(k, [0, 0])
            c[0] += 1
            c[1] += r.status in METRIC_OK
    if len(runs):
        failed = set(runs.loc[(runs["condition"] == "as_written") & (runs["run"].astype(str) == "1")
                              & runs["status"].isin(ENV_FAILURES) & runs["repo"].isin(main), "repo"])
        rescued = failed & set(runs.loc[(runs["condition"] == "latest_env") & runs["status"].isin(METRIC_OK), "repo"])
        if failed:
            counts["latest_env_rescue"] = [len(failed), len(rescued)]
    rows = [{"intervention": k, "projects": v[0], "logged_metrics": v[1]} for k, v in sorted(counts.items())]
    for k in ("repair", "fallback_recipe", "tracking_redirect", "path_mapping"):
        word = "".join(w.capitalize() for w in k.split("_"))
        m.count(f"RQFiveInterv{word}", counts.get(k, [0, 0])[0])
        m.count(f"RQFiveInterv{word}Logged", counts.get(k, [0, 0])[1])
    return pd.DataFrame(rows, columns=cols)
