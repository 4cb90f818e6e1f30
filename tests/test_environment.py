"""Environments as of the commit (miners.rerun.environment and the modules it builds from:
interpreter, sources, imports, requirements, install; miners.practices.envspec): declared Python,
requirement sources, conda/platform translation, relaxation and the NumPy 2 retry. Files are
real temporary projects; the two builds install from PyPI with uv."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from miners.practices import envspec
from miners.rerun import environment, imports, install, interpreter, requirements, sources
from tests.conftest import write_files

PYTHONS = interpreter.installed_pythons()
UV = install.uv_command()


def first_source(root: Path, mlproject: str = "", **where: str) -> tuple[str, list[str]]:
    """``(env_source, requirements)`` of the first source of the checkout ``root``."""
    d = sources.declared_environment(root, mlproject, **where)
    return d.source, d.requirements



# ---------------------------------------------------------------------------------- Python


@pytest.mark.parametrize(("files", "mlproject", "expected"), [
    ({"MLproject": "python_env: env/python_env.yaml\n", "env/python_env.yaml": "python: '3.8.10'\n",
      ".python-version": "3.11\n"}, "MLproject", ("3.8.10", "env/python_env.yaml")),
    ({"conda.yaml": "dependencies:\n  - numpy\n  - python=3.8.5=h7579374_1\n"}, "", ("3.8.5", "conda.yaml")),
    ({"environment.yml": "dependencies:\n  - python>=3.7\n"}, "", (">=3.7", "environment.yml")),
    ({".python-version": "3.9.7\n", "runtime.txt": "python-3.6.1\n"}, "", ("3.9.7", ".python-version")),
    ({"runtime.txt": "python-3.8.10\n"}, "", ("3.8.10", "runtime.txt")),
    ({"pyproject.toml": "[project]\nname='x'\nrequires-python = '>=3.8,<3.11'\n"}, "", (">=3.8,<3.11", "pyproject.toml")),
    ({"pyproject.toml": "[tool.poetry.dependencies]\npython = '^3.9'\n"}, "", ("^3.9", "pyproject.toml")),
    ({"setup.py": "from setuptools import setup\nsetup(name='x', python_requires='>=3.7')\n"}, "", (">=3.7", "setup.py")),
    ({"setup.cfg": "[options]\npython_requires = >=3.6\n"}, "", (">=3.6", "setup.cfg")),
    ({"Dockerfile": "FROM python:3.7-slim-buster\nRUN pip install x\n"}, "", ("3.7", "Dockerfile")),
    ({"pkg/__pycache__/m.cpython-38.pyc": "", "__pycache__/a.cpython-38.pyc": "", "__pycache__/b.cpython-311.pyc": ""},
     "", ("3.8", "pyc:cpython-38")),
    ({"train.py": "import os\n"}, "", ("", "")),
])
def test_declared_python_sources_in_order(tmp_path: Path, files: dict[str, str], mlproject: str,
                                          expected: tuple[str, str]) -> None:
    assert envspec.declared_python(write_files(tmp_path / "p", files), mlproject) == expected


FAKE = {(3, k): (f"3.{k}.1", f"/py/3.{k}") for k in range(6, 14)}


def test_choose_python_by_commit_date_when_nothing_is_declared() -> None:
    assert interpreter.choose_python("", "2021-06-01T10:00:00Z", FAKE) == ((3, 9), [])
    assert interpreter.choose_python("", "2019-10-15T00:00:00Z", FAKE) == ((3, 8), [])
    assert interpreter.choose_python("", "2019-10-13T00:00:00Z", FAKE) == ((3, 7), [])
    assert interpreter.choose_python("", "", FAKE)[0] == (3, 11)  # the machine's own Python


@pytest.mark.parametrize(("requested", "date", "minor"), [
    ("3.8", "2023-01-01", (3, 8)), ("3.8.10", "", (3, 8)), (">=3.8,<3.11", "2021-06-01", (3, 9)),
    (">=3.8,<3.11", "", (3, 10)), ("^3.9", "2023-01-01", (3, 11)), ("3.10.*", "2021-06-01", (3, 10)),
    ("~3.7", "", (3, 7)), (">=3.6", "2018-01-01", (3, 6)),
])
def test_choose_python_for_a_declared_version_or_specifier(requested: str, date: str, minor: tuple) -> None:
    assert interpreter.choose_python(requested, date, FAKE) == (minor, [])


def test_a_missing_declared_python_is_substituted_by_the_nearest_and_recorded() -> None:
    assert interpreter.choose_python("3.5", "2017-01-01", FAKE) == (
        (3, 6), ["python 3.6 substituted for declared 3.5 (not on this machine)"])
    few = {k: v for k, v in FAKE.items() if k in ((3, 8), (3, 11))}
    assert interpreter.choose_python("3.9", "", few)[0] == (3, 8)
    assert interpreter.choose_python("<3.6", "", few) == ((3, 8), ["python 3.8 substituted for declared <3.6 "
                                                               "(not on this machine)"])


@pytest.mark.skipif(not {(3, 6), (3, 8)} <= set(PYTHONS), reason="needs pyenv's Python 3.6 and 3.8")
def test_python_for_uses_the_machines_interpreters(tmp_path: Path) -> None:
    old = write_files(tmp_path / "old", {".python-version": "3.5.2\n"})
    requested, source, python, notes = interpreter.python_for(old, "2017-01-01T00:00:00Z")
    assert (requested, source, python) == ("3.5.2", ".python-version", PYTHONS[(3, 6)][1])
    assert notes == ["python 3.6 substituted for declared 3.5.2 (not on this machine)"]
    pyc = write_files(tmp_path / "pyc", {"__pycache__/m.cpython-38.pyc": ""})
    assert interpreter.python_for(pyc, "")[1:3] == ("pyc:cpython-38", PYTHONS[(3, 8)][1])


# ----------------------------------------------------------------------- requirement lines


@pytest.mark.parametrize(("dep", "expected"), [
    ("numpy=1.19.2=py38h54aff64_0", ("numpy==1.19.2", "")),
    ("numpy 1.19.2 py38_0", ("numpy==1.19.2", "")),
    ("pandas==1.1.5=hash_0", ("pandas==1.1.5", "")),
    ("pytorch=1.13", ("torch==1.13.*", "")),
    ("conda-forge::scikit-learn>=1.0,<1.2", ("scikit-learn<1.2,>=1.0", "")),
    ("numpy=1.19.*", ("numpy==1.19.*", "")),
    ("python=3.8.5=h7579374_1", (None, "")),
    ("libgcc-ng>=9", (None, "conda-only package")),
    ("cudatoolkit=11.3", (None, "conda-only package")),
    ("mkl", (None, "conda-only package")),
])
def test_conda_specs_become_pip_specifiers(dep: str, expected: tuple) -> None:
    assert envspec.conda_requirement(dep) == expected


def test_conda_python_reads_build_strings_and_ranges() -> None:
    assert envspec.conda_python(["numpy", "python=3.8.5=h7579374_1"]) == "3.8.5"
    assert envspec.conda_python(["python=3.8"]) == "3.8"
    assert envspec.conda_python(["python>=3.8"]) == ">=3.8"
    assert envspec.conda_python([{"pip": ["x"]}, "numpy"]) == ""


@pytest.mark.parametrize(("line", "expected"), [
    ("numpy == 1.19.2   # pinned", ("numpy==1.19.2", "")),
    ("pandas[excel]>=1,<2", ("pandas[excel]<2,>=1", "")),
    ("numpy=1.2.3", ("numpy==1.2.3", "")),  # a conda spelling in a pip file
    ('dataclasses; python_version < "3.7"', ('dataclasses; python_version < "3.7"', "")),
    ("-e .", (None, "not a PyPI requirement")),
    ("--index-url https://x", (None, "not a PyPI requirement")),
    ("git+https://github.com/a/b.git", (None, "not a PyPI requirement")),
    ("pkg @ https://host/pkg.whl", (None, "not a PyPI requirement")),
    ("./local/pkg", (None, "not a PyPI requirement")),
    ("numpy 1.19.2", (None, "not a valid requirement")),
    ("scikit-learn>=>0.2", (None, "not a valid requirement")),
    ("pywin32==300", (None, "Windows-only")),
    ("pywinpty", (None, "Windows-only")),
    ("wmi", (None, "Windows-only")),
    ("appnope", (None, "macOS-only")),
    ("tensorflow-macos==2.9", (None, "macOS-only")),
    ("tensorflow-metal", (None, "macOS-only")),
    ('colorama; platform_system == "Windows"', (None, 'not for Linux (platform_system == "Windows")')),
    ('uvloop; sys_platform != "win32"', ('uvloop; sys_platform != "win32"', "")),
    ("# comment", (None, "")),
    ("pip>=20", (None, "")),
])
def test_requirement_lines_are_parsed_with_packaging(line: str, expected: tuple) -> None:
    assert envspec.pip_requirement(line) == expected


def test_drops_are_recorded_as_interventions_of_the_declared_environment(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"MLproject": "conda_env: conda.yaml\n", "conda.yaml":
                  "dependencies:\n  - python=3.8.5=h7579374_1\n  - numpy=1.19.2=py38h54aff64_0\n  - mkl\n"
                  "  - pip:\n    - pywin32==300\n    - mlflow==1.20.0\n"})
    d = sources.declared_environment(root, "MLproject")
    assert (d.source, d.requirements, d.python, d.python_source) == (
        "conda_env", ["numpy==1.19.2", "mlflow==1.20.0"], "3.8.5", "conda.yaml")
    assert d.dropped == [("mkl", "conda-only package"), ("pywin32==300", "Windows-only")]


# ---------------------------------------------------------------------- requirement sources


def test_lock_files_give_exact_versions_without_dev_groups(tmp_path: Path) -> None:
    uv_lock = ('version = 1\n[[package]]\nname = "proj"\nversion = "0.1.0"\nsource = { editable = "." }\n'
               'dependencies = [{ name = "pandas" }]\n[package.dev-dependencies]\ndev = [{ name = "pytest" }]\n'
               '[[package]]\nname = "pandas"\nversion = "1.4.2"\nsource = { registry = "https://pypi.org/simple" }\n'
               'dependencies = [{ name = "numpy" }]\n'
               '[[package]]\nname = "numpy"\nversion = "1.22.4"\nsource = { registry = "https://pypi.org/simple" }\n'
               '[[package]]\nname = "pytest"\nversion = "7.1.2"\nsource = { registry = "https://pypi.org/simple" }\n')
    poetry_lock = ('[[package]]\nname = "Flask"\nversion = "2.0.1"\ncategory = "main"\n\n'
                   '[[package]]\nname = "black"\nversion = "22.3.0"\ncategory = "dev"\n')
    pipfile_lock = json.dumps({"default": {"requests": {"version": "==2.25.1"},
                                           "pywin32": {"version": "==300", "markers": "sys_platform == 'win32'"}},
                               "develop": {"pytest": {"version": "==6.2.4"}}})
    root = write_files(tmp_path / "p", {"uv.lock": uv_lock, "a/poetry.lock": poetry_lock, "b/Pipfile.lock": pipfile_lock,
                                   "requirements.txt": "pandas\n"})
    assert envspec.read_uv_lock(root / "uv.lock") == ["numpy==1.22.4", "pandas==1.4.2"]
    assert envspec.read_poetry_lock(root / "a/poetry.lock") == ["flask==2.0.1"]
    assert envspec.read_pipfile_lock(root / "b/Pipfile.lock") == ["pywin32==300; sys_platform == 'win32'",
                                                                  "requests==2.25.1"]
    assert first_source(root) == ("lock", ["numpy==1.22.4", "pandas==1.4.2"])
    assert first_source(root, entry_folder="a") == ("lock", ["flask==2.0.1"])
    d = sources.declared_environment(root, entry_folder="b")
    assert (d.source, d.requirements) == ("lock", ["requests==2.25.1"])
    assert d.dropped == [("pywin32==300; sys_platform == 'win32'", "Windows-only")]


def test_source_order_pinned_before_mlruns_before_python_env_before_ranges(tmp_path: Path) -> None:
    files = {"MLproject": "python_env: python_env.yaml\n", "python_env.yaml": "python: '3.9'\ndependencies:\n  - scipy\n",
             "requirements.txt": "numpy==1.21.0\npandas==1.3.0\n",
             "mlruns/0/abc/artifacts/model/MLmodel": "flavors: {}\n",
             "mlruns/0/abc/artifacts/model/requirements.txt": "mlflow==1.20.2\nscikit-learn==0.24.2\n"}
    root = write_files(tmp_path / "p", files)
    assert first_source(root, "MLproject") == ("pinned", ["numpy==1.21.0", "pandas==1.3.0"])
    (root / "requirements.txt").write_text("numpy>=1.21\npandas==1.3.0\n")
    assert first_source(root, "MLproject") == ("mlruns_model",
                                                                    ["mlflow==1.20.2", "scikit-learn==0.24.2"])
    shutil.rmtree(root / "mlruns")
    assert first_source(root, "MLproject") == ("python_env", ["scipy"])
    (root / "MLproject").unlink()
    (root / "python_env.yaml").unlink()
    assert first_source(root) == ("requirements", ["numpy>=1.21", "pandas==1.3.0"])


def test_mlruns_model_requirements_come_from_the_newest_run(tmp_path: Path) -> None:
    old, new = "mlruns/1/r_old", "mlruns/1/r_new"
    root = write_files(tmp_path / "p", {
        f"{old}/meta.yaml": "run_id: r_old\nstart_time: 1600000000000\n",
        f"{old}/artifacts/model/MLmodel": "flavors: {}\n",
        f"{old}/artifacts/model/requirements.txt": "mlflow==1.10.0\n",
        f"{new}/meta.yaml": "run_id: r_new\nstart_time: 1650000000000\n",
        f"{new}/artifacts/model/MLmodel": "flavors: {}\n",
        f"{new}/artifacts/model/conda.yaml": "dependencies:\n  - python=3.8.13\n  - pip:\n    - mlflow==1.26.0\n",
        "mlruns/.trash/x/artifacts/model/MLmodel": "flavors: {}\n",
        "mlruns/.trash/x/artifacts/model/requirements.txt": "mlflow==2.0.0\n",
    })
    assert envspec.mlruns_model_env(root) == ("conda_env", root / new / "artifacts/model/conda.yaml")
    assert first_source(root) == ("mlruns_model", ["mlflow==1.26.0"])
    (root / new / "meta.yaml").write_text("start_time: 1500000000000\n")
    assert first_source(root) == ("mlruns_model", ["mlflow==1.10.0"])


def test_misspelt_and_folder_requirement_files_are_found(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"requirments.txt": "pandas>=1\n", "svc/requirements/base.txt": "flask\n",
                                   "svc/requirements/dev.txt": "pytest\n", "other/requirement.txt": "-r extra.txt\n",
                                   "other/extra.txt": "scipy\n"})
    assert first_source(root) == ("requirements", ["pandas>=1"])
    assert first_source(root, entry_folder="svc") == ("requirements", ["flask"])
    assert first_source(root, entry_folder="other") == ("requirements", ["scipy"])


def test_inferred_requirements_follow_the_entrys_import_closure(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {
        "src/train.py": "import mlflow\nfrom pipeline.features import build\nfrom . import helpers\n",
        "src/__init__.py": "", "src/helpers.py": "import yaml\n",
        "pipeline/__init__.py": "", "pipeline/features.py": "import sklearn.linear_model\nfrom .io import load\n",
        "pipeline/io.py": "import pandas as pd\nimport os\n",
        "old/abandoned.py": "import requests00p\nimport torch\n",
        "notebooks/explore.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": "import seaborn",
                                                          "metadata": {}, "outputs": []}],
                                               "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    })
    files, _ = imports.import_closure(root, ("src/train.py",))
    assert files == ["pipeline/__init__.py", "pipeline/features.py", "pipeline/io.py", "src/helpers.py",
                     "src/train.py"]
    assert first_source(root, entry_paths=("src/train.py",)) == ("inferred", ["mlflow", "pandas", "pyyaml",
                                                                              "scikit-learn"])
    assert "requests00p" in imports.inferred(root)  # the whole repository would have taken it


# --------------------------------------------------------------------------- install pieces


def test_resolution_dates_are_utc_and_missing_ones_recorded() -> None:
    assert environment.utc_timestamp("2022-12-06T01:11:18+05:30") == "2022-12-05T19:41:18Z"
    assert environment.resolution_date("as_of_commit", "2022-12-06T01:11:18+05:30", "2025-06-01") == \
        ("2022-12-05T19:41:18Z", [])
    assert environment.resolution_date("latest", "2022-12-06T01:11:18+05:30", "2025-06-01") == ("2025-06-01T00:00:00Z", [])
    assert environment.resolution_date("as_of_commit", "", "") == ("", ["no date cap: the commit date is unknown"])
    with pytest.raises(ValueError, match="unknown environment mode"):
        environment.resolution_date("today", "", "")


UV_NO_VERSION = """  x No solution found when resolving dependencies:
  `-> Because there is no version of numpy==1.99.5 and you require numpy==1.99.5, we can conclude that your
      requirements are unsatisfiable.
"""
UV_CONFLICT = """  x No solution found when resolving dependencies:
  `-> Because pandas==1.1.0 depends on numpy>=1.15.4 and you require numpy==1.10.0, we can conclude that
      your requirements and pandas==1.1.0 are incompatible.
