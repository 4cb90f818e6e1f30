"""analysis.stats: the statistics of RQ1-RQ4 and the paper's macros."""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import stats

ROOT = Path(__file__).resolve().parents[1]
DEMO_RESULTS = ROOT / "data" / "demo" / "results"


# --------------------------------------------------------------------------- pure functions


def test_wilson_matches_a_hand_computed_interval():
    # p = 7/20 = 0.35, z = 1.959964, z^2 = 3.841459: centre (p + z^2/2n) / (1 + z^2/n)
    # = 0.4460365 / 1.192073 = 0.374169; half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    # = 1.959964 * sqrt(0.011375 + 0.0024009) / 1.192073 = 0.192977
    low, high = stats.wilson(7, 20)
    assert low == pytest.approx(0.181192, abs=2e-6)
    assert high == pytest.approx(0.567146, abs=2e-6)


def test_wilson_edges():
    assert stats.wilson(0, 0) is None
    assert stats.wilson(3, 2) is None
    low, high = stats.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and 0.27 < high < 0.28  # z^2/(n+z^2) = 0.2775
    low, high = stats.wilson(10, 10)
    assert high == pytest.approx(1.0) and 0.72 < low < 0.73


def test_fisher_on_a_known_table():
    # margins 10/6 and 9/7 of 16: P(a=k) = C(10,k) C(6,9-k) / C(16,9); C(16,9) = 11440.
    # observed a=8: 270/11440; as or less likely: a=9 (10), a=3 (120) -> p = 400/11440
    res = stats.fisher([[8, 2], [1, 5]])
    assert res.p == pytest.approx(400 / 11440, rel=1e-9)
    assert res.n == 16
    assert res.effect > 1 and res.effect_low < res.effect < res.effect_high
    assert res.effect_low > 1  # the exact CI excludes 1, as p < 0.05 suggests
    # rows swapped: the odds ratio inverts, p stays
    swapped = stats.fisher([[1, 5], [8, 2]])
    assert swapped.p == pytest.approx(res.p)
    assert swapped.effect == pytest.approx(1 / res.effect, rel=1e-6)


