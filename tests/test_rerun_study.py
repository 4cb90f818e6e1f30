"""The reproducibility study (make rerun): the census's queue, probe then repeat, committed
records that resume on a fresh work folder, the stop rules, the mirrors of the next chunk, root
causes, and the same CSVs from a real Dask LocalCluster. Real git mirrors, real sandboxed runs,
a real MLflow store."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from miners.committed import CommittedRecords
from miners.csvio import read_csv
from miners.rerun import causes, sandbox
from miners.rerun.vocab import RootCause
from tests.conftest import git, write_files

pytestmark = pytest.mark.skipif(sandbox.available() is None, reason="needs bubblewrap or unshare")

SEEDED = ("import random\nimport mlflow\nrandom.seed(3)\n"
          "with mlflow.start_run():\n    mlflow.log_param('n', 3)\n"
          "    mlflow.log_metric('score', random.random())\n")
PROJECTS = {
    # logs a seeded metric and commits the run it made: judged, and compared with its original
    "o/seeded": {"train.py": SEEDED},
    # reads a file that is not committed: did not run, data_not_in_repository, no further run
    "o/nodata": {"train.py": "import mlflow\nopen('data/raw.csv').read()\nmlflow.log_metric('x', 1.0)\n"},
    # logs an unseeded metric: judged, and varies as written
    "o/unseeded": {"train.py": "import random\nimport mlflow\nwith mlflow.start_run():\n"
                               "    mlflow.log_metric('score', random.random())\n"},
}
FEATURE_COLS = ["full_name", "uses_mlflow", "logs_metrics", "uses_autolog", "mlflow_files_py", "mlflow_files_ipynb",
                "sets_seed", "seed_coverage"]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def census(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three projects as bare mirrors, and the census tables the study draws from."""
    base = tmp_path_factory.mktemp("study")
    corpus, features, practices = [], [], []
    for name, files in PROJECTS.items():
        src = write_files(base / "src" / name.replace("/", "+"), files)
        if name == "o/seeded":  # the author's committed run, made by the same script
            subprocess.run([sys.executable, "train.py"], cwd=src, check=True, capture_output=True,
                           env={"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": (src / "mlruns").as_uri(),
                                "MLFLOW_ALLOW_FILE_STORE": "true", "HOME": str(base)})
        git(src, "init", "-q", "-b", "main")
        git(src, "add", "-A")
        git(src, "commit", "-q", "-m", "init")
        sha = git(src, "rev-parse", "HEAD").strip()
        mirror = base / "mirrors" / f"{name.replace('/', '+')}.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(src), str(mirror)], check=True)
        corpus.append({"full_name": name, "sha": sha, "commit_date": "", "scanned": "true", "cluster": "",
                       "frame_cluster": ""})
        features.append({"full_name": name, "uses_mlflow": "true", "logs_metrics": "true", "uses_autolog": "false",
                         "mlflow_files_py": "1", "mlflow_files_ipynb": "0",
                         "sets_seed": "true" if name == "o/seeded" else "false",
                         "seed_coverage": "complete" if name == "o/seeded" else "none", "frameworks_used": "",
                         "notebook_share": "0.0"})
        practices.append({"full_name": name, "mlruns_params": "1" if name == "o/seeded" else "0",
                          "mlruns_metrics": "1" if name == "o/seeded" else "0", "deps_pinned": "false",
                          "traceability": "3", "maturity": "1"})
    from miners.schema import names

    features = [{**dict.fromkeys(names("repo_features"), "0"), "repo": r["full_name"].replace("/", "__"), **r}
                for r in features]
    practices = [{**dict.fromkeys(names("repo_practices"), "0"), "repo": r["full_name"].replace("/", "__"), **r}
                 for r in practices]
    results = base / "census"
    results.mkdir()
    _write_csv(results / "corpus.csv", corpus)
    _write_csv(results / "repo_features.csv", features)
    _write_csv(results / "repo_practices.csv", practices)
    return {"base": base, "corpus": results / "corpus.csv",
            "template": f"file://{base}/mirrors/{{owner}}+{{name}}.git"}


