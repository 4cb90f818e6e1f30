"""``python -m analysis rq6``: RQ6 Evolution — how MLflow practice evolves inside a project:
when tracking, seeding and the registry appear in its history, whether they stay, and whether
registry stages were written before or after their deprecation.

Inputs: ``repo_history.csv`` and ``history_events.csv`` (``python -m miners history``; their
definitions are :mod:`miners.history.walk`), and ``repo_features.csv`` for the population.

Definitions.

* *Walked*: analysed repositories (``uses_mlflow``) whose history has status ``ok``.
* *Added later*: the family first appears in a commit after the repository's first commit
  (``first_date`` later than ``first_commit_date``); *from the start* otherwise.
* *Removed*: the family was lost after it appeared and is absent at the pinned commit
  (``removed_commit`` set, ``present_at_pin`` false).
* *Stages written after the deprecation*: a stage user (``registry_stages`` event) whose first
  stage use is on or after 2023-11-16 (the day the deprecation of registry stages was merged,
  released with MLflow 2.9). Its *base rate* is the same share for the first use of any
  registry feature by the registry users: when stages are first written after the
  deprecation about as often as the registry itself is first adopted after it, the dating
  alone says nothing about the deprecation's effect.
* *Migration*: a stage user that also uses aliases, first written on or after its first stage
  use (``stages_then_aliases``).
* *Agreement*: the (walked repository, family) pairs for which the history replayed to the
  pinned commit and the scan of the pinned tree (``repo_features.csv``) agree on presence.
* *Adoption by half-year*: the walked repositories whose first use of a family falls in each
  half-year (UTC), and cumulatively (figure 07).
* *Engineered*: the per-family measures again over the walked analysed repositories that are
  engineered projects (``study/protocol.toml`` ``[engineered]``).
* *Branches*: over every walked repository (analysed or not): more than one branch; MLflow
  use only off the default branch (``mlflow_only_off_default``); MLflow, ``mlruns/`` or model
  files on branch heads (:mod:`miners.history.branches`).

Shares carry Wilson 95% intervals. Tables: :data:`TABLE_DOCS`; macros ``RQSix...`` in
``paper/generated/rq6.tex``; the table ``paper/generated/rq6_table.tex``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.formatting import (
    CsvFormat,
    Digits,
    Macros,
    booktabs,
    count,
    percent,
    percent_interval,
)
from analysis.inference import share, wilson_or_nan
from analysis.measures import FIGURE_FORMAT
from analysis.output import stage_main
from analysis.repo_table import engineered
from analysis.results import as_bool, read_table

STAGE = "rq6"
#: The merge of the deprecation of registry stages (mlflow/mlflow#10416), UTC.
DEPRECATION = "2023-11-16"
#: Families whose adoption and persistence are reported, with the paper's words for them.
FAMILIES = {"tracking": "Tracking", "metrics": "Metrics", "autolog": "Autolog", "seed": "Seed",
            "registry": "Registry", "registry_stages": "Stages", "registry_aliases": "Aliases"}
INPUTS: dict[str, tuple[str, ...]] = {
    "repo_history": ("repo", "status", "first_commit_date", "pinned_commit_date", "age_days",
                     "commits", "authors", "days_to_first_tracking", "stages_then_aliases",
                     "branches", "branches_using_mlflow", "mlflow_only_off_default",
                     "branches_with_mlruns", "branches_with_models"),
    "history_events": ("repo", "family", "first_date", "removed_commit", "present_at_pin"),
    "repo_features": ("repo", "uses_mlflow", "logs_metrics", "uses_autolog", "sets_seed", "uses_registry",
                      "uses_stages", "uses_aliases"),
}
#: The families whose presence at the pinned commit the scan of the pinned tree also gives
#: (family -> repo_features column): the replayed history must agree with it.
AT_PIN = {"tracking": "uses_mlflow", "metrics": "logs_metrics", "autolog": "uses_autolog", "seed": "sets_seed",
          "registry": "uses_registry", "registry_stages": "uses_stages", "registry_aliases": "uses_aliases"}
#: Tables the figures draw (written exactly); the others with 6 significant digits.
FIGURE_TABLES = ("rq6_adoption",)
CSV_FORMAT = CsvFormat(default=Digits(significant=6))

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq6_families": {
        "description": "RQ6: per population and API family, among the walked analysed repositories: how many ever "
                       "had it, how many added it after their first commit, and how many removed "
                       "it, with shares and Wilson 95% intervals.",
        "fields": {
            "population": "all (every walked analysed repository) or engineered (those that are "
                          "engineered projects, study/protocol.toml [engineered])",
            "family": "API family (miners/history/walk.py FAMILIES)",
            "walked": {"type": "integer", "description": "walked analysed repositories"},
            "ever": {"type": "integer", "description": "of them, repositories that ever had the family"},
            "added_later": {"type": "integer", "description": "of those, first had it after their first commit"},
            "added_later_share": "added_later / ever",
            "added_later_ci_low": "Wilson 95% interval of added_later_share, lower bound",
            "added_later_ci_high": "Wilson 95% interval of added_later_share, upper bound",
            "removed": {"type": "integer", "description": "of those, lost it and do not have it at the pin"},
            "removed_share": "removed / ever",
            "removed_ci_low": "Wilson 95% interval of removed_share, lower bound",
            "removed_ci_high": "Wilson 95% interval of removed_share, upper bound",
            "median_days_after_first_commit": "median whole days from the first commit to the family's "
                                              "first appearance, among those that have it",
        },
    },
    "rq6_stages": {
        "description": "RQ6: registry stages dated to when they were first written, against the "
                       "base rate of first registry use, relative to the deprecation of stages "
                       "(2023-11-16), and stage-to-alias migrations.",
        "fields": {
            "measure": "stages_after (stage users whose first stage use is on/after the deprecation), "
                       "registry_after (registry users whose first registry use is on/after it: the "
                       "base rate), migrated (stage users who added aliases on or after their stages)",
            "k": {"type": "integer", "description": "repositories counted"},
            "n": {"type": "integer", "description": "repositories in the population"},
            "share": "k / n",
            "ci_low": "Wilson 95% interval, lower bound",
            "ci_high": "Wilson 95% interval, upper bound",
        },
    },
    "rq6_adoption": {
        "description": "RQ6: walked analysed repositories by the half-year (UTC) of their first use "
                       "of each family, and cumulatively (figure 07).",
        "fields": {
            "half_year": {"type": "date", "description": "first day of the half-year"},
            "family": "API family",
            "adopted": {"type": "integer", "description": "repositories whose first use falls in the half-year"},
            "cumulative": {"type": "integer", "description": "repositories whose first use is in or before it"},
        },
    },
}


def read_inputs(results: Path) -> dict[str, pd.DataFrame]:
    """The tables of :data:`INPUTS` as text; an absent one is empty."""
    return {name: read_table(results, name, cols, required=False) for name, cols in INPUTS.items()}


def walked(data: Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The walked analysed repositories' history rows, and their events."""
    feats = data["repo_features"]
    analysed = set(feats.loc[as_bool(feats["uses_mlflow"]), "repo"]) if len(feats) else set()
    hist = data["repo_history"]
    hist = hist[(hist["status"] == "ok") & hist["repo"].isin(analysed)].copy()
    ev = data["history_events"]
    ev = ev[ev["repo"].isin(set(hist["repo"]))].copy()
    return hist, ev


