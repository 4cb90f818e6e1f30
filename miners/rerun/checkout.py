"""A project's work tree for the runs: complete checkout, Git LFS pointers, absolute-path mappings.

Definitions.

* **Complete checkout.** The mine stage's clone holds only the files the miners read; a copy of
  it under ``<work>/checkouts/<repo>`` gets every other tracked blob the remote serves at the
  same commit, whatever its size (:func:`miners.corpus.clone.complete_checkout`). Blobs the remote
  cannot serve are counted (``files_missing``) and named in ``data_missing`` reasons. Local
  project folders are used as they are.
* **Git LFS pointer.** A tracked file of at most 1,024 bytes that starts with
  ``version https://git-lfs.github.com/spec/``: the content lives on an LFS server that the
  runs cannot reach. A run that fails naming such a file gets the status ``lfs_pointer``.
* **Absolute-path mapping.** A string literal in the project's code (``.py`` and notebook code
  cells), or a value in its configuration (``.yaml``/``.yml``/``.json``/``.toml``/``.cfg``/
  ``.ini``, quoted or not; files inside ``mlruns/``, ``mlartifacts/`` and ``.dvc/`` are MLflow's
  and DVC's records, not read), that is an absolute path is mapped onto a committed file or folder by its *longest matching suffix* of
  path components (at least one; the last one must match a committed path's last component
  exactly), when that suffix ends a committed path. Recognised: Windows drive paths
  (``C:\\Users\\me\\proj\\data\\x.csv``, also with ``/``), Dockerfile ``WORKDIR`` paths, and
  other absolute POSIX paths outside the system's folders (``/app/...``, ``/content/...``,
  ``/kaggle/input/...``, ``/home/<user>/...`` is mapped only when ``/home`` can take a new mount
  point, so it is not). Inside the sandbox a POSIX prefix is bind-mounted onto the matching
  folder of the run's copy; a Windows prefix becomes a symbolic link of that literal name in the
  working directory (Linux reads ``C:\\a\\b`` as one file name). A Dockerfile ``WORKDIR`` is
  mapped onto the repository root. Each mapping is one intervention of the run.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from miners.rerun import interventions

LFS_HEADER = b"version https://git-lfs.github.com/spec/"
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/dev", "/proc", "/sys",
          "/var", "/run", "/tmp", "/boot", "/srv", "/mnt", "/media", "/snap", "/root", "/home", "/opt")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".cfg", ".ini")
_WINDOWS = re.compile(r"^[A-Za-z]:[\\/]")
_CONFIG_PATH = re.compile(r"""(?:^|[\s:="'\[,(])([A-Za-z]:[\\/][^"'\s,\])]{1,300}|/(?!/)[^"'\s,\])]{1,300})""", re.M)
# MLflow's and DVC's own records (artifact locations of the author's machine), not the project's code
RECORDS = {"mlruns", "mlartifacts", ".dvc"}
_SKIP_DIRS = {".git", "__pycache__", ".ipynb_checkpoints", "node_modules", ".venv", "venv"}


@dataclass(frozen=True)
class Mapping:
    """``literal`` (as written in ``where``, file:line) resolves to ``target`` (posix, relative to
    the root); ``prefix`` is the part of the literal that is mounted or linked onto ``base``
    (the folder of the checkout that takes its place); ``kind`` posix|windows|workdir."""

    literal: str
    where: str
    target: str
    prefix: str
    base: str
    kind: str

    def describe(self) -> str:
        """The intervention line of this mapping."""
        return interventions.path_mapping(self.prefix, self.base, self.where)


def complete(project_root: Path, work: Path, repo: str) -> tuple[Path, dict[str, Any]]:
    """``(root, info)``: the complete checkout of a mine-stage clone (see module docstring) and
    ``{"fetched", "missing_paths", "error"}``; a local folder is returned as it is."""
    from miners.corpus.clone import MANIFEST, complete_checkout

    if not (project_root / ".git" / MANIFEST).exists():
        return project_root, {"fetched": 0, "missing_paths": [], "error": ""}
    full = work / "checkouts" / repo
    if not (full / ".git" / "mining-complete.json").exists():
        if full.exists():
            shutil.rmtree(full)
        shutil.copytree(project_root, full, symlinks=True)
    info = complete_checkout(full)
    return full.resolve(), info


def walk(root: Path) -> list[str]:
    """Every file of the work tree (posix, relative), without VCS and cache folders, sorted."""
    out = []
    stack = [Path(root)]
    while stack:
        d = stack.pop()
        try:
            entries = list(d.iterdir())
        except OSError:
            continue
        for p in entries:
            if p.is_dir() and not p.is_symlink():
                if p.name not in _SKIP_DIRS:
                    stack.append(p)
            elif p.is_file():
                out.append(p.relative_to(root).as_posix())
    return sorted(out)


def lfs_pointers(root: Path, files: list[str] | None = None) -> list[str]:
    """Tracked files that are Git LFS pointers (module docstring)."""
    out = []
    for rel in files if files is not None else walk(root):
        p = Path(root) / rel
        try:
            if p.stat().st_size <= 1024:
                with open(p, "rb") as fh:
                    if fh.read(len(LFS_HEADER)) == LFS_HEADER:
                        out.append(rel)
        except OSError:
            continue
    return out


def _literals(path: Path, rel: str) -> list[tuple[str, int]]:
    """Absolute-path-looking string literals of one file with their 1-based line."""
    text = path.read_text(errors="replace")
    if rel.endswith(".py"):
        return _literals_of_source(text)
    if rel.endswith(".ipynb"):
        from miners.scan.notebooks import read_code_cells

        try:
            cells = read_code_cells(text)
        except ValueError:
            return []
        found = []
        for cell in cells:
            found += [(lit, 0) for lit, _ in _literals_of_source(cell.source)]
        return found
    return [(m.group(1), text.count("\n", 0, m.start(1)) + 1) for m in _CONFIG_PATH.finditer(text)]


def _literals_of_source(source: str) -> list[tuple[str, int]]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [(n.value, n.lineno) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and 1 < len(n.value) < 300
            and (_WINDOWS.match(n.value) or n.value.startswith("/"))]


def _parts(literal: str) -> tuple[str, list[str]]:
    """``(kind, components)`` of an absolute path literal."""
    if _WINDOWS.match(literal):
        return "windows", [p for p in PureWindowsPath(literal.replace("/", "\\")).parts[1:] if p not in ("", "\\")]
    return "posix", [p for p in PurePosixPath(literal).parts[1:] if p not in ("", ".")]


def _index(files: list[str]) -> dict[str, list[str]]:
    """Committed paths (files and their folders) by their last component."""
    by_name: dict[str, set[str]] = {}
    for rel in files:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            path = "/".join(parts[:i])
            by_name.setdefault(parts[i - 1], set()).add(path)
    return {k: sorted(v, key=lambda p: (p.count("/"), p)) for k, v in by_name.items()}


def match(literal: str, index: dict[str, list[str]]) -> tuple[str, str, int] | None:
    """``(target, base, suffix length)`` of the committed path ending with the longest suffix of
    the literal's components, else None."""
    _, parts = _parts(literal)
    if not parts:
        return None
    best: tuple[str, str, int] | None = None
    for target in index.get(parts[-1], []):
        tparts = target.split("/")
        k = 0
        while k < min(len(parts), len(tparts)) and parts[-1 - k] == tparts[-1 - k]:
            k += 1
        if best is None or k > best[2]:
            best = (target, "/".join(tparts[:-k]), k)
    return best