def study(census: dict, name: str, *extra: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
    """Run ``python -m miners rerun-study`` with the test environment; returns (process, records, out)."""
    root = census["base"] / name
    records, out = root / "records", root / "out"
    cmd = [sys.executable, "-m", "miners", "rerun-study", "--corpus", str(census["corpus"]),
           "--url-template", census["template"], "--work", str(root / "work"), "--cache", str(root / "cache"),
           "--records", str(records), "--out", str(out), "--python-env", sys.prefix, "--runs", "2",
           "--timeout", "120", "--protocol", str(root / "none.toml"), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc, records, out


def _comparable(out: Path) -> dict[str, list[dict[str, str]]]:
    """The published tables without the columns that time the runs."""
    # timings, and values that differ between any two executions of an unseeded project
    timing = {"seconds", "env_seconds", "stderr_tail", "evidence", "value", "max_rel_range", "median_rel_range",
              "rerun_value", "diff", "rel_diff", "params_logged"}
    tables = {}
    for name in ("reruns", "rerun_metrics", "rerun_params", "rerun_causes", "rerun_sample", "rerun_repos",
                 "rerun_originals", "rerun_funnel"):
        tables[name] = [{k: v for k, v in r.items() if k not in timing} for r in read_csv(out / f"{name}.csv")]
    return tables


@pytest.fixture(scope="module")
def local(census: dict) -> dict:
    """The study in two chunks on one machine: 2 projects, then the rest on a fresh work folder."""
    first, records, out = study(census, "local", "--max-projects", "2")
    after_first = {rid: CommittedRecords(records, "rerun").path(rid).read_bytes()
                   for rid in CommittedRecords(records, "rerun").ids()}
    (census["base"] / "local" / "work").rename(census["base"] / "local" / "work-first")  # a new machine
    second, _, _ = study(census, "local")
    return {"first": first, "second": second, "records": records, "out": out, "after_first": after_first,
            "runs": {(r["repo"], r["condition"], int(r["run"])): r for r in read_csv(out / "reruns.csv")}}


def test_probe_then_repeat_in_three_conditions(local: dict) -> None:
    runs = local["runs"]
    for repo in ("o__seeded", "o__unseeded"):
        assert {(c, k) for (r, c, k) in runs if r == repo} == {(c, k) for c in ("as_written", "seeds_forced",
                                                                                 "latest_env") for k in (1, 2)}
    # a probe that fails for its data gets no further run
    assert [(c, k, r["status"]) for (repo, c, k), r in runs.items() if repo == "o__nodata"] == [
        ("as_written", 1, "data_missing")]


def test_chunks_resume_from_committed_records_on_a_fresh_work_folder(local: dict) -> None:
    assert len(local["after_first"]) == 2
    store = CommittedRecords(local["records"], "rerun")
    assert len(store.ids()) == 3
    for rid, data in local["after_first"].items():  # the second chunk did not redo or rewrite them
        assert store.path(rid).read_bytes() == data
    assert "0 project(s) attempted now" not in local["second"].stderr
    assert "1 project(s) attempted now; 3 attempted" in local["second"].stderr


def test_a_rerun_with_nothing_left_attempts_nothing_and_publishes_the_same_tables(local: dict, census: dict) -> None:
    before = {p.name: p.read_bytes() for p in local["out"].glob("*.csv")}
    proc, _, out = study(census, "local")
    assert "0 project(s) attempted now" in proc.stderr
    assert {p.name: p.read_bytes() for p in out.glob("*.csv")} == before


def test_strata_positions_and_root_causes_are_published(local: dict) -> None:
    sample = {r["repo"]: r for r in read_csv(local["out"] / "rerun_sample.csv")}
    assert sample["o__seeded"]["picked_by"] == "sample_and_originals"
    assert sample["o__nodata"]["picked_by"] == "sample"
    assert sorted(int(r["position"]) for r in sample.values()) == [1, 2, 3]
    rows = {r["repo"]: r for r in read_csv(local["out"] / "rerun_causes.csv")}
    assert (rows["o__nodata"]["outcome"], rows["o__nodata"]["cause"]) == ("did_not_run", "data_not_in_repository")
    assert rows["o__nodata"]["where"] == "train.py:2"
    assert (rows["o__seeded"]["outcome"], rows["o__seeded"]["cause"]) == ("metrics", "")


def test_every_table_the_study_writes_fits_the_published_schema(local: dict) -> None:
    from miners.schema import TABLES
    from miners.schema.check import problems
    from miners.schema.rerun import RERUN

    written = sorted(p.stem for p in local["out"].glob("*.csv"))
    assert set(RERUN) <= set(written)
    for name in written:
        if name in TABLES:
            assert problems(name, local["out"] / f"{name}.csv") == [], name


def test_reruns_are_compared_with_the_committed_original(local: dict) -> None:
    rows = read_csv(local["out"] / "rerun_originals.csv")
    written = [r for r in rows if r["repo"] == "o__seeded" and r["condition"] == "as_written"]
    assert written and {r["agreement"] for r in written} == {"identical"}
    verdicts = {(r["repo"], r["condition"]): r["verdict"] for r in read_csv(local["out"] / "rerun_repos.csv")}
    assert verdicts[("o__seeded", "as_written")] == "identical"
    assert verdicts[("o__unseeded", "as_written")] == "varying"
    assert verdicts[("o__unseeded", "seeds_forced")] == "identical"


def test_rq5_reads_the_published_study(local: dict, census: dict, tmp_path: Path) -> None:
    """The analysis of the study's tables: funnel in absolute counts, causes, drift, originals."""
    import shutil

    from analysis import rq5
    from analysis.formatting import Macros

    results = tmp_path / "results"
    shutil.copytree(local["out"], results)
    for name in ("repo_features.csv", "repo_practices.csv"):
        shutil.copy(census["corpus"].parent / name, results / name)
    # a reading of the three projects and one the study has not attempted
    readings = tmp_path / "study" / "rerun-readings"
    readings.mkdir(parents=True)
    (readings / "census30.csv").write_text("position,repo,class\n1,o/seeded,runs_offline\n2,o/nodata,needs_data\n"
                                           "3,o/unseeded,needs_download\n4,o/never,runs_offline\n")
    macros = Macros("rq5")
    tables = rq5.tables(rq5.read_inputs(results), macros)
    funnel = {r.stage: r.projects for r in tables["rq5_study_funnel"].itertuples() if r.stratum == "main"}
    assert funnel == {"attempted": 3, "cloned": 3, "entry found": 3, "environment built": 3, "ran": 2,
                      "logged metrics": 2, "judged": 2}
    v = macros.values
    assert (v["RQFiveStudyMainLoggedShareCount"], v["RQFiveStudyMainLoggedShareTotal"]) == ("2", "3")
    assert v["RQFiveCauseDataNotInRepository"] == "1" and v["RQFiveStudyMainDidNotRun"] == "1"
    assert (v["RQFiveStudyMainRepeatableAsWrittenCount"], v["RQFiveStudyMainRepeatableSeedsForcedCount"]) == ("1", "2")
    assert (v["RQFiveDriftStillRunsCount"], v["RQFiveOrigCompared"], v["RQFiveOrigIdentical"]) == ("2", "1", "1")
    drift = tables["rq5_drift"].set_index("repo")
    assert bool(drift.loc["o__seeded", "drift_stable"]) and not bool(drift.loc["o__unseeded", "drift_stable"])
    ceiling = tables["rq5_ceiling"].set_index("repo")
    assert ceiling["agreement"].to_dict() == {"o/never": "", "o/nodata": "agree", "o/seeded": "agree",
                                              "o/unseeded": "harness_ran"}
    assert (v["RQFiveCeilingCount"], v["RQFiveCeilingTotal"]) == ("2", "4")
    assert (v["RQFiveCauseAgreeCount"], v["RQFiveCauseAgreeTotal"], v["RQFiveCauseAgreeRan"]) == ("2", "3", "1")
    # the predictors read the census's own vocabulary: o/seeded's seed coverage is complete
    pred = tables["rq5_predictors"].set_index(["outcome", "predictor"])
    assert (int(pred.loc[("executable", "full seed coverage"), "with_n"]),
            int(pred.loc[("executable", "full seed coverage"), "with_yes"])) == (1, 1)


def test_drift_of_a_project_without_a_common_metric() -> None:
    """A project that logs metrics in both conditions, but no key in common: not drift-stable, no crash."""
    from analysis.formatting import Macros
    from analysis.rq5_study import _drift

    runs = pd.DataFrame([{"repo": "o__a", "condition": c, "run": "1", "status": "ok"}
                         for c in ("as_written", "latest_env")])
    metrics = pd.DataFrame([{"repo": "o__a", "condition": c, "run": "1", "key": key, "step": "0", "value": "1.0",
                             "is_last": "true"} for c, key in (("as_written", "acc"), ("latest_env", "loss"))])
    var = pd.DataFrame(columns=["repo", "key", "timing"])
    sample = pd.DataFrame([{"repo": "o__a", "picked_by": "sample"}])
    table = _drift({"reruns": runs, "rerun_metrics": metrics, "variance": var}, sample, Macros("rq5"))
    row = table.to_dict("records")
    assert len(row) == 1 and math.isnan(row[0].pop("max_rel_diff"))
    assert row[0] == {"repo": "o__a", "stratum": "main", "latest_runs_metrics": True, "common_metrics": 0,
                      "same_metrics": 0, "drift_stable": False}


@pytest.mark.parametrize(("reading", "outcome", "cause", "expected"), [
    ("runs_offline", "metrics", "", "agree"),
    ("runs_offline", "did_not_run", "harness_limitation", "harness_short"),
    ("runs_offline", "ran_no_metrics", "", "harness_short"),
    ("needs_data", "did_not_run", "data_not_in_repository", "agree"),
    ("needs_data", "did_not_run", "environment_unresolvable", "other_blocker_first"),
    ("broken", "metrics", "", "harness_ran"),
])
def test_the_harness_is_compared_with_the_reading(reading: str, outcome: str, cause: str, expected: str) -> None:
    from analysis.rq5_study import HARNESS_AS_READING, _agreement

    assert _agreement(reading, outcome, HARNESS_AS_READING.get(cause or outcome, "")) == expected


def test_cohen_kappa() -> None:
    import math

    from analysis.inference import cohen_kappa

    # 2x2 with p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5: kappa = 0.4
    a = ["y"] * 5 + ["n"] * 5
    b = ["y"] * 4 + ["n"] + ["y", "y"] + ["n"] * 3
    assert cohen_kappa(pd.Series(a), pd.Series(b)) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == 1.0
    assert math.isnan(cohen_kappa([], [])) and math.isnan(cohen_kappa(["y", "y"], ["y", "y"]))  # undefined


def test_the_main_sample_is_the_queue_prefix_up_to_its_cutoff() -> None:
    """The stop rule, exactly: the cutoff is the target-th judged position in queue order, whatever
    finished first; main draws after it leave the main sample, originals stay."""
    from miners.rerun.study import Queued, main_cutoff, published_picked_by

    assert main_cutoff({9, 3, 5}, 2) == 5 and main_cutoff({9, 3, 5}, 3) == 9
    assert main_cutoff({9, 3}, 3) is None and main_cutoff(set(), 0) is None

    def q(position: int, picked: str) -> Queued:
        return Queued(position, f"o/p{position}", "", "", "", "", "", picked)

    assert published_picked_by(q(5, "sample"), 5) == "sample"  # the cutoff project itself is in
    assert published_picked_by(q(6, "sample"), 5) == "after_stop"
    assert published_picked_by(q(6, "sample_and_originals"), 5) == "originals"
    assert published_picked_by(q(6, "originals"), 5) == "originals"
    assert published_picked_by(q(60, "sample"), None) == "sample"  # target not reached: all in


def test_a_reached_target_publishes_only_the_prefix_as_main_sample(local: dict, census: dict) -> None:
    """Republishing the committed records with a target of 1: the first judged main project in
    queue order ends the main sample; the rest are in the originals stratum or in neither."""
    root = census["base"] / "cutoff"
    cmd = [sys.executable, "-m", "miners", "rerun-study", "--corpus", str(census["corpus"]),
           "--records", str(local["records"]), "--out", str(root / "out"), "--work", str(root / "work"),
           "--runs", "2", "--protocol", str(root / "none.toml"), "--publish-only", "--target-judged", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    before = {r["repo"]: r for r in read_csv(local["out"] / "rerun_sample.csv")}
    after = {r["repo"]: r for r in read_csv(root / "out" / "rerun_sample.csv")}
    verdicts: dict[str, list[str]] = {}
    for r in read_csv(local["out"] / "rerun_repos.csv"):
        if r["condition"] in ("as_written", "seeds_forced"):
            verdicts.setdefault(r["repo"], []).append(r["verdict"])
    judged = {r for r, v in verdicts.items() if len(v) == 2 and "not_judged" not in v}
    cutoff = min(int(before[r]["position"]) for r in judged)
    expected = {r: (b["picked_by"] if int(b["position"]) <= cutoff else
                    "originals" if b["picked_by"] == "sample_and_originals" else "after_stop")
                for r, b in before.items()}
    assert {r: a["picked_by"] for r, a in after.items()} == expected
    assert sum(v != before[r]["picked_by"] for r, v in expected.items()) >= 1  # the cutoff moved someone
    prov = json.loads((root / "out" / "rerun_provenance.json").read_text())
    assert prov["sample"]["main_cutoff"] == cutoff


def test_max_hours_stops_at_a_project_boundary(census: dict) -> None:
    proc, records, _ = study(census, "stopped", "--max-hours", "1e-9")
    assert "--max-hours 1e-09 reached" in proc.stderr
    assert CommittedRecords(records, "rerun").ids() == []


def test_a_clone_that_fails_here_leaves_the_project_pending(census: dict) -> None:
    """A mirror folder that is not a repository: the failure is the machine's, nothing is recorded."""
    broken = census["base"] / "broken"
    for name in PROJECTS:
        (broken / f"{name.replace('/', '+')}.git").mkdir(parents=True)
    root = census["base"] / "pending"
    cmd = [sys.executable, "-m", "miners", "rerun-study", "--corpus", str(census["corpus"]),
           "--url-template", f"file://{broken}/{{owner}}+{{name}}.git", "--work", str(root / "work"),
           "--records", str(root / "records"), "--out", str(root / "out"), "--python-env", sys.prefix,
           "--protocol", str(root / "none.toml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "3 could not be cloned or run here (pending)" in proc.stderr and "left pending" in proc.stderr
    assert CommittedRecords(root / "records", "rerun").ids() == []


def test_a_full_disk_empties_the_package_cache_and_then_stops(census: dict) -> None:
    """The disk guard: below --min-free-gb the shared cache is emptied; still below, nothing starts."""
    cache = census["base"] / "full" / "cache"
    (cache / "archive-v0").mkdir(parents=True)
    (cache / "archive-v0" / "wheel").write_bytes(b"x" * 1024)
    proc, records, _ = study(census, "full", "--min-free-gb", "1e9")
    assert "package cache emptied" in proc.stderr and "stopping:" in proc.stderr and "--min-free-gb" in proc.stderr
    assert not cache.exists()
    assert CommittedRecords(records, "rerun").ids() == []


def test_a_record_the_machine_failed_is_recognised() -> None:
    from miners.rerun.study import machine_failure

    full = {"envs": {"as_of_commit-1": {"reason": "failed to write to file `cache/x.py`: No space left on device "
                                                  "(os error 28)"}}}
    assert "No space left on device" in machine_failure(full)
    assert machine_failure({"clone": {"harness_error": "OSError: [Errno 28] No space left on device: 'x'"}})
    assert machine_failure({"records": {"as_written-1.json": {"row": {"status": "data_missing",
                                                                        "reason": "No such file: 'data.csv'"}}}}) == ""


def test_a_pending_project_is_attempted_from_scratch(tmp_path: Path) -> None:
    """What an interrupted attempt left (an environment recorded as failed) is forgotten, other projects' kept."""
    from miners.rerun.study import forget

    for repo in ("o__a", "o__b"):
        for folder in ("clones", "runs", "records", "envs"):
            (tmp_path / folder / repo / "x").mkdir(parents=True)
        (tmp_path / "envs" / repo / "x" / "env.json").write_text('{"ok": false}')
    forget(tmp_path, "o__a")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*")) == [
        "clones/o__b", "envs/o__b", "records/o__b", "runs/o__b"]


def test_the_mirrors_of_the_next_chunk_are_listed(census: dict, tmp_path: Path) -> None:
    def mirrors(*extra: str) -> list[str]:
        cmd = [sys.executable, "-m", "miners", "rerun-mirrors", "--corpus", str(census["corpus"]),
               "--records", str(tmp_path / "records"), *extra]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()

    queue = mirrors()
    assert sorted(queue) == sorted(PROJECTS) and len(mirrors("--next", "1")) == 1
    assert mirrors("--missing", census["template"]) == []  # every mirror is here
    assert mirrors("--missing", f"file://{tmp_path}/none/{{owner}}+{{name}}") == queue


def test_a_dask_cluster_gives_the_same_tables(census: dict, local: dict) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        _, records, out = study(census, "dask", "--scheduler", cluster.scheduler_address)
    assert CommittedRecords(records, "rerun").ids() == CommittedRecords(local["records"], "rerun").ids()
    assert _comparable(out) == _comparable(local["out"])
    assert list((census["base"] / "dask" / "work").glob("worker-*"))  # each worker in its own folder


@pytest.mark.parametrize(("status", "text", "expected"), [
    ("crashed", "RuntimeError: Found no NVIDIA driver on your system", RootCause.NEEDS_GPU),
    ("network_blocked", "tried api.openai.com: openai.AuthenticationError: api_key", RootCause.NEEDS_CREDENTIALS_OR_SERVER),
    ("network_blocked", "tried archive.ics.uci.edu: URLError", RootCause.NEEDS_DOWNLOAD),
    ("crashed", "KeyError: 'OPENAI_API_KEY'", RootCause.NEEDS_CREDENTIALS_OR_SERVER),
    ("data_missing", "FileNotFoundError: data/train.csv", RootCause.DATA_NOT_IN_REPOSITORY),
    ("lfs_pointer", "read model.pkl, a Git LFS pointer", RootCause.DATA_NOT_IN_REPOSITORY),
    ("install_failed", "scikit-learn==0.19.1: no wheel", RootCause.ENVIRONMENT_UNRESOLVABLE),
    ("missing_module", "No module named 'lightgbm'", RootCause.ENVIRONMENT_UNRESOLVABLE),
    ("entry_not_found", "no recipe", RootCause.HARNESS_LIMITATION),
    ("timeout", "killed after the 300 s limit", RootCause.HARNESS_LIMITATION),
    ("crashed", "NameError: name 'argparse' is not defined", RootCause.BROKEN_AS_COMMITTED),
    ("crashed", "train.py: error: the following arguments are required: --model", RootCause.HARNESS_LIMITATION),
    ("crashed", "FileNotFoundError: Did you remember to run 'dvc pull data/iris_1.csv'?",
     RootCause.DATA_NOT_IN_REPOSITORY),
    ("crashed", "mlflow.exceptions.MlflowException: Registered Model with name=uber_model not found",
     RootCause.DATA_NOT_IN_REPOSITORY),
    ("crashed", "dvc.scm.SCMError: / is not a git repository", RootCause.HARNESS_LIMITATION),
    ("crashed", "ValueError: Expected 2D array, got 1D array instead", RootCause.BROKEN_AS_COMMITTED),
])
def test_root_cause_rules(status: str, text: str, expected: RootCause) -> None:
    assert causes.cause(status, text) == expected


def test_the_project_frame_skips_library_frames() -> None:
    tail = ('Traceback (most recent call last): File "/w/runs/r/as_written/1/project/src/train.py", line 12, in <module> '
            'File "/venv/lib/python3.11/site-packages/pandas/io/parsers.py", line 5, in read_csv FileNotFoundError')
    assert causes.project_frame(tail) == "src/train.py:12"
