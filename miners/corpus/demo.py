"""Serve the bundled sample corpus as git repositories, so ``make demo`` runs the real
pipeline (frame -> sample -> clone -> scan -> results) offline.

Each project folder ``owner__name`` of ``study/sample-corpus`` (a repository id,
:mod:`miners.schema.ids`) becomes a bare repository ``OUT/mirrors/owner+name.git`` with one
commit of fixed author and date (so its SHA, and everything mined from it, is the same on every
machine), and ``OUT/frame.csv`` lists them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from miners.corpus.clone import git_env
from miners.schema.ids import SEPARATOR, full_name

FIXED_DATE = "2026-01-01T00:00:00+00:00"


def build(sample: Path, out: Path) -> Path:
    out = Path(out)
    mirrors = out / "mirrors"
    if mirrors.exists():
        shutil.rmtree(mirrors)
    mirrors.mkdir(parents=True)
    names = []
    env = git_env() | {"GIT_AUTHOR_NAME": "mlflow-mining demo", "GIT_AUTHOR_EMAIL": "demo@example.org",
                       "GIT_COMMITTER_NAME": "mlflow-mining demo", "GIT_COMMITTER_EMAIL": "demo@example.org",
                       "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    for project in sorted(p for p in Path(sample).iterdir() if p.is_dir()):
        if SEPARATOR not in project.name:
            continue
        owner, name = full_name(project.name).split("/", 1)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / "w"
            shutil.copytree(project, work)
            for cmd in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "sample project"],
                        ["tag", "v1.0"]):
                subprocess.run(["git", "-C", str(work), *cmd], check=True, env=env, capture_output=True)
            subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirrors / f"{owner}+{name}.git")],
                           check=True, env=env, capture_output=True)
        names.append(f"{owner}/{name}")
    frame = out / "frame.csv"
    frame.write_text("repo\n" + "".join(f"{n}\n" for n in names))
    return frame
