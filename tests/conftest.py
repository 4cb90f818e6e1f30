from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "study" / "sample-corpus"


# ``make test`` runs the tests in parallel with pytest-xdist, ``--dist loadscope``: every test
# of one module runs on one worker, so a module-scoped fixture (the reference mine, the rerun
# harness's runs, the browser's database) is built once, not once per worker. Tests of
# different modules run at the same time, so they must not share files, ports or state outside
# their own ``tmp_path``. (``--dist loadgroup`` with ``xdist_group`` marks would group finer,
# but pytest-xdist 3.8 cannot rename node ids under pytest 9, so its groups are ignored.)


def notebook_json(*cells: tuple[str, str], nbformat: int = 4) -> str:
    """A minimal nbformat-4 notebook with (cell_type, source) cells."""
    return json.dumps({
        "nbformat": nbformat, "nbformat_minor": 5, "metadata": {},
        "cells": [
            {"cell_type": t, "metadata": {}, "source": s, **({"outputs": [], "execution_count": None} if t == "code" else {})}
            for t, s in cells
        ],
    })


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True, capture_output=True, text=True,
    ).stdout


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``root``; returns ``root``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture
def make_git_repo(tmp_path: Path):
    def make(name: str, files: dict[str, str | bytes], commit: bool = True) -> Path:
        repo = tmp_path / name
        repo.mkdir(parents=True)
        for rel, content in files.items():
            p = repo / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content)
        git(repo, "init", "-q")
        if commit:
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "init")
        return repo

    return make
