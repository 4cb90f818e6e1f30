"""The rerun harness on fixture projects we wrote (tests/fixtures/rerun), with real sandboxed
processes, a real MLflow file store, a real Jupyter kernel and a real HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import importlib.metadata
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import pytest

from miners.csvio import read_csv
from miners.rerun import interventions, recipes, requirements, sandbox, sources, variance, vocab
from miners.rerun.config import Config
from miners.rerun.harness import rerun
from miners.rerun.outcome import classify
from miners.rerun.publish import publish
from miners.rerun.sampling import Project, local_projects
from miners.schema import TABLES
from miners.schema.check import problems
from miners.schema.rerun import RERUN
from tests.conftest import write_files

FIXTURES = Path(__file__).parent / "fixtures" / "rerun"
pytestmark = pytest.mark.skipif(sandbox.available() is None, reason="needs bubblewrap or unshare")
GROUP = ["seeded", "unseeded", "crashing", "network", "outside", "hardcoded", "subdir_data", "notebook",
         "package_entry", "docker_workdir", "windows_path", "mlrun_semantics", "committed_original", "lfs_data",
         "crashed_import", "own_experiment"]
DEFAULT = ("as_written", "seeds_forced")


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(p.relative_to(root).as_posix().encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def outbound_ip() -> str:
    """This host's non-loopback address (no packet is sent), else 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class Counting(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"data")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the CLI once over the fixture group: 2 runs per condition, the test environment."""
    base = tmp_path_factory.mktemp("rerun")
    projects = base / "projects"
    for name in GROUP:
        shutil.copytree(FIXTURES / name, projects / name)
    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (projects / "network" / "url.txt").write_text(f"http://{outbound_ip()}:{server.server_address[1]}/data.csv")
    escape = base / "escaped.txt"
    inside_clone = projects / "outside" / "written-by-run.txt"
    (projects / "outside" / "targets.txt").write_text(f"{escape}\n{inside_clone}\n")
    # the author's committed run: the same script, run once outside the harness into ./mlruns
    original = projects / "committed_original"
    subprocess.run([sys.executable, "train.py"], cwd=original, check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": (original / "mlruns").as_uri(),
                        "MLFLOW_ALLOW_FILE_STORE": "true", "HOME": str(base)})
    before = {name: tree_digest(projects / name) for name in GROUP}
    out, work = base / "out", base / "work"
    cmd = [sys.executable, "-m", "miners", "rerun", "--project-dirs", *[str(projects / n) for n in GROUP],
           "--python-env", sys.prefix, "--runs", "2", "--timeout", "120", "--jobs", "2", "--work", str(work),
           "--out", str(out), "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    server.shutdown()
    assert proc.returncode == 0, proc.stderr
    runs = read_csv(out / "reruns.csv")
    return {"out": out, "work": work, "cmd": cmd, "projects": projects, "before": before, "escape": escape,
            "inside_clone": inside_clone, "runs": {(r["repo"], r["condition"], int(r["run"])): r for r in runs},
            "repos": {(r["repo"], r["condition"]): r for r in read_csv(out / "rerun_repos.csv")},
            "metrics": read_csv(out / "rerun_metrics.csv"), "params": read_csv(out / "rerun_params.csv"),
            "variance": read_csv(out / "variance.csv"), "stdout": proc.stdout,
            "originals": read_csv(out / "rerun_originals.csv"), "recipes": read_csv(out / "rerun_recipes.csv")}


def test_seeded_project_is_identical_in_both_conditions(harness: dict) -> None:
    for cond in DEFAULT:
        assert harness["repos"][("seeded", cond)]["verdict"] == "identical"
        assert [harness["runs"][("seeded", cond, k)]["status"] for k in (1, 2)] == ["ok", "ok"]
    loss = [m for m in harness["metrics"] if m["repo"] == "seeded" and m["key"] == "loss" and m["run"] == "1"
            and m["condition"] == "as_written"]
    assert [(m["step"], m["value"], m["is_last"]) for m in loss] == [("0", "1.0", "false"), ("1", "0.5", "false"),
                                                                     ("2", "0.3333333333333333", "true")]
    assert {(p["key"], p["value"]) for p in harness["params"] if p["repo"] == "seeded"} == {("seed", "7")}


def test_unseeded_metric_varies_as_written_and_not_with_seeds_forced(harness: dict) -> None:
    assert harness["repos"][("unseeded", "as_written")]["verdict"] == "varying"
    assert harness["repos"][("unseeded", "seeds_forced")]["verdict"] == "identical"
    rows = {(v["condition"], v["key"]): v for v in harness["variance"] if v["repo"] == "unseeded"}
    assert rows[("as_written", "noise")]["identical"] == "false"
    assert float(rows[("as_written", "noise")]["range"]) > 0
    assert rows[("as_written", "constant")]["identical"] == "true"


def test_crash_after_metrics_keeps_them_and_says_so(harness: dict) -> None:
    row = harness["runs"][("crashing", "as_written", 1)]
    assert (row["status"], row["exception"], row["exit_code"]) == ("crashed_after_metrics", "ValueError", "1")
    assert "the model diverged" in row["reason"] and "after logging 1 metric" in row["reason"]
    assert row["metrics_logged"] == "1"
    # the metrics count: both runs logged before_crash = 1.0, so the project is judged
    assert harness["repos"][("crashing", "as_written")]["verdict"] == "identical"
    assert [m["value"] for m in harness["metrics"] if m["repo"] == "crashing" and m["condition"] == "as_written"] \
        == ["1.0", "1.0"]


def test_a_package_that_is_not_installed_is_a_missing_module(harness: dict) -> None:
    row = harness["runs"][("crashed_import", "as_written", 1)]
    assert (row["status"], row["exception"]) == ("missing_module", "ModuleNotFoundError"), row
    assert "requests00p" in row["reason"]
    assert harness["runs"][("crashed_import", "as_written", 2)]["attempted"] == "false"


def test_network_attempt_is_blocked_and_never_reaches_the_server(harness: dict) -> None:
    row = harness["runs"][("network", "as_written", 1)]
    assert row["status"] == "network_blocked", row
    assert int(row["network_attempts"]) >= 1  # the audit saw the attempt
    assert Counting.hits == []
    assert all(r["network_attempts"] == "0" for r in harness["runs"].values()
               if r["repo"] in ("seeded", "hardcoded") and r["attempted"] == "true")
    # a failure that repeats: run 2 is recorded, not executed
    second = harness["runs"][("network", "as_written", 2)]
    assert (second["status"], second["attempted"]) == ("network_blocked", "false")


def test_writes_outside_the_run_folder_do_not_escape_and_the_clone_is_untouched(harness: dict) -> None:
    assert harness["runs"][("outside", "as_written", 1)]["status"] == "ok"
    assert not harness["escape"].exists()
    assert not harness["inside_clone"].exists()
    for name in GROUP:
        assert tree_digest(harness["projects"] / name) == harness["before"][name], name


def test_hard_coded_tracking_uri_is_redirected_and_metrics_still_captured(harness: dict) -> None:
    row = harness["runs"][("hardcoded", "as_written", 1)]
    assert row["status"] == "ok"
    assert "http://localhost:5000" in row["tracking_redirect"]
    assert "databricks" in row["tracking_redirect"]
    keys = {m["key"] for m in harness["metrics"] if m["repo"] == "hardcoded"}
    assert keys == {"rmse", "rmse_client"}


def test_working_directory_switches_to_the_entry_folder_after_file_not_found(harness: dict) -> None:
    row = harness["runs"][("subdir_data", "as_written", 1)]
    assert row["status"] == "ok"
    assert row["cwd"] == "code"
    assert "FileNotFoundError" in row["interventions"]
    assert harness["runs"][("subdir_data", "as_written", 2)]["cwd"] == "code"


def test_script_with_relative_imports_is_retried_as_a_module(harness: dict) -> None:
    row = harness["runs"][("package_entry", "as_written", 1)]
    assert row["status"] == "ok", row
    assert "run as module" in row["interventions"]
    assert harness["runs"][("package_entry", "as_written", 2)]["status"] == "ok"


def test_notebook_project_runs_on_a_real_kernel(harness: dict) -> None:
    row = harness["runs"][("notebook", "as_written", 1)]
    assert (row["entry_kind"], row["status"]) == ("notebook", "ok")
    assert "analysis.ipynb" in row["entry"]
    assert harness["repos"][("notebook", "as_written")]["verdict"] == "identical"


def test_absolute_paths_of_committed_files_are_mapped_and_recorded(harness: dict) -> None:
    docker = harness["runs"][("docker_workdir", "as_written", 1)]
    assert docker["status"] == "ok", docker
    assert "path /app -> ./ (Dockerfile:2)" in docker["interventions"]
    windows = harness["runs"][("windows_path", "as_written", 1)]
    assert windows["status"] == "ok", windows
    assert "C:\\Users\\author\\projects\\demo -> ./ (train.py:6)" in windows["interventions"]
    means = {m["repo"]: m["value"] for m in harness["metrics"] if m["key"] == "mean_y" and m["run"] == "1"}
    assert means == {"docker_workdir": "3.0", "windows_path": "6.0"}


def test_mlproject_entry_runs_with_mlflow_run_semantics_and_logs_once(harness: dict) -> None:
    row = harness["runs"][("mlrun_semantics", "as_written", 1)]
    assert (row["status"], row["entry_kind"], row["mlflow_runs"]) == ("ok", "mlproject", "1"), row
    assert "mlflow run semantics" in row["interventions"]
    params = {(p["key"], p["value"]) for p in harness["params"] if p["repo"] == "mlrun_semantics" and p["run"] == "1"
              and p["condition"] == "as_written"}
    assert params == {("alpha", "0.25")}
    assert {m["value"] for m in harness["metrics"] if m["repo"] == "mlrun_semantics"} == {"0.75"}


def test_an_entry_that_sets_its_own_experiment_is_repaired_to_a_plain_command(harness: dict) -> None:
    row = harness["runs"][("own_experiment", "as_written", 1)]
    assert (row["status"], row["mlflow_runs"]) == ("ok", "1"), row
    assert "repair: run without mlflow run semantics" in row["interventions"]
    assert harness["runs"][("own_experiment", "as_written", 2)]["status"] == "ok"


def test_committed_original_is_reproduced_exactly(harness: dict) -> None:
    rows = [r for r in harness["originals"] if r["repo"] == "committed_original"]
    assert {(r["condition"], r["run"], r["key"]) for r in rows} == {
        (c, str(k), key) for c in DEFAULT for k in (1, 2) for key in ("mean", "std")}
    assert {r["agreement"] for r in rows} == {"identical"}
    assert all(float(r["diff"]) == 0.0 for r in rows)
    repo = harness["repos"][("committed_original", "as_written")]
    assert (repo["originals_compared"], repo["original_agreement"]) == ("4", "identical")


def test_an_lfs_pointer_is_its_own_status(harness: dict) -> None:
    row = harness["runs"][("lfs_data", "as_written", 1)]
    assert row["status"] == "lfs_pointer", row
    assert row["lfs_pointers"] == "1" and "measurements.csv" in row["reason"]


def test_recipes_tried_are_published(harness: dict) -> None:
    chosen = [r for r in harness["recipes"] if r["chosen"] == "true"]
    assert {r["repo"] for r in chosen} == set(GROUP)
    seeded = next(r for r in chosen if r["repo"] == "seeded")
    assert (seeded["status"], seeded["recipe"]) == ("ok", "python train.py")
    for row in harness["runs"].values():
        if row["attempted"] == "true":
            assert row["interventions"].startswith("recipe "), row


def test_every_run_row_has_environment_and_sandbox_facts(harness: dict) -> None:
    for row in harness["runs"].values():
        assert row["env_source"] == "given" and row["env_fingerprint"]
        assert row["threads"] == "1" and row["timeout_s"] == "120.0"
        if row["attempted"] == "true":
            assert row["sandbox"] in ("bwrap", "unshare")
    funnel = read_csv(harness["out"] / "rerun_funnel.csv")
    first = [r for r in funnel if r["condition"] == "as_written"]
    assert [r["stage"] for r in first] == ["sampled", "entry found", "installed", "ran", "logged metrics",
                                           "judged", "reproduced"]
    assert first[0]["repositories"] == str(len(GROUP))
    prov = json.loads((harness["out"] / "rerun_provenance.json").read_text())
    assert prov["runs_per_condition"] == 2 and prov["sandbox"] in ("bwrap", "unshare")
    assert len(prov["sample"]["project_dirs"]) == len(GROUP)


def test_every_published_value_is_in_its_vocabulary(harness: dict) -> None:
    runs = list(harness["runs"].values())
    published = {
        "status": ({r["status"] for r in runs}, vocab.RUN_STATUSES),
        "entry_kind": ({r["entry_kind"] for r in runs}, vocab.ENTRY_KINDS),
        "env_status": ({r["env_status"] for r in runs}, vocab.ENV_STATUSES),
        "env_source": ({r["env_source"] for r in runs}, vocab.ENV_SOURCES),
        "env_mode": ({r["env_mode"] for r in runs} - {""}, vocab.ENV_MODES),
        "sandbox": ({r["sandbox"] for r in runs if r["attempted"] == "true"}, vocab.SANDBOXES),
        "verdict": ({r["verdict"] for r in harness["repos"].values()}, vocab.VERDICTS),
        "agreement": ({r["agreement"] for r in harness["originals"]}, vocab.AGREEMENTS),
        "recipe status": ({r["status"] for r in harness["recipes"]}, vocab.PROBE_STATUSES),
        "picked_by": ({r["picked_by"] for r in read_csv(harness["out"] / "rerun_sample.csv")}, vocab.PICKED_BY),
    }
    for column, (values, allowed) in published.items():
        assert values <= set(allowed), (column, values - set(allowed))
    assert all(published[c][0] for c in ("status", "entry_kind", "env_status", "env_source", "sandbox", "verdict"))
    for row in runs:
        if row["interventions"]:
            assert interventions.kind_of(row["interventions"]) is not None, row["interventions"]


def test_every_table_the_harness_writes_fits_the_published_schema(harness: dict) -> None:
    """The header, types, vocabularies and keys of every rerun CSV against miners.schema."""
    written = sorted(p.stem for p in harness["out"].glob("*.csv"))
    assert set(RERUN) - {"rerun_causes"} <= set(written)  # rerun_causes: the study's (test_rerun_study.py)
    for name in written:
        if name in TABLES:
            assert problems(name, harness["out"] / f"{name}.csv") == [], name


def test_restart_executes_nothing_and_publishes_the_same_bytes(harness: dict) -> None:
    before = {p.name: p.read_bytes() for p in harness["out"].glob("*.csv")}
    records = {p: p.stat().st_mtime_ns for p in (harness["work"] / "records").rglob("*-*.json")}
    proc = subprocess.run(harness["cmd"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert {p: p.stat().st_mtime_ns for p in records} == records
    assert {p.name: p.read_bytes() for p in harness["out"].glob("*.csv")} == before


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    cfg = Config(work=tmp_path / "w", runs=2, conditions=("as_written",), timeout=6,
                 python_env=Path(sys.prefix))
    project = local_projects([FIXTURES / "sleeper"])
    rerun(project, cfg, progress=False)
    publish(project, cfg, tmp_path / "o")
    rows = read_csv(tmp_path / "o" / "reruns.csv")
    assert [(r["status"], r["attempted"]) for r in rows] == [("timeout", "true"), ("timeout", "false")]
    assert float(rows[0]["seconds"]) < 30
    mine = f"time.sleep\\(120\\) {re.escape(str(tmp_path.resolve()))}/"  # not another test run's sleeper
    left = subprocess.run(["pgrep", "-f", mine], capture_output=True, text=True, check=False)
    assert left.stdout.strip() == ""


def test_mlproject_with_python_env_builds_its_own_environment(tmp_path: Path) -> None:
    project = tmp_path / "mlproject"
    shutil.copytree(FIXTURES / "mlproject", project)
    template = (project / "python_env.yaml.in").read_text()
    (project / "python_env.yaml").write_text(template.replace("{mlflow}", importlib.metadata.version("mlflow")))
    cfg = Config(work=tmp_path / "w", runs=1, conditions=("as_written",), timeout=120)
    projects = local_projects([project])
    rerun(projects, cfg, progress=False)
    publish(projects, cfg, tmp_path / "o")
    row = read_csv(tmp_path / "o" / "reruns.csv")[0]
    env = read_csv(tmp_path / "o" / "rerun_environments.csv")[0]
    assert (env["env_source"], env["env_status"], env["python_required"]) == ("python_env", "installed", "3.11")
    assert (row["entry_kind"], row["entry"], row["status"]) == ("mlproject", "python src/train.py --alpha 0.5", "ok"), row
    assert read_csv(tmp_path / "o" / "rerun_params.csv")[0]["value"] == "0.5"
    assert float(read_csv(tmp_path / "o" / "rerun_metrics.csv")[0]["value"]) == 1.0
    locks = sorted((tmp_path / "o" / "rerun_locks").glob("mlproject-as_of_commit-*.txt"))
    assert len(locks) == 1
    lock = locks[0].read_text()
    assert f"mlflow=={importlib.metadata.version('mlflow')}" in lock


def test_refuses_without_a_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "available", lambda: None)
    cfg = Config(work=tmp_path / "w", runs=1, python_env=Path(sys.prefix))
    with pytest.raises(sandbox.NoSandbox, match="--unsafe-no-sandbox"):
        rerun(local_projects([FIXTURES / "seeded"]), cfg, progress=False)


# ------------------------------------------------------------------- pure parts, known answers


def _outcome(code: int | None, stderr: str = "", timed_out: bool = False) -> sandbox.Outcome:
    return sandbox.Outcome(code, timed_out, 1.0, "", stderr, "bwrap")


@pytest.mark.parametrize(("outcome", "exc", "network", "metrics", "status", "exception"), [
    (_outcome(None, timed_out=True), None, [], 0, "timeout", ""),
    (_outcome(0), None, [], 3, "ok", ""),
    (_outcome(0), None, [], 0, "no_metrics", ""),
    (_outcome(1), {"class": "ModuleNotFoundError", "message": "No module named 'x'"}, [], 0, "missing_module",
     "ModuleNotFoundError"),
    (_outcome(1), {"class": "ModuleNotFoundError", "message": "No module named 'src.utils'"}, [], 0,
     "import_path", "ModuleNotFoundError"),
    (_outcome(1), {"class": "ImportError", "message": "attempted relative import with no known parent package"},
     [], 0, "import_path", "ImportError"),
    (_outcome(1), {"class": "ImportError", "message": "cannot import name 'plot_roc_curve' from "
                                                      "'sklearn.metrics' (/v/sklearn/metrics/__init__.py)"},
     [], 0, "version_conflict", "ImportError"),
    (_outcome(1, "ValueError: numpy.dtype size changed, may indicate binary incompatibility"), None, [], 0,
     "version_conflict", "ValueError"),
    (_outcome(1), {"class": "ImportError", "message": "libGL.so.1: cannot open shared object file"}, [], 0,
     "import_error", "ImportError"),
    (_outcome(1), {"class": "RuntimeError", "message": "log_model failed"}, [], 2, "crashed_after_metrics",
     "RuntimeError"),
    (_outcome(None, timed_out=True), None, [], 2, "timeout", ""),
    (_outcome(1), {"class": "FileNotFoundError", "message": "data.csv"}, [], 0, "data_missing", "FileNotFoundError"),
    (_outcome(1, "Traceback...\nOSError: [Errno 2] No such file or directory: 'x'"), None, [], 0, "data_missing",
     "OSError"),
    (_outcome(1), {"class": "URLError", "message": "<urlopen error [Errno -3]>"}, ["resolve example.com"], 0,
     "network_blocked", "URLError"),
    (_outcome(1, "requests.exceptions.ConnectionError: Max retries exceeded"), None, [], 0, "network_blocked",
     "ConnectionError"),
    (_outcome(1), {"class": "KeyError", "message": "'a'"}, [], 0, "crashed", "KeyError"),
    (_outcome(-9), None, [], 0, "crashed", "SIGKILL"),
    (_outcome(2, "usage: error"), None, [], 0, "crashed", "exit code 2"),
])
def test_classify(outcome: sandbox.Outcome, exc: dict | None, network: list[str], metrics: int, status: str,
                  exception: str) -> None:
    assert classify(outcome, exc, network, metrics, {"src", "train"})[:2] == (status, exception)


def test_a_failure_after_opening_an_lfs_pointer_is_lfs_pointer() -> None:
    status, _, reason = classify(_outcome(1), {"class": "KeyError", "message": "'value'"}, [], 0, set(),
                                 ["data/measurements.csv"])
    assert status == "lfs_pointer" and "data/measurements.csv" in reason


def test_key_stats_known_answers() -> None:
    s = variance.key_stats([1.0, 2.0, 3.0], 3)
    assert (s["mean"], s["std"], s["range"], s["rel_range"], s["cv"]) == (2.0, 1.0, 2.0, 1.0, 0.5)
    assert not s["identical"] and not s["within_1e-9"]
    near = variance.key_stats([1.0, 1.0 + 1e-12], 2)
    assert (near["identical"], near["within_1e-9"], near["within_1e-6"]) == (False, True, True)
    same = variance.key_stats([0.5, 0.5], 3)  # a run did not log the key: not identical across ok runs
    assert same["identical"] is False
    assert variance.key_stats([0.0, 1.0], 2)["rel_range"] == 2.0  # range 1 over mean 0.5
    assert variance.key_stats([-1.0, 1.0], 2)["rel_range"] is None


def test_verdicts_and_timing_keys() -> None:
    runs = [{"repo": "r", "condition": "as_written", "run": k, "status": "ok"} for k in (1, 2)]
    metrics = [{"repo": "r", "condition": "as_written", "run": k, "key": key, "value": v, "is_last": True}
               for k, vals in ((1, {"acc": 0.9, "fit_time": 1.0}), (2, {"acc": 0.9, "fit_time": 2.0}))
               for key, v in vals.items()]
    rows = variance.variance(runs, metrics, {"r": {"acc": 0.8}})
    by_key = {r["key"]: r for r in rows}
    assert by_key["fit_time"]["timing"] and not by_key["acc"]["timing"]
    assert by_key["acc"]["original_value"] == 0.8
    assert by_key["acc"]["diff_to_original"] == pytest.approx(0.1)
    verdict = variance.verdicts(runs, rows, {"r": {"full_name": "o/r"}}, ["as_written", "seeds_forced"])
    assert [(v["condition"], v["verdict"]) for v in verdict] == [("as_written", "identical"),
                                                                 ("seeds_forced", "not_judged")]



def test_entry_ranking(tmp_path: Path) -> None:
    body = "import mlflow\nmlflow.log_metric('a', 1)\n"
    root = write_files(tmp_path / "p", {
        "a/eval.py": body * 5,
        "b/train.py": body,
        "c/run_all.py": body + "if __name__ == '__main__':\n    pass\n",
        "tests/test_x.py": body * 9,
        "lib/tracking_utils.py": "import mlflow\ndef log(v):\n" + "    mlflow.log_metric('a', v)\n" * 9,
        "nb.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    })
    assert first_recipe(root).entry_paths == ("c/run_all.py",)  # the guard wins over the name and the count
    (root / "c/run_all.py").unlink()
    assert first_recipe(root).entry_paths == ("b/train.py",)  # then the name hint
    (root / "b/train.py").unlink()
    assert first_recipe(root).entry_paths == ("a/eval.py",)  # then the count; tests never qualify
    (root / "a/eval.py").unlink()
    found, _ = recipes.candidates(root)  # a module of functions only still qualifies, last, and says so
    assert [r.entry_paths for r in found] == [("lib/tracking_utils.py",)] and "only definitions" in found[0].reason
    (root / "a/eval.py").write_text(body * 5)
    (root / "MLproject").write_text("entry_points:\n  main:\n    parameters:\n      x: {type: float}\n"
                                    "    command: python a/eval.py {x}\n")
    found, skipped = recipes.candidates(root)  # an entry that cannot be filled falls back to the scripts
    assert (found[0].source, found[0].entry_paths) == ("script", ("a/eval.py",))
    assert not any(r.source == "MLproject" for r in found)
    assert any(line.startswith("MLproject:entry main") and "has no default" in line for line in skipped), skipped


def first_recipe(root: Path) -> recipes.Recipe:
    found, _ = recipes.candidates(root)
    assert found, "no recipe"
    return found[0]


def test_declared_environment_sources(tmp_path: Path) -> None:
    conda = write_files(tmp_path / "conda", {"MLproject": "conda_env: conda.yaml\nentry_points: {}\n", "conda.yaml":
                   "dependencies:\n  - python=3.8\n  - pytorch=1.13\n  - cudatoolkit=11.3\n  - scikit-learn\n"
                   "  - pip:\n    - mlflow==2.1.1\n"})
    d = sources.declared_environment(conda, "MLproject")
    assert (d.source, d.requirements, d.dropped, d.python) == (
        "conda_env", ["torch==1.13.*", "scikit-learn", "mlflow==2.1.1"], [("cudatoolkit=11.3", "conda-only package")],
        "3.8")
    reqs = write_files(tmp_path / "reqs", {"requirements.txt": "pandas>=2\n-e .\ngit+https://x/y.git\nnumpy==1.26.4\n",
                                      "requirements-dev.txt": "pytest\n"})
    d = sources.declared_environment(reqs)
    assert (d.source, d.requirements, [line for line, _ in d.dropped], d.python) == (
        "requirements", ["pandas>=2", "numpy==1.26.4"], ["-e .", "git+https://x/y.git"], "")
    inferred = write_files(tmp_path / "inf", {"main.py": "import os, sklearn.linear_model\nimport cv2\nfrom helpers import x\n",
                                         "helpers.py": "import numpy\n"})
    d = sources.declared_environment(inferred)
    assert (d.source, d.requirements, d.dropped, d.python) == (
        "inferred", ["numpy", "opencv-python-headless", "scikit-learn"], [], "")


def test_failing_requirement_is_named() -> None:
    err = ("  x No solution found when resolving dependencies:\n  Because numpy==1.19.5 has no wheels with a matching "
           "Python ABI tag and you require numpy==1.19.5, we can conclude that your requirements are unsatisfiable.")
    assert requirements.failing_requirement(err, ["pandas", "numpy==1.19.5"]) == "numpy==1.19.5"
    assert requirements.failing_requirement("  x Failed to build `pycocotools==2.0.2`", ["pycocotools==2.0.2"]) == \
        "pycocotools==2.0.2"


def test_mlproject_file_name_is_matched_in_any_case_as_mlflow_does(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"MLProject/MLProject": "entry_points:\n  main:\n    command: python m.py\n",
                                   "MLProject/m.py": "import mlflow\nmlflow.log_metric('a', 1)\n"})
    recipe = first_recipe(root)
    assert (recipe.source, recipe.where, recipe.entry_paths) == ("MLproject", "MLProject/MLProject:entry main",
                                                                 ("MLProject/m.py",))
    assert [(s.kind, s.argv, s.cwd) for s in recipe.steps] == [("mlflow_run", ("python", "m.py"), "MLProject")]


def test_runs_use_a_complete_checkout_of_the_clone_and_name_blobs_the_remote_lacks(tmp_path: Path) -> None:
    """The mine stage's clone holds only what the miners read; the harness fetches the data file
    the script needs, and names the file whose blob the mirror lacks."""
    from miners.corpus.clone import clone_repo
    from tests.conftest import git

    work = write_files(tmp_path / "src", {
        "train.py": "import mlflow\nv = [float(x) for x in open('data/values.csv').read().split()]\n"
                    "with mlflow.start_run():\n    mlflow.log_metric('mean', sum(v) / len(v))\n",
        "data/values.csv": "1\n2\n3\n", "models/big.bin": "weights" * 100})
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "init")
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirror)], check=True)
    big = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD:models/big.bin"], capture_output=True,
                         text=True, check=True).stdout.strip()
    (mirror / "objects" / big[:2] / big[2:]).unlink()  # a mirror without its largest blob
    clone = tmp_path / "clones" / "o__data"
    assert clone_repo("o/data", mirror.as_uri(), clone).status == "cloned"
    assert not (clone / "data" / "values.csv").exists()  # not read by the miners
    cfg = Config(work=tmp_path / "w", runs=1, conditions=("as_written",), timeout=120,
                 python_env=Path(sys.prefix))
    project = Project("o__data", clone, "o/data")
    rerun([project], cfg, progress=False)
    publish([project], cfg, tmp_path / "o")
    row = read_csv(tmp_path / "o" / "reruns.csv")[0]
    assert (row["status"], row["files_missing"]) == ("ok", "1"), row
    assert float(read_csv(tmp_path / "o" / "rerun_metrics.csv")[0]["value"]) == 2.0
    assert not (clone / "data" / "values.csv").exists()  # the clone itself is left as it was
    info = json.loads((tmp_path / "w" / "checkouts" / "o__data" / ".git" / "mining-complete.json").read_text())
    assert info["missing_paths"] == ["models/big.bin"]


