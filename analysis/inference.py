"""The statistics of the study: shares with Wilson intervals, the hypothesis tests, their
effect sizes, the Benjamini-Hochberg adjustment, and medians with quartiles.

Definitions (stated for the study in ``study/protocol.md``):

* *Prevalence* of a binary feature: ``k`` of ``n`` repositories, the share ``k/n`` and its
  Wilson score interval at :data:`CONFIDENCE` (``scipy.stats.binomtest(k, n).proportion_ci``).
* Every test is two-sided. Fisher's exact test for 2x2 tables, effect: the conditional
  maximum-likelihood odds ratio with its exact CI (``scipy.stats.contingency.odds_ratio``);
  the chi-square test of independence for larger tables, effect: Cramér's V; Mann-Whitney U,
  effect: the rank-biserial correlation ``r = 2U/(n1 n2) - 1`` (positive when the first group
  ranks higher); Spearman's rho; Wilcoxon's signed-rank test for paired values, effect: the
  matched-pairs rank-biserial ``r = (W+ - W-) / (W+ + W-)`` (positive when the first value of a
  pair is larger).
* ``q``: p-values adjusted over a family of tests (Benjamini-Hochberg).

Degenerate inputs (no observations, an empty group, a constant score) give NaN, never an
exception.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.stats.contingency import association, odds_ratio

from analysis.formatting import missing
from analysis.results import as_bool

ALPHA = 0.05
CONFIDENCE = 0.95


def share(k: float, n: float) -> float:
    """k / n, NaN when n is 0."""
    return k / n if n else math.nan


def cohen_kappa(x: Sequence[Any], y: Sequence[Any]) -> float:
    """Cohen's kappa of two nominal labellings of the same items: (p_o - p_e) / (1 - p_e), with
    p_o the observed share of equal labels and p_e the share expected from the two marginals;
    NaN for no items, or when p_e is 1 (both use one and the same label: kappa undefined)."""
    x, y = list(x), list(y)
    n = len(x)
    if n == 0:
        return math.nan
    po = sum(a == b for a, b in zip(x, y, strict=True)) / n
    pe = sum((x.count(c) / n) * (y.count(c) / n) for c in set(x) | set(y))
    return math.nan if pe >= 1 else (po - pe) / (1 - pe)


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """Wilson score interval of ``k`` successes in ``n`` trials (None when ``n`` is 0)."""
    if n <= 0 or k < 0 or k > n:
        return None
    ci = sps.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def wilson_or_nan(k: int, n: int) -> tuple[float, float]:
    """:func:`wilson`, with (NaN, NaN) when ``n`` is 0."""
    return wilson(k, n) or (math.nan, math.nan)


PREVALENCE_COLUMNS = ["measure", "k", "n", "share", "ci_low", "ci_high"]


def prevalence(frame: pd.DataFrame, columns: Sequence[str],
               denominator: str | pd.Series | None = None) -> pd.DataFrame:
    """Prevalence of boolean ``columns`` of ``frame`` over a population.

    The population (denominator) is every row when ``denominator`` is None, the rows where the
    boolean column ``denominator`` is true, or the rows where a boolean mask is true. One row
    per measure: ``k`` (true in the population), ``n`` (population size), ``share`` = k/n and
    the Wilson 95% interval (NaN when n is 0).
    """
    if denominator is None:
        mask = pd.Series(True, index=frame.index)
    elif isinstance(denominator, str):
        if denominator not in frame.columns:
            raise KeyError(f"denominator column {denominator!r} not in the frame")
        mask = as_bool(frame[denominator])
    else:
        mask = denominator.reindex(frame.index, fill_value=False).astype(bool)
    rows = []
    for col in columns:
        if col not in frame.columns:
            raise KeyError(f"column {col!r} not in the frame")
        k = int((as_bool(frame[col]) & mask).sum())
        n = int(mask.sum())
        low, high = wilson_or_nan(k, n)
        rows.append({"measure": col, "k": k, "n": n, "share": share(k, n),
                     "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)


def distribution(values: pd.Series, levels: Iterable[Any], label: str) -> list[dict[str, Any]]:
    """Per level: ``k`` values equal to it, ``n`` values present, the share and its Wilson
    interval (one row per level, in order; ``label`` names the level column)."""
    n = int(values.notna().sum())
    rows = []
    for lvl in levels:
        k = int((values == lvl).sum())
        low, high = wilson_or_nan(k, n)
        rows.append({label: lvl, "k": k, "n": n, "share": share(k, n),
                     "ci_low": low, "ci_high": high})
    return rows


def median_iqr(values: pd.Series) -> tuple[float, float, float]:
    """Median, first and third quartile (numpy's linear interpolation); NaN when empty."""
    v = values.dropna().astype(float)
    if v.empty:
        return math.nan, math.nan, math.nan
    q = np.quantile(v.to_numpy(), [0.25, 0.5, 0.75])
    return float(q[1]), float(q[0]), float(q[2])


@dataclass
class TestResult:
    """One hypothesis test: sample size, statistic, p, effect size (and its CI when exact)."""

    test: str
    n: int
    statistic: float = math.nan
    p: float = math.nan
    effect: float = math.nan
    effect_low: float = math.nan
    effect_high: float = math.nan
    effect_name: str = ""
    statistic_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _table(table: Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    arr = np.asarray(table, dtype=np.int64)
    if arr.ndim != 2 or (arr < 0).any():
        raise ValueError(f"a contingency table is a 2-D array of non-negative counts: {table!r}")
    return arr


def fisher(table: Sequence[Sequence[int]] | np.ndarray) -> TestResult:
    """Fisher's exact test (two-sided) of a 2x2 table ``[[a_yes, a_no], [b_yes, b_no]]``.

    Effect: the conditional maximum-likelihood odds ratio with its exact 95% CI (> 1: the first
    row has the higher odds of "yes"). A table with an empty row or column gives NaN.
    """
    arr = _table(table)
    if arr.shape != (2, 2):
        raise ValueError(f"Fisher's exact test needs a 2x2 table, got shape {arr.shape}")
    res = TestResult("fisher", int(arr.sum()), statistic_name="odds ratio",
                     effect_name="odds ratio")
    if (arr.sum(axis=0) == 0).any() or (arr.sum(axis=1) == 0).any():
        return res
    fe = sps.fisher_exact(arr, alternative="two-sided")
    orr = odds_ratio(arr, kind="conditional")
    ci = orr.confidence_interval(confidence_level=CONFIDENCE)
    res.p = float(fe.pvalue)
    res.statistic = res.effect = float(orr.statistic)
    res.effect_low, res.effect_high = float(ci.low), float(ci.high)
    return res


def chi_square(table: Sequence[Sequence[int]] | np.ndarray) -> TestResult:
    """Chi-square test of independence; effect: Cramér's V. Empty rows/columns are dropped;
    fewer than two non-empty rows or columns give NaN. ``extra`` holds the degrees of freedom
    and the smallest expected count (below 5 the approximation is rough)."""
    arr = _table(table)
    arr = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0] if arr.size else arr
    res = TestResult("chi-square", int(arr.sum()), statistic_name="chi2", effect_name="Cramér's V")
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 2:
        return res
    ct = sps.chi2_contingency(arr, correction=False)
    res.statistic, res.p = float(ct.statistic), float(ct.pvalue)
    res.effect = float(association(arr, method="cramer", correction=False))
    res.extra = {"dof": int(ct.dof), "min_expected": float(np.min(ct.expected_freq))}
    return res


def mann_whitney(a: Iterable[float], b: Iterable[float]) -> TestResult:
    """Mann-Whitney U test (two-sided) of ``a`` vs ``b``; effect: rank-biserial correlation
    ``r = 2 U_a / (n_a n_b) - 1`` in [-1, 1], positive when ``a`` tends to be larger.
    ``extra``: the group sizes ``n_a`` and ``n_b``."""
    xa = np.asarray([float(v) for v in a if not missing(v)])
    xb = np.asarray([float(v) for v in b if not missing(v)])
    res = TestResult("mann-whitney", int(xa.size + xb.size), statistic_name="U",
                     effect_name="rank-biserial r")
    res.extra = {"n_a": int(xa.size), "n_b": int(xb.size)}
    if xa.size == 0 or xb.size == 0:
        return res
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mw = sps.mannwhitneyu(xa, xb, alternative="two-sided")
    res.statistic, res.p = float(mw.statistic), float(mw.pvalue)
    res.effect = 2.0 * res.statistic / (xa.size * xb.size) - 1.0
    return res


def spearman(x: Iterable[float], y: Iterable[float]) -> TestResult:
    """Spearman's rank correlation (two-sided); effect: rho. Constant input gives NaN."""
    xs, ys = np.asarray(list(x), dtype=float), np.asarray(list(y), dtype=float)
    res = TestResult("spearman", int(xs.size), statistic_name="rho", effect_name="Spearman rho")
    if xs.size < 3 or np.unique(xs).size < 2 or np.unique(ys).size < 2:
        return res
    sr = sps.spearmanr(xs, ys)
    res.statistic = res.effect = float(sr.statistic)
    res.p = float(sr.pvalue)
    return res


def wilcoxon_paired(a: Sequence[float], b: Sequence[float]) -> TestResult:
    """Wilcoxon signed-rank test (two-sided) of paired ``a`` vs ``b``: zero differences are
    dropped (scipy's default), ``n`` counts every pair. Effect: the matched-pairs rank-biserial
    r over the non-zero differences (positive when ``a`` is larger; 0 when every difference is
    0, NaN without pairs)."""
    d = np.asarray(a, float) - np.asarray(b, float)
    nz = d[d != 0]
    res = TestResult("wilcoxon", len(d), statistic_name="W",
                     effect_name="matched-pairs rank-biserial r")
    if nz.size == 0:
        res.effect = 0.0 if len(d) else math.nan
        return res
    wx = sps.wilcoxon(nz, alternative="two-sided")
    ranks = sps.rankdata(np.abs(nz))
    w_plus, w_minus = ranks[nz > 0].sum(), ranks[nz < 0].sum()
    res.statistic, res.p = float(wx.statistic), float(wx.pvalue)
    res.effect = float((w_plus - w_minus) / (w_plus + w_minus))
    return res


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (``scipy.stats.false_discovery_control``); NaN stays
    NaN and is not counted in the family."""
    ps = [float(p) for p in pvalues]
    idx = [i for i, p in enumerate(ps) if not math.isnan(p)]
    out = [math.nan] * len(ps)
    if idx:
        adj = sps.false_discovery_control([ps[i] for i in idx], method="bh")
        for i, q in zip(idx, np.atleast_1d(adj), strict=True):
            out[i] = float(q)
    return out
