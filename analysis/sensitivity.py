"""Sensitivity of the headline prevalences of RQ1-RQ4 to toy and course projects: each headline
measure over all analysed repositories, over the *engineered projects* among them (their
history meets the thresholds of ``study/protocol.toml`` ``[engineered]``: authors, commits and
days; see :mod:`analysis.repo_table`), and over two restrictions that down-weight course work:
without the members of the frame's named template families (``frame_cluster``), and without
the repositories the frame guesses are course work (``frame_kind_guess = course``). Without the
frame's columns the last two are empty (``n = 0``). Table ``rq_engineered`` (LaTeX) sets all
and engineered side by side; macro ``EngMaxDiffPts`` is their largest difference in points.

Table ``rq_sensitivity`` (:data:`TABLE_DOCS`); macros ``Sens<Population><measure>...`` for the
restricted populations (``without`` shortened to ``Wo``).

Template families in the statistics (table ``rq_clusters``). A repository's *family* is the
frame's named template family (``frame_cluster``); a repository outside every named family is a
family of its own. For each headline measure over the analysed repositories: the *family-collapsed*
share gives each family one vote (each repository weighs 1 / the analysed size of its family),
and the *cluster-bootstrap* 95% interval of the per-repository share resamples whole families
with replacement (:data:`BOOTSTRAP` resamples, seed :data:`BOOTSTRAP_SEED`, percentile
interval), so that near-identical course submissions do not count as independent evidence.
Macros ``Clu<measure>FamilyPct``, ``...ClusterCI`` and ``CluMaxDiffPts`` / ``CluMaxWidenPts``
(the largest difference between the family-collapsed and the per-repository share, and the
largest widening of the interval, in percentage points).

The frame's biases (table ``rq_bias``): each headline share per stratum of the frame's known
biases: the owner's initial (``digit``, ``a``, ``other``; alphabetically capped listings
over-represent the first two) and the frame's ``evidence_strength`` (strong, medium, weak);
macro ``BiasMaxSpreadPts``, the largest difference between two strata of one dimension with
at least :data:`MIN_STRATUM` repositories each, in percentage points. Where the owner's initial
moves a share, it is post-stratified (:func:`reweighted`): the digit, ``a`` and other strata
weighted by their distribution among the repositories the frame found by search, which the
listings' alphabetical caps did not shape.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.formatting import Macros, booktabs, macro_name, number, percent, percent_interval
from analysis.inference import prevalence, share, wilson_or_nan
from analysis.results import as_bool

BOOTSTRAP = 2000
BOOTSTRAP_SEED = 2026
MIN_STRATUM = 20

#: The headline measures: (research question, boolean column of the repository table).
HEADLINE = (("1", "logs_params"), ("1", "logs_metrics"), ("1", "uses_autolog"),
            ("2", "sets_seed"), ("2", "explicit_seed"), ("2", "seed_logged_as_param"),
            ("3", "uses_registry"), ("3", "registers_models"), ("4", "data_versioning"),
            ("4", "env_versioning"), ("4", "ci"))

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq_sensitivity": {"description": "Headline prevalences over all analysed repositories, over "
                       "the engineered projects (study/protocol.toml [engineered]) and without "
                       "course-template families or course repositories (frame columns).",
                       "fields": {"population": "which repositories", "rq": "research question",
                                  "measure": "boolean column of the repository table",
                                  "k": "repositories with the feature",
                                  "n": "repositories in the population", "share": "k / n",
                                  "ci_low": "Wilson 95% CI, lower bound",
                                  "ci_high": "Wilson 95% CI, upper bound"}},
    "rq_clusters": {"description": "Headline prevalences over the analysed repositories per "
                    "repository and with one vote per template family (frame_cluster; a repository "
                    "outside every family is its own), with the Wilson interval and a cluster "
                    "bootstrap interval that resamples families.",
                    "fields": {"rq": "research question", "measure": "boolean column of the repository table",
                               "k": "repositories with the feature", "n": "analysed repositories",
                               "families": {"type": "integer", "description": "families among them"},
                               "share": "k / n", "ci_low": "Wilson 95% CI, lower bound",
                               "ci_high": "Wilson 95% CI, upper bound",
                               "family_share": "share with one vote per family",
                               "cluster_ci_low": "cluster-bootstrap 95% interval of share, lower bound",
                               "cluster_ci_high": "cluster-bootstrap 95% interval of share, upper bound"}},
    "rq_bias": {"description": "Headline prevalences per stratum of the frame's known biases: the "
                "owner's initial (digit, a, other) and the frame's evidence strength; and each "
                "share post-stratified by owner initial to the initials of the repositories the "
                "frame found by search rather than by alphabetical listings (dimension "
                "reweighted).",
                "fields": {"dimension": "owner_initial, evidence, or reweighted (share post-stratified "
                           "by owner initial; k and the interval empty)", "stratum": "the stratum",
                           "rq": "research question", "measure": "boolean column of the repository table",
                           "k": "repositories with the feature", "n": "analysed repositories in the stratum",
                           "share": "k / n", "ci_low": "Wilson 95% CI, lower bound",
                           "ci_high": "Wilson 95% CI, upper bound"}},
}


def families_of(df: pd.DataFrame) -> pd.Series:
    """Each repository's family: its frame_cluster, else the repository itself."""
    named = df["frame_cluster"].fillna("") if "frame_cluster" in df.columns else pd.Series("", index=df.index)
    return named.where(named != "", "repo:" + df["repo"])


