"""Clone a repository at a pinned commit, fetching only the files the miners read.

Definition. A clone is a shallow (depth 1), blob-less fetch of one commit: the default
branch head, or exactly the pinned SHA when one is given. The files the miners read
(:func:`is_read_by_miners`: Python sources, notebooks, environment and pipeline
configuration, CI files, committed MLflow run metadata) are then fetched by object id in one
request; when the remote lacks some of them (a mirror without its largest blobs), the
request is split in halves until every available blob is fetched and every missing one is
named. The files are written from the object store into the work tree, the index is
populated from the commit's tree (so ``git ls-files`` lists every tracked file), and
``.git/mining-clone.json`` records the commit, its date, the remote's branches and tags,
the files not fetched because the miners do not read them, and the files that could not be
fetched. Nothing is ever checked out through git, so no hook, filter (LFS smudge) or
submodule runs; credentials are never prompted for.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

UPLOAD_PACK = "git -c uploadpack.allowFilter=true -c uploadpack.allowAnySHA1InWant=true upload-pack"
MANIFEST = "mining-clone.json"
MISSING = "mining-missing.txt"  # just the paths the remote could not serve, for the scanner

READ_SUFFIXES = frozenset({".py", ".ipynb", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".dvc", ".lock", ".gitattributes"})
READ_NAMES = frozenset({
    "mlproject", "dockerfile", "pipfile", "pipfile.lock", ".gitattributes", ".dvcignore", "makefile",
    "dvc.lock", "setup.py", "jenkinsfile", "procfile", "runtime.txt", "meta.yaml", "conda.yaml",
    ".gitlab-ci.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml", "tox.ini", "noxfile.py",
})


def is_read_by_miners(path: str) -> bool:
    """True for the files the scanner or the practices stage read."""
    p = PurePosixPath(path)
    name = p.name.lower()
    parts = [x.lower() for x in p.parts]
    if p.suffix.lower() in (".py", ".ipynb"):
        return True
    if "mlruns" in parts or "mlartifacts" in parts:
        return "artifacts" not in parts  # run metadata, params, metrics, tags; not the artifacts
    if name in READ_NAMES or name.startswith("dockerfile"):
        return True
    if name.endswith(".txt"):
        return name.startswith(("requirements", "constraints")) or name == "runtime.txt"
    return p.suffix.lower() in READ_SUFFIXES or (len(parts) > 1 and parts[0] in {".github", ".circleci", ".dvc"})


@dataclass
class CloneResult:
    full_name: str
    status: str  # cloned, reused, not_found, timeout, error
    reason: str = ""
    sha: str = ""
    commit_date: str = ""
    default_branch: str = ""
    files_tracked: int = 0
    files_fetched: int = 0
    files_not_read: int = 0
    files_missing: int = 0
    missing_paths: list[str] = field(default_factory=list)
    sizes: list[tuple[str, int | None]] = field(default_factory=list)  # files not fetched: (path, bytes or None)
    branches: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    seconds: float = 0.0


class GitError(Exception):
    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:2])} failed ({returncode}): {stderr.strip()[-300:]}")
        self.stderr = stderr


def git_env() -> dict[str, str]:
    """A safe environment for git against untrusted remotes: no prompts, no credential
    helpers or system/global config, no LFS smudge."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TMPDIR", "HOME"}}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_ASKPASS="/bin/false", SSH_ASKPASS="/bin/false",
               GCM_INTERACTIVE="never")
    return env


