"""Reading a commit's tree from a history clone (no work tree), and what the pinned tree holds.

Definitions (``repo_history`` columns at the pinned commit): ``files_at_pin``, the files of the
pinned commit's tree (submodules not counted); ``code_files_at_pin``, its ``.py``/``.ipynb``
files outside the folders the scanner skips; ``code_lines_at_pin``, their lines as the scanner
counts them (physical lines of a ``.py`` file, lines of a notebook's code cells; a file over the
size caps or whose content the clone lacks counts 0).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from miners.corpus.clone import git_env
from miners.history.versions import keyed, results
from miners.scan.files import Limits, _excluded_by_folder


def git(clone: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(clone), *args], capture_output=True, env=git_env(),
                          check=True).stdout


def tree(clone: Path, commit: str) -> list[tuple[str, str]]:
    """``[(blob id, path)]`` of every file of a commit's tree."""
    out = git(clone, "ls-tree", "-r", "-z", "--full-tree", commit)
    files = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            files.append((parts[2].decode(), path.decode("utf-8", "surrogateescape")))
    return files


def read_blobs(clone: Path, ids: list[str]) -> dict[str, bytes | None]:
    """Contents of blobs by id (None for a blob the clone cannot give), one ``cat-file`` batch."""
    if not ids:
        return {}
    proc = subprocess.run(["git", "-C", str(clone), "cat-file", "--batch"], input="\n".join(ids).encode() + b"\n",
                          capture_output=True, env=git_env(), check=False)
    data, pos, out = proc.stdout, 0, {}
    for blob in ids:
        end = data.find(b"\n", pos)
        if end < 0:
            out[blob] = None
            continue
        header = data[pos:end].split()
        if len(header) != 3 or header[1] != b"blob":
            out[blob] = None
            pos = end + 1
            continue
        size = int(header[2])
        out[blob] = data[end + 1:end + 1 + size]
        pos = end + 1 + size + 1
    return out


def code_files(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The ``(blob id, path)`` of the code files of a tree listing (see the definitions)."""
    return [(b, p) for b, p in files if p.lower().endswith((".py", ".ipynb"))
            and _excluded_by_folder(p.split("/"), set()) is None]


def pin_metadata(clone: Path, sha: str, limits: Limits, scanner: Any) -> dict[str, Any]:
    """``files_at_pin``, ``code_files_at_pin`` and ``code_lines_at_pin`` of the pinned commit,
    lines through the scanner's cache (every version at the pin was parsed by the walk; one
    that was not is parsed now)."""
    files = tree(clone, sha)
    code = code_files(files)
    contents = read_blobs(clone, sorted({b for b, _ in code}))
    keys: dict[str, str] = {}
    versions: dict[str, tuple[str, bytes]] = {}
    for blob, path in code:
        version = keyed(path, contents.get(blob), limits)
        if version is not None:
            keys[path] = version[0]
            versions[version[0]] = (version[1], contents[blob] or b"")
    parsed = results(scanner, versions)
    lines = sum(parsed[key].lines for key in keys.values() if parsed.get(key) is not None)
    return {"files_at_pin": len(files), "code_files_at_pin": len(code), "code_lines_at_pin": lines}
