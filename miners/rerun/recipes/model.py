"""What a run recipe is, and the command lines it is read from.

A *recipe* (:class:`Recipe`) is one or more steps (:class:`Step`) executed in order. A step is
``python`` (argv starting with ``python``), ``notebook`` (argv ``(file name,)``, executed top to
bottom as Jupyter runs it, always in the notebook's own folder) or ``mlflow_run`` (an MLproject
entry point run with ``mlflow run`` semantics: its parameters logged). A step's argv is written
as typed in its ``cwd`` (posix, relative to the repository root, ``""`` = root).
:func:`recipe_text` writes a recipe as one shell line, :func:`recipe_kind` names its
:class:`~miners.rerun.vocab.EntryKind`, :func:`recipe_to_json` and :func:`recipe_from_json`
store it.

Every source is read into :class:`Shell`\\ s (the command lines one shell runs, from one folder),
grouped into :class:`Block`\\ s (commands that belong together: one recipe); the grammar
(:mod:`.shell`) turns them into :data:`Hit`\\ s, and :func:`from_hits` those into a recipe.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from typing import Any

from miners.rerun.vocab import EntryKind


@dataclass(frozen=True)
class Step:
    """One command: ``kind`` python|notebook|mlflow_run, ``argv`` as typed in ``cwd`` (posix,
    relative to the root, ``""`` = root), ``params`` an mlflow_run's parameter values (logged as
    ``mlflow run`` logs them), ``env`` variables the source sets for the command."""

    kind: str
    argv: tuple[str, ...]
    cwd: str
    params: tuple[tuple[str, str], ...] = ()
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Recipe:
    """A candidate way to run the project: ``source`` (MLproject, README.md, docs/usage.md,
    .github/workflows/ci.yml, Makefile, dvc.yaml, Dockerfile, script, notebook), ``where``
    (``file:line``, ``MLproject:entry knn``, ``dvc.yaml:stage train``), ``steps`` in order,
    ``reason`` for its rank, ``entry_paths`` the files the steps execute (posix, from the root)."""

    source: str
    where: str
    steps: tuple[Step, ...]
    reason: str
    entry_paths: tuple[str, ...]


@dataclass
class Shell:
    """Command lines run by one shell: ``cwd`` at its start, ``lines`` as ``(where, text)``
    (``where`` is ``file:line``, or names an MLproject entry or dvc.yaml stage);
    ``anchor`` how a missing script is looked up: ``strict`` from cwd only, ``keep`` also from
    the root (the step stays in cwd: MLproject), ``switch`` also from the root (the step moves
    there: a nested README); ``workdir`` an absolute folder mapped to cwd (Dockerfile)."""

    cwd: str
    lines: list[tuple[str, str]]
    anchor: str = "strict"
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = ""


@dataclass
class Block:
    """Commands that belong together (a code block, a CI job, a make target): one recipe."""

    source: str   # the file, as Recipe.source names it
    kind: str     # readme|ci|Makefile|dvc.yaml|Dockerfile
    shells: list[Shell]
    where: str = ""


#: A step found: ``(where, step, the file it executes)``.
Hit = tuple[str, Step, str]


def from_hits(source: str, where: str, hits: list[Hit], reason: str) -> Recipe:
    """The recipe of ``hits`` in order, its entry paths each once."""
    return Recipe(source, where, tuple(s for _, s, _ in hits), reason, tuple(dict.fromkeys(p for _, _, p in hits)))


def recipe_text(r: Recipe) -> str:
    """One shell line for the recipe, e.g. ``cd src && python forest_script.py -n 350 -d 15``;
    a notebook step reads ``jupyter nbconvert --to notebook --execute m.ipynb``."""
    cwds = {s.cwd for s in r.steps}
    if len(cwds) == 1:
        cwd = cwds.pop()
        body = " && ".join(_step_text(s) for s in r.steps)
        return f"cd {shlex.quote(cwd)} && {body}" if cwd else body
    return " && ".join(f"(cd {shlex.quote(s.cwd)} && {_step_text(s)})" if s.cwd else _step_text(s) for s in r.steps)


def _step_text(s: Step) -> str:
    argv = ("jupyter", "nbconvert", "--to", "notebook", "--execute", *s.argv) if s.kind == "notebook" else s.argv
    env = "".join(f"{k}={shlex.quote(v)} " for k, v in s.env)
    return env + shlex.join(argv)


def recipe_kind(recipe: Recipe) -> EntryKind:
    """``mlproject`` (an MLproject entry run with mlflow-run semantics), ``notebook`` (notebooks
    only), ``script`` (scripts found in the code), else where the command was documented:
    ``readme``, ``ci``, ``makefile``, ``dvc``, ``docker``."""
    kinds = {s.kind for s in recipe.steps}
    if "mlflow_run" in kinds:
        return EntryKind.MLPROJECT
    if kinds == {"notebook"}:
        return EntryKind.NOTEBOOK
    source = recipe.source.lower()
    for key, kind in (("readme", EntryKind.README), ("docs/", EntryKind.README), (".md", EntryKind.README),
                      (".github", EntryKind.CI), ("makefile", EntryKind.MAKEFILE), ("dvc", EntryKind.DVC),
                      ("dockerfile", EntryKind.DOCKER)):
        if key in source:
            return kind
    return EntryKind.SCRIPT


def recipe_to_json(recipe: Recipe) -> dict[str, Any]:
    return asdict(recipe)


def recipe_from_json(data: dict[str, Any]) -> Recipe:
    """The recipe :func:`recipe_to_json` stored (read back from JSON)."""
    steps = tuple(Step(kind=s["kind"], argv=tuple(s["argv"]), cwd=s["cwd"],
                       params=tuple(tuple(p) for p in s.get("params", ())),
                       env=tuple(tuple(e) for e in s.get("env", ()))) for s in data["steps"])
    return Recipe(source=data["source"], where=data["where"], steps=steps, reason=data["reason"],
                  entry_paths=tuple(data.get("entry_paths", ())))