def test_fisher_degenerate_and_bad_tables():
    empty_row = stats.fisher([[0, 0], [3, 4]])
    assert math.isnan(empty_row.p) and math.isnan(empty_row.effect)
    assert math.isnan(stats.fisher([[0, 0], [0, 0]]).p)
    with pytest.raises(ValueError):
        stats.fisher([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError):
        stats.fisher([[1, -2], [3, 4]])


def test_chi_square_and_cramers_v():
    # expected [[12, 18], [28, 42]]: chi2 = 4/12 + 4/18 + 4/28 + 4/42
    res = stats.chi_square([[10, 20], [30, 40]])
    chi2 = 4 / 12 + 4 / 18 + 4 / 28 + 4 / 42
    assert res.statistic == pytest.approx(chi2)
    assert res.effect == pytest.approx(math.sqrt(chi2 / 100))
    assert res.extra["dof"] == 1
    # an all-zero row is dropped; one row left is not testable
    assert math.isnan(stats.chi_square([[5, 5], [0, 0]]).p)
    assert stats.chi_square([[10, 20], [0, 0], [30, 40]]).statistic == pytest.approx(chi2)


def test_mann_whitney_rank_biserial():
    res = stats.mann_whitney([3, 4, 5], [1, 2])
    assert res.statistic == 6  # every a beats every b
    assert res.effect == pytest.approx(1.0)
    assert res.p == pytest.approx(0.2)  # exact: 2 of C(5,2) = 10 orderings are as extreme
    assert stats.mann_whitney([1, 2], [3, 4, 5]).effect == pytest.approx(-1.0)
    assert math.isnan(stats.mann_whitney([], [1, 2]).p)


def test_spearman_and_constant_input():
    assert stats.spearman([1, 2, 3, 4], [2, 4, 6, 8]).effect == pytest.approx(1.0)
    assert math.isnan(stats.spearman([1, 1, 1], [1, 2, 3]).effect)


def test_bh_adjust_keeps_nan_out_of_the_family():
    q = stats.bh_adjust([0.01, 0.04, math.nan, 0.03])
    assert q[0] == pytest.approx(0.03) and q[1] == pytest.approx(0.04)
    assert q[3] == pytest.approx(0.04) and math.isnan(q[2])
    assert stats.bh_adjust([]) == []


def test_macro_names_are_letters_only():
    assert stats.macro_name("RQ1", "logs_params") == "RQOneLogsParams"
    assert stats.macro_name("Trace", 10) == "TraceOneZero"
    assert stats.macro_name("with MLflow calls") == "WithMLflowCalls"
    with pytest.raises(ValueError):
        stats.macro_name("__", "")


def test_latex_macro_formatting_and_escaping():
    assert stats.latex_macro("X", "a_b & 50%") == "\\newcommand{\\X}{a\\_b \\& 50\\%}\n"
    assert stats.latex_macro("N", 1640) == "\\newcommand{\\N}{1,640}\n"
    assert stats.latex_macro("V", None) == "\\newcommand{\\V}{n/a}\n"
    assert stats.latex_macro("V", float("nan")) == "\\newcommand{\\V}{n/a}\n"
    assert stats.latex_macro("V", 12.345) == "\\newcommand{\\V}{12.3}\n"
    assert stats.latex_macro("P", "76.7\\%", raw=True) == "\\newcommand{\\P}{76.7\\%}\n"
    assert stats.tex_escape("~^\\#$") == (
        "\\textasciitilde{}\\textasciicircum{}\\textbackslash{}\\#\\$")
    for bad in ("RQ1Params", "Logs_Params", "", "X Y"):
        with pytest.raises(ValueError):
            stats.latex_macro(bad, 1)


def test_number_formats():
    assert stats.fmt_pct(0.766666) == "76.7\\%"
    assert stats.fmt_pct(None) == "n/a"
    assert stats.fmt_ci(0.7203, 0.8074) == "[72.0\\%, 80.7\\%]"
    assert stats.fmt_p(0.0004) == "$p < 0.001$"
    assert stats.fmt_p(0.0349) == "$p = 0.035$"
    assert stats.fmt_p(math.nan, "q") == "$q$ n/a"
    assert stats.fmt_num(float("inf")) == "$\\infty$"
    assert stats.fmt_num(-0.0934) == "$-$0.09"


def test_prevalence_denominators():
    frame = pd.DataFrame({
        "uses_mlflow": ["true", "true", "true", "false"],
        "logs_params": ["true", "false", "true", "true"],
        "sets_seed": ["false", "false", "true", "true"],
    })
    everyone = stats.prevalence(frame, ["logs_params"]).iloc[0]
    assert (everyone["k"], everyone["n"]) == (3, 4)
    by_column = stats.prevalence(frame, ["logs_params", "sets_seed"], "uses_mlflow")
    assert by_column[["k", "n"]].values.tolist() == [[2, 3], [1, 3]]
    assert by_column.iloc[0]["share"] == pytest.approx(2 / 3)
    low, high = stats.wilson(2, 3)
    assert by_column.iloc[0]["ci_low"] == pytest.approx(low)
    assert by_column.iloc[0]["ci_high"] == pytest.approx(high)
    mask = pd.Series([False, False, True, True])
    by_mask = stats.prevalence(frame, ["logs_params"], mask).iloc[0]
    assert (by_mask["k"], by_mask["n"]) == (2, 2)
    none = stats.prevalence(frame, ["logs_params"], pd.Series([False] * 4)).iloc[0]
    assert none["n"] == 0 and math.isnan(none["share"]) and math.isnan(none["ci_low"])
    with pytest.raises(KeyError):
        stats.prevalence(frame, ["nope"])
    with pytest.raises(KeyError):
        stats.prevalence(frame, ["logs_params"], "nope")


# --------------------------------------------------------------------------- end to end


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


FEATURE_DEFAULTS = {c: "false" for c in stats.REQUIRED["repo_features.csv"]}
FEATURE_DEFAULTS.update({"autolog_flavors": "", "registered_model_names": "",
                         "frameworks_used": "", "frameworks_seeded": "",
                         "seed_coverage": "no_random_framework", "mlflow_files_py": "1",
                         "mlflow_files_ipynb": "0", "notebook_share": "0.0",
                         "tracking_sites": "1", "seed_sites": "0", "registry_sites": "0"})
PRACTICE_DEFAULTS = {c: "false" for c in stats.REQUIRED["repo_practices.csv"]}
PRACTICE_DEFAULTS.update({"dvc_files": "0", "lfs_patterns": "", "data_files": "0",
                          "model_files": "0", "mlruns_dirs": "0", "mlruns_runs": "0",
                          "deps_declared": "0", "pinned_share": "", "mlflow_pin": "absent",
                          "mlflow_spec": "", "lock_files": "", "tags": "0", "semver_tags": "0",
                          "versioned_model_names": "0", "ci_systems": "", "monitoring": "",
                          "traceability": "3", "traceability_points": "code;metrics;randomness",
                          "maturity": "0"})


def make_results(folder: Path) -> Path:
    """Four selected repositories, three of them with MLflow calls."""
    folder.mkdir(parents=True)
    repos = [
        {"repo": "a__one", "full_name": "a/one", "uses_mlflow": "true", "logs_params": "true",
         "logs_metrics": "true", "sets_seed": "true", "frameworks_used": "numpy;sklearn",
         "frameworks_seeded": "numpy;sklearn", "seed_coverage": "complete",
         "seed_logged_as_param": "true", "uses_registry": "true", "registers_models": "true",
         "uses_stages": "true", "registered_model_names": "model_v2"},
        {"repo": "b__two", "full_name": "b/two", "uses_mlflow": "true", "logs_params": "true",
         "uses_autolog": "true", "autolog_flavors": "sklearn", "frameworks_used": "torch",
         "seed_coverage": "none", "mlflow_files_py": "0", "mlflow_files_ipynb": "2",
         "notebook_share": "1.0"},
        {"repo": "c__three", "full_name": "c/three", "uses_mlflow": "true",
         "uses_autolog": "true", "autolog_flavors": "generic;sklearn", "sets_seed": "true",
         "frameworks_used": "sklearn", "frameworks_seeded": "sklearn",
         "seed_coverage": "complete", "uses_registry": "true", "uses_aliases": "true"},
        {"repo": "d__four", "full_name": "d/four", "uses_mlflow": "false",
         "mlflow_files_py": "0", "tracking_sites": "0"},
    ]
    cols = list(stats.REQUIRED["repo_features.csv"])
    _write(folder / "repo_features.csv", cols, [{**FEATURE_DEFAULTS, **r} for r in repos])
    practices = [
        {"repo": "a__one", "dvc_dir": "true", "tags": "2", "semver_tags": "2",
         "versioned_model_names": "1", "traceability": "7", "maturity": "2",
         "ci_systems": "github_actions", "deps_declared": "4", "pinned_share": "1.0"},
        {"repo": "b__two", "traceability": "2"},
        {"repo": "c__three", "traceability": "5", "maturity": "1", "ci_systems": "jenkins"},
        {"repo": "d__four", "traceability": "0"},
    ]
    _write(folder / "repo_practices.csv", list(stats.REQUIRED["repo_practices.csv"]),
           [{**PRACTICE_DEFAULTS, **r} for r in practices])
    _write(folder / "funnel.csv", list(stats.REQUIRED["funnel.csv"]), [
        {"step": "1", "stage": "found", "repositories": "10", "dropped": "0"},
        {"step": "3", "stage": "sampled", "repositories": "5", "dropped": "5",
         "drop_reasons": "not drawn by the seeded sample: 5"},
        {"step": "4", "stage": "cloned", "repositories": "4", "dropped": "1",
         "drop_reasons": "not_found: 1"},
        {"step": "7", "stage": "with MLflow calls", "repositories": "3", "dropped": "1",
         "drop_reasons": "no tracking or registry call site: 1"},
    ])
    _write(folder / "corpus.csv", ["full_name", "sampled", "selected", "commit_date", "cluster",
                                   "cluster_size", "frame_kind_guess", "frame_cluster"], [
        {"full_name": "a/one", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2024-05-01T10:00:00+02:00", "frame_kind_guess": "project"},
        {"full_name": "b/two", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2021-01-01T00:00:00+00:00", "frame_kind_guess": "course",
         "frame_cluster": "Some course"},
        {"full_name": "c/three", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2023-01-01T00:00:00+00:00", "frame_kind_guess": "tutorial"},
        {"full_name": "d/four", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2025-01-01T00:00:00+00:00"},
    ])
    _write(folder / "call_sites.csv", ["repo", "path", "category", "api", "detail"], [
        {"repo": "a__one", "category": "seed", "api": "numpy.random.seed",
         "detail": "framework=numpy;covers=numpy,sklearn;value=42"},
        {"repo": "a__one", "category": "seed", "api": "sklearn.model_selection.train_test_split",
         "detail": "framework=sklearn;keyword=random_state;value=7"},
        {"repo": "c__three", "category": "seed", "api": "sklearn.svm.SVC",
         "detail": "framework=sklearn;keyword=random_state;value=42"},
        {"repo": "a__one", "category": "tracking", "api": "mlflow.log_param", "detail": ""},
    ])
    _write(folder / "files.csv", ["repo", "path", "kind", "status"], [
        {"repo": "a__one", "path": "train.py", "kind": "py", "status": "parsed"},
        {"repo": "b__two", "path": "nb.ipynb", "kind": "ipynb", "status": "parsed"},
        {"repo": "b__two", "path": "old.py", "kind": "py", "status": "parse_error"},
    ])
    (folder / "provenance.json").write_text('{"sample": {"seed": 2026}}', encoding="utf-8")
    return folder


def macros_of(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("% Generated by python -m analysis stats; do not edit.\n")
    found = re.findall(r"^\\newcommand\{\\([^}]*)\}\{(.*)\}$", text, flags=re.M)
    assert len(found) == text.count("\\newcommand")
    return dict(found)


def run(results: Path, out: Path) -> tuple[int, Path, Path]:
    tables, generated = out / "tables", out / "generated"
    code = stats.main(["--results", str(results), "--tables", str(tables),
                       "--generated", str(generated)])
    return code, tables, generated


def test_command_end_to_end(tmp_path):
    code, tables, generated = run(make_results(tmp_path / "results"), tmp_path / "out")
    assert code == 0
    m = macros_of(generated / "stats.tex")
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in m)
    # RQ1 over the three repositories with MLflow calls, not the four selected
    assert (m["RQOneParamsCount"], m["RQOneParamsTotal"], m["RQOneParamsPct"]) == (
        "2", "3", "66.7\\%")
    low, high = stats.wilson(2, 3)
    assert m["RQOneParamsCI"] == f"[{100 * low:.1f}\\%, {100 * high:.1f}\\%]"
    assert m["RQOneAutologOnlyCount"] == "1"  # c: autolog, no explicit params or metrics
    assert m["RQOneNotebookOnlyCount"] == "1" and m["RQOneScriptOnlyCount"] == "2"
    assert m["RQOneAutologTopFlavor"] == "sklearn" and m["RQOneAutologTopFlavorCount"] == "2"
    # RQ2: coverage over users of a random framework, seed-as-param among seeders
    assert (m["RQTwoCoverageCompleteCount"], m["RQTwoCoverageCompleteTotal"]) == ("2", "3")
    assert (m["RQTwoSeedParamSeedersCount"], m["RQTwoSeedParamSeedersTotal"]) == ("1", "2")
    assert m["RQTwoExplicitSeedCount"] == "1" and m["RQTwoKeywordOnlyCount"] == "1"
    assert (m["RQTwoTorchSeededCount"], m["RQTwoTorchSeededTotal"]) == ("0", "1")
    assert m["RQTwoJaxSeededPct"] == "n/a"  # nobody uses jax: n = 0
    assert m["RQTwoTopSeedValue"] == "42"
    assert (m["RQTwoTopSeedSitesCount"], m["RQTwoTopSeedSitesTotal"]) == ("2", "3")
    assert (m["RQTwoTopSeedReposCount"], m["RQTwoTopSeedReposTotal"]) == ("2", "2")
    # RQ3: stages and aliases among registry users; dates in UTC against the deprecation
    assert (m["RQThreeStagesCount"], m["RQThreeStagesTotal"]) == ("1", "2")
    assert (m["RQThreeStagesAfterCount"], m["RQThreeStagesAfterTotal"]) == ("1", "1")
    assert (m["RQThreeVersionedNamesCount"], m["RQThreeVersionedNamesTotal"]) == ("1", "1")
    assert m["RQThreeTagsAllSemverCount"] == "1"
    # RQ4 and the funnel
    assert m["RQFourMaturityTwoCount"] == "1" and m["RQFourTraceMedian"] == "5"
    assert m["RQFourDepsAllPinnedCount"] == "1" and m["RQFourDepsAllPinnedTotal"] == "1"
    assert m["FunnelFound"] == "10" and m["FunnelMLflow"] == "3"
    assert m["FunnelDropCloneNotFound"] == "1" and m["FunnelDropNearDuplicate"] == "0"
    assert m["FunnelEligible"] == "n/a"  # a stage the funnel does not have
    assert m["SampleSeed"] == "2026" and m["FilesParseError"] == "1"
    assert m["CorpusInFamilyCount"] == "1" and m["CorpusCourseCount"] == "1"
    assert m["RQThreeKindProjectStagesPct"] == "100.0\\%"  # a/one, the only project
    assert m["RQThreeKindCourseStagesPct"] == "0.0\\%" and m["RQThreeKindResearchRepos"] == "0"
    assert m["PinnedThreshold"] == "80\\%"
    # tests: every one has all its macros
    for name in ("RQTwoTestSeedNotebook", "RQThreeTestStagesPeriod", "RQFourTestTraceMaturity"):
        for suffix in ("N", "Stat", "P", "Q", "Effect", "EffectCI", "Counts"):
            assert name + suffix in m
    # every documented table is written with exactly its documented columns
    for name, doc in stats.TABLE_DOCS.items():
        assert doc["description"] and all(doc["fields"].values()), name
        with (tables / f"{name}.csv").open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == list(doc["fields"]), name
    written = sorted(p.stem for p in tables.glob("*.csv"))
    assert written == sorted(stats.TABLE_DOCS)
    rq1 = pd.read_csv(tables / "rq1_tracking.csv").set_index("measure")
    assert rq1.loc["Params", "k"] == 2 and rq1.loc["Params", "n"] == 3
    for tex in generated.glob("*.tex"):
        text = tex.read_text(encoding="utf-8")
        assert text.startswith("% Generated by python -m analysis stats; do not edit.")
        if tex.name != "stats.tex":
            assert "\\toprule" in text and "\\bottomrule" in text


def test_every_macro_is_written_whatever_the_input(tmp_path):
    _, _, full = run(make_results(tmp_path / "results"), tmp_path / "full")
    empty = tmp_path / "empty"
    empty.mkdir()
    _write(empty / "repo_features.csv", list(stats.REQUIRED["repo_features.csv"]), [])
    code, tables, generated = run(empty, tmp_path / "none")
    assert code == 0
    m_empty = macros_of(generated / "stats.tex")
    assert set(m_empty) == set(macros_of(full / "stats.tex"))
    assert m_empty["RQOneParamsPct"] == "n/a" and m_empty["RQOneParamsTotal"] == "0"
    assert m_empty["RQTwoTestSeedNotebookP"] == "$p$ n/a"
    assert pd.read_csv(tables / "rq1_tracking.csv")["n"].eq(0).all()


def test_output_is_deterministic(tmp_path):
    results = make_results(tmp_path / "results")
    assert run(results, tmp_path / "one")[0] == 0
    assert run(results, tmp_path / "two")[0] == 0
    files1 = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    files2 = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*.*"))
    assert files1 == files2 and files1
    for rel in files1:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert stats.main(["--results", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    results = make_results(tmp_path / "results")
    _write(results / "funnel.csv", ["step", "stage"], [])
    assert stats.main(["--results", str(results), "--generated", str(tmp_path / "g")]) == 2
    assert "funnel.csv lacks the column(s) repositories" in capsys.readouterr().err


def ci() -> bool:
    """True under CI (``CI`` set to anything but empty, 0 or false, as CI services and .ci/run do)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("", False), ("0", False), ("false", False), ("False", False), ("no", False),
    ("true", True), ("1", True), ("yes", True),
])
def test_ci_is_read_from_the_ci_variable(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert ci() is expected


def test_demo_results(tmp_path):
    """The statistics on the real demo (``make demo``: the sample corpus mined and re-run).
    .ci/run builds the demo before ``make test``, so under CI missing demo results fail."""
    if not (DEMO_RESULTS / "repo_features.csv").exists():
        missing = (f"demo results not built ({DEMO_RESULTS.relative_to(ROOT)}/repo_features.csv is missing): "
                   "run `make demo`, then this test")
        if ci():
            pytest.fail(f"{missing}; under CI the demo must be built before the tests (.ci/run)", pytrace=False)
        pytest.skip(missing)
    code, tables, generated = run(DEMO_RESULTS, tmp_path / "demo")
    assert code == 0
    m = macros_of(generated / "stats.tex")
    features = pd.read_csv(DEMO_RESULTS / "repo_features.csv", dtype=str, keep_default_na=False)
    assert m["Selected"] == str(len(features))
    assert m["Analysed"] == str(int((features["uses_mlflow"] == "true").sum()))
    assert (tables / "rq1_tracking.csv").exists() and (generated / "funnel.tex").exists()
