"""``python -m analysis rq5``: RQ5 Reproducibility, the statistics of the rerun harness's
results.

Usage::

    python -m analysis rq5 --results results --tables results/tables --generated paper/generated

Reads only ``results/`` (reruns.csv, rerun_repos.csv, variance.csv, rerun_funnel.csv,
rerun_environments.csv, rerun_sample.csv; each may be absent: its measures are then 0 or
``n/a``) and writes ``results/tables/rq5_*.csv`` (:data:`TABLE_DOCS`),
``paper/generated/rq5.tex`` (macros ``RQFive...``) and ``paper/generated/rq5_table.tex``.
Same shape as RQ1-RQ4: :func:`tables` (its tables and their macros), :func:`latex`.

Definitions.

* Conditions: RQ5 analyses and compares the harness's default conditions, *as written* and
  *seeds forced* (:data:`CONDITIONS`); rows of other conditions are not counted.
* A repository is *judged* in a condition when at least two of its runs ended ``ok`` with a
  common non-timing metric (``rerun_repos.csv`` verdict other than ``not_judged``); *stable*
  when its verdict is ``identical`` or ``within_tolerance`` (relative 1e-6).
* Shares of verdicts are over the judged repositories of the condition, with Wilson 95% CIs.
* Static seed setting predicts stability: Fisher's exact test on the 2x2 table (sets a seed
  statically: yes/no) x (stable as written: yes/no) over repositories judged as written; effect:
  conditional odds ratio with its exact 95% CI. Mann-Whitney U on the largest relative range
  of a repository's metrics as written (seeders vs non-seeders); effect: rank-biserial r.
* As written vs seeds forced: Wilcoxon signed-rank test (two-sided, zero differences dropped,
  scipy's default) on the paired largest relative ranges of the repositories judged in both
  conditions; effect: matched-pairs rank-biserial r = (W+ - W-) / (W+ + W-), positive when
  as-written spreads are larger.
* Committed originals: for repositories that commit ``mlruns/``, the relative difference of the
  as-written mean of a metric to the authors' logged value.
* Cost: environment build time (s) per project and wall-clock time per executed run (s).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.formatting import (
    NA,
    CsvFormat,
    Digits,
    Macros,
    booktabs,
    interval,
    number,
    p_value,
    percent,
    percent_interval,
    texttt,
)
from analysis.inference import fisher, mann_whitney, wilcoxon_paired, wilson
from analysis.output import stage_main
from analysis.results import as_bool, as_number, read_table
from miners.schema.conditions import DEFAULT as DEFAULT_CONDITIONS
from miners.schema.ids import full_name
from miners.schema.vocab import VERDICTS

STAGE = "rq5"
#: The conditions RQ5 analyses and compares: the harness's default ones.
CONDITIONS = DEFAULT_CONDITIONS
COND_WORD = {"as_written": "AsWritten", "seeds_forced": "SeedsForced"}
VERDICT_WORD = {"identical": "Identical", "within_tolerance": "WithinTol", "varying": "Varying",
                "not_judged": "NotJudged"}
STABLE = ("identical", "within_tolerance")
STATUSES = ("ok", "no_metrics", "crashed", "import_error", "data_missing", "network_blocked",
            "timeout", "install_failed", "entry_not_found")
STATUS_WORD = {s: "".join(w.capitalize() for w in s.split("_")) for s in STATUSES}
STAGE_WORD = {"sampled": "Sampled", "entry found": "EntryFound", "installed": "Installed",
              "ran": "Ran", "logged metrics": "Logged", "judged": "Judged",
              "reproduced": "Reproduced"}
ENV_STATUSES = ("installed", "installed_relaxed", "install_failed")
#: Floats of the RQ5 tables: 6 significant digits.
CSV_FORMAT = CsvFormat(default=Digits(significant=6))

#: The rerun tables RQ5 reads and the columns it needs of each.
INPUTS: dict[str, tuple[str, ...]] = {
    "reruns": ("repo", "condition", "run", "attempted", "status", "seconds", "tracking_redirect",
               "timeout_s", "exit_code", "entry_kind", "interventions"),
    "rerun_repos": ("repo", "condition", "verdict", "max_rel_range", "sets_seed"),
    "variance": ("repo", "condition", "key", "timing", "runs_with_key", "mean", "min", "max",
                 "rel_range", "cv", "original_value", "rel_diff_to_original"),
    "rerun_funnel": ("condition", "stage", "repositories"),
    "rerun_environments": ("repo", "env_source", "env_status", "seconds"),
    "rerun_sample": (),
    "repo_history": ("repo", "status", "authors", "commits", "age_days"),
}

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq5_verdicts": {
        "description": "RQ5: verdicts of the rerun repositories per condition, shares over the judged "
                       "repositories with Wilson 95% intervals.",
        "fields": {
            "condition": {"type": "string", "description": "as_written or seeds_forced"},
            "verdict": {"type": "string", "description": "identical, within_tolerance, varying or not_judged"},
            "repositories": {"type": "integer", "description": "repositories with this verdict"},
            "judged": {"type": "integer", "description": "repositories judged in the condition (denominator)"},
            "share": {"type": "number", "description": "repositories / judged, share 0-1 (empty for not_judged)"},
            "ci_low": {"type": "number", "description": "Wilson 95% lower bound of share"},
            "ci_high": {"type": "number", "description": "Wilson 95% upper bound of share"},
        },
    },
    "rq5_status": {
        "description": "RQ5: statuses of the runs per condition (executed and recorded-only runs).",
        "fields": {
            "condition": {"type": "string", "description": "as_written or seeds_forced"},
            "status": {"type": "string", "description": "run status (see reruns.csv)"},
            "runs": {"type": "integer", "description": "runs with this status"},
            "executed": {"type": "integer", "description": "of those, runs actually executed (attempted)"},
            "repositories": {"type": "integer", "description": "repositories whose first run has this status"},
        },
    },
    "rq5_tests": {
        "description": "RQ5: hypothesis tests (Fisher, Mann-Whitney U, Wilcoxon signed-rank) with n, "
                       "statistic, p and effect size.",
        "fields": {
            "test": {"type": "string", "description": "what is tested"},
            "method": {"type": "string", "description": "scipy test used"},
            "n": {"type": "integer", "description": "repositories (pairs for Wilcoxon) in the test"},
            "statistic": {"type": "number", "description": "test statistic (odds ratio, U or W)"},
            "p": {"type": "number", "description": "two-sided p-value"},
            "effect_name": {"type": "string", "description": "name of the effect size"},
            "effect": {"type": "number", "description": "effect size"},
            "effect_low": {"type": "number", "description": "lower 95% bound of the effect (odds ratio only)"},
            "effect_high": {"type": "number", "description": "upper 95% bound of the effect (odds ratio only)"},
        },
    },
    "rq5_spreads": {
        "description": "RQ5: the largest run-to-run spreads: per repository and condition, the non-timing "
                       "metric with the largest relative range.",
        "fields": {
            "repo": {"type": "string", "description": "repository id (owner__name)"},
            "condition": {"type": "string", "description": "as_written or seeds_forced"},
            "key": {"type": "string", "description": "metric key"},
            "runs_with_key": {"type": "integer", "description": "ok runs that logged the key"},
            "mean": {"type": "number", "description": "mean of the last values, metric's unit"},
            "min": {"type": "number", "description": "smallest last value"},
            "max": {"type": "number", "description": "largest last value"},
            "rel_range": {"type": "number", "description": "(max - min) / |mean|, a ratio"},
            "cv": {"type": "number", "description": "std / |mean|, a ratio"},
        },
    },
    "rq5_originals": {
        "description": "RQ5: reruns (as written) against the metrics the authors committed in mlruns/.",
        "fields": {
            "repo": {"type": "string", "description": "repository id (owner__name)"},
            "key": {"type": "string", "description": "metric key"},
            "original_value": {"type": "number", "description": "value in the latest committed run"},
            "mean": {"type": "number", "description": "mean of the reruns' last values"},
            "rel_diff_to_original": {"type": "number", "description": "(mean - original) / |original|"},
            "within_1e-6": {"type": "boolean", "description": "|rel diff| <= 1e-6"},
        },
    },
    "rq5_cost": {
        "description": "RQ5: cost per rerun project: environment build and run wall-clock time.",
        "fields": {
            "repo": {"type": "string", "description": "repository id (owner__name)"},
            "env_status": {"type": "string", "description": "environment outcome (rerun_environments.csv)"},
            "env_seconds": {"type": "number", "description": "environment build time, seconds"},
            "runs_executed": {"type": "integer", "description": "runs executed (both conditions)"},
            "run_seconds_median": {"type": "number", "description": "median wall-clock time of an executed run, s"},
            "run_seconds_total": {"type": "number", "description": "total wall-clock time of executed runs, s"},
        },
    },
}



def read_inputs(results: Path) -> dict[str, pd.DataFrame]:
    """The tables of :data:`INPUTS` and of :mod:`analysis.rq5_study` as text; an absent one is empty."""
    from analysis import rq5_study

    return {**{name: read_table(results, name, cols, required=False) for name, cols in INPUTS.items()},
            **rq5_study.read_inputs(results)}


def tables(data: Mapping[str, pd.DataFrame], macros: Macros) -> dict[str, pd.DataFrame]:
    """The RQ5 tables, and their macros."""
    runs, repos = data["reruns"], data["rerun_repos"]
    _sample_macros(data["rerun_sample"], runs, macros)
    _funnel_macros(data["rerun_funnel"], macros)
    spreads = spread_table(data["variance"], macros)
    _engineered_macros(repos, data["repo_history"], macros)
    from analysis import rq5_study

    return {**rq5_study.tables(data, macros),
            "rq5_verdicts": verdicts(repos, macros),
            "rq5_status": statuses(runs, macros),
            "rq5_tests": tests(repos, macros),
            "rq5_spreads": spreads,
            "rq5_originals": originals(data["variance"], macros),
            "rq5_cost": cost(runs, data["rerun_environments"], macros)}


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    return {"rq5_table": verdicts_tex(tables["rq5_verdicts"])}


def _engineered_macros(repos: pd.DataFrame, history: pd.DataFrame, m: Macros) -> None:
    """RQ5 over the engineered projects (``study/protocol.toml`` ``[engineered]``): of the
    repositories judged as written, how many are engineered (``RQFiveEngJudged``) and how many of
    those are stable as written (``RQFiveEngStable``: identical or within tolerance)."""
    from analysis.repo_table import engineered

    ok = history[history["status"] == "ok"] if not history.empty else history
    eng = set(ok.loc[engineered(ok), "repo"]) if len(ok) else set()
    aw = repos[(repos["condition"] == "as_written") & (repos["verdict"] != "not_judged")] if not repos.empty \
        else repos
    judged = aw[aw["repo"].isin(eng)] if len(aw) else aw
    m.count("RQFiveEngJudged", len(judged))
    m.count("RQFiveEngStable", int(judged["verdict"].isin(["identical", "within_tolerance"]).sum()) if len(judged) else 0)


def _sample_macros(sample: pd.DataFrame, runs: pd.DataFrame, m: Macros) -> None:
    """The rerun sample, the runs recorded and executed, and redirected tracking URIs."""
    n_sampled = len(sample) if not sample.empty else (runs["repo"].nunique() if not runs.empty else 0)
    m.count("RQFiveSampled", n_sampled)
    picked = sample.get("picked_by", pd.Series(dtype=str))
    m.count("RQFiveSampledRandom", int((picked == "sample").sum()))
    m.count("RQFiveSampledExplicit", int((picked == "explicit").sum()))
    m.count("RQFiveRunsPerCondition", int(as_number(runs["run"]).max()) if not runs.empty else None)
    m.count("RQFiveRunsRecorded", len(runs))
    m.count("RQFiveRunsExecuted", int(as_bool(runs["attempted"]).sum()) if not runs.empty else 0)
    first = runs[(runs["run"] == "1") & (runs["condition"] == "as_written")
                 & as_bool(runs["attempted"])] if not runs.empty else runs
    redirected = first[first["tracking_redirect"] != ""] if len(first) else first
    m.count("RQFiveRedirected", len(redirected))
    m.count("RQFiveRedirectedRemote", int(redirected["tracking_redirect"].str.contains(
        "http|databricks|dagshub", regex=True).sum()) if len(redirected) else 0)
    m.count("RQFiveExecutedFirst", len(first))
    timeout = as_number(runs["timeout_s"]).max() if not runs.empty else math.nan
    m.raw("RQFiveTimeout", number(timeout, 0))


def _funnel_macros(funnel: pd.DataFrame, m: Macros) -> None:
    """Projects at every stage of the rerun funnel, per condition."""
    for cond in CONDITIONS:
        f = funnel[funnel["condition"] == cond] if not funnel.empty else funnel
        for stage, word in STAGE_WORD.items():
            row = f[f["stage"] == stage] if not f.empty else f
            m.count(f"RQFive{COND_WORD[cond]}{word}",
                    int(row["repositories"].iloc[0]) if len(row) else 0)


def verdicts(repos: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Repositories per condition and verdict, shares over the judged ones with Wilson
    intervals, and the stable ones (identical or within tolerance)."""
    rows = []
    for cond in CONDITIONS:
        r = repos[repos["condition"] == cond] if not repos.empty else repos
        judged = int((r["verdict"] != "not_judged").sum()) if not r.empty else 0
        for verdict in VERDICTS:
            n_v = int((r["verdict"] == verdict).sum()) if not r.empty else 0
            ci = wilson(n_v, judged) if verdict != "not_judged" else None
            rate = n_v / judged if judged and verdict != "not_judged" else math.nan
            rows.append({"condition": cond, "verdict": verdict, "repositories": n_v,
                         "judged": judged, "share": rate, "ci_low": ci[0] if ci else math.nan,
                         "ci_high": ci[1] if ci else math.nan})
            stem = f"RQFive{COND_WORD[cond]}{VERDICT_WORD[verdict]}"
            m.count(stem, n_v)
            if verdict != "not_judged":
                m.raw(stem + "Pct", percent(rate))
                m.raw(stem + "CI", percent_interval(*(ci or (None, None))))
        stable = sum(v["repositories"] for v in rows[-4:] if v["verdict"] in STABLE)
        ci = wilson(stable, judged)
        m.count(f"RQFive{COND_WORD[cond]}Stable", stable)
        m.raw(f"RQFive{COND_WORD[cond]}StablePct", percent(stable / judged if judged else None))
        m.raw(f"RQFive{COND_WORD[cond]}StableCI", percent_interval(*(ci or (None, None))))
        m.count(f"RQFive{COND_WORD[cond]}JudgedTotal", judged)
    return pd.DataFrame(rows)


