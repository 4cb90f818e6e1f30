"""analysis.inference: Wilson intervals, prevalences, the hypothesis tests and their effect
sizes, against hand-computed answers and scipy."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import scipy.stats as sps

from analysis import inference


def test_wilson_matches_a_hand_computed_interval():
    # p = 7/20 = 0.35, z = 1.959964, z^2 = 3.841459: centre (p + z^2/2n) / (1 + z^2/n)
    # = 0.4460365 / 1.192073 = 0.374169; half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    # = 1.959964 * sqrt(0.011375 + 0.0024009) / 1.192073 = 0.192977
    low, high = inference.wilson(7, 20)
    assert low == pytest.approx(0.181192, abs=2e-6)
    assert high == pytest.approx(0.567146, abs=2e-6)


def test_wilson_edges():
    assert inference.wilson(0, 0) is None
    assert inference.wilson(3, 2) is None
    low, high = inference.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and 0.27 < high < 0.28  # z^2/(n+z^2) = 0.2775
    low, high = inference.wilson(10, 10)
    assert high == pytest.approx(1.0) and 0.72 < low < 0.73


def test_fisher_on_a_known_table():
    # margins 10/6 and 9/7 of 16: P(a=k) = C(10,k) C(6,9-k) / C(16,9); C(16,9) = 11440.
    # observed a=8: 270/11440; as or less likely: a=9 (10), a=3 (120) -> p = 400/11440
    res = inference.fisher([[8, 2], [1, 5]])
    assert res.p == pytest.approx(400 / 11440, rel=1e-9)
    assert res.n == 16
    assert res.effect > 1 and res.effect_low < res.effect < res.effect_high
    assert res.effect_low > 1  # the exact CI excludes 1, as p < 0.05 suggests
    # rows swapped: the odds ratio inverts, p stays
    swapped = inference.fisher([[1, 5], [8, 2]])
    assert swapped.p == pytest.approx(res.p)
    assert swapped.effect == pytest.approx(1 / res.effect, rel=1e-6)


def test_fisher_degenerate_and_bad_tables():
    empty_row = inference.fisher([[0, 0], [3, 4]])
    assert math.isnan(empty_row.p) and math.isnan(empty_row.effect)
    assert math.isnan(inference.fisher([[0, 0], [0, 0]]).p)
    with pytest.raises(ValueError):
        inference.fisher([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError):
        inference.fisher([[1, -2], [3, 4]])


def test_chi_square_and_cramers_v():
    # expected [[12, 18], [28, 42]]: chi2 = 4/12 + 4/18 + 4/28 + 4/42
    res = inference.chi_square([[10, 20], [30, 40]])
    chi2 = 4 / 12 + 4 / 18 + 4 / 28 + 4 / 42
    assert res.statistic == pytest.approx(chi2)
    assert res.effect == pytest.approx(math.sqrt(chi2 / 100))
    assert res.extra["dof"] == 1
    # an all-zero row is dropped; one row left is not testable
    assert math.isnan(inference.chi_square([[5, 5], [0, 0]]).p)
    assert inference.chi_square([[10, 20], [0, 0], [30, 40]]).statistic == pytest.approx(chi2)


def test_mann_whitney_rank_biserial():
    res = inference.mann_whitney([3, 4, 5], [1, 2])
    assert res.statistic == 6  # every a beats every b
    assert res.effect == pytest.approx(1.0)
    assert res.p == pytest.approx(0.2)  # exact: 2 of C(5,2) = 10 orderings are as extreme
    assert inference.mann_whitney([1, 2], [3, 4, 5]).effect == pytest.approx(-1.0)
    assert math.isnan(inference.mann_whitney([], [1, 2]).p)


def test_spearman_and_constant_input():
    assert inference.spearman([1, 2, 3, 4], [2, 4, 6, 8]).effect == pytest.approx(1.0)
    assert math.isnan(inference.spearman([1, 1, 1], [1, 2, 3]).effect)


def test_bh_adjust_keeps_nan_out_of_the_family():
    q = inference.bh_adjust([0.01, 0.04, math.nan, 0.03])
    assert q[0] == pytest.approx(0.03) and q[1] == pytest.approx(0.04)
    assert q[3] == pytest.approx(0.04) and math.isnan(q[2])
    assert inference.bh_adjust([]) == []


def test_prevalence_denominators():
    frame = pd.DataFrame({
        "uses_mlflow": ["true", "true", "true", "false"],
        "logs_params": ["true", "false", "true", "true"],
        "sets_seed": ["false", "false", "true", "true"],
    })
    everyone = inference.prevalence(frame, ["logs_params"]).iloc[0]
    assert (everyone["k"], everyone["n"]) == (3, 4)
    by_column = inference.prevalence(frame, ["logs_params", "sets_seed"], "uses_mlflow")
    assert by_column[["k", "n"]].values.tolist() == [[2, 3], [1, 3]]
    assert by_column.iloc[0]["share"] == pytest.approx(2 / 3)
    low, high = inference.wilson(2, 3)
    assert by_column.iloc[0]["ci_low"] == pytest.approx(low)
    assert by_column.iloc[0]["ci_high"] == pytest.approx(high)
    mask = pd.Series([False, False, True, True])
    by_mask = inference.prevalence(frame, ["logs_params"], mask).iloc[0]
    assert (by_mask["k"], by_mask["n"]) == (2, 2)
    none = inference.prevalence(frame, ["logs_params"], pd.Series([False] * 4)).iloc[0]
    assert none["n"] == 0 and math.isnan(none["share"]) and math.isnan(none["ci_low"])
    with pytest.raises(KeyError):
        inference.prevalence(frame, ["nope"])
    with pytest.raises(KeyError):
        inference.prevalence(frame, ["logs_params"], "nope")


def test_wilcoxon_paired_matches_scipy_and_gives_the_rank_biserial_effect() -> None:
    a = [0.5, 0.4, 0.3, 0.2, 0.0]
    b = [0.0, 0.0, 0.0, 0.1, 0.0]
    out = inference.wilcoxon_paired(a, b)
    ref = sps.wilcoxon([0.5, 0.4, 0.3, 0.1])  # the zero difference is dropped
    assert (out.n, out.statistic, out.p) == (5, ref.statistic, ref.pvalue)
    assert out.effect == 1.0  # every non-zero difference favours a
    mixed = inference.wilcoxon_paired([1.0, 0.0], [0.0, 2.0])  # ranks 1 (+) and 2 (-)
    assert mixed.effect == pytest.approx((1 - 2) / 3)
    assert math.isnan(inference.wilcoxon_paired([0.1], [0.1]).p)
    assert inference.wilcoxon_paired([0.1], [0.1]).effect == 0.0
    assert math.isnan(inference.wilcoxon_paired([], []).effect)


def test_distribution_and_median_iqr():
    values = pd.Series([0.0, 1.0, 1.0, 3.0, math.nan])
    rows = inference.distribution(values, range(4), "score")
    assert [(r["score"], r["k"], r["n"]) for r in rows] == [(0, 1, 4), (1, 2, 4), (2, 0, 4),
                                                           (3, 1, 4)]
    assert rows[1]["share"] == 0.5 and (rows[1]["ci_low"], rows[1]["ci_high"]) == \
        inference.wilson(2, 4)
    assert inference.median_iqr(values) == (1.0, 0.75, 1.5)
    assert all(math.isnan(x) for x in inference.median_iqr(pd.Series([], dtype=float)))
