"""Build one virtual environment per project for the rerun harness, as of the project's commit.

Definition. A project's environment is built in ``<env>/venv`` in these steps, each its own
module:

1. *Requirements* (``env_source``, ``requirements``, ``dropped``): from the first source that
   gives any, the author's recorded environment first (:mod:`miners.rerun.sources`; the imports
   of the files run, :mod:`miners.rerun.imports`, when there is none).
2. *Python* (``python_requested``/``python_source``, ``python``): the declared version among the
   machine's interpreters, else the newest released before the commit
   (:mod:`miners.rerun.interpreter`); a project that needs ``torch`` runs on 3.11 with the local
   CPU wheel when it admits 3.11 (:mod:`miners.rerun.wheels`).
3. *Resolution date* (``mode``, ``resolution_date``; :func:`resolution_date`): ``as_of_commit``
   resolves every install, including what the harness adds, with ``uv pip install
   --exclude-newer <commit date in UTC>`` (no cap, recorded, when the commit date is unknown);
   ``latest`` with ``--exclude-newer <latest_date>`` (a fixed date of the study protocol).
4. *Additions* (``added``; :func:`additions`): ``mlflow`` when not declared, ``setuptools<81``
   (``pkg_resources``, which older MLflow imports), ``ipykernel``/``nbclient``/``nbformat`` for
   a notebook entry, and the distributions that the files run import (their import closure) but
   the declared environment does not name (a person who meets ``No module named x`` installs x;
   such a guess that does not install is dropped).
5. *Install* (``env_status``, ``reason``, ``failed_requirement``; :mod:`miners.rerun.install`):
   ``installed`` as declared; ``installed_relaxed`` with the failing constraints relaxed;
   ``installed_imports`` with the imports of the files run instead; else ``install_failed``.
   After an install, a NumPy 1.x binary against NumPy 2 re-installs once with ``numpy<2``.

An earlier build's record (``<env>/env.json``) is returned as it was. Every step beyond the
author's declared environment is one line of ``interventions`` (:mod:`miners.rerun.interventions`).
The resolved versions (``pip freeze``) are the project's lock; their SHA-256 with the Python
version is the environment fingerprint.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from miners.practices.envspec import Declared
from miners.rerun import install, interventions
from miners.rerun.imports import inferred
from miners.rerun.interpreter import python_for, torch_python, version_of
from miners.rerun.requirements import name_of
from miners.rerun.sources import declared_environment
from miners.rerun.vocab import ENV_OK, EntryKind, EnvMode, EnvSource, EnvStatus


@dataclass
class EnvResult:
    """One project's environment. ``env_source`` (:class:`~miners.rerun.vocab.EnvSource`) and
    ``env_status`` (:class:`~miners.rerun.vocab.EnvStatus`); ``seconds``: wall-clock time of the
    build (s); ``mode`` and ``resolution_date``: the ``--exclude-newer`` date the installs used
    ('' for none); ``python_requested``/``python_source``: the declared Python and the file
    declaring it; ``python``: the version used; ``interventions``: everything done beyond the
    declared environment, one line each. ``python_required`` repeats ``python_requested``."""

    env_source: str = ""
    env_status: str = ""
    reason: str = ""
    failed_requirement: str = ""
    python_required: str = ""
    python: str = ""
    requirements: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    seconds: float = 0.0
    packages: int = 0
    fingerprint: str = ""
    lock: str = ""
    venv: str = ""
    mode: str = ""
    resolution_date: str = ""
    python_requested: str = ""
    python_source: str = ""
    interventions: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)  # additions inferred from imports, dropped if they fail

    @property
    def ok(self) -> bool:
        return self.env_status in ENV_OK


def utc_timestamp(value: str) -> str:
    """An ISO 8601 date or timestamp in UTC, RFC 3339 (``2022-12-05T19:41:18Z``); a date alone
    is its midnight UTC, a timestamp without offset is read as UTC; '' when empty or unreadable."""
    text = value.strip().replace("Z", "+00:00")
    if not text:
        return ""
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolution_date(mode: str, commit_date: str, latest_date: str) -> tuple[str, list[str]]:
    """The ``--exclude-newer`` value of a mode ('' for none) and the record of a missing one."""
    if mode not in EnvMode.values():
        raise ValueError(f"unknown environment mode {mode!r} (expected one of {', '.join(EnvMode.values())})")
    given = commit_date if mode == EnvMode.AS_OF_COMMIT else latest_date
    date = utc_timestamp(given)
    if date:
        return date, []
    what = "commit date" if mode == EnvMode.AS_OF_COMMIT else "latest_date"
    return "", [interventions.no_date_cap(what, given)]


def additions(names: set[str], entry_kind: str) -> list[str]:
    """What the harness adds to the declared requirements ``names`` (module docstring)."""
    added = [] if names & {"mlflow", "mlflow-skinny"} else ["mlflow"]
    if "setuptools" not in names:
        added.append("setuptools<81")
    if entry_kind == EntryKind.NOTEBOOK:
        added += [n for n in ("ipykernel", "nbclient", "nbformat") if n not in names]
    return added


def undeclared_imports(root: Path, entry_paths: tuple[str, ...], d: Declared) -> list[str]:
    """Distributions the files run import (their import closure) that the declared environment
    does not name: a person who meets ``No module named x`` installs x. Nothing is added to an
    inferred environment (it is the imports already)."""
    if d.source == EnvSource.INFERRED or not entry_paths:
        return []
    names = {name_of(r) for r in d.requirements}
    return [dist for dist in inferred(root, entry_paths) if name_of(dist) not in names]


def given(prefix: Path) -> EnvResult:
    """An existing environment used for every project (``--python-env``: trying a project by
    hand, or tests): nothing is installed; ``env_source`` is ``given``."""
    vpy = Path(prefix) / "bin" / "python"
    freeze = subprocess.run([vpy, "-m", "pip", "freeze"], capture_output=True, text=True, check=False).stdout
    version = version_of(str(vpy))
    return EnvResult(env_source=EnvSource.GIVEN, env_status=EnvStatus.INSTALLED, python=version,
                     venv=str(Path(prefix).resolve()),
                     packages=sum(1 for line in freeze.splitlines() if line and not line.startswith("#")),
                     fingerprint=hashlib.sha256(f"python {version}\n{freeze}".encode()).hexdigest()[:16], lock=freeze)


def build(root: Path, env_dir: Path, cache_dir: Path | None, *, entry_kind: str = EntryKind.SCRIPT,
          mlproject: str = "", entry_paths: tuple[str, ...] = (), entry_folder: str = "", commit_date: str = "",
          mode: str = EnvMode.AS_OF_COMMIT, latest_date: str = "", wheels: Path | None = None,
          timeout: float = 600.0) -> EnvResult:
    """Build (or reuse) the environment of the checkout ``root`` in ``env_dir`` (module
    docstring); ``cache_dir`` None uses the installer's own shared cache; ``entry_kind``
    ``notebook`` when the recipe runs a notebook; ``timeout`` of one install (s). The record
    (``env.json``) of an earlier build in ``env_dir`` is returned as it was."""
    env_dir = Path(env_dir)
    record = env_dir / "env.json"
    if record.exists():
        return EnvResult(**json.loads(record.read_text()))
    started = time.monotonic()
    root = Path(root)
    d = declared_environment(root, mlproject, tuple(entry_paths), entry_folder)
    date, date_notes = resolution_date(mode, commit_date, latest_date)
    _, _, python, python_notes = python_for(root, utc_timestamp(commit_date), mlproject=mlproject)
    python, torch_notes = torch_python(python, d, wheels)
    python_notes += torch_notes
    result = EnvResult(env_source=d.source, requirements=d.requirements, dropped=[line for line, _ in d.dropped],
                       added=additions({name_of(r) for r in d.requirements}, entry_kind), mode=mode,
                       resolution_date=date, python_requested=d.python, python_source=d.python_source,
                       python_required=d.python)
    result.interventions = python_notes + date_notes + [interventions.dropped(line, why) for line, why in d.dropped] \
        + [interventions.added(a) for a in result.added]
    env_dir.mkdir(parents=True, exist_ok=True)
    venv = env_dir / "venv"
    result.venv = str(venv.resolve())
    uv, environ = install.uv_command(), install.installer_environ(cache_dir)
    error, notes = install.create_venv(python, venv, uv, environ, date)
    result.interventions += notes
    if error:
        result.env_status, result.reason = EnvStatus.INSTALL_FAILED, error
        return _finish(result, record, started)
    inst = install.Installer(env_dir, str(venv / "bin" / "python"), uv, environ, date, wheels, timeout)
    if not uv and date:
        result.interventions.append(interventions.pip_no_date_cap())
    result.python = version_of(inst.vpy)
    taken = {name_of(a) for a in result.added}
    undeclared = [u for u in undeclared_imports(root, tuple(entry_paths), d) if name_of(u) not in taken]
    result.added += undeclared
    result.guessed = list(undeclared)
    result.interventions += [interventions.added_import(a) for a in undeclared]
    result.env_status, lines = install.install_or_imports(
        inst, result, d, inferred(root, tuple(entry_paths)) if entry_paths and d.source != EnvSource.INFERRED else [])
    if not result.ok:
        if d.python and not result.python.startswith(d.python[:4]):
            result.reason = f"the project asks for Python {d.python}, this environment has {result.python}; " + \
                result.reason
        return _finish(result, record, started)
    if result.env_status == EnvStatus.INSTALLED_RELAXED:
        result.reason = "the declared versions did not all install (" + (result.failed_requirement or "see log") + \
            "); installed with those constraints relaxed"
    else:
        result.reason, result.failed_requirement = "", ""
    install.numpy_retry(inst, result, lines, install.check_modules(root, tuple(entry_paths)))
    result.lock = inst.freeze()
    result.packages = sum(1 for line in result.lock.splitlines() if line and not line.startswith("#"))
    result.fingerprint = hashlib.sha256(f"python {result.python}\n{result.lock}".encode()).hexdigest()[:16]
    return _finish(result, record, started)


def _finish(result: EnvResult, record: Path, started: float) -> EnvResult:
    result.seconds = round(time.monotonic() - started, 1)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(result), sort_keys=True, indent=1))
    os.replace(tmp, record)
    return result