def statuses(runs: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Runs per condition and status (executed ones apart), and the status of each
    repository's first run."""
    rows = []
    for cond in CONDITIONS:
        r = runs[runs["condition"] == cond] if not runs.empty else runs
        first = r[r["run"] == "1"] if not r.empty else r
        for status in STATUSES:
            sel = r[r["status"] == status] if not r.empty else r
            rows.append({"condition": cond, "status": status, "runs": len(sel),
                         "executed": int(as_bool(sel["attempted"]).sum()) if len(sel) else 0,
                         "repositories": int((first["status"] == status).sum()) if len(first) else 0})
            m.count(f"RQFive{COND_WORD[cond]}First{STATUS_WORD[status]}", rows[-1]["repositories"])
    return pd.DataFrame(rows)


def tests(repos: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Static seed setting x stable as written (Fisher); largest relative range as written,
    seeders vs non-seeders (Mann-Whitney U); as written vs seeds forced, paired (Wilcoxon)."""
    rows = []
    aw = (repos[(repos["condition"] == "as_written") & (repos["verdict"] != "not_judged")]
          if not repos.empty else repos)
    if not aw.empty:
        seed = as_bool(aw["sets_seed"])
        stable = aw["verdict"].isin(STABLE)
        table = [[int((seed & stable).sum()), int((seed & ~stable).sum())],
                 [int((~seed & stable).sum()), int((~seed & ~stable).sum())]]
    else:
        table, seed = [[0, 0], [0, 0]], pd.Series(dtype=bool)
    fr = fisher(table)
    rows.append({"test": "static seed setting x stable as written",
                 "method": "scipy.stats.fisher_exact", "n": fr.n, "statistic": fr.statistic,
                 "p": fr.p, "effect_name": "odds ratio", "effect": fr.effect,
                 "effect_low": fr.effect_low, "effect_high": fr.effect_high})
    m.count("RQFiveFisherN", fr.n)
    for (i, j), word in {(0, 0): "SeedStable", (0, 1): "SeedVarying", (1, 0): "NoSeedStable",
                         (1, 1): "NoSeedVarying"}.items():
        m.count(f"RQFiveFisher{word}", table[i][j])
    m.raw("RQFiveFisherOR", number(fr.effect))
    m.raw("RQFiveFisherORCI", interval(fr.effect_low, fr.effect_high))
    m.raw("RQFiveFisherP", p_value(fr.p))
    rr = as_number(aw["max_rel_range"]) if not aw.empty else pd.Series(dtype=float)
    mw = mann_whitney(rr[seed].dropna() if len(rr) else [], rr[~seed].dropna() if len(rr) else [])
    rows.append({"test": "largest relative range as written: seeders vs non-seeders",
                 "method": "scipy.stats.mannwhitneyu", "n": mw.n, "statistic": mw.statistic,
                 "p": mw.p, "effect_name": "rank-biserial r", "effect": mw.effect,
                 "effect_low": math.nan, "effect_high": math.nan})
    m.count("RQFiveMWUN", mw.n)
    m.count("RQFiveMWUSeeders", mw.extra.get("n_a"))
    m.count("RQFiveMWUNonSeeders", mw.extra.get("n_b"))
    m.raw("RQFiveMWUU", number(mw.statistic, 1))
    m.raw("RQFiveMWUP", p_value(mw.p))
    m.raw("RQFiveMWUR", number(mw.effect))
    pairs = pd.DataFrame()
    if not repos.empty:
        j = repos[repos["verdict"] != "not_judged"]
        pairs = j.pivot_table(index="repo", columns="condition", values="max_rel_range",
                              aggfunc="first")
        pairs = pairs.dropna() if set(CONDITIONS) <= set(pairs.columns) else pd.DataFrame()
    a = list(as_number(pairs["as_written"])) if not pairs.empty else []
    b = list(as_number(pairs["seeds_forced"])) if not pairs.empty else []
    ok = [(x, y) for x, y in zip(a, b, strict=True) if not (math.isnan(x) or math.isnan(y))]
    wx = wilcoxon_paired([x for x, _ in ok], [y for _, y in ok])
    rows.append({"test": "largest relative range: as written vs seeds forced (paired)",
                 "method": "scipy.stats.wilcoxon", "n": wx.n, "statistic": wx.statistic,
                 "p": wx.p, "effect_name": "matched-pairs rank-biserial r", "effect": wx.effect,
                 "effect_low": math.nan, "effect_high": math.nan})
    m.count("RQFiveWilcoxonN", wx.n)
    m.count("RQFiveWilcoxonNonZero", sum(1 for x, y in ok if x != y))
    m.count("RQFiveWilcoxonLarger", sum(1 for x, y in ok if x > y))
    m.count("RQFiveWilcoxonSmaller", sum(1 for x, y in ok if x < y))
    m.raw("RQFiveWilcoxonW", number(wx.statistic, 1))
    m.raw("RQFiveWilcoxonP", p_value(wx.p))
    m.raw("RQFiveWilcoxonR", number(wx.effect))
    return pd.DataFrame(rows)


def spread_table(var: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Per repository and condition, the non-timing metric with the largest relative range
    (logged by at least two runs), largest first; macros of the largest as written."""
    if not var.empty:
        v = var[~as_bool(var["timing"]) & (as_number(var["runs_with_key"]) >= 2)].copy()
        v["rel"] = as_number(v["rel_range"])
        v = v.dropna(subset=["rel"]).sort_values(["repo", "condition", "rel", "key"],
                                                 ascending=[True, True, False, True])
        top = v.groupby(["repo", "condition"], as_index=False).first()
        top = top.sort_values(["rel", "repo", "condition"], ascending=[False, True, True])
        spreads = top[list(TABLE_DOCS["rq5_spreads"]["fields"])]
    else:
        spreads = pd.DataFrame(columns=list(TABLE_DOCS["rq5_spreads"]["fields"]))
    spreads = spreads.reset_index(drop=True)
    varying_aw = (spreads[(spreads["condition"] == "as_written")
                          & (as_number(spreads["rel_range"]) > 0)] if len(spreads) else spreads)
    if len(varying_aw):
        big = varying_aw.iloc[0]
        m.raw("RQFiveLargestRepo", texttt(full_name(big["repo"])))
        m.raw("RQFiveLargestKey", texttt(big["key"]))
        m.raw("RQFiveLargestRelRange", percent(float(big["rel_range"])))
        m.raw("RQFiveMedianRelRangeVarying",
              percent(float(as_number(varying_aw["rel_range"]).median())))
    else:
        for name in ("RQFiveLargestRepo", "RQFiveLargestKey", "RQFiveLargestRelRange",
                     "RQFiveMedianRelRangeVarying"):
            m.raw(name, NA)
    return spreads


def originals(var: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Metrics of the repositories that commit ``mlruns/``: the as-written mean against the
    authors' logged value."""
    if not var.empty:
        o = var[(var["condition"] == "as_written") & (var["original_value"] != "")].copy()
        o["rel"] = as_number(o["rel_diff_to_original"])
        o["within_1e-6"] = o["rel"].abs() <= 1e-6
        table = o[list(TABLE_DOCS["rq5_originals"]["fields"])]
    else:
        table = pd.DataFrame(columns=list(TABLE_DOCS["rq5_originals"]["fields"]))
    table = table.reset_index(drop=True)
    m.count("RQFiveOriginalRepos", table["repo"].nunique() if len(table) else 0)
    m.count("RQFiveOriginalMetrics", len(table))
    m.count("RQFiveOriginalMatching", int(table["within_1e-6"].sum()) if len(table) else 0)
    med = as_number(table["rel_diff_to_original"]).abs().median() if len(table) else math.nan
    m.raw("RQFiveOriginalMedianRelDiff", percent(med))
    return table


def cost(runs: pd.DataFrame, envs: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Per rerun project: the environment's build time and the executed runs' wall-clock
    time; macros of the medians and the total hours, and of the environments' outcomes."""
    rows = []
    if not runs.empty:
        for repo, r in runs.groupby("repo"):
            ex = r[as_bool(r["attempted"])]
            e = envs[envs["repo"] == repo] if not envs.empty else envs
            secs = as_number(ex["seconds"])
            rows.append({"repo": repo, "env_status": e["env_status"].iloc[0] if len(e) else "",
                         "env_seconds": float(as_number(e["seconds"]).iloc[0]) if len(e) else math.nan,
                         "runs_executed": len(ex),
                         "run_seconds_median": float(secs.median()) if len(ex) else math.nan,
                         "run_seconds_total": float(secs.sum())})
    table = pd.DataFrame(rows, columns=list(TABLE_DOCS["rq5_cost"]["fields"]))
    m.raw("RQFiveEnvSecondsMedian",
          number(as_number(table["env_seconds"]).median(), 0) if len(table) else NA)
    m.raw("RQFiveRunSecondsMedian",
          number(as_number(table["run_seconds_median"]).median(), 1) if len(table) else NA)
    total_h = ((float(as_number(table["run_seconds_total"]).sum())
                + float(as_number(table["env_seconds"]).sum())) / 3600 if len(table) else math.nan)
    m.raw("RQFiveTotalHours", number(total_h, 1))
    for status in ENV_STATUSES:
        name = "RQFiveEnv" + "".join(w.capitalize() for w in status.split("_"))
        m.count(name, int((envs["env_status"] == status).sum()) if not envs.empty else 0)
    m.count("RQFiveEnvInferred", int((envs["env_source"] == "inferred").sum())
            if not envs.empty else 0)
    return table


def verdicts_tex(verdicts: pd.DataFrame) -> str:
    """The paper's table of verdicts per condition (shares of the judged repositories)."""
    rows = []
    for cond in CONDITIONS:
        r = verdicts[verdicts["condition"] == cond].set_index("verdict")
        cells = []
        for v in VERDICTS:
            n_v = int(r.loc[v, "repositories"]) if v in r.index else 0
            rate = r.loc[v, "share"] if v in r.index else math.nan
            cells.append(f"{n_v}" + ("" if v == "not_judged" or math.isnan(rate)
                                     else f" ({percent(rate)})"))
        rows.append([cond.replace("_", r"\_"), *cells])
    return booktabs(["Condition", "Identical", "Within $10^{-6}$", "Varying", "Not judged"],
                    "@{}lrrrr@{}", rows, stage=STAGE)


def main(argv: list[str] | None = None) -> int:
    from analysis import rq5_study

    return stage_main(argv, STAGE, __doc__.split("\n\n")[0], read_inputs, tables,
                      {**rq5_study.TABLE_DOCS, **TABLE_DOCS}, latex,
                      lambda _: CSV_FORMAT)