def families(hist: pd.DataFrame, ev: pd.DataFrame, m: Macros, population: str = "all") -> pd.DataFrame:
    """Per family: ever, added later, removed (:data:`TABLE_DOCS`); macros per family
    (``RQSix...``, or ``RQSixEng...`` for the engineered projects)."""
    first_commit = dict(zip(hist["repo"], hist["first_commit_date"], strict=True))
    n_walked = len(hist)
    prefix = "RQSix" if population == "all" else "RQSixEng"
    m.count(prefix + "Walked", n_walked)
    rows = []
    for fam, word in FAMILIES.items():
        e = ev[ev["family"] == fam]
        ever = len(e)
        first = pd.to_datetime(e["first_date"], utc=True)
        start = pd.to_datetime(e["repo"].map(first_commit).astype(object), utc=True)
        later = int((first > start).sum())
        removed = int(((e["removed_commit"] != "") & ~as_bool(e["present_at_pin"])).sum())
        days = (first - start).dt.days
        lo, hi = wilson_or_nan(later, ever)
        rlo, rhi = wilson_or_nan(removed, ever)
        rows.append({"population": population, "family": fam, "walked": n_walked, "ever": ever, "added_later": later,
                     "added_later_share": share(later, ever), "added_later_ci_low": lo,
                     "added_later_ci_high": hi, "removed": removed, "removed_share": share(removed, ever),
                     "removed_ci_low": rlo, "removed_ci_high": rhi,
                     "median_days_after_first_commit": float(days.median()) if ever else float("nan")})
        stem = prefix + word
        m.count(stem + "Ever", ever)
        m.prevalence(stem + "Later", later, ever, share(later, ever), lo, hi)
        m.prevalence(stem + "Removed", removed, ever, share(removed, ever), rlo, rhi)
        m.count(stem + "MedianDays", int(days.median()) if ever else None)
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq6_families"]["fields"]))


