"""Makefile targets and dvc.yaml stages as shells, in the order ``make`` and ``dvc repro`` run them.

Makefile (:func:`read_makefile`, :func:`make_shells`): targets with their prerequisites and
commands; ``$(VAR)``/``${VAR}`` expanded from simple assignments, ``$(MAKE)`` is ``make``,
``@``/``-``/``+`` prefixes dropped. A target's commands follow its prerequisites' (depth first,
each target once), every command line its own shell, as make runs them; the default goal is the
first target that is neither special (``.PHONY``) nor a pattern.

dvc.yaml (:func:`dvc_stages`): each stage's ``cmd`` (a string or a list) in its ``wdir``, the
stages in dependency order (a stage whose ``deps`` include another's ``outs``, or a path under
an ``outs`` folder, runs after it, else declared order; a cycle keeps declared order). A stage
without ``cmd`` (``foreach``/``matrix``) is recorded as skipped.

Both are only read, never run by make or DVC: the grammar (:mod:`.shell`) follows ``make
target`` and ``dvc repro`` through them, and :mod:`.buildfiles` makes recipes of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from miners.rerun.recipes.model import Shell
from miners.rerun.recipes.repo import Repo, join_path


@dataclass
class _Makefile:
    """Targets as ``name -> (line, prerequisites, [(line, command)])``, the default goal."""

    path: str
    targets: dict[str, tuple[int, list[str], list[tuple[int, str]]]]
    default: str


_MAKE_VAR = re.compile(r"^([A-Za-z_][\w.]*)\s*(?:\?|:|::|\+)?=\s*(.*)$")
_MAKE_RULE = re.compile(r"^([^\s:#=][^:=]*?)\s*::?(?!=)\s*([^;#]*)")


def read_makefile(path: Path, rel: str) -> _Makefile:
    """Targets, prerequisites and commands (``$(VAR)``/``${VAR}`` expanded from simple
    assignments; ``$(MAKE)`` is ``make``; ``@``/``-``/``+`` prefixes dropped)."""
    vars_: dict[str, str] = {"MAKE": "make"}
    targets: dict[str, tuple[int, list[str], list[tuple[int, str]]]] = {}
    current: str | None = None
    default = ""
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if line.startswith("\t") and current is not None:
            targets[current][2].append((n, line.strip().lstrip("@-+ ")))
            continue
        var = _MAKE_VAR.match(line)
        rule = _MAKE_RULE.match(line)
        if var and not rule:
            vars_[var.group(1)] = var.group(2).strip()
        elif rule:
            names = rule.group(1).split()
            current = names[0]
            for name in names:
                targets.setdefault(name, (n, rule.group(2).split(), []))
            if not default and not current.startswith(".") and "%" not in current:
                default = current
        elif line.strip() and not line.startswith((" ", "#")):
            current = None
    expanded = {t: (ln, [_expand(p, vars_) for p in pre], [(k, _expand(c, vars_)) for k, c in cmds])
                for t, (ln, pre, cmds) in targets.items()}
    return _Makefile(rel, expanded, default)


def _expand(text: str, vars_: dict[str, str], depth: int = 0) -> str:
    if depth > 5 or "$" not in text:
        return text
    out = re.sub(r"\$[({]([A-Za-z_][\w.]*)[)}]", lambda m: vars_.get(m.group(1), m.group(0)), text)
    return out if out == text else _expand(out, vars_, depth + 1)


def make_shells(make: _Makefile, target: str, folder: str, seen: set[str]) -> list[Shell]:
    """A target's commands after its prerequisites' (depth first, each target once); every
    command line is its own shell, as make runs them."""
    if target in seen or target not in make.targets:
        return []
    seen.add(target)
    _, prereqs, commands = make.targets[target]
    shells = [s for p in prereqs for s in make_shells(make, p, folder, seen)]
    return shells + [Shell(folder, [(f"{make.path}:{n}", c)]) for n, c in commands]


def dvc_stages(repo: Repo, folder: str = "") -> list[tuple[str, Shell]] | str:
    """``(stage name, shell)`` of ``dvc.yaml`` in dependency order (module docstring)."""
    rel = join_path(folder, "dvc.yaml")
    if not repo.exists(rel):
        return f"no dvc.yaml in {folder or 'the repository root'}"
    try:
        data = yaml.safe_load((repo.root / rel).read_text(errors="replace")) or {}
    except yaml.YAMLError as exc:
        return f"{rel}: malformed YAML ({str(exc).splitlines()[0]})"
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        return f"{rel}: no stages"
    info = {}
    for name, spec in stages.items():
        if not isinstance(spec, dict) or "cmd" not in spec:
            repo.skip(f"{rel}:stage {name}", "", "no cmd (foreach/matrix stages are not expanded)")
            continue
        wdir = join_path(folder, str(spec.get("wdir") or "."))
        cmds = spec["cmd"] if isinstance(spec["cmd"], list) else [spec["cmd"]]
        info[str(name)] = (wdir, [str(c) for c in cmds], _dvc_paths(spec.get("deps"), wdir),
                           _dvc_paths(spec.get("outs"), wdir))
    return [(n, Shell(info[n][0], [(f"{rel}:stage {n}", c) for c in info[n][1]])) for n in _dvc_order(info)]


def _dvc_paths(items: Any, wdir: str) -> set[str]:
    names = [next(iter(i)) if isinstance(i, dict) and i else i for i in (items or [])]
    return {join_path(wdir, str(n)) for n in names if n}


def _dvc_order(info: dict[str, tuple[str, list[str], set[str], set[str]]]) -> list[str]:
    """Stable topological order: a stage runs after the stages whose ``outs`` it depends on
    (an out that is a folder covers the paths below it)."""
    def needs(a: str, b: str) -> bool:
        return any(d == o or d.startswith(o + "/") for d in info[a][2] for o in info[b][3])

    order: list[str] = []
    while len(order) < len(info):
        ready = [n for n in info if n not in order and all(m in order or m == n or not needs(n, m) for m in info)]
        order.append(ready[0] if ready else next(n for n in info if n not in order))  # a cycle: declared order
    return order