"""


def test_failing_requirement_is_the_one_the_resolver_names_first() -> None:
    lines = ["six==1.15.0", "numpy==1.99.5", "mlflow"]
    assert requirements.failing_requirement(UV_NO_VERSION, lines) == "numpy==1.99.5"
    assert requirements.failing_requirement(UV_CONFLICT, ["numpy==1.10.0", "pandas==1.1.0"]) == "pandas==1.1.0"
    assert requirements.failing_requirement("  x Failed to build `pycocotools==2.0.2`", ["pycocotools==2.0.2"]) == \
        "pycocotools==2.0.2"
    assert requirements.failing_requirement("error: something else", lines) == ""
    assert requirements.relaxed("numpy==1.99.5") == "numpy"
    assert requirements.relaxed('pandas[excel]>=1; python_version < "3.8"') == 'pandas[excel]; python_version < "3.8"'
    assert requirements.relaxed("requests00p") is None


@pytest.mark.skipif(UV is None, reason="needs uv")
def test_real_uv_error_names_the_missing_pin(tmp_path: Path) -> None:
    subprocess.run([*UV, "venv", "-q", str(tmp_path / "v")], check=True, capture_output=True)
    proc = subprocess.run([*UV, "pip", "install", "--python", str(tmp_path / "v/bin/python"), "six==1.15.0",
                           "numpy==1.99.5"], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert requirements.failing_requirement(proc.stderr, ["six==1.15.0", "numpy==1.99.5"]) == "numpy==1.99.5"


class FakeInstaller:
    """Stands in for uv: fails with the recorded error while a bad pin is present."""

    def __init__(self, bad: set[str]) -> None:
        self.bad, self.calls = bad, []

    def install(self, lines: list[str]) -> tuple[int, str]:
        self.calls.append(list(lines))
        bad = next((line for line in lines if line in self.bad), "")
        return (1, f"Because there is no version of {bad} and you require {bad}, ...") if bad else (0, "")


def test_relaxing_drops_only_the_failing_constraints_and_records_each() -> None:
    inst = FakeInstaller({"numpy==1.99.5", "torchx==9.9"})
    result = environment.EnvResult(added=["mlflow"])
    status, lines = install.install_relaxing(inst, result, ["six==1.15.0", "numpy==1.99.5", "torchx==9.9"], [])  # type: ignore[arg-type]
    assert (status, lines) == ("installed_relaxed", ["six==1.15.0", "numpy", "torchx"])
    assert result.interventions == ["relaxed numpy==1.99.5 (failed to install)", "relaxed torchx==9.9 (failed to install)"]
    assert inst.calls[0] == ["six==1.15.0", "numpy==1.99.5", "torchx==9.9", "mlflow"]
    assert result.failed_requirement == "numpy==1.99.5"


def test_relaxation_stops_after_three_rounds() -> None:
    bad = {f"p{k}==1" for k in range(5)}
    result = environment.EnvResult()
    status, _ = install.install_relaxing(FakeInstaller(bad), result, sorted(bad), [])  # type: ignore[arg-type]
    assert status == "install_failed"
    assert len(result.interventions) == install.RELAX_ROUNDS


@pytest.mark.parametrize(("output", "sign"), [
    ("ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96", "numpy.dtype size changed"),
    ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.2 as it may crash.",
     "compiled using NumPy 1.x"),
    ("AttributeError: _ARRAY_API not found\nImportError: numpy.core.multiarray failed to import",
     "numpy.core.multiarray failed to import"),
    ("ModuleNotFoundError: No module named 'pandas'", ""),
])
def test_numpy_binary_incompatibility_is_recognised(output: str, sign: str) -> None:
    assert install.numpy_abi_error(output) == sign


# ------------------------------------------------------------------------------ real builds


@pytest.mark.skipif(UV is None or (3, 9) not in PYTHONS, reason="needs uv and Python 3.9")
def test_build_as_of_the_commit_gets_that_days_python_and_packages(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"requirements.txt": "numpy\n", "train.py": "import numpy\nimport mlflow\n"})
    env = environment.build(root, tmp_path / "env", None, entry_paths=("train.py",),
                        commit_date="2021-06-01T12:00:00+02:00")
    assert (env.env_status, env.env_source, env.mode, env.resolution_date) == (
        "installed", "requirements", "as_of_commit", "2021-06-01T10:00:00Z")
    assert env.python.startswith("3.9.")
    versions = dict(line.split("==", 1) for line in env.lock.splitlines() if "==" in line)
    assert tuple(int(x) for x in versions["numpy"].split(".")[:2]) <= (1, 20)
    assert tuple(int(x) for x in versions["mlflow"].split(".")[:2]) < (1, 18)
    assert env.interventions == ["added mlflow (not declared)", "added setuptools<81 (not declared)"]
    again = environment.build(root, tmp_path / "env", None, commit_date="2030-01-01")
    assert again == env  # the record is reused as it was


@pytest.mark.skipif(UV is None or (3, 9) not in PYTHONS, reason="needs uv and Python 3.9")
def test_build_relaxes_only_the_pin_that_does_not_exist(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"requirements.txt": "six==1.15.0\nnumpy==1.99.5\nmlflow==1.17.0\n",
                                   "train.py": "import numpy, six, mlflow\n"})
    env = environment.build(root, tmp_path / "env", None, entry_paths=("train.py",), commit_date="2021-06-01")
    assert (env.env_status, env.env_source, env.failed_requirement) == ("installed_relaxed", "pinned", "numpy==1.99.5")
    assert "relaxed numpy==1.99.5 (failed to install)" in env.interventions
    lock = env.lock.splitlines()
    assert "six==1.15.0" in lock and "mlflow==1.17.0" in lock
    assert any(line.startswith("numpy==1.20.") for line in lock)


def test_an_install_past_the_timeout_fails_with_that_reason() -> None:
    class Slow(FakeInstaller):
        def install(self, lines: list[str]) -> tuple[int, str]:
            self.calls.append(list(lines))
            return -1, "the install took longer than 5 s"

    result = environment.EnvResult()
    inst = Slow(set())
    assert install.install_relaxing(inst, result, ["numpy==1.19.5"], [])[0] == "install_failed"  # type: ignore[arg-type]
    assert (result.reason, len(inst.calls), result.interventions) == ("the install took longer than 5 s", 1, [])


def test_numpy_2_binary_error_reinstalls_once_with_numpy_below_2(monkeypatch: pytest.MonkeyPatch) -> None:
    class Installed(FakeInstaller):
        vpy, environ = "python", {}

        def freeze(self) -> str:
            return "numpy==2.0.2\npandas==1.3.5\n"

    outputs = {"pandas": "pandas ValueError numpy.dtype size changed, may indicate binary incompatibility."}
    monkeypatch.setattr(install, "import_check", lambda _py, mods, _env: "".join(outputs.get(m, "") for m in mods))
    inst, result = Installed(set()), environment.EnvResult(added=["mlflow"])
    install.numpy_retry(inst, result, ["pandas==1.3.5"], ["pandas", "sklearn"])  # type: ignore[arg-type]
    assert inst.calls == [["pandas==1.3.5", "mlflow", "numpy<2"]]
    assert result.interventions == ["numpy<2 (binary incompatibility: numpy.dtype size changed)"]
    outputs.clear()
    inst, result = Installed(set()), environment.EnvResult()
    install.numpy_retry(inst, result, ["pandas==1.3.5"], ["pandas"])  # type: ignore[arg-type]
    assert (inst.calls, result.interventions) == ([], [])


def test_declared_requirements_that_never_install_fall_back_to_the_imports_of_the_files_run() -> None:
    class Failing(FakeInstaller):
        def install(self, lines: list[str]) -> tuple[int, str]:
            self.calls.append(list(lines))
            bad = any(line.startswith("_libgcc_mutex") for line in lines)
            return (1, "error: failed to parse a conda export line") if bad else (0, "")

    inst = Failing(set())
    result = environment.EnvResult(added=["mlflow"])
    declared = envspec.Declared("requirements")
    declared.requirements = ["_libgcc_mutex==0.1", "chromadb==0.4.24"]
    status, lines = install.install_or_imports(inst, result, declared, ["pandas", "scikit-learn"])  # type: ignore[arg-type]
    assert (status, lines, result.env_source) == ("installed_imports", ["pandas", "scikit-learn"], "inferred")
    assert inst.calls == [["_libgcc_mutex==0.1", "chromadb==0.4.24", "mlflow"], ["pandas", "scikit-learn", "mlflow"]]
    assert result.interventions[-1].startswith("the declared requirements (requirements) did not install")
    # declared requirements that install are kept, and nothing else is tried
    inst, result = Failing(set()), environment.EnvResult(added=["mlflow"])
    declared.requirements = ["chromadb==0.4.24"]
    assert install.install_or_imports(inst, result, declared, ["pandas"])[0] == "installed"  # type: ignore[arg-type]
    assert len(inst.calls) == 1


def test_imports_of_the_files_run_that_are_not_declared_are_added(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("pandas==1.5.3\n")
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "helpers.py").write_text("from loguru import logger\n")
    (tmp_path / "nb" / "train.py").write_text("import pandas\nimport helpers\nimport sklearn\n")
    (tmp_path / "abandoned.py").write_text("import requests00p\n")
    declared = sources.declared_environment(tmp_path, entry_paths=("nb/train.py",))
    assert declared.source == "pinned"
    assert environment.undeclared_imports(tmp_path, ("nb/train.py",), declared) == ["loguru", "scikit-learn"]


def test_an_import_guess_that_does_not_install_is_dropped_not_fatal() -> None:
    inst = FakeInstaller({"pythonjsonlogger"})
    result = environment.EnvResult(added=["mlflow", "pythonjsonlogger"], guessed=["pythonjsonlogger"])
    status, lines = install.install_relaxing(inst, result, ["pandas==1.5.3"], [])  # type: ignore[arg-type]
    assert (status, lines, result.added) == ("installed", ["pandas==1.5.3"], ["mlflow"])
    assert result.interventions == ["dropped pythonjsonlogger (imported, but no such distribution installs)"]
