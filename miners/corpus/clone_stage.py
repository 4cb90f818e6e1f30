"""``python -m miners clone``: clone many repositories, one status row each.

``clone_status.csv`` columns: ``repo`` (``owner/name``), ``status`` (``cloned``, ``reused``,
``not_found``, ``timeout``, ``error``), ``reason``, ``sha``, ``commit_date``,
``default_branch``, ``files_tracked``, ``files_fetched``, ``files_not_read`` (tracked files the
miners do not read, not fetched), ``files_missing`` (files the miners read that the remote could
not serve), ``missing_paths`` (``;``-separated, first 20), ``branches``, ``tags`` (counts),
``seconds``. Clones go to ``OUT/<owner>__<name>`` (:func:`miners.schema.ids.repo_id`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from miners.corpus.clone import CloneResult, clone_repo
from miners.csvio import write_csv
from miners.schema import names
from miners.schema.ids import repo_id

#: clone_status.csv's columns, and the clone's wall-clock seconds (the stand-alone clone command
#: reports them; the published table leaves them out).
STATUS_COLUMNS = [*names("clone_status"), "seconds"]
DEFAULT_URL = "https://github.com/{owner}/{name}.git"


def url_for(template: str, full_name: str) -> str:
    owner, name = full_name.split("/", 1)
    return template.format(owner=owner, name=name, full_name=full_name)


def status_row(r: CloneResult) -> dict[str, object]:
    return {"repo": r.full_name, "status": r.status, "reason": r.reason, "sha": r.sha,
            "commit_date": r.commit_date, "default_branch": r.default_branch,
            "files_tracked": r.files_tracked, "files_fetched": r.files_fetched,
            "files_not_read": r.files_not_read, "files_missing": r.files_missing,
            "missing_paths": ";".join(r.missing_paths[:20]), "branches": len(r.branches),
            "tags": len(r.tags), "seconds": r.seconds}


def clone_many(repos: Sequence[tuple[str, str | None]], out: Path, url_template: str = DEFAULT_URL,
               jobs: int = 4, timeout: float = 600.0, progress: bool = True) -> list[CloneResult]:
    from tqdm import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    def one(item: tuple[str, str | None]) -> CloneResult:
        full_name, sha = item
        if "/" not in full_name:
            return CloneResult(full_name, "error", "repository name is not owner/name")
        return clone_repo(full_name, url_for(url_template, full_name), out / repo_id(full_name), sha, timeout)

    results: list[CloneResult] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool, tqdm(total=len(repos), unit="repo", desc="clone",
                                                              disable=not progress or None, file=sys.stderr) as bar:
        for r in pool.map(one, repos):
            results.append(r)
            bar.update(1)
    return results


def write_status(path: Path, results: Sequence[CloneResult]) -> None:
    write_csv(path, STATUS_COLUMNS, [status_row(r) for r in results], sort_key=["repo"])
