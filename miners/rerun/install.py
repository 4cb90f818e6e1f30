"""The install into a project's virtual environment, with its retries.

Definitions.

* *Installer* (:class:`Installer`): uv (else ``python -m venv`` + uv, else pip) into
  ``<env>/venv``, with a package cache shared by all projects, every install capped at the
  resolution date (``uv pip install --exclude-newer``), the packages of
  :data:`miners.rerun.wheels.WHEELS_ONLY` from wheels only, and ``torch`` pinned to a local CPU
  wheel when one is given (:mod:`miners.rerun.wheels`). An install that takes longer than the
  timeout fails with that reason.
* *Relaxing* (:func:`install_relaxing`): when the installer fails, the requirement its error
  names (:func:`miners.rerun.requirements.failing_requirement`) is relaxed (its version
  constraint dropped; a bare name that cannot be installed is dropped) and the install retried,
  at most ``RELAX_ROUNDS`` times (``installed_relaxed``); a distribution the harness guessed
  from an import that does not install is dropped instead. Otherwise ``install_failed``.
* *Imports instead* (:func:`install_or_imports`): when the declared requirements still do not
  install, the imports of the files run are installed instead (``installed_imports``,
  ``env_source`` then ``inferred``).
* *NumPy retry* (:func:`numpy_retry`): after an install with NumPy 2, the installed top-level
  imports of the entry's closure and numpy's compiled dependents (``NUMPY_DEPENDENTS``) are
  imported once; an error of a NumPy 1.x binary against NumPy 2 (``NUMPY_ABI_ERRORS``)
  re-installs once with ``numpy<2``.

Each step is recorded as an intervention (:mod:`miners.rerun.interventions`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from miners.practices.envspec import Declared
from miners.rerun import interventions
from miners.rerun.imports import import_closure
from miners.rerun.requirements import failing_requirement, relaxed
from miners.rerun.vocab import EnvSource, EnvStatus
from miners.rerun.wheels import TORCH_PIN, WHEELS_ONLY, pins_torch

if TYPE_CHECKING:
    from miners.rerun.environment import EnvResult

RELAX_ROUNDS = 3
NUMPY_ABI_ERRORS = ("numpy.dtype size changed", "numpy.core.multiarray failed to import", "_ARRAY_API not found",
                    "compiled using NumPy 1.x")
NUMPY_DEPENDENTS = ("pandas", "sklearn", "scipy", "matplotlib", "h5py", "numba", "tables", "pyarrow",
                    "statsmodels", "skimage", "cv2", "tensorflow", "torch", "xgboost", "lightgbm")


def uv_command() -> list[str] | None:
    """How to call uv (on ``PATH``, else next to this interpreter); None when there is none."""
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    return [uv] if Path(uv).exists() else None


def tail(text: str, n: int = 600) -> str:
    """The last ``n`` characters of ``text`` with its whitespace collapsed."""
    text = " ".join(text.split())
    return text[-n:]


@dataclass
class Installer:
    """How packages go into one venv: uv (with the date cap ``exclude_newer``) or pip, the torch
    override; ``timeout`` of one install (s)."""

    env_dir: Path
    vpy: str
    uv: list[str] | None
    environ: dict[str, str]
    exclude_newer: str
    wheels: Path | None
    timeout: float

    def command(self, requirements: Path) -> list[str]:
        pins = pins_torch(self.wheels)
        if self.uv:
            cmd = [*self.uv, "pip", "install", "-q", "--python", self.vpy, "-r", str(requirements)]
            cmd += ["--exclude-newer", self.exclude_newer] if self.exclude_newer else []
            cmd += [a for name in WHEELS_ONLY for a in ("--only-binary", name)]
            if pins:
                overrides = self.env_dir / "overrides.txt"
                overrides.write_text(TORCH_PIN + "\n")
                cmd += ["--override", str(overrides), "--find-links", str(self.wheels)]
            return cmd
        return [self.vpy, "-m", "pip", "install", "-q", "-r", str(requirements)] + \
            (["--find-links", str(self.wheels)] if pins else [])

    def install(self, lines: list[str]) -> tuple[int, str]:
        """``(exit code, stderr)`` of one install; -1 when it ran past the timeout."""
        requirements = self.env_dir / "requirements.in"
        requirements.write_text("".join(line + "\n" for line in lines))
        try:
            proc = subprocess.run(self.command(requirements), capture_output=True, text=True, env=self.environ,
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            return -1, f"the install took longer than {self.timeout:.0f} s"
        return proc.returncode, proc.stderr

    def freeze(self) -> str:
        cmd = [*self.uv, "pip", "freeze", "--python", self.vpy] if self.uv else [self.vpy, "-m", "pip", "freeze"]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.environ, check=False).stdout


def installer_environ(cache_dir: Path | None) -> dict[str, str]:
    """The installer's environment variables: no progress bars, no Python downloads, the shared
    cache ``cache_dir`` (None: the installer's own), no token and no outer venv or date cap."""
    environ = {**os.environ, "UV_NO_PROGRESS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
               "UV_PYTHON_DOWNLOADS": "never"}
    if cache_dir is not None:
        environ.update(UV_CACHE_DIR=str(cache_dir), PIP_CACHE_DIR=str(Path(cache_dir) / "pip"))
    for key in ("GITHUB_TOKEN", "VIRTUAL_ENV", "UV_EXCLUDE_NEWER"):
        environ.pop(key, None)
    return environ


def create_venv(python: str, venv: Path, uv: list[str] | None, environ: dict[str, str],
                date: str) -> tuple[str, list[str]]:
    """Make the venv: ``uv venv --seed`` (seed packages as of ``date``), else ``python -m venv``.
    Returns ``(error, interventions)``; error '' when it was made."""
    if venv.exists():
        shutil.rmtree(venv)
    err = "uv is not available"
    if uv:
        cmd = [*uv, "venv", "-q", "--seed", "--python", python, str(venv)] + (["--exclude-newer", date] if date else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env=environ, check=False)
        if proc.returncode == 0:
            return "", []
        err = tail(proc.stderr, 200)
        shutil.rmtree(venv, ignore_errors=True)
    proc = subprocess.run([python, "-m", "venv", str(venv)], capture_output=True, text=True, env=environ, check=False)
    if proc.returncode != 0:
        return "could not create the virtual environment: " + tail(proc.stderr), []
    return "", [interventions.venv_fallback(err)]


def install_relaxing(inst: Installer, result: EnvResult, declared: list[str],
                     extra: list[str]) -> tuple[EnvStatus, list[str]]:
    """Install ``declared`` + ``result.added`` + ``extra``, relaxing what fails (module
    docstring). Returns ``(env_status, the declared lines as installed)``; on failure sets
    ``reason`` and ``failed_requirement``."""
    lines = list(declared)
    for round_ in range(RELAX_ROUNDS + 1):
        code, err = inst.install(lines + result.added + extra)
        if code == 0:
            return (EnvStatus.INSTALLED if lines == declared else EnvStatus.INSTALLED_RELAXED), lines
        failed = "" if code == -1 else failing_requirement(err, lines + result.added)
        if failed in result.guessed and round_ < RELAX_ROUNDS:  # our guess from an import, not the author's
            result.added.remove(failed)
            result.guessed.remove(failed)
            result.interventions.append(interventions.dropped_guess(failed))
            continue
        result.failed_requirement = result.failed_requirement or failed
        result.reason = tail(err)
        if not failed or failed not in lines or round_ == RELAX_ROUNDS:
            return EnvStatus.INSTALL_FAILED, lines
        loose = relaxed(failed)
        lines = [loose if line == failed else line for line in lines if line != failed or loose]
        result.interventions.append(interventions.relaxed(failed, loose))
    return EnvStatus.INSTALL_FAILED, lines


def install_or_imports(inst: Installer, result: EnvResult, d: Declared,
                       imports: list[str]) -> tuple[EnvStatus, list[str]]:
    """Install the declared requirements (:func:`install_relaxing`); when they do not install
    even relaxed, install ``imports`` (the distributions the files run import) instead, recorded
    (``installed_imports``, ``env_source`` becomes ``inferred``)."""
    status, lines = install_relaxing(inst, result, d.requirements, [])
    if status != EnvStatus.INSTALL_FAILED or not imports:
        return status, lines
    note = interventions.imports_instead(d.source, result.failed_requirement)
    fallback, lines = install_relaxing(inst, result, imports, [])
    if fallback == EnvStatus.INSTALL_FAILED:
        return fallback, lines
    result.env_source, result.requirements = EnvSource.INFERRED, lines
    result.interventions.append(note)
    return EnvStatus.INSTALLED_IMPORTS, lines


def numpy_abi_error(output: str) -> str:
    """The NumPy 1.x/2.x binary incompatibility an import's output shows (one of
    ``NUMPY_ABI_ERRORS``), else ''."""
    return next((sign for sign in NUMPY_ABI_ERRORS if sign in output), "")


_IMPORT_CHECK = """import importlib, importlib.util, sys
for name in sys.argv[1:]:
    try:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    except BaseException as exc:
        print(name, type(exc).__name__, exc)
"""


def import_check(vpy: str, modules: list[str], environ: dict[str, str], timeout: float = 300.0) -> str:
    """Output (stdout and stderr) of importing each installed module of ``modules`` in the venv."""
    try:
        proc = subprocess.run([vpy, "-c", _IMPORT_CHECK, *modules], capture_output=True, text=True,
                              env={**environ, "MPLBACKEND": "Agg"}, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return ""
    return proc.stdout + proc.stderr


def check_modules(root: Path, entry_paths: tuple[str, ...]) -> list[str]:
    """The modules the NumPy retry imports: the third-party top-level imports of the entry's
    import closure and ``NUMPY_DEPENDENTS``."""
    tops = {m.split(".")[0] for m in import_closure(root, entry_paths)[1]} if entry_paths else set()
    tops = {t for t in tops if t.isidentifier() and t not in sys.stdlib_module_names}
    return sorted(tops | set(NUMPY_DEPENDENTS))


def numpy_retry(inst: Installer, result: EnvResult, lines: list[str], modules: list[str]) -> None:
    """Re-install once with ``numpy<2`` when importing the installed packages shows a NumPy
    binary incompatibility (:func:`numpy_abi_error`)."""
    if not re.search(r"^numpy==2\.", inst.freeze(), re.M | re.I):
        return
    sign = numpy_abi_error(import_check(inst.vpy, modules, inst.environ))
    if not sign:
        return
    code, err = inst.install(lines + result.added + ["numpy<2"])
    result.interventions.append(interventions.numpy_below_2(sign, None if code == 0 else tail(err, 200)))
