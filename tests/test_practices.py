"""Repository practices on small git repositories built here, cloned through file:// like
real ones (so branches and tags come from the remote's refs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from miners.corpus.clone import clone_repo
from miners.practices.envspec import EnvSpec, read_conda, read_requirements
from miners.practices.repo_practices import repo_practices
from tests.conftest import git

MLRUN = "artifact_uri: x\nexperiment_id: '0'\nlifecycle_stage: active\nname: Default\n"
FILES: dict[str, str | bytes] = {
    "train.py": "import mlflow\nmlflow.log_param('a', 1)\n",
    "tests/test_train.py": "def test_ok():\n    assert True\n",
    "requirements.txt": "mlflow==2.14.1\nscikit-learn>=1.3\npandas==2.2.2\nnumpy\n# comment\n-r other.txt\n",
    "conda.yaml": "name: x\ndependencies:\n  - python=3.11\n  - numpy=1.26.4\n  - pip:\n    - mlflow==2.14.1\n",
    "MLproject": "name: x\nconda_env: conda.yaml\nentry_points:\n  main:\n    parameters:\n      alpha: {type: float, default: 0.5}\n      l1: {type: float, default: 0.1}\n    command: python train.py\n  eval:\n    command: python eval.py\n",
    ".gitattributes": "*.pkl filter=lfs diff=lfs merge=lfs -text\ndata/*.parquet filter=lfs diff=lfs merge=lfs -text\n*.md text\n",
    ".dvc/config": "[core]\n    remote = s3\n",
    "data/raw.csv.dvc": "outs:\n- md5: 123\n  path: raw.csv\n",
    "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n",
    "data/small.csv": "a,b\n1,2\n",
    "models/model.pkl": b"\x80\x04pickle-bytes",
    "models/net.onnx": b"onnx" * 10,
    "mlruns/0/meta.yaml": MLRUN,
    "mlruns/0/abc/meta.yaml": "run_id: abc\n",
    "mlruns/0/abc/params/alpha": "0.5",
    "mlruns/0/abc/metrics/rmse": "1 0.5 0\n",
    "mlruns/0/abc/metrics/r2": "1 0.9 0\n",
    ".github/workflows/ci.yml": "on:\n  push:\n  schedule:\n    - cron: '0 0 * * 0'\njobs:\n  t:\n    steps:\n      - run: pytest\n      - run: python train.py && mlflow models serve -m x\n",
    "Dockerfile": "FROM python:3.11\n",
    "serve/app.py": "from fastapi import FastAPI\nimport joblib\nmodel = joblib.load('m.pkl')\n",
    "monitor.py": "import evidently\n",
}


def _repo(tmp_path: Path, files: dict[str, str | bytes], name: str = "o__r") -> Path:
    src = tmp_path / "src" / name
    for rel, content in files.items():
        p = src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(src, "init", "-q", "-b", "main")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "init")
    for tag in ("v1.0.0", "1.2", "v2", "release-candidate"):
        git(src, "tag", tag)
    for branch in ("dev/alice", "dev/bob", "data/v2", "exp/lr", "hotfix"):
        git(src, "branch", branch)
    bare = tmp_path / "remote" / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True)
    result = clone_repo(name.replace("__", "/"), f"file://{bare}", tmp_path / "clones" / name)
    assert result.status == "cloned", result.reason
    return tmp_path / "clones" / name


FEATURES = {"logs_params": "true", "logs_metrics": "true", "logs_models": "true", "registers_models": "true",
            "uses_autolog": "false", "logs_datasets": "false", "seed_coverage": "partial",
            "registered_model_names": "churn-v1.2.0;fraud;forecast_v3", "uses_stages": "true", "uses_aliases": "false"}


@pytest.fixture(scope="module")
def row(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("practices")
    return repo_practices("o__r", _repo(tmp, FILES), FEATURES)


@pytest.mark.parametrize(("column", "value"), [
    ("files_tracked", len(FILES)), ("default_branch", "main"),
    ("dvc_dir", True), ("dvc_files", 1), ("dvc_pipeline", True), ("dvc_lock", False),
    ("lfs_patterns", "*.pkl;data/*.parquet"),
    ("data_files", 1), ("data_bytes", 8), ("data_extensions", ".csv:1"),
    ("model_files", 2), ("model_bytes", 14 + 40), ("model_extensions", ".onnx:1;.pkl:1"),
    ("mlruns_dirs", 1), ("mlruns_experiments", 1), ("mlruns_runs", 1), ("mlruns_params", 1), ("mlruns_metrics", 2),
    ("mlruns_status", "ok"),
    ("mlproject", True), ("mlproject_entry_points", 2), ("mlproject_parameters", 2), ("mlproject_env", "conda_env"),
    ("deps_declared", 4), ("deps_pinned", 3), ("pinned_share", 0.75), ("mlflow_pin", "exact"), ("mlflow_spec", "==2.14.1"),
    ("dockerfile", True), ("env_errors", ""),
    ("branches", 6), ("tags", 4), ("semver_tags", 3), ("branch_families", "data:1;dev:2;exp:1"),
    ("versioned_model_names", 2), ("uses_stages", True), ("uses_aliases", False),
    ("ci_systems", "github_actions"), ("ci_runs_tests", True), ("ci_runs_training", True), ("ci_scheduled", True),
    ("tests_present", True), ("serving", True), ("monitoring", "evidently"),
    ("traceability", 6), ("traceability_points", "code;data;hyperparameters;metrics;model;environment"),
    ("maturity", 4),
])
def test_practice_columns(row, column, value):
    assert row[column] == value


def test_broken_files_are_reasons_not_crashes(tmp_path):
    files = {"MLproject": "name: x\nentry_points: [unclosed\n", "conda.yaml": "dependencies: {bad: [\n",
             "pyproject.toml": "[project\nname = 'x'\n", "mlruns/0/meta.yaml": "experiment_id: [\n",
             "mlruns/0/r/meta.yaml": "x: 1\n", "train.py": "print(1)\n"}
    row = repo_practices("o__b", _repo(tmp_path, files, "o__b"))
    assert "MLproject: malformed MLproject" in row["env_errors"]
    assert "conda.yaml: malformed YAML" in row["env_errors"]
    assert "pyproject.toml: malformed TOML" in row["env_errors"]
    assert "malformed YAML" in row["mlruns_status"]
    assert row["maturity"] == 0 and row["traceability"] == 0  # a broken MLproject earns no point


def test_pinning_rules(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("a==1.0\nb>=2\nc~=1.4\nd==1.*\ne\nf[extra]==3.1 ; python_version>'3'\ngit+https://x/y.git\n")
    spec = EnvSpec()
    read_requirements(req, "requirements.txt", spec)
    assert {r.name: r.exact for r in spec.requirements} == {"a": True, "b": False, "c": False, "d": False, "e": False, "f": True}
    conda = tmp_path / "environment.yml"
    conda.write_text("dependencies:\n  - conda-forge::numpy=1.26.4=py311h\n  - scipy>=1.10\n  - pandas 2.1.0\n")
    spec = EnvSpec()
    read_conda(conda, "environment.yml", spec)
    assert {r.name: r.exact for r in spec.requirements} == {"numpy": True, "scipy": False, "pandas": True}


def test_poetry_and_pipfile_tables(tmp_path):
    from miners.practices.envspec import read_pipfile, read_pyproject

    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["a==1"]\n[tool.poetry.dependencies]\npython = "^3.11"\nb = "2.0.1"\nc = {version = "^1.2"}\nd = "*"\n')
    (tmp_path / "Pipfile").write_text('[packages]\ne = "==3.0"\nf = "*"\n')
    spec = EnvSpec()
    read_pyproject(tmp_path / "pyproject.toml", "pyproject.toml", spec)
    read_pipfile(tmp_path / "Pipfile", "Pipfile", spec)
    assert {r.name: (r.spec, r.exact) for r in spec.requirements} == {
        "a": ("==1", True), "b": ("2.0.1", True), "c": ("^1.2", False), "d": ("", False), "e": ("==3.0", True), "f": ("", False)}
