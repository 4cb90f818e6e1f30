"""The lines of ``interventions``: how the harness words what it did beyond running a project
as committed.

Definition. An *intervention* is one line, of one kind of :class:`~miners.rerun.vocab.Intervention`;
a run's lines (the environment's, then the run's own) are published joined by ``"; "`` in
``reruns.csv`` and ``rerun_environments.csv``. Every line is written by one function of this
module, and its kind is recognised by how it opens (:data:`OPENINGS`, :func:`kind_of`), so that
the published text can be counted by kind. ``tests/test_vocab.py`` checks that every function's
line has its kind and that no other module of the harness writes such a line.
"""

from __future__ import annotations

import re

from miners.rerun.vocab import Intervention

#: How the lines of each kind open (a regular expression matched at the start of a line).
OPENINGS: dict[Intervention, str] = {
    Intervention.RECIPE: r"recipe ",
    Intervention.REPAIR: r"repair: ",
    Intervention.MLFLOW_RUN: r"mlflow run semantics: ",
    Intervention.TRACKING_REDIRECT: r"tracking URI redirected ",
    Intervention.PATH_MAPPING: r"path ",
    Intervention.PYTHON: r"python [\d.]+(?::| used:| substituted | instead of )|no Python 3 interpreter found",
    Intervention.TORCH_WHEEL: r"torch==\S+ \(the local CPU wheel\)|torch on python ",
    Intervention.DATE_CAP: r"no date cap|installed with pip: no date cap",
    Intervention.VENV: r"venv made with ",
    Intervention.ADDED: r"added ",
    Intervention.DROPPED: r"dropped ",
    Intervention.RELAXED: r"relaxed ",
    Intervention.IMPORTS_INSTEAD: r"the declared requirements \(",
    Intervention.NUMPY_BELOW_2: r"numpy<2 ",
}


def kind_of(line: str) -> Intervention | None:
    """The kind of an intervention line, by its opening; None for a line of no known kind."""
    return next((kind for kind, opening in OPENINGS.items() if re.match(opening, line)), None)


# --------------------------------------------------------------------------------- the run


def recipe(where: str, text: str, tried: list[tuple[str, str]]) -> str:
    """The recipe run (``where`` it was found, its one-line ``text``) and the ``(where, status)``
    of the probes that failed before it."""
    line = f"recipe {where}: {text}"
    if tried:
        line += " (tried before: " + ", ".join(f"{w} {status}" for w, status in tried) + ")"
    return line


def repair(why: str) -> str:
    return f"repair: {why}"


def mlflow_run(params: int) -> str:
    return (f"mlflow run semantics: a run with the entry point's {params} parameter(s) "
            "was created and MLFLOW_RUN_ID exported")


def tracking_redirect(uris: list[str]) -> str:
    """The tracking URIs the code asked for (at most 300 characters of them)."""
    return "tracking URI redirected to the run's store: " + "; ".join(uris)[:300]


def path_mapping(prefix: str, base: str, where: str) -> str:
    """An absolute path ``prefix`` (found at ``where``) mapped onto the checkout's folder ``base``."""
    return f"path {prefix!s} -> {base or '.'}/ ({where})"


# ---------------------------------------------------------------------------- the Python


def python_none_before(minor: str, date: str) -> str:
    return f"python {minor}: none on this machine released before {date[:10]}"


def python_unreadable(minor: str, requested: str) -> str:
    return f"python {minor} used: declared python {requested!r} is not readable"


def python_impossible(minor: str, requested: str) -> str:
    return f"python {minor} used: declared python {requested} allows no Python 3"


def python_substituted(minor: str, requested: str) -> str:
    return f"python {minor} substituted for declared {requested} (not on this machine)"


def python_machine() -> str:
    return "no Python 3 interpreter found: the machine's Python used"


def python_for_torch(current: str) -> str:
    return f"python 3.11 instead of {current}: the CPU build of torch here is for 3.11"


def torch_wheel(pin: str) -> str:
    return f"{pin} (the local CPU wheel) instead of the declared or dated torch"


def torch_no_wheel(current: str) -> str:
    return f"torch on python {current}: no CPU wheel for it here"


# ---------------------------------------------------------------------------- the install


def no_date_cap(what: str, given: str) -> str:
    """No date cap: the ``what`` (commit date, latest_date) was ``given`` unreadable or empty."""
    return f"no date cap: the {what} is {'unreadable (' + given + ')' if given.strip() else 'unknown'}"


def pip_no_date_cap() -> str:
    return "installed with pip: no date cap (uv is not available)"


def venv_fallback(error: str) -> str:
    """The venv was made with ``python -m venv`` after uv failed with ``error``."""
    return f"venv made with python -m venv ({error})"


def added(requirement: str) -> str:
    return f"added {requirement} (not declared)"


def added_import(distribution: str) -> str:
    return f"added {distribution} (imported by the files run, not declared)"


def dropped(line: str, why: str) -> str:
    return f"dropped {line} ({why})"


def dropped_guess(distribution: str) -> str:
    return f"dropped {distribution} (imported, but no such distribution installs)"


def relaxed(requirement: str, loose: str | None) -> str:
    """A requirement that failed to install, relaxed to ``loose`` (dropped when None)."""
    return f"{'relaxed' if loose else 'dropped'} {requirement} (failed to install)"


def imports_instead(source: str, failed: str) -> str:
    return (f"the declared requirements ({source}) did not install ({failed or 'see log'}); "
            "installed the imports of the files run instead")


def numpy_below_2(sign: str, error: str | None = None) -> str:
    """numpy<2 after the binary incompatibility ``sign``; ``error`` (the installer's) when that
    install failed, None when it succeeded."""
    note = f"numpy<2 (binary incompatibility: {sign})"
    return note if error is None else f"{note} did not install: {error}"
