"""Seeded, reproducible sampling from a corpus.

Definition. Every repository gets a rank: the hexadecimal SHA-256 of ``"<seed>:<owner/name>"``,
the name as the frame writes it. A sample of size ``n`` is the ``n`` repositories of lowest rank; with a
stratification column, each stratum gets ``n`` times its share of the frame (largest
remainders round), filled with its lowest ranks. The rank does not depend on the order of
the frame or on the other repositories in it, so the same seed always draws the same
repositories, and growing the frame only adds candidates.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any


def rank(seed: int, full_name: str) -> str:
    return hashlib.sha256(f"{seed}:{full_name}".encode()).hexdigest()


def draw(rows: Sequence[dict[str, Any]], size: int, seed: int, stratify_by: str = "") -> set[str]:
    """Full names of the sampled rows (``size`` 0 or at least the frame: all of them)."""
    names = [r["full_name"] for r in rows]
    if size <= 0 or size >= len(names):
        return set(names)
    ordered = sorted(rows, key=lambda r: rank(seed, r["full_name"]))
    if not stratify_by:
        return {r["full_name"] for r in ordered[:size]}
    strata: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in ordered:
        strata[str(r.get(stratify_by, ""))].append(r)
    total = len(rows)
    quotas = {k: size * len(v) / total for k, v in strata.items()}
    alloc = {k: int(q) for k, q in quotas.items()}
    left = size - sum(alloc.values())
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - alloc[k]), k))[:left]:
        alloc[k] += 1
    return {r["full_name"] for k, members in strata.items() for r in members[: alloc[k]]}