def mappable(prefix: str) -> bool:
    """A POSIX prefix can take a new mount point: it is not the root or under a system folder."""
    return prefix not in ("", "/") and not any(prefix == s or prefix.startswith(s + "/") for s in SYSTEM)


def dockerfile_workdirs(root: Path) -> list[tuple[str, str]]:
    """``(workdir, file:line)`` of every absolute ``WORKDIR`` in the repository's Dockerfiles."""
    out = []
    for p in sorted(Path(root).glob("**/Dockerfile*")):
        if any(part in _SKIP_DIRS for part in p.parts) or not p.is_file():
            continue
        for i, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            m = re.match(r"\s*WORKDIR\s+(\S+)", line, re.I)
            if m and m.group(1).startswith("/"):
                out.append((m.group(1).rstrip("/") or "/", f"{p.relative_to(root).as_posix()}:{i}"))
    return out


def mappings(root: Path, files: list[str] | None = None) -> list[Mapping]:
    """Every absolute-path mapping of the checkout (module docstring), one per prefix, sorted."""
    root = Path(root)
    files = walk(root) if files is None else files
    index = _index(files)
    found: dict[str, Mapping] = {}
    for workdir, where in dockerfile_workdirs(root):
        if mappable(workdir):
            found.setdefault(workdir, Mapping(workdir, where, "", workdir, "", "workdir"))
    for rel in files:
        if not rel.endswith((".py", ".ipynb", *CONFIG_SUFFIXES)) or RECORDS & set(rel.split("/")[:-1]):
            continue
        try:
            literals = _literals(root / rel, rel)
        except OSError:
            continue
        for literal, line in literals:
            kind, parts = _parts(literal)
            hit = match(literal, index)
            if hit is None:
                continue
            target, base, k = hit
            if kind == "windows":
                drive = literal[:2]
                sep = "\\" if "\\" in literal else "/"
                prefix = sep.join([drive, *parts[: len(parts) - k]])
            else:
                prefix = "/" + "/".join(parts[: len(parts) - k])
                if not mappable(prefix):
                    continue
            key = literal if kind == "windows" else prefix  # a Windows literal is a file name of its own
            if key not in found:
                found[key] = Mapping(literal, f"{rel}:{line}", target, prefix, base, kind)
    return sorted(found.values(), key=lambda m: (m.kind, m.prefix))


def apply_windows(mappings_: list[Mapping], project: Path, cwd: Path) -> list[str]:
    """Create the symbolic links of the Windows mappings in the working directory ``cwd`` of the
    run's copy ``project``; returns what was linked."""
    done = []
    for m in mappings_:
        if m.kind != "windows":
            continue
        links = [(m.prefix, project / m.base if m.base else project), (m.literal, project / m.target)]
        for name, target in links:
            link = cwd / name if "\\" in name else cwd.joinpath(*name.split("/"))
            if link.exists() or link.is_symlink() or not target.exists():
                continue
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target, target_is_directory=target.is_dir())
        done.append(m.describe())
    return sorted(set(done))


def bind_args(mappings_: list[Mapping], project: Path) -> list[tuple[str, str]]:
    """``(source, mount point)`` pairs of the POSIX and WORKDIR mappings for the sandbox."""
    return [(str(project / m.base) if m.base else str(project), m.prefix)
            for m in mappings_ if m.kind in ("posix", "workdir")]
