"""Which files of a repository are candidates, and which of them are read.

Definition. The candidate files of a repository are its ``.py`` and ``.ipynb`` files: the
files git tracks when the directory is the top of a git work tree (``git ls-files``), else
every file below it. A candidate is *skipped* (never silently: a ``files.csv`` row with a
reason, or, for the files of a skipped folder, a count in ``skipped_folders.csv``) when it lies
in a virtual environment (a folder holding ``pyvenv.cfg``, or named
``venv``, ``.venv``, ``virtualenv``), ``site-packages``/``dist-packages``, ``node_modules``,
``.git``, ``__pycache__``, ``.ipynb_checkpoints``, ``.tox``/``.nox``, an ``*.egg-info``
folder, or the build output folders ``build``/``dist`` at the repository root; when it is a
symbolic link (one inside the repository is scanned at its target; one pointing outside is
never followed); or when it is larger than the size cap. It is *unreadable* when it is
tracked by git but absent from the work tree (a partial clone missing that blob), a symlink
loop, or cannot be read.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENV_DIR_NAMES = frozenset({"venv", ".venv", "virtualenv", ".virtualenv"})
SKIP_DIR_NAMES = frozenset({
    ".git", "site-packages", "dist-packages", "node_modules", "__pycache__",
    ".ipynb_checkpoints", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".eggs",
})
ROOT_BUILD_DIRS = frozenset({"build", "dist"})


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate file: ``path`` relative to the repository root with ``/`` separators."""

    path: str
    kind: str
    skip_status: str | None = None  # 'skipped' or 'unreadable' when it is not read
    skip_reason: str = ""
    size: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """Size caps in bytes above which a file is skipped, per kind."""

    max_py_bytes: int = 5_000_000
    max_ipynb_bytes: int = 50_000_000


def is_git_top(repo: Path) -> bool:
    """A folder is the top of a git work tree when it holds ``.git`` (a folder or a file)."""
    return (repo / ".git").exists()


