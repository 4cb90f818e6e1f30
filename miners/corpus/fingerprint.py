"""Near-duplicate families of repositories (course templates, copies).

Definition. A repository's fingerprint is the set of SHA-1 digests of its normalised Python
and notebook files: for ``.py`` the text without comments and blank lines, each line
stripped; for ``.ipynb`` the same over the code cells. Empty files are left out. Two
repositories are near-duplicates when the Jaccard similarity of their fingerprints is at
least the protocol's ``duplicate_jaccard`` (0.6 by default); near-duplicate families are the
connected components of that relation. Each family's id is its member of lowest sample rank,
which is also the one a deduplicated sample keeps.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

_COMMENT = re.compile(r"(?m)^\s*#.*$")


def _normalise(text: str) -> str:
    text = _COMMENT.sub("", text)
    return "\n".join(ln.strip() for ln in text.splitlines() if ln.strip())


def file_digest(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return hashlib.sha1(data).hexdigest()
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text)
            cells = nb.get("cells") or [c for ws in nb.get("worksheets", []) for c in ws.get("cells", [])]
            text = "\n".join("".join(c.get("source") or c.get("input") or "") if isinstance(c.get("source") or c.get("input") or "", list)
                             else str(c.get("source") or c.get("input") or "")
                             for c in cells if c.get("cell_type") == "code")
        except (ValueError, AttributeError, TypeError):
            pass
    norm = _normalise(text)
    return hashlib.sha1(norm.encode()).hexdigest() if norm else None


def fingerprint(repo: Path, paths: Iterable[str]) -> list[str]:
    """Sorted digests of the repository's ``.py``/``.ipynb`` files among ``paths``."""
    out = set()
    for rel in paths:
        if rel.endswith((".py", ".ipynb")):
            d = file_digest(repo / rel)
            if d:
                out.add(d)
    return sorted(out)


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def clusters(prints: Mapping[str, list[str]], order: Mapping[str, str], threshold: float) -> dict[str, str]:
    """``repo -> family id`` (the family member that comes first in ``order``)."""
    sets = {k: set(v) for k, v in prints.items() if v}
    parent = {k: k for k in prints}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_digest: dict[str, list[str]] = defaultdict(list)
    for k, s in sets.items():
        for d in s:
            by_digest[d].append(k)
    candidates: set[tuple[str, str]] = set()
    for members in by_digest.values():
        if len(members) > 1:
            ms = sorted(members)
            candidates.update((a, b) for i, a in enumerate(ms) for b in ms[i + 1:])
    for a, b in sorted(candidates):
        if jaccard(sets[a], sets[b]) >= threshold:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb, key=lambda k: order[k])] = min(ra, rb, key=lambda k: order[k])
    groups: dict[str, list[str]] = defaultdict(list)
    for k in prints:
        groups[find(k)].append(k)
    out = {}
    for members in groups.values():
        head = min(members, key=lambda k: order[k])
        for m in members:
            out[m] = head
    return out