def clusters(df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Family-collapsed shares and cluster-bootstrap intervals (:data:`TABLE_DOCS`)."""
    pop = df[df["mlflow"]]
    fam = families_of(pop)
    codes, uniques = pd.factorize(fam)
    size = np.bincount(codes)
    weight = 1.0 / size[codes]
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, len(uniques), size=(BOOTSTRAP, len(uniques))) if len(uniques) else None
    rows, diffs, widen = [], [], []
    for rq, col in HEADLINE:
        x = as_bool(pop[col]).to_numpy(dtype=float)
        k, n = int(x.sum()), len(x)
        lo, hi = wilson_or_nan(k, n)
        fam_share = float((weight * x).sum() / weight.sum()) if n else math.nan
        c_lo = c_hi = math.nan
        if draws is not None:
            per_k = np.bincount(codes, weights=x, minlength=len(uniques))
            counts = size[draws].sum(axis=1)
            shares = per_k[draws].sum(axis=1) / counts
            c_lo, c_hi = (float(v) for v in np.quantile(shares, [0.025, 0.975]))
        rows.append({"rq": f"RQ{rq}", "measure": col, "k": k, "n": n, "families": len(uniques),
                     "share": share(k, n), "ci_low": lo, "ci_high": hi, "family_share": fam_share,
                     "cluster_ci_low": c_lo, "cluster_ci_high": c_hi})
        stem = "Clu" + macro_name(col)
        macros.raw(stem + "FamilyPct", percent(fam_share))
        macros.raw(stem + "ClusterCI", percent_interval(c_lo, c_hi))
        if n:
            diffs.append(abs(fam_share - share(k, n)))
            widen.append((c_hi - c_lo) - (hi - lo))
    macros.count("CluFamilies", len(uniques))
    macros.raw("CluMaxDiffPts", number(100 * max(diffs), 1) if diffs else "n/a")
    macros.raw("CluMaxWidenPts", number(100 * max(widen), 1) if widen else "n/a")
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq_clusters"]["fields"]))


def owner_initial(full_name: str) -> str:
    """``digit``, ``a`` or ``other``: the first character of the owner's name."""
    c = (full_name or "?")[0].lower()
    return "digit" if c.isdigit() else "a" if c == "a" else "other"


def bias(df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Headline shares per stratum of the frame's biases (:data:`TABLE_DOCS`)."""
    pop = df[df["mlflow"]].copy()
    pop["owner_initial"] = pop["full_name"].map(owner_initial)
    evidence = pop["frame_evidence_strength"] if "frame_evidence_strength" in pop.columns else ""
    pop["evidence"] = pd.Series(evidence, index=pop.index).fillna("").replace("", "unknown")
    rows, spread = [], []
    for dim, strata in (("owner_initial", ("digit", "a", "other")), ("evidence", ("strong", "medium", "weak"))):
        for rq, col in HEADLINE:
            shares = []
            for stratum in strata:
                part = pop[pop[dim] == stratum]
                x = as_bool(part[col]) if len(part) else pd.Series(dtype=bool)
                k, n = int(x.sum()), len(part)
                lo, hi = wilson_or_nan(k, n)
                rows.append({"dimension": dim, "stratum": stratum, "rq": f"RQ{rq}", "measure": col,
                             "k": k, "n": n, "share": share(k, n), "ci_low": lo, "ci_high": hi})
                if n >= MIN_STRATUM:
                    shares.append(k / n)
            if len(shares) >= 2:
                spread.append(max(shares) - min(shares))
    macros.raw("BiasMaxSpreadPts", number(100 * max(spread), 1) if spread else "n/a")
    rows.extend(reweighted(pop, macros))
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq_bias"]["fields"]))


def reweighted(pop: pd.DataFrame, macros: Macros) -> list[dict[str, Any]]:
    """Each headline share post-stratified by owner initial: the strata's shares weighted by
    the distribution of owner initials among the analysed repositories that entered the frame
    through a search rather than an alphabetical path listing (``frame_evidence`` not starting
    with ``path:``), the part of the frame the listings' caps did not shape. Rows of dimension
    ``reweighted`` (``k`` empty); macros ``BiasWeightMaxShiftPts`` (the largest shift from the
    unweighted share, in points) and ``BiasWeightTarget{Digit,A,Other}Pct`` (the weights)."""
    evidence = pop["frame_evidence"] if "frame_evidence" in pop.columns else pd.Series("", index=pop.index)
    searched = pop[(evidence.fillna("") != "") & ~evidence.fillna("").str.startswith("path")]
    strata = ("digit", "a", "other")
    counts = searched["owner_initial"].value_counts()
    total = int(counts.sum())
    target = {s: (int(counts.get(s, 0)) / total if total else math.nan) for s in strata}
    for s in strata:
        macros.raw("BiasWeightTarget" + macro_name(s) + "Pct", percent(target[s]))
    rows, shifts = [], []
    parts = {s: pop[pop["owner_initial"] == s] for s in strata}
    for rq, col in HEADLINE:
        if total == 0 or any(len(parts[s]) == 0 for s in strata):
            value = math.nan
        else:
            value = sum(target[s] * float(as_bool(parts[s][col]).mean()) for s in strata)
        plain = float(as_bool(pop[col]).mean()) if len(pop) else math.nan
        if not math.isnan(value) and not math.isnan(plain):
            shifts.append(abs(value - plain))
        rows.append({"dimension": "reweighted", "stratum": "owner_initial", "rq": f"RQ{rq}", "measure": col,
                     "k": None, "n": len(pop), "share": value, "ci_low": math.nan, "ci_high": math.nan})
    macros.raw("BiasWeightMaxShiftPts", number(100 * max(shifts), 1) if shifts else "n/a")
    macros.count("BiasWeightSearched", total)
    return rows


def tables(df: pd.DataFrame, macros: Macros) -> dict[str, pd.DataFrame]:
    """The sensitivity table, and the macros of its restricted populations."""
    has_frame = "frame_kind_guess" in df.columns
    variants = {"all analysed": df["mlflow"],
                "engineered projects": df["_engineered"],
                "without named template families": df["mlflow"] & ~df["in_family"],
                "without course repositories": df["mlflow"] & (df["kind"] != "course")}
    rows = []
    for variant, mask in variants.items():
        usable = has_frame or variant in ("all analysed", "engineered projects")
        for rq, col in HEADLINE:
            row = prevalence(df, [col], mask).iloc[0].to_dict() if usable else {
                "k": 0, "n": 0, "share": math.nan, "ci_low": math.nan, "ci_high": math.nan}
            rows.append({"population": variant, "rq": f"RQ{rq}", "measure": col, "k": row["k"],
                         "n": row["n"], "share": row["share"], "ci_low": row["ci_low"],
                         "ci_high": row["ci_high"]})
    table = pd.DataFrame(rows)
    for _, r in table.iterrows():
        if r["population"] != "all analysed":
            stem = "Sens" + macro_name(r["population"].replace("without", "wo"), r["measure"])
            macros.prevalence(stem, r["k"], r["n"], r["share"], r["ci_low"], r["ci_high"])
    both = table[table["population"].isin(["all analysed", "engineered projects"])].pivot(
        index="measure", columns="population", values="share")
    diff = (both["engineered projects"] - both["all analysed"]).abs().dropna() if len(both.columns) == 2 else []
    macros.raw("EngMaxDiffPts", number(100 * max(diff), 1) if len(diff) else "n/a")
    top = str(diff.idxmax()) if len(diff) else ""
    label = LABELS.get(top, top)
    macros.raw("EngMaxDiffMeasure", label[:1].lower() + label[1:] if top else "n/a")
    macros.raw("EngMaxDiffAllPct", percent(both.at[top, "all analysed"]) if top else "n/a")
    macros.raw("EngMaxDiffEngPct", percent(both.at[top, "engineered projects"]) if top else "n/a")
    from analysis.repo_table import engineered_thresholds

    for key, value in engineered_thresholds().items():
        macros.count("Eng" + macro_name(key), value)
    eng = df["_engineered"]
    macros.count("EngAnalysed", int(eng.sum()))
    macros.raw("EngAnalysedPct", percent(share(int(eng.sum()), int(df["mlflow"].sum()))))
    macros.count("EngWalked", int((df["mlflow"] & df["has_history"]).sum()))
    return {"rq_sensitivity": table, "rq_clusters": clusters(df, macros), "rq_bias": bias(df, macros)}


#: Row labels of the headline measures in the LaTeX tables.
LABELS = {"logs_params": "Logs parameters", "logs_metrics": "Logs metrics", "uses_autolog": "Autolog",
          "sets_seed": "Sets a seed", "explicit_seed": "Explicit seeding", "seed_logged_as_param": "Logs the seed",
          "uses_registry": "Uses the registry", "registers_models": "Registers models",
          "data_versioning": "Versions data", "env_versioning": "Versions the environment", "ci": "Has CI"}


#: The strata of ``rq_bias`` the robustness table spans (owner initial, evidence strength).
BIAS_STRATA = (("owner_initial", "digit"), ("owner_initial", "a"), ("owner_initial", "other"),
               ("evidence", "strong"), ("evidence", "medium"), ("evidence", "weak"))


def latex(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """``rq_robustness``: per headline measure, the share over all analysed projects (Wilson
    95% CI), over the engineered projects, with one vote per template family (cluster-bootstrap
    95% CI over families), post-stratified by the owner's initial, and the lowest and highest
    share over the frame's strata (:data:`BIAS_STRATA`; each stratum's share is in
    ``rq_bias.csv``). Percentages without the sign."""
    c = tables["rq_clusters"].set_index("measure")
    b = tables["rq_bias"]
    s = tables["rq_sensitivity"]
    na = int(s[s["population"] == "all analysed"]["n"].iloc[0]) if len(s) else 0
    ne = int(s[s["population"] == "engineered projects"]["n"].iloc[0]) if len(s) else 0
    rows = []
    for _rq, col in HEADLINE:
        part = s[s["measure"] == col].set_index("population")
        a, e = part.loc["all analysed"], part.loc["engineered projects"]
        bias = b[b["measure"] == col].set_index(["dimension", "stratum"])
        strata = [bias.loc[k, "share"] for k in BIAS_STRATA if k in bias.index]
        w = ("reweighted", "owner_initial")
        fam = c.loc[col] if col in c.index else None
        rows.append([
            LABELS.get(col, col),
            f"{percent(a['share'], sign=False)} {percent_interval(a['ci_low'], a['ci_high'], sign=False)}",
            percent(e["share"], sign=False),
            "n/a" if fam is None else f"{percent(fam['family_share'], sign=False)} "
            f"{percent_interval(fam['cluster_ci_low'], fam['cluster_ci_high'], sign=False)}",
            percent(bias.loc[w, "share"], sign=False) if w in bias.index else "n/a",
            percent_interval(min(strata), max(strata), sign=False, brackets=False) if strata else "n/a",
        ])
    head = ["Measure", f"All ($n$={na:,}) [CI]", f"Engineered ($n$={ne:,})", "Per family [cluster CI]",
            "Reweighted", "Strata range"]
    return {"rq_robustness": booktabs(head, "lrrrrr", rows, stage="stats")}

