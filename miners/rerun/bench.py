"""The rerun harness's own cost, measured (part of ``make bench``).

Definitions (seconds of wall-clock time, each the minimum of ``repeat`` measurements):

* ``bare``: the fixture script (imports MLflow, logs one param and one metric into a fresh file
  store) run directly with this interpreter: the project's own time.
* ``harness``: one whole run of the same script through the harness
  (:func:`miners.rerun.execute.execute`): a fresh copy of the checkout, the injected capture,
  the sandbox, the driver script, reading the store back and cleaning up.
* ``overhead`` = harness - bare; its parts, measured separately: ``copy`` (the checkout copy),
  ``sandbox`` (``true`` run in the sandbox), ``read_store`` (reading the run's store back).
* ``env cold`` / ``env warm``: building the environment of a project that declares one small
  package, resolved as of a fixed date, with an empty package cache and then with the same cache
  (a new environment folder each time; the registry is reached only on the cold build).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """import mlflow
with mlflow.start_run():
    mlflow.log_param("p", 1)
    mlflow.log_metric("m", 0.5)
"""


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def overhead(work: Path, repeat: int = 3, env_build: bool = True) -> list[tuple[str, float]]:
    """``[(measure, seconds)]`` as defined in the module docstring."""
    from miners.rerun import capture, conditions, environment, recipes, sandbox
    from miners.rerun.config import Config
    from miners.rerun.execute import execute
    from miners.rerun.prepare import Prepared
    from miners.rerun.sampling import Project

    work = Path(work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    project = work / "project"
    project.mkdir(parents=True)
    (project / "train.py").write_text(SCRIPT)
    # the bare run gets the variables the harness sets too, so that only the harness's work differs
    env = {**sandbox.environment(work / "bare", sandbox.Limits()), "MLFLOW_ALLOW_FILE_STORE": "true",
           "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "GIT_PYTHON_REFRESH": "quiet",
           "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}

    def bare() -> None:
        store = Path(tempfile.mkdtemp(dir=work)) / "store"  # MLflow makes it, with its default experiment
        subprocess.run([sys.executable, "train.py"], cwd=project, check=True, capture_output=True,
                       env={**env, "MLFLOW_TRACKING_URI": store.as_uri()})

    cfg = Config(work=work / "w", runs=1, python_env=Path(sys.prefix))
    given = environment.given(Path(sys.prefix))
    prep = Prepared([], [], [], [], 0, [], set())
    recipe = recipes.Recipe("script", "train.py", (recipes.Step("python", ("python", "train.py"), ""),), "bench",
                            ("train.py",))
    proj = Project("bench", project)

    def run() -> None:
        row = execute(proj, prep, recipe, given, conditions.get("as_written"), 1, cfg)["row"]
        if row["status"] != "ok":
            raise RuntimeError(f"the bench run through the harness ended {row['status']}: {row['reason']}")

    def copy() -> None:
        dest = work / "copy"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(project, dest, symlinks=True)

    def boxed() -> None:
        run_dir = work / "box"
        run_dir.mkdir(exist_ok=True)
        sandbox.run(["true"], run_dir, run_dir, sandbox.Limits(60))

    store = work / "store"
    subprocess.run([sys.executable, "train.py"], cwd=project, check=True, capture_output=True,
                   env={**env, "MLFLOW_TRACKING_URI": store.as_uri()})
    rows = [("bare", _best(bare, repeat)), ("harness", _best(run, repeat))]
    rows.append(("overhead", rows[1][1] - rows[0][1]))
    rows += [("copy", _best(copy, repeat)), ("sandbox", _best(boxed, repeat)),
             ("read_store", _best(lambda: capture.read_store(store), repeat))]
    if env_build:
        (project / "requirements.txt").write_text("six\n")
        cache = work / "uv-cache"

        def build(name: str) -> None:
            environment.build(project, work / "envs" / name, cache, entry_paths=("train.py",),
                              commit_date="2024-06-01T00:00:00+00:00")

        t = time.perf_counter()
        build("cold")
        rows.append(("env cold", time.perf_counter() - t))
        t = time.perf_counter()
        build("warm")
        rows.append(("env warm", time.perf_counter() - t))
    return rows


def render(rows: list[tuple[str, float]]) -> str:
    bare = dict(rows).get("bare") or 1.0
    lines = ["rerun harness cost (seconds; ratio to the bare run)", f"{'measure':<12} {'seconds':>9} {'ratio':>7}"]
    lines += [f"{name:<12} {sec:9.3f} {sec / bare:7.2f}" for name, sec in rows]
    return "\n".join(lines) + "\n"