def _git_files(repo: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-C", str(repo), "ls-files", "-z", "--cached"],
            capture_output=True, timeout=300, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return sorted({p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


def _walk_files(repo: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(repo, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        rel = Path(dirpath).relative_to(repo)
        for name in filenames:
            found.append((rel / name).as_posix() if rel.parts else name)
        for name in dirnames:
            if (Path(dirpath) / name).is_symlink():
                found.append((rel / name).as_posix() if rel.parts else name)
    return sorted(found)


#: The reason a folder exclusion gives: ``in <what> (<folder>/)``, the folder being the path of
#: the excluded folder from the repository's root (see :func:`skipped_folder`).
FOLDER_REASON = re.compile(r"^in (?P<what>.+) \((?P<folder>.+)/\)$")


def skipped_folder(reason: str) -> tuple[str, str] | None:
    """``(folder, what)`` of a candidate skipped for the folder it lies in (``what`` e.g. ``a
    virtual environment``, ``a tool folder``); None for any other reason."""
    m = FOLDER_REASON.match(reason)
    return (m["folder"], m["what"]) if m else None


def _excluded_by_folder(parts: list[str], venv_dirs: set[str]) -> str | None:
    for i, part in enumerate(parts[:-1]):
        prefix = "/".join(parts[: i + 1])
        if part in SKIP_DIR_NAMES:
            return f"in a tool folder ({prefix}/)"
        if part in ENV_DIR_NAMES or prefix in venv_dirs:
            return f"in a virtual environment ({prefix}/)"
        if part.endswith(".egg-info"):
            return f"in build metadata ({prefix}/)"
        if i == 0 and part in ROOT_BUILD_DIRS:
            return f"in build output ({part}/)"
    return None


def index_signature(repo: Path) -> str | None:
    """Stat signature of the repository's git index: while it is unchanged, so is the list of
    tracked files (git itself relies on this)."""
    try:
        st = (Path(repo) / ".git" / "index").stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}:{st.st_dev}"


def tracked_code_files(repo: Path) -> list[str] | None:
    """The tracked ``.py``/``.ipynb`` paths of a git work tree (None if it is not one)."""
    paths = _git_files(repo) if is_git_top(repo) else None
    if paths is None:
        return None
    return [p for p in paths if p[-6:].lower().endswith((".py", ".ipynb"))]


def list_candidates(repo: Path, limits: Limits | None = None, tracked: list[str] | None = None) -> list[Candidate]:
    """Every candidate file of ``repo``, sorted by path, each with its skip status if any.

    ``tracked`` is the result of :func:`tracked_code_files` when the caller has it cached."""
    repo = Path(repo)
    limits = limits or Limits()
    paths = tracked if tracked is not None else tracked_code_files(repo)
    if paths is None:
        paths = _walk_files(repo)
    unavailable = _unavailable_blobs(repo)
    venv_dirs = {p.rsplit("/", 1)[0] for p in paths if p.endswith("/pyvenv.cfg") or p == "pyvenv.cfg"}
    venv_dirs |= _venv_folders(repo, paths)
    real_root = repo.resolve()
    out: list[Candidate] = []
    for rel in paths:
        low = rel[-6:].lower()
        if low.endswith(".py"):
            kind = "py"
        elif low.endswith(".ipynb"):
            kind = "ipynb"
        else:
            continue
        parts = rel.split("/")
        why = _excluded_by_folder(parts, venv_dirs)
        if why:
            out.append(Candidate(rel, kind, "skipped", why))
            continue
        if rel in unavailable:
            out.append(Candidate(rel, kind, "unreadable", "blob not available from the remote (recorded by the clone stage)"))
            continue
        full = repo / rel
        out.append(_check_file(full, rel, kind, real_root, limits))
    return out


def _venv_folders(repo: Path, paths: list[str]) -> set[str]:
    """Folders (up to three levels deep) that hold a ``pyvenv.cfg`` in the work tree."""
    tops = {"/".join(p.split("/")[:i]) for p in paths for i in (1, 2, 3) if p.count("/") >= i}
    return {t for t in tops if (repo / t / "pyvenv.cfg").is_file()}


def _unavailable_blobs(repo: Path) -> set[str]:
    """Paths the clone stage could not fetch (``.git/mining-missing.txt``, else its manifest),
    if it cloned ``repo``."""
    from miners.corpus.clone import MISSING, read_manifest

    try:
        return set((repo / ".git" / MISSING).read_text().splitlines())
    except OSError:
        pass
    manifest = read_manifest(repo)
    return set(manifest.get("missing_paths", [])) if manifest else set()


def _check_file(full: Path, rel: str, kind: str, real_root: Path, limits: Limits) -> Candidate:
    try:
        if full.is_symlink():
            try:
                target = full.resolve(strict=True)
            except RuntimeError:
                return Candidate(rel, kind, "unreadable", "symlink loop")
            except OSError as exc:
                if "loop" in str(exc).lower() or getattr(exc, "errno", None) == 40:
                    return Candidate(rel, kind, "unreadable", "symlink loop")
                return Candidate(rel, kind, "unreadable", "broken symlink")
            try:
                inside = target.relative_to(real_root).as_posix()
            except ValueError:
                return Candidate(rel, kind, "skipped", "symlink pointing outside the repository (not followed)")
            return Candidate(rel, kind, "skipped", f"symlink to {inside} (scanned at its target)")
        st = full.stat()
    except FileNotFoundError:
        return Candidate(rel, kind, "unreadable", "tracked by git but missing from the work tree (blob not fetched)")
    except OSError as exc:
        return Candidate(rel, kind, "unreadable", f"cannot stat: {exc.strerror or exc}")
    if not full.is_file():
        return Candidate(rel, kind, "skipped", "not a regular file")
    cap = limits.max_ipynb_bytes if kind == "ipynb" else limits.max_py_bytes
    if st.st_size > cap:
        return Candidate(rel, kind, "skipped", f"larger than the size cap ({st.st_size} > {cap} bytes)", st.st_size)
    return Candidate(rel, kind, None, "", st.st_size)