def test_a_driver_is_chosen_when_tracking_code_only_defines_functions(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {
        "src/tracking.py": "import mlflow\ndef log(v):\n    with mlflow.start_run():\n        mlflow.log_metric('a', v)\n",
        "run_pipeline.py": "from src.tracking import log\n\nif __name__ == '__main__':\n    log(1.0)\n",
        "helpers.py": "def unrelated():\n    pass\n",
    })
    recipe = first_recipe(root)
    assert recipe.entry_paths == ("run_pipeline.py",)
    assert "drives src/tracking.py" in recipe.reason


def test_environment_as_of_the_commit_and_latest_env_with_mlflow_1_and_3(tmp_path: Path) -> None:
    """A git repository committed on 2022-06-01: as written it gets that day's Python and
    packages (MLflow 1.x logs into the harness's store); latest_env resolves the same
    requirements as of the protocol's fixed date (MLflow 3.x)."""
    project = tmp_path / "dated"
    project.mkdir()
    (project / "requirements.txt").write_text("pandas\nmlflow\n")
    (project / "train.py").write_text(
        "import sys\nimport mlflow\nimport pandas as pd\n\n"
        "with mlflow.start_run():\n"
        "    mlflow.log_param('pandas', pd.__version__)\n"
        "    mlflow.log_param('mlflow', mlflow.__version__)\n"
        "    mlflow.log_param('python', '%d.%d' % sys.version_info[:2])\n"
        "    mlflow.log_metric('rows', float(len(pd.DataFrame({'a': [1, 2, 3]}))))\n")
    date = "2022-06-01T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True)
    cfg = Config(work=tmp_path / "w", runs=1, conditions=("as_written", "latest_env"), timeout=300,
                 latest_date="2026-11-01")
    projects = local_projects([project])
    assert projects[0].commit_date.startswith("2022-06-01")
    rerun(projects, cfg, progress=False)
    publish(projects, cfg, tmp_path / "o")
    rows = {r["condition"]: r for r in read_csv(tmp_path / "o" / "reruns.csv")}
    assert rows["as_written"]["status"] == "ok", rows["as_written"]
    assert rows["latest_env"]["status"] == "ok", rows["latest_env"]
    assert rows["as_written"]["resolution_date"].startswith("2022-06-01")
    assert rows["latest_env"]["env_mode"] == "latest"
    params = {(p["condition"], p["key"]): p["value"] for p in read_csv(tmp_path / "o" / "rerun_params.csv")}
    assert params[("as_written", "python")] == "3.10"  # the newest minor released before June 2022
    assert params[("as_written", "pandas")].startswith("1.4.")
    assert params[("as_written", "mlflow")].startswith("1.26.")
    assert int(params[("latest_env", "pandas")].split(".")[0]) >= 2
    assert int(params[("latest_env", "mlflow")].split(".")[0]) >= 3
    envs = read_csv(tmp_path / "o" / "rerun_environments.csv")
    assert {e["mode"] for e in envs} == {"as_of_commit", "latest"}
