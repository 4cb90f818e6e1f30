"""RQ5 statistics (analysis/rq5.py) on small rerun results with known answers."""

from __future__ import annotations

from pathlib import Path

import scipy.stats as sps

from analysis import rq5
from analysis.formatting import Macros
from miners.csvio import write_csv
from miners.rerun.publish import FUNNEL_COLUMNS, RUN_COLUMNS
from miners.rerun.variance import REPO_COLUMNS, VARIANCE_COLUMNS
from miners.schema import vocab


def analyse(results: Path) -> tuple[Macros, dict, str]:
    macros = Macros("rq5")
    tables = rq5.tables(rq5.read_inputs(results), macros)
    return macros, tables, rq5.latex(tables)["rq5_table"]


def _results(tmp_path: Path) -> Path:
    """Four repositories: two seeders (stable), two non-seeders (one varying, one failed)."""
    res = tmp_path / "results"
    repos, runs, var = [], [], []
    spec = {"a__seed1": ("true", "identical", 0.0, 0.0), "a__seed2": ("true", "within_tolerance", 1e-9, 0.0),
            "b__noseed1": ("false", "varying", 0.3, 0.0), "b__noseed2": ("false", "not_judged", None, None)}
    for repo, (seed, verdict, aw_range, sf_range) in spec.items():
        for cond, rng in (("as_written", aw_range), ("seeds_forced", sf_range)):
            v = verdict if cond == "as_written" or verdict == "not_judged" else "identical"
            repos.append({"repo": repo, "full_name": repo.replace("__", "/"), "condition": cond, "runs_planned": 2,
                          "runs_ok": 0 if v == "not_judged" else 2, "metrics_compared": 0 if v == "not_judged" else 1,
                          "verdict": v, "why": "", "max_rel_range": rng, "median_rel_range": rng, "sets_seed": seed,
                          "seed_coverage": "", "entry_kind": "script"})
            for k in (1, 2):
                status = "crashed" if verdict == "not_judged" else "ok"
                runs.append({"repo": repo, "condition": cond, "run": k, "status": status, "attempted": True,
                             "seconds": 10.0, "timeout_s": 300.0})
            if rng is not None:
                var.append({"repo": repo, "condition": cond, "key": "acc", "timing": False, "runs_ok": 2,
                            "runs_with_key": 2, "mean": 0.5, "min": 0.5 - rng / 4, "max": 0.5 + rng / 4,
                            "rel_range": rng, "cv": rng / 2, "identical": rng == 0,
                            "original_value": 0.5 if repo == "a__seed1" and cond == "as_written" else None,
                            "rel_diff_to_original": 0.0 if repo == "a__seed1" and cond == "as_written" else None})
    write_csv(res / "rerun_repos.csv", REPO_COLUMNS, repos)
    write_csv(res / "reruns.csv", RUN_COLUMNS, runs)
    write_csv(res / "variance.csv", VARIANCE_COLUMNS, var)
    write_csv(res / "rerun_funnel.csv", FUNNEL_COLUMNS,
              [{"step": 1, "stage": "sampled", "condition": c, "repositories": 4, "dropped": 0, "drop_reasons": ""}
               for c in rq5.CONDITIONS])
    return res


def test_verdict_shares_tests_and_macros_on_known_data(tmp_path: Path) -> None:
    macros, tables, table_tex = analyse(_results(tmp_path))
    m = macros.values
    assert (m["RQFiveAsWrittenJudgedTotal"], m["RQFiveAsWrittenIdentical"], m["RQFiveAsWrittenVarying"]) == ("3", "1", "1")
    assert m["RQFiveAsWrittenStable"] == "2" and m["RQFiveAsWrittenStablePct"] == r"66.7\%"
    low, high = sps.binomtest(1, 3).proportion_ci(method="wilson")
    assert m["RQFiveAsWrittenIdenticalCI"] == f"[{100 * low:.1f}\\%, {100 * high:.1f}\\%]"
    assert m["RQFiveSeedsForcedStable"] == "3"
    # Fisher: seeders 2 stable / 0 varying; non-seeders 0 stable / 1 varying
    assert (m["RQFiveFisherSeedStable"], m["RQFiveFisherNoSeedVarying"], m["RQFiveFisherN"]) == ("2", "1", "3")
    assert m["RQFiveFisherP"] == f"$p = {sps.fisher_exact([[2, 0], [0, 1]]).pvalue:.3f}$"
    tests = tables["rq5_tests"].set_index("method")
    assert tests.loc["scipy.stats.wilcoxon", "n"] == 3
    assert m["RQFiveWilcoxonLarger"] == "2" and m["RQFiveWilcoxonSmaller"] == "0"  # 0.3 > 0, 1e-9 > 0
    assert m["RQFiveLargestRepo"] == r"\texttt{b/noseed1}" and m["RQFiveLargestRelRange"] == r"30.0\%"
    assert (m["RQFiveOriginalRepos"], m["RQFiveOriginalMatching"]) == ("1", "1")
    assert m["RQFiveAsWrittenFirstCrashed"] == "1"
    assert "as\\_written & 1 (33.3\\%)" in table_tex


def test_the_statuses_and_conditions_reported_are_the_schemas():
    assert set(rq5.STATUSES) <= set(vocab.RUN_STATUSES)
    assert set(rq5.ENV_STATUSES) <= set(vocab.ENV_STATUSES)
    assert set(rq5.CONDITIONS) <= set(vocab.CONDITIONS) and set(rq5.COND_WORD) == set(rq5.CONDITIONS)
    assert rq5.VERDICTS == vocab.VERDICTS


def test_no_rerun_results_give_na_macros_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "results").mkdir()
    macros, tables, _ = analyse(tmp_path / "results")
    assert macros.values["RQFiveAsWrittenJudgedTotal"] == "0"
    assert macros.values["RQFiveFisherP"] == "$p$ n/a"
    from analysis import rq5_study

    assert set(tables) == set(rq5.TABLE_DOCS) | set(rq5_study.TABLE_DOCS)
    assert macros.values["RQFiveStudyMainAttempted"] == "0" and macros.values["RQFiveOrigReproducedPct"] == "n/a"


def test_command_is_deterministic(tmp_path: Path) -> None:
    res = _results(tmp_path)
    outs = []
    for i in range(2):
        args = ["--results", str(res), "--tables", str(tmp_path / f"t{i}"), "--generated", str(tmp_path / f"g{i}")]
        assert rq5.main(args) == 0
        outs.append({p.name: p.read_bytes() for d in (tmp_path / f"t{i}", tmp_path / f"g{i}") for p in d.iterdir()})
    assert outs[0] == outs[1]
    assert rq5.main(["--results", str(tmp_path / "absent")]) == 2