def _git(repo: Path, *args: str, timeout: float, input: bytes | None = None) -> bytes:
    cmd = ["git", "-c", "credential.helper=", "-c", "core.hooksPath=/dev/null",
           "-c", "protocol.version=2", "-C", str(repo), *args]
    proc = subprocess.run(cmd, input=input, capture_output=True, timeout=max(timeout, 1), env=git_env(), check=False)
    if proc.returncode != 0:
        raise GitError(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def read_manifest(dest: Path) -> dict | None:
    try:
        return json.loads((dest / ".git" / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _classify(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, subprocess.TimeoutExpired):
        return "timeout", "git did not finish in time"
    text = str(exc)
    if isinstance(exc, GitError):  # the first line git printed that says what went wrong
        lines = [ln.strip() for ln in exc.stderr.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:", "remote:"))]
        text = (fatal or lines or [text])[0]
    low = text.lower()
    if any(s in low for s in ("not found", "does not appear to be a git repository", "repository not found",
                              "could not read from remote", "no such file or directory")):
        return "not_found", text
    return "error", text


TRANSIENT = ("timed out", "connection reset", "early eof", "could not resolve host", "http 5", "rpc failed",
             "the remote end hung up")


def clone_repo(full_name: str, url: str, dest: Path, sha: str | None = None, timeout: float = 600.0,
               retries: int = 2, backoff: float = 2.0) -> CloneResult:
    """Clone ``url`` into ``dest`` (see the module docstring); never raises for remote trouble."""
    started = time.monotonic()
    dest = Path(dest)
    previous = read_manifest(dest)
    if previous and previous.get("status") in ("cloned", "reused") and (sha is None or previous.get("sha") == sha):
        result = CloneResult(**{k: v for k, v in previous.items() if k in CloneResult.__dataclass_fields__})
        result.status, result.seconds = "reused", 0.0
        return result
    attempt = 0
    while True:
        try:
            result = _clone_once(full_name, url, dest, sha, started + timeout)
            break
        except (GitError, subprocess.TimeoutExpired, OSError) as exc:
            status, reason = _classify(exc)
            transient = status == "error" and any(t in reason.lower() for t in TRANSIENT)
            if transient and attempt < retries and time.monotonic() - started < timeout:
                attempt += 1
                time.sleep(backoff * 2 ** (attempt - 1))
                continue
            result = CloneResult(full_name, status, reason[:500])
            break
    result.seconds = round(time.monotonic() - started, 3)
    if result.status == "cloned":
        (dest / ".git" / MISSING).write_text("".join(f"{p}\n" for p in result.missing_paths))
        (dest / ".git" / MANIFEST).write_text(json.dumps(asdict(result), indent=1, sort_keys=True))
    else:  # no half-made clone is left behind to be mistaken for a repository
        import shutil

        shutil.rmtree(dest, ignore_errors=True)
    return result


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise subprocess.TimeoutExpired("git", 0)
    return left


def _clone_once(full_name: str, url: str, dest: Path, sha: str | None, deadline: float) -> CloneResult:
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", timeout=_remaining(deadline))
    _git(dest, "remote", "add", "origin", url, timeout=_remaining(deadline))
    _git(dest, "config", "remote.origin.uploadpack", UPLOAD_PACK, timeout=_remaining(deadline))
    refs = _git(dest, "ls-remote", "--symref", "origin", timeout=_remaining(deadline)).decode("utf-8", "replace")
    default_branch, branches, tags = _parse_refs(refs)
    want = sha or "HEAD"
    _git(dest, "fetch", "-q", "--depth", "1", "--filter=blob:none", "--no-tags", "origin", want, timeout=_remaining(deadline))
    commit = _git(dest, "rev-parse", "FETCH_HEAD^{commit}", timeout=_remaining(deadline)).decode().strip()
    date = _git(dest, "show", "-s", "--format=%cI", commit, timeout=_remaining(deadline)).decode().strip()
    _git(dest, "update-ref", "--no-deref", "HEAD", commit, timeout=_remaining(deadline))
    entries = _tree(dest, commit, deadline)
    read = [e for e in entries if e[1] == "blob" and is_read_by_miners(e[3])]
    missing = _fetch_blobs(dest, sorted({e[2] for e in read}), deadline)
    fetched = _materialise(dest, [e for e in read if e[2] not in missing], deadline)
    _git(dest, "read-tree", commit, timeout=_remaining(deadline))
    missing_paths = sorted(e[3] for e in read if e[2] in missing)
    not_fetched = [e for e in entries if e[1] == "blob" and (e[2] in missing or not is_read_by_miners(e[3]))]
    return CloneResult(
        full_name, "cloned", "", commit, date, default_branch, len(entries), fetched,
        len(entries) - len(read), len(missing_paths), missing_paths,
        _remote_sizes(url, not_fetched, deadline), branches, tags,
    )


def _remote_sizes(url: str, entries: list[tuple[str, str, str, str]], deadline: float) -> list[tuple[str, int | None]]:
    """Sizes of blobs that were not fetched: read from the object store when the remote is a
    local repository (a mirror), unknown (None) otherwise."""
    sizes: dict[str, int | None] = {}
    if url.startswith("file://") and entries:
        path = Path(url[len("file://"):])
        try:
            out = subprocess.run(["git", "--git-dir", str(path if (path / "objects").is_dir() else path / ".git"),
                                  "cat-file", "--batch-check"], input="".join(f"{e[2]}\n" for e in entries).encode(),
                                 capture_output=True, timeout=max(_remaining(deadline), 1), env=git_env(), check=False)
            for line in out.stdout.decode().splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] == "blob":
                    sizes[parts[0]] = int(parts[2])
        except (OSError, subprocess.TimeoutExpired):
            pass
    return [(e[3], sizes.get(e[2])) for e in entries]


def _parse_refs(text: str) -> tuple[str, list[str], list[str]]:
    default = ""
    branches, tags = [], []
    for line in text.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            default = line[5:].split("\t")[0].removeprefix("refs/heads/")
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        ref = parts[1]
        if ref.startswith("refs/heads/"):
            branches.append(ref[11:])
        elif ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            tags.append(ref[10:])
    return default, sorted(branches), sorted(tags)


def _tree(dest: Path, commit: str, deadline: float) -> list[tuple[str, str, str, str]]:
    out = _git(dest, "ls-tree", "-r", "-z", "--full-tree", commit, timeout=_remaining(deadline))
    entries = []
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, path = rec.split(b"\t", 1)
        mode, kind, oid = meta.decode().split()
        entries.append((mode, kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries


def _fetch_blobs(dest: Path, oids: list[str], deadline: float) -> set[str]:
    """Fetch blobs by id; returns the ids the remote does not have (found by bisection)."""
    if not oids:
        return set()
    present = _present(dest, oids, deadline)
    todo = [o for o in oids if o not in present]
    missing: set[str] = set()
    stack = [todo] if todo else []
    while stack:
        group = stack.pop()
        try:
            _git(dest, "fetch", "-q", "--no-write-fetch-head", "--no-tags", "--filter=blob:none", "origin", *group,
                 timeout=_remaining(deadline))
        except GitError as exc:
            err = exc.stderr.lower()
            if not any(s in err for s in ("not our ref", "unable to read", "early eof", "bad pack", "index-pack")):
                raise
            if len(group) == 1:
                missing.add(group[0])
            else:
                half = len(group) // 2
                stack.extend([group[half:], group[:half]])
    return missing


def _present(dest: Path, oids: list[str], deadline: float) -> set[str]:
    text = _git(dest, "cat-file", "--batch-check", "--batch-all-objects",
                timeout=_remaining(deadline)).decode()
    have = {line.split()[0] for line in text.splitlines() if " blob " in line}
    return {o for o in oids if o in have}


def _materialise(dest: Path, entries: list[tuple[str, str, str, str]], deadline: float) -> int:
    """Write blobs from the object store into the work tree, streaming one blob at a time
    (a repository's notebooks can weigh hundreds of MB); returns the number of files written."""
    import tempfile

    if not entries:
        return 0
    root = dest.resolve()
    by_oid: dict[str, list[tuple[str, str]]] = {}
    for mode, _kind, oid, path in entries:
        by_oid.setdefault(oid, []).append((mode, path))
    written = 0
    with tempfile.TemporaryFile() as wanted:
        wanted.write("".join(f"{o}\n" for o in by_oid).encode())
        wanted.seek(0)
        cmd = ["git", "-c", "core.hooksPath=/dev/null", "-C", str(dest), "cat-file", "--batch"]
        with subprocess.Popen(cmd, stdin=wanted, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env=git_env()) as proc:
            assert proc.stdout is not None
            try:
                for _ in by_oid:
                    if time.monotonic() > deadline:
                        raise subprocess.TimeoutExpired(cmd, 0)
                    header = proc.stdout.readline().decode().split()
                    if len(header) < 3 or header[1] == "missing":
                        continue
                    oid, size = header[0], int(header[2])
                    data = proc.stdout.read(size)
                    proc.stdout.read(1)  # the newline after each object
                    for mode, path in by_oid.get(oid, ()):
                        written += _write_entry(root, dest / path, mode, data)
            finally:
                proc.kill()
    return written


def _write_entry(root: Path, target: Path, mode: str, data: bytes) -> int:
    if not str(target.resolve(strict=False)).startswith(str(root) + os.sep):
        return 0  # a path escaping the repository: never written
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode == "120000":
        if target.is_symlink() or target.exists():
            target.unlink()
        os.symlink(data.decode("utf-8", "surrogateescape"), target)
    else:
        target.write_bytes(data)
        if mode == "100755":
            target.chmod(0o755)
    return 1


COMPLETE = "mining-complete.json"


def complete_checkout(dest: Path, timeout: float = 1800.0) -> dict:
    """Fetch and write every remaining tracked file of a clone made by :func:`clone_repo`
    (data files, models: what a rerun needs besides the files the miners read), from the same
    remote at the same commit. Blobs the remote cannot serve are named, not fatal. Idempotent:
    the result is recorded in ``.git/mining-complete.json`` and returned
    (``{"commit", "fetched", "missing_paths", "error"}``)."""
    dest = Path(dest)
    record = dest / ".git" / COMPLETE
    if record.exists():
        return json.loads(record.read_text())
    manifest = read_manifest(dest) or {}
    deadline = time.monotonic() + timeout
    out: dict = {"commit": manifest.get("sha", ""), "fetched": 0, "missing_paths": [], "error": ""}
    try:
        commit = manifest.get("sha") or _git(dest, "rev-parse", "HEAD", timeout=60).decode().strip()
        entries = [e for e in _tree(dest, commit, deadline) if e[1] == "blob"]
        todo = [e for e in entries if not (dest / e[3]).exists() and not (dest / e[3]).is_symlink()]
        missing = _fetch_blobs(dest, sorted({e[2] for e in todo}), deadline)
        out["fetched"] = _materialise(dest, [e for e in todo if e[2] not in missing], deadline)
        out["missing_paths"] = sorted(e[3] for e in todo if e[2] in missing)
    except (GitError, subprocess.TimeoutExpired, OSError) as exc:
        out["error"] = _classify(exc)[1][:300]
    record.write_text(json.dumps(out, indent=1, sort_keys=True))
    return out