def stages(hist: pd.DataFrame, ev: pd.DataFrame, m: Macros) -> pd.DataFrame:
    """Stages first written after the deprecation vs the base rate of first registry use
    after it, and stage-to-alias migrations; macros ``RQSixStagesAfter``, ``RQSixRegistryAfter``
    and ``RQSixMigrated`` (each a prevalence)."""
    cut = pd.Timestamp(DEPRECATION, tz="UTC")

    def after(fam: str) -> tuple[int, int]:
        e = ev[ev["family"] == fam]
        return int((pd.to_datetime(e["first_date"], utc=True) >= cut).sum()), len(e)

    stage_users = set(ev.loc[ev["family"] == "registry_stages", "repo"])
    migrated = int(as_bool(hist.loc[hist["repo"].isin(stage_users), "stages_then_aliases"]).sum())
    rows = []
    for measure, word, (k, n) in (("stages_after", "StagesAfter", after("registry_stages")),
                                  ("registry_after", "RegistryAfter", after("registry")),
                                  ("migrated", "Migrated", (migrated, len(stage_users)))):
        lo, hi = wilson_or_nan(k, n)
        rows.append({"measure": measure, "k": k, "n": n, "share": share(k, n), "ci_low": lo, "ci_high": hi})
        m.prevalence("RQSix" + word, k, n, share(k, n), lo, hi)
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq6_stages"]["fields"]))


def adoption(ev: pd.DataFrame) -> pd.DataFrame:
    """First uses per half-year and family, with cumulative counts (every half-year from the
    first to the last first use, empty ones included)."""
    if ev.empty:
        return pd.DataFrame(columns=list(TABLE_DOCS["rq6_adoption"]["fields"]))
    when = pd.to_datetime(ev["first_date"], utc=True)
    half = [f"{t.year:04d}-{'01' if t.month <= 6 else '07'}-01" for t in when]
    e = ev.assign(half_year=half)
    starts = sorted(set(half))
    lo, hi = starts[0], starts[-1]
    span, y, h = [], int(lo[:4]), lo[5:7]
    while f"{y:04d}-{h}-01" <= hi:
        span.append(f"{y:04d}-{h}-01")
        y, h = (y, "07") if h == "01" else (y + 1, "01")
    rows = []
    for fam in FAMILIES:
        counts = e[e["family"] == fam]["half_year"].value_counts()
        total = 0
        for start in span:
            k = int(counts.get(start, 0))
            total += k
            rows.append({"half_year": start, "family": fam, "adopted": k, "cumulative": total})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq6_adoption"]["fields"]))


def branches(hist: pd.DataFrame, m: Macros) -> None:
    """Branch heads (every walked repository, analysed or not, since MLflow use that lives only
    off the default branch leaves the default branch without it): macros ``RQSixBranchRepos``
    (walked), ``RQSixMultiBranch`` (more than one branch), ``RQSixOffDefault`` (MLflow only off
    the default branch), ``RQSixBranchesMlflow`` (MLflow on two or more branch heads),
    ``RQSixBranchesMlruns`` and ``RQSixBranchesModels`` (some branch head holds ``mlruns/``, or
    a model file), each a prevalence over the walked repositories."""
    ok = hist[hist["status"] == "ok"]
    n = len(ok)
    num = {c: pd.to_numeric(ok[c], errors="coerce").fillna(0) for c in ("branches", "branches_using_mlflow",
                                                                        "branches_with_mlruns", "branches_with_models")}
    m.count("RQSixBranchRepos", n)
    for stem, k in (("MultiBranch", int((num["branches"] > 1).sum())),
                    ("OffDefault", int(as_bool(ok["mlflow_only_off_default"]).sum())),
                    ("BranchesMlflow", int((num["branches_using_mlflow"] > 1).sum())),
                    ("BranchesMlruns", int((num["branches_with_mlruns"] > 0).sum())),
                    ("BranchesModels", int((num["branches_with_models"] > 0).sum()))):
        m.prevalence("RQSix" + stem, k, n, share(k, n), *wilson_or_nan(k, n))


