"""The settings of one rerun (``python -m miners rerun``; defaults of the CLI come from the
protocol's ``[rerun]`` section)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from miners.rerun import conditions


@dataclass(frozen=True)
class Config:
    """Settings of a rerun: ``work`` the folder of records, environments and run folders;
    ``runs`` per condition; ``conditions`` registered names (:mod:`miners.rerun.conditions`);
    ``timeout`` per run (s); ``memory_mb`` address space per run (MiB); ``threads`` for numeric
    libraries; ``jobs`` projects at a time; ``wheels`` a folder of local wheels;
    ``skip_repeating`` record a failure that repeats without executing the later runs;
    ``unsafe_no_sandbox`` run without a sandbox; ``install_timeout`` of one install (s);
    ``cache`` the package cache shared by all projects (None: the installer's own);
    ``python_env`` an existing environment used for every project instead of building one;
    ``max_recipes`` tried on the first run; ``latest_date`` (YYYY-MM-DD) of the ``latest``
    environment."""

    work: Path
    runs: int = 5
    conditions: tuple[str, ...] = conditions.DEFAULT
    timeout: float = 300.0
    memory_mb: int = 12288
    threads: int = 1
    jobs: int = 1
    wheels: Path | None = None
    skip_repeating: bool = True
    unsafe_no_sandbox: bool = False
    install_timeout: float = 600.0
    cache: Path | None = None
    python_env: Path | None = None
    max_recipes: int = 3
    latest_date: str = "2026-11-01"
