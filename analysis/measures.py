"""What every research question of RQ1-RQ4 is made of, and how it becomes tables, macros and
LaTeX: prevalence measures (:class:`Measure`) and hypothesis tests (:class:`Test`).

* A :class:`Measure` counts a boolean column of the repository table
  (:mod:`analysis.repo_table`) over a population; :func:`prevalence_table` gives one row per
  measure (``k``, ``n``, the share and its Wilson 95% interval) and the macros
  ``RQ<n><Key>Count``, ``Total``, ``Pct``, ``Low``, ``High`` and ``CI``.
* A :class:`Test` is one hypothesis test of a research question; :func:`tests_table` gives one
  row per test (``q``: Benjamini-Hochberg over every RQ1-RQ4 test, set by the stage) and the
  macros ``RQ<n>Test<Key>N``, ``Stat``, ``P``, ``Q``, ``Effect``, ``EffectCI``, ``Counts``, ``Verdict`` (``a significant`` or ``no significant``
  difference at BH-adjusted q < 0.05; never read as equality).

The CSV tables of RQ1-RQ4 write shares, intervals and statistics with 4 decimals and p-values
with 6 significant digits (:data:`CSV_FORMAT`); a table a figure draws is written exactly
(:data:`FIGURE_FORMAT`), so the figure draws the very floats the analysis computed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.formatting import (
    NA,
    CsvFormat,
    Digits,
    Macros,
    booktabs,
    count,
    interval,
    macro_name,
    missing,
    number,
    p_value,
    percent,
    percent_interval,
    tex_escape,
)
from analysis.inference import ALPHA, TestResult, fisher, prevalence
from analysis.repo_table import POPULATIONS

STAGE = "stats"
RQ_WORD = {"1": "RQOne", "2": "RQTwo", "3": "RQThree", "4": "RQFour"}


_FOUR = Digits(decimals=4)
_P = Digits(significant=6)
#: RQ1-RQ4 tables: shares, intervals and statistics with 4 decimals, p and q with 6 significant
#: digits, other floats exact.
CSV_FORMAT = CsvFormat(columns={
    **dict.fromkeys(("share", "ci_low", "ci_high", "users_share", "seeded_share", "sites_share",
                     "repositories_share", "registry_share", "stage_share", "alias_share",
                     "uses_registry_share", "registers_models_share", "uses_stages_share",
                     "uses_aliases_share", "versioned_share", "pairs_versioned_share",
                     "family_share", "cluster_ci_low", "cluster_ci_high",
                     "traceability_median", "traceability_mean",
                     "statistic", "effect", "effect_ci_low", "effect_ci_high", "min_expected"),
                    _FOUR),
    "p": _P, "q_bh": _P})
#: Tables a figure draws (``FIGURE_TABLES`` of a research question): every float exact.
FIGURE_FORMAT = CsvFormat()


@dataclass(frozen=True)
class Measure:
    """One prevalence row: a boolean column of the repository table over a population."""

    rq: str
    key: str  # the macro stem after the RQ prefix, e.g. "Params"
    column: str
    population: str  # a key of analysis.repo_table.POPULATIONS
    description: str


@dataclass
class Test:
    """One hypothesis test of a research question: what is compared, over which population,
    the result, and the outcome counts per group (``k/n vs k/n``) or the group sizes."""

    rq: str
    key: str
    question: str
    population: str
    group_a: str
    group_b: str
    result: TestResult
    counts: str = ""


PREVALENCE_FIELDS = {
    "measure": "measure id (also the stem of its LaTeX macros after the RQ prefix)",
    "column": "the boolean column of the repository table the measure counts",
    "description": "what the measure counts",
    "population": "the denominator's population (see study/protocol.md)",
    "k": "repositories of the population with the feature",
    "n": "repositories in the population",
    "share": "k / n (proportion, 0-1; empty when n is 0)",
    "ci_low": "lower bound of the Wilson 95% confidence interval of share",
    "ci_high": "upper bound of the Wilson 95% confidence interval of share",
}
DISTRIBUTION_FIELDS = {"k": "repositories at this value", "n": "repositories with a value",
                       "share": "k / n", "ci_low": "Wilson 95% CI, lower bound",
                       "ci_high": "Wilson 95% CI, upper bound"}
TEST_FIELDS = {
    "rq": "research question", "test_id": "test id (stem of its LaTeX macros)",
    "question": "what is compared", "test": "fisher, chi-square, mann-whitney or spearman",
    "population": "population (see study/protocol.md)", "group_a": "first group (row 1)",
    "group_b": "second group (row 2)", "counts": "outcome counts per group (k/n) or group sizes",
    "n": "observations in the test", "statistic_name": "name of the statistic",
    "statistic": "test statistic", "p": "two-sided p-value",
    "q_bh": "Benjamini-Hochberg adjusted p-value over all RQ1-RQ4 tests",
    "significant": "q_bh < 0.05", "effect_name": "effect size measure",
    "effect": "effect size", "effect_ci_low": "95% CI of the effect (odds ratio), lower",
    "effect_ci_high": "95% CI of the effect (odds ratio), upper",
    "dof": "degrees of freedom (chi-square)",
    "min_expected": "smallest expected cell count (chi-square)",
}


def prevalence_table(df: pd.DataFrame, measures: list[Measure], macros: Macros) -> pd.DataFrame:
    """One row per measure (:data:`PREVALENCE_FIELDS`), and its macros."""
    rows = []
    for m in measures:
        row = prevalence(df, [m.column], df[POPULATIONS[m.population][0]]).iloc[0].to_dict()
        stem = RQ_WORD[m.rq] + macro_name(m.key)
        macros.prevalence(stem, row["k"], row["n"], row["share"], row["ci_low"], row["ci_high"])
        rows.append({"measure": macro_name(m.key), "column": m.column,
                     "description": m.description, "population": m.population,
                     "k": row["k"], "n": row["n"], "share": row["share"],
                     "ci_low": row["ci_low"], "ci_high": row["ci_high"]})
    return pd.DataFrame(rows)


def fisher_groups(pop: pd.Series, a: pd.Series, b: pd.Series,
                  outcome: pd.Series) -> tuple[TestResult, str]:
    """Fisher's exact test of ``outcome`` in group ``a`` vs group ``b`` of a population, and
    the counts ``k/n vs k/n``."""
    ga, gb = pop & a, pop & b
    table = [[int((ga & outcome).sum()), int((ga & ~outcome).sum())],
             [int((gb & outcome).sum()), int((gb & ~outcome).sum())]]
    counts = f"{table[0][0]}/{sum(table[0])} vs {table[1][0]}/{sum(table[1])}"
    return fisher(table), counts


def verdict(q: float) -> str:
    """The words the paper uses for a test's outcome, from its Benjamini-Hochberg ``q``:
    ``a significant`` (q < :data:`ALPHA`), ``no significant`` (q >= ALPHA; this is not evidence of
    equality, and the text never says the groups are alike) or ``n/a`` (no q)."""
    if missing(q):
        return NA
    return "a significant" if q < ALPHA else "no significant"


def tests_table(tests: list[Test], macros: Macros) -> pd.DataFrame:
    """One row per test (:data:`TEST_FIELDS`), and its macros; ``q`` is the test's
    ``result.extra["q"]``."""
    rows = []
    for t in tests:
        r = t.result
        stem = RQ_WORD[t.rq] + "Test" + t.key
        q = r.extra.get("q", math.nan)
        macros.count(stem + "N", r.n)
        macros.raw(stem + "Stat", number(r.statistic))
        macros.raw(stem + "P", p_value(r.p))
        macros.raw(stem + "Q", p_value(q, "q"))
        macros.raw(stem + "Effect", number(r.effect))
        macros.raw(stem + "EffectCI", interval(r.effect_low, r.effect_high))
        macros.raw(stem + "Counts", tex_escape(t.counts) if t.counts else NA)
        macros.raw(stem + "Verdict", verdict(q))
        rows.append({"rq": f"RQ{t.rq}", "test_id": macro_name(t.key), "question": t.question,
                     "test": r.test, "population": t.population, "group_a": t.group_a,
                     "group_b": t.group_b, "counts": t.counts, "n": r.n,
                     "statistic_name": r.statistic_name, "statistic": r.statistic, "p": r.p,
                     "q_bh": q, "significant": (not missing(q)) and q < ALPHA,
                     "effect_name": r.effect_name, "effect": r.effect,
                     "effect_ci_low": r.effect_low, "effect_ci_high": r.effect_high,
                     "dof": r.extra.get("dof", ""),
                     "min_expected": r.extra.get("min_expected", math.nan)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- LaTeX tables


def share_cells(r: Mapping[str, Any]) -> list[str]:
    """``k/n``, the percentage and the interval (without % signs) of a prevalence row."""
    ok = r["n"] > 0
    return [f"{count(r['k'])}/{count(r['n'])}" if ok else NA,
            percent(r["share"] if ok else None),
            percent_interval(r["ci_low"], r["ci_high"], sign=False) if ok else NA]


def prevalence_tex(table: pd.DataFrame, labels: list[tuple[str, str]],
                   groups: Mapping[str, str]) -> str:
    """The paper's prevalence table: one row per ``(measure, label)`` of ``labels``, a group
    heading before the measures of ``groups``."""
    by = {r["measure"]: r for _, r in table.iterrows()} if not table.empty else {}
    rows, headings = [], {}
    for measure, label in labels:
        if measure in groups:
            headings[len(rows)] = groups[measure]
        r = by.get(measure)
        rows.append([label, *(share_cells(r) if r is not None else [NA, NA, NA])])
    return booktabs(["Measure", "$k/n$", "\\%", "95\\% CI"], "@{}lrrr@{}", rows, stage=STAGE,
                    groups=headings)


def tests_tex(table: pd.DataFrame) -> str:
    """The paper's table of every RQ1-RQ4 test: n, p, q and the effect with its CI."""
    short = {"fisher": "Fisher", "chi-square": "$\\chi^2$", "mann-whitney": "MWU",
             "spearman": "Spearman"}
    eff = {"odds ratio": "OR", "Cramér's V": "$V$", "rank-biserial r": "$r_{rb}$",
           "Spearman rho": "$\\rho$"}
    rows = []
    for _, r in table.iterrows():
        ci = ("" if missing(r["effect_ci_low"]) or missing(r["effect_ci_high"])
              else " " + interval(r["effect_ci_low"], r["effect_ci_high"]))
        p = p_value(r["p"]).replace("$p = ", "$").replace("$p < ", "$<").replace("$p$ ", "")
        q = p_value(r["q_bh"], "q").replace("$q = ", "$").replace("$q < ", "$<").replace("$q$ ", "")
        rows.append([r["rq"], tex_escape(r["question"]), short.get(r["test"], r["test"]),
                     count(r["n"]), p, q,
                     f"{eff.get(r['effect_name'], r['effect_name'])} {number(r['effect'])}{ci}"])
    return booktabs(["RQ", "Question", "Test", "$n$", "$p$", "$q$", "Effect [95\\% CI]"],
                    "@{}l>{\\raggedright\\arraybackslash}p{6.4cm}lrrrl@{}", rows, stage=STAGE)