def tables(data: Mapping[str, pd.DataFrame], m: Macros) -> dict[str, pd.DataFrame]:
    branches(data["repo_history"], m)
    hist, ev = walked(data)
    ages = pd.to_numeric(hist["age_days"], errors="coerce")
    authors = pd.to_numeric(hist["authors"], errors="coerce")
    commits = pd.to_numeric(hist["commits"], errors="coerce")
    m.count("RQSixMedianAgeDays", int(ages.median()) if len(hist) else None)
    m.count("RQSixMedianCommits", int(commits.median()) if len(hist) else None)
    single = int((authors == 1).sum())
    m.prevalence("RQSixSingleAuthor", single, len(hist), share(single, len(hist)),
                 *wilson_or_nan(single, len(hist)))
    agreement(hist, ev, data["repo_features"], m)
    eng = hist[engineered(hist)] if len(hist) else hist
    eng_ev = ev[ev["repo"].isin(set(eng["repo"]))]
    fams = pd.concat([families(hist, ev, m), families(eng, eng_ev, m, "engineered")], ignore_index=True)
    return {"rq6_families": fams, "rq6_stages": stages(hist, ev, m), "rq6_adoption": adoption(ev)}


def agreement(hist: pd.DataFrame, ev: pd.DataFrame, feats: pd.DataFrame, m: Macros) -> None:
    """How often the history replayed to the pinned commit agrees with the scan of the pinned
    tree: (walked repository, family of :data:`AT_PIN`) pairs where both say present or both
    absent; macros ``RQSixAgreeCount`` and ``RQSixAgreeTotal``."""
    repos = list(hist["repo"])
    at_pin = set(zip(ev.loc[as_bool(ev["present_at_pin"]), "repo"], ev.loc[as_bool(ev["present_at_pin"]), "family"],
                     strict=True))
    scanned = feats.set_index("repo") if len(feats) else pd.DataFrame()
    agree = total = 0
    for repo in repos:
        if repo not in scanned.index:
            continue
        for fam, col in AT_PIN.items():
            total += 1
            agree += ((repo, fam) in at_pin) == (str(scanned.at[repo, col]).lower() == "true")
    m.count("RQSixAgreeCount", agree)
    m.count("RQSixAgreeTotal", total)


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    fam = tables["rq6_families"]
    eng = {r["family"]: r for r in fam[fam["population"] == "engineered"].to_dict("records")}
    rows = []
    for r in fam[fam["population"] == "all"].to_dict("records"):
        e = eng.get(r["family"], {})
        rows.append([FAMILIES[r["family"]], count(r["ever"]), percent(r["added_later_share"]),
                     percent_interval(r["added_later_ci_low"], r["added_later_ci_high"]),
                     percent(r["removed_share"]), percent_interval(r["removed_ci_low"], r["removed_ci_high"]),
                     count(e.get("ever", 0)), percent(e.get("added_later_share", float("nan"))),
                     percent(e.get("removed_share", float("nan")))])
    header = ["Family", "Ever", "Added later", "95\\% CI", "Removed", "95\\% CI",
              "Eng.\\ ever", "Eng.\\ later", "Eng.\\ removed"]
    return {"rq6_table": booktabs(header, "lrrrrrrrr", rows, stage=STAGE)}


def main(argv: list[str] | None = None) -> int:
    return stage_main(argv, STAGE, __doc__.split("\n\n")[0], read_inputs, tables, TABLE_DOCS, latex,
                      lambda name: FIGURE_FORMAT if name in FIGURE_TABLES else CSV_FORMAT)
