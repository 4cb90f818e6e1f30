"""Requirement lines: their names, which one an installer's error names, and how one is relaxed.

Definitions. A *requirement line* is a PEP 508 string as the installer receives it
(``numpy==1.19.5``, ``pandas[excel]>=1; python_version < "3.8"``). Its *name* is the normalised
distribution name (:func:`name_of`). The *failing requirement* of an installer's error is the
line the error names first (:func:`failing_requirement`). A line is *relaxed* by dropping its
version constraint, keeping its name, extras and marker; a bare name cannot be relaxed and is
dropped (:func:`relaxed`).
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement

from miners.practices.envspec import normalise_name

#: How uv's and pip's errors name a requirement that does not install.
FAILURE_PATTERNS = (
    r"Because (?:there is no version of |there are no versions of |only |all versions of |)"
    r"([A-Za-z0-9][\w.\-\[\]]*)",
    r"Failed to (?:build|download|prepare distributions?)(?: and build)?\s*`?([A-Za-z0-9][\w.\-]*)",
    r"No solution found.*?\n.*?([A-Za-z0-9][\w.\-]*)[<>=!~]",
    r"Could not find a version that satisfies the requirement ([^\s]+)",
    r"Failed building wheel for ([^\s]+)",
    r"([A-Za-z0-9][\w.\-]*) was not found in the package registry",
)


def name_of(req: str) -> str:
    """The normalised distribution name of a requirement string (the string itself when it
    starts with no name)."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return normalise_name(m.group(1)) if m else req


def relaxed(requirement: str) -> str | None:
    """A requirement without its version constraint (name, extras and marker kept); None when it
    had none (a name that cannot be installed at all)."""
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return None
    if not req.specifier and not req.url:
        return None
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}" + (f"; {req.marker}" if req.marker else "")


def failing_requirement(stderr: str, lines: list[str]) -> str:
    """The requirement of ``lines`` that the installer's error names first (uv's or pip's
    wording: "Because there is no version of numpy==1.19.5", "Failed to build `x==1.0`", "x was
    not found in the package registry", ...), else ''."""
    by_name: dict[str, str] = {}
    for line in lines:
        by_name.setdefault(name_of(line), line)
    hits = []
    for pat in FAILURE_PATTERNS:
        hits += [(m.start(), name_of(m.group(1).strip("`'\""))) for m in re.finditer(pat, stderr, re.S)]
    return next((by_name[name] for _, name in sorted(hits) if name in by_name), "")
