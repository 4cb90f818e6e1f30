from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "study" / "sample-corpus"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``make test`` runs the tests in parallel (pytest-xdist, ``--dist loadgroup``). A test
    module whose module-scoped fixture is expensive names it in ``SHARED_FIXTURES``: the tests
    that use it are one group, run by one worker, so the fixture is built once and not once per
    worker (xdist starts the largest group first). Every other test goes to any free worker,
    so tests must not share files, ports or state outside their own ``tmp_path``."""
    for item in items:
        module = getattr(item, "module", None)
        shared = getattr(module, "SHARED_FIXTURES", ())
        if any(name in item.fixturenames for name in shared):
            item.add_marker(pytest.mark.xdist_group(module.__name__))


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
