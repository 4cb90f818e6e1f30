"""``python -m miners mine`` (``make mine``): from a corpus to the published results.

Stages: corpus (API discovery normalised, or a fixed frame) -> select (filters that leave a
reason, seeded sample) -> one task per sampled repository: clone at the pinned commit,
fingerprint, scan -> near-duplicate families (one kept per family) -> publish ``results/``:
``corpus.csv``, ``clone_status.csv``, ``call_sites.csv``, ``files.csv``,
``repo_features.csv``, ``funnel.csv``.

Tasks run on a local pool of ``--jobs`` threads (each task's heavy work runs in its own git
and parser processes) or, with ``--scheduler tcp://HOST:PORT``, on a Dask distributed
cluster. Each finished task is recorded at once, atomically, in ``WORK/repos/<id>.json``;
an interrupted run (even ``kill -9``) is resumed by running it again: recorded repositories
are not redone, and the published files are byte-identical to an uninterrupted run.
Published rows carry no timings; those go to ``WORK/logs/``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from miners import MINER_VERSION
from miners.committed import CommittedRecords, StaleRecordsError
from miners.corpus.clone import CloneResult, clone_repo
from miners.corpus.clone_stage import STATUS_COLUMNS, status_row, url_for
from miners.corpus.discover import CORPUS_COLUMNS, normalise
from miners.corpus.fingerprint import clusters, fingerprint
from miners.corpus.frame import frame_corpus
from miners.corpus.sample import draw, rank
from miners.csvio import atomic_write_bytes, read_csv, write_csv
from miners.practices.repo_practices import PRACTICE_COLUMNS, repo_practices
from miners.protocol import Protocol
from miners.scan.files import Limits
from miners.scan.records import RepoScan
from miners.scan.scanner import scan_repo
from miners.scan.tables import write_tables
from miners.schema import get, names
from miners.schema.ids import repo_id

log = logging.getLogger("miners.mine")

#: The corpus columns the mine stage adds after discovery's and the frame's own.
SELECTION_COLUMNS = get("corpus").around_extra()[1]
FUNNEL_COLUMNS = names("funnel")


@dataclass(frozen=True)
class Task:
    full_name: str
    url: str
    dest: str
    sha: str | None
    timeout: float
    retries: int
    max_py_bytes: int
    max_ipynb_bytes: int
    timeout_per_file: float
    cache_dir: str | None


def mine_one(task: Task) -> dict[str, Any]:
    """Clone, fingerprint, scan and read the practices of one repository. Runs in a thread or on
    a Dask worker; returns its record (JSON-able, but for ``scan``: the
    :class:`~miners.scan.records.RepoScan`, stored beside it as ``<id>.scan.json``) and never
    raises for trouble with the repository."""
    import time

    started = time.monotonic()
    result = clone_repo(task.full_name, task.url, Path(task.dest), task.sha, task.timeout, task.retries)
    record: dict[str, Any] = {"full_name": task.full_name, "clone": asdict(result), "fingerprint": [],
                              "scan": None, "miner_version": MINER_VERSION}
    record["clone"]["seconds"] = 0.0  # timings are logged, never published
    record["clone"].pop("sizes", None)  # kept in the clone's own manifest
    record["practices"] = None
    if result.status in ("cloned", "reused"):
        record["clone"]["status"] = "cloned"
        dest = Path(task.dest)
        import subprocess

        listing = subprocess.run(["git", "-C", str(dest), "ls-files", "-z"], capture_output=True, check=False).stdout
        paths = [p for p in listing.decode("utf-8", "surrogateescape").split("\0") if p]
        record["fingerprint"] = fingerprint(dest, paths)
        record["python_files"] = sum(1 for p in paths if p.endswith((".py", ".ipynb")))
        scanned = scan_repo(dest, repo_id(task.full_name), limits=Limits(task.max_py_bytes, task.max_ipynb_bytes),
                            cache_dir=Path(task.cache_dir) if task.cache_dir else None,
                            timeout_per_file=task.timeout_per_file)
        record["scan"] = scanned
        try:
            record["practices"] = repo_practices(repo_id(task.full_name), dest, scanned.features)
        except Exception as exc:  # a practices failure is data, not a crash
            record["practices"] = {"repo": repo_id(task.full_name), "env_errors": f"practices failed: {type(exc).__name__}: {exc}"[:300]}
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


def _records_dir(work: Path) -> Path:
    return work / "repos"


def _finished(path: Path) -> bool:
    """A task is finished when its record exists, parses and was made by this miner version
    (a record left by an older miner, or a torn write, is redone; the clone is reused)."""
    try:
        record = json.loads(path.read_text())
        return "scanned" in record and record.get("miner_version") == MINER_VERSION
    except (OSError, ValueError):
        return False


def _restore(task: Task, records: Path, committed: CommittedRecords) -> bool:
    """Bring a task's committed record (:mod:`miners.committed`) back as its work record when it
    is current: made by this miner version, at the pinned commit when one is pinned."""
    saved = committed.load(repo_id(task.full_name))
    if not saved or not isinstance(saved.get("record"), dict):
        return False
    record = saved["record"]
    if record.get("miner_version") != MINER_VERSION or "scanned" not in record:
        return False
    if task.sha and record.get("clone", {}).get("sha") not in (task.sha, ""):
        return False
    name = repo_id(task.full_name)
    if record["scanned"]:
        if saved.get("scan") is None:
            return False
        atomic_write_bytes(records / f"{name}.scan.json", json.dumps(saved["scan"], sort_keys=True).encode())
    atomic_write_bytes(records / f"{name}.json", json.dumps(record, sort_keys=True).encode())
    return True


def _run_tasks(tasks: list[Task], work: Path, jobs: int, scheduler: str | None, progress: bool,
               committed: CommittedRecords | None = None) -> tuple[int, int]:
    """Run the tasks not yet recorded; record each result as soon as it arrives (and, with
    ``committed``, its compressed copy there: tasks with a current committed record are not
    run but restored from it)."""
    from tqdm import tqdm

    records = _records_dir(work)
    records.mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if not _finished(records / f"{repo_id(t.full_name)}.json")]
    restored: set[Task] = set()
    if committed is not None:
        restored = {t for t in todo if _restore(t, records, committed)}
        if restored:
            log.info("restored %d task records from %s", len(restored), committed.dir)
        todo = [t for t in todo if t not in restored]
        waiting = set(todo)
        for t in tasks:  # a task finished earlier gets its committed copy (a restored one came from it)
            if t not in waiting and t not in restored:
                _commit_copy(records, repo_id(t.full_name), committed)
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="repo", desc="mine",
               disable=not progress or None, file=sys.stderr, mininterval=0.5)

    lost: list[str] = []

    def save(record: dict[str, Any]) -> None:
        name = repo_id(record["full_name"])
        if committed is not None and record["clone"]["status"] != "cloned":
            earlier = (committed.load(name) or {}).get("record") or {}
            if earlier.get("clone", {}).get("status") == "cloned":
                # a stale record of a repository that cannot be cloned here: kept, not replaced
                lost.append(f"{record['full_name']} (record by {earlier.get('miner_version', '?')})")
                bar.update(1)
                return
        scanned: RepoScan | None = record.pop("scan")
        log.info("%s clone=%s files=%s seconds=%s", record["full_name"], record["clone"]["status"],
                 len(scanned.files) if scanned else 0, record.get("seconds"))
        record.pop("seconds", None)
        # the scan's records first, the small record last: the record's presence marks the task done
        record["scanned"] = scanned is not None
        if scanned is not None:
            atomic_write_bytes(records / f"{name}.scan.json", json.dumps(scanned.to_json(), sort_keys=True).encode())
            record["uses_mlflow"] = bool(scanned.features["uses_mlflow"])
        atomic_write_bytes(records / f"{name}.json", json.dumps(record, sort_keys=True).encode())
        if committed is not None:
            committed.save(name, {"record": record, "scan": scanned.to_json() if scanned is not None else None})
        bar.update(1)

    try:
        for record in _execute(todo, jobs, scheduler):
            save(record)
    finally:
        bar.close()
    if lost:
        raise StaleRecordsError(
            f"{len(lost)} repositories have a committed record made by another miner version "
            f"(this is {MINER_VERSION}) and cannot be cloned here, e.g. {'; '.join(sorted(lost)[:3])}. "
            f"Their records were kept and nothing was published: fetch their mirrors and mine with "
            f"URL_TEMPLATE=..., or mine with the miner version that made the records.")
    return len(todo), len(restored)


def _commit_copy(records: Path, name: str, committed: CommittedRecords) -> None:
    """The committed copy of a finished work record."""
    record = json.loads((records / f"{name}.json").read_text())
    scan_path = records / f"{name}.scan.json"
    scan = json.loads(scan_path.read_text()) if record.get("scanned") and scan_path.exists() else None
    committed.save(name, {"record": record, "scan": scan})


def _execute(tasks: list[Task], jobs: int, scheduler: str | None) -> Iterator[dict[str, Any]]:
    if not tasks:
        return
    if scheduler:
        from distributed import Client, as_completed

        with Client(scheduler) as client:
            futures = client.map(mine_one, tasks, pure=False)
            for future in as_completed(futures):
                yield future.result()
        return
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import as_completed as done

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(mine_one, t) for t in tasks]
        for f in done(futures):
            yield f.result()


def _metadata_exclusion(row: dict[str, str], protocol: Protocol) -> str:
    sel = protocol.select
    if sel.exclude_forks and row.get("fork") == "true":
        return "fork"
    if sel.exclude_archived and row.get("archived") == "true":
        return "archived"
    size = row.get("size_kb") or ""
    if sel.exclude_empty and size == "0":
        return "empty"
    if size and sel.max_size_kb and int(size) > sel.max_size_kb:
        return f"too_large (size {size} KB > {sel.max_size_kb} KB)"
    return ""


def mine(protocol: Protocol, work: Path, results: Path, frame: Path | None = None, jobs: int = 2,
         scheduler: str | None = None, url_template: str | None = None, progress: bool = True,
         repin: bool = False, snapshots: Path | None = None, records: Path | None = None) -> list[dict[str, Any]]:
    """Run the mining pipeline; returns the funnel rows.

    ``snapshots``: a CSV ``full_name, status, head, reason`` of the repositories whose snapshot
    (local mirror) has been looked up, ``fetched`` or ``unavailable``: only those are cloned, and
    the other repositories of the frame are left out with the exclusion ``snapshot_pending``
    (a census built in chunks; see :func:`read_snapshots`). ``records``: where the committed
    records are (:mod:`miners.committed`; default ``<results>/records``)."""
    work, results = Path(work), Path(results)
    (work / "logs").mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(work / "logs" / f"mine-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        return _mine(protocol, work, results, frame, jobs, scheduler, url_template, progress, repin,
                     read_snapshots(snapshots) if snapshots else None,
                     CommittedRecords(records if records is not None else results / "records", "mine"),
                     str(snapshots) if snapshots else "")
    finally:
        log.removeHandler(handler)
        handler.close()


def _corpus(protocol: Protocol, work: Path, frame: Path | None) -> Path:
    corpus = work / "corpus-source.csv"
    frame = frame or (Path(protocol.discover.frame) if protocol.discover.frame else None)
    if frame is not None:
        if not frame.exists():
            raise FileNotFoundError(f"sampling frame not found: {frame}")
        frame_corpus(frame, corpus)
    else:
        raw = work / "raw" / "discovery"
        if not list(raw.glob("*.jsonl")):
            raise FileNotFoundError(f"no discovery results in {raw}: run `python -m miners discover` first, or give --frame")
        normalise(raw, corpus)
    return corpus


def read_snapshots(path: Path) -> dict[str, dict[str, str]]:
    """The snapshot list (:mod:`miners.snapshots`): ``full_name -> row`` for every repository
    whose snapshot was looked up; it must exist."""
    from miners import snapshots

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"snapshot list not found: {path} (a CSV full_name,status,head,reason; "
                                "see study/frame.md)")
    return snapshots.read(path)


def _mine(protocol: Protocol, work: Path, results: Path, frame: Path | None, jobs: int, scheduler: str | None,
          url_template: str | None, progress: bool, repin: bool, snapshots: dict[str, dict[str, str]] | None,
          committed: CommittedRecords, snapshots_path: str = "") -> list[dict[str, Any]]:
    commit = _pipeline_commit()  # before anything is written: results/ is part of the repository
    corpus_path = _corpus(protocol, work, frame)
    rows = read_csv(corpus_path)
    pinned: dict[str, str] = {}
    if not repin and (results / "corpus.csv").exists():
        pinned = {r["full_name"]: r["sha"] for r in read_csv(results / "corpus.csv") if r.get("sha")}
    seed = protocol.sample.seed
    for r in rows:
        r["sample_rank"] = rank(seed, r["full_name"])
        r["exclusion"] = _metadata_exclusion(r, protocol)
        if snapshots is not None and not r["exclusion"] and r["full_name"] not in snapshots:
            r["exclusion"] = "snapshot_pending"
    eligible = [r for r in rows if not r["exclusion"]]
    sampled = draw(eligible, protocol.sample.size, seed, protocol.sample.stratify_by)
    template = url_template or protocol.clone.url_template
    clones = work / "clones"
    tasks = []
    for r in sorted(rows, key=lambda r: r["sample_rank"]):
        r["sampled"] = r["full_name"] in sampled
        if r["sampled"]:
            tasks.append(Task(r["full_name"], url_for(template, r["full_name"]), str(clones / repo_id(r["full_name"])),
                              pinned.get(r["full_name"]), protocol.clone.timeout_seconds, protocol.clone.retries,
                              protocol.scan.max_py_bytes, protocol.scan.max_ipynb_bytes,
                              protocol.scan.timeout_per_file, str(work / "cache")))
    from miners.scan.cache import ResultCache

    ResultCache(work / "cache").close()  # created once here, before the tasks open it together
    import time

    from miners import runlog

    started = time.monotonic()
    done, restored = _run_tasks(tasks, work, jobs, scheduler, progress, committed)
    runlog.write(work / "logs", "mine", len(tasks), done, restored, time.monotonic() - started)
    records = {t.full_name: json.loads((_records_dir(work) / f"{repo_id(t.full_name)}.json").read_text())
               for t in tasks}
    if snapshots:
        for name, rec in records.items():
            snap = snapshots.get(name, {})
            if rec["clone"]["status"] != "cloned" and snap.get("status") == "unavailable" and snap.get("reason"):
                rec["clone"]["reason"] = f"no snapshot: {snap['reason']}"[:300]
    return _publish(rows, records, protocol, results, _records_dir(work),
                    str(frame) if frame else protocol.discover.frame, commit, snapshots_path)


def _publish(rows: list[dict[str, Any]], records: dict[str, dict[str, Any]], protocol: Protocol,
             results: Path, records_dir: Path, frame: str, commit: str, snapshots: str = "") -> list[dict[str, Any]]:
    by_name = {r["full_name"]: r for r in rows}
    order = {r["full_name"]: r["sample_rank"] for r in rows}
    prints: dict[str, list[str]] = {}
    for name, rec in records.items():
        row = by_name[name]
        c = rec["clone"]
        row.update(sha=c["sha"], commit_date=c["commit_date"], clone_status=c["status"],
                   clone_reason=c["reason"], files_missing=c["files_missing"] if c["status"] == "cloned" else "",
                   branches=len(c["branches"]) if c["status"] == "cloned" else "",
                   tags=len(c["tags"]) if c["status"] == "cloned" else "")
        if c["default_branch"] and not row.get("default_branch"):
            row["default_branch"] = c["default_branch"]
        if c["status"] != "cloned":
            row["exclusion"] = f"clone_{c['status']}"
            continue
        if protocol.select.exclude_empty and c["files_tracked"] == 0:
            row["exclusion"] = "empty"
        elif protocol.select.require_python and not rec.get("python_files"):
            row["exclusion"] = "no_python"
        elif protocol.select.exclude_forks and rec.get("scanned") and _holds_mlflow_source(records_dir, name):
            row["exclusion"] = "mlflow_source"
        else:
            prints[name] = rec["fingerprint"]
    family = clusters(prints, order, protocol.select.duplicate_jaccard)
    sizes = Counter(family.values())
    for name, head in family.items():
        row = by_name[name]
        row["cluster"] = head if sizes[head] > 1 else ""
        row["cluster_size"] = sizes[head]
        if head != name:
            row["exclusion"] = f"near_duplicate_of {head}"
    selected = sorted(n for n in family if not by_name[n]["exclusion"])
    for r in rows:
        r["selected"] = r["full_name"] in selected
        r["scanned"] = r["selected"] and records[r["full_name"]]["scanned"]
    results.mkdir(parents=True, exist_ok=True)
    extra = [c for c in rows[0] if c not in CORPUS_COLUMNS and c not in SELECTION_COLUMNS] if rows else []
    write_csv(results / "corpus.csv", CORPUS_COLUMNS + extra + SELECTION_COLUMNS, rows, sort_key=["full_name"])
    status_rows = [status_row(CloneResult(**rec["clone"])) for rec in records.values()]
    write_csv(results / "clone_status.csv", [c for c in STATUS_COLUMNS if c != "seconds"], status_rows, sort_key=["repo"])
    scans = (RepoScan.from_json(json.loads((records_dir / f"{repo_id(n)}.scan.json").read_text()))
             for n in sorted(selected, key=repo_id))  # one repository in memory at a time
    write_tables(scans, results)
    write_csv(results / "repo_practices.csv", PRACTICE_COLUMNS,
              [records[n]["practices"] for n in selected if records[n].get("practices")], sort_key=["repo"])
    funnel = _funnel(rows, records, selected)
    write_csv(results / "funnel.csv", FUNNEL_COLUMNS, funnel)
    _provenance(results, protocol, sorted({str(rec.get("miner_version", "")) for rec in records.values()}),
                frame, commit, snapshots)
    return funnel


#: A file of MLflow's own package: a repository whose code holds it (outside the skipped folders)
#: carries a copy of MLflow's source.
MLFLOW_SOURCE_MARKER = "mlflow/tracking/fluent.py"


def _holds_mlflow_source(records_dir: Path, name: str) -> bool:
    """The repository's code holds a copy of MLflow's own source (:data:`MLFLOW_SOURCE_MARKER`
    read, not skipped): a fork of MLflow in content, excluded with the forks (its thousands of
    MLflow call sites are MLflow's own, not a project's use of it)."""
    path = records_dir / f"{repo_id(name)}.scan.json"
    try:
        files = json.loads(path.read_text()).get("files", [])
    except (OSError, ValueError):
        return False
    return any((f.get("path") == MLFLOW_SOURCE_MARKER or f.get("path", "").endswith("/" + MLFLOW_SOURCE_MARKER))
               and f.get("status") != "skipped" for f in files)


def _provenance(results: Path, protocol: Protocol, record_versions: list[str], frame: str, commit: str,
                snapshots: str = "") -> None:
    """``results/provenance.json``: what produced the published tables (the only published
    file that carries a date; the CSVs are byte-identical across runs)."""
    import hashlib
    import platform

    def digest(path: str) -> str:
        p = Path(path)
        return hashlib.sha256(p.read_bytes()).hexdigest() if path and p.exists() else ""

    info = {
        "miner_version": MINER_VERSION,
        "miner_versions_of_task_records": record_versions,
        "pipeline_commit": commit,
        "mined_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "protocol": protocol.path, "protocol_sha256": digest(protocol.path),
        "frame": frame, "frame_sha256": digest(frame),  # the frame actually used (--frame or the protocol's)
        "snapshots": snapshots, "snapshots_sha256": digest(snapshots),
        "sample": asdict(protocol.sample), "select": asdict(protocol.select),
        "python": platform.python_version(), "git": _git_version(),
    }
    atomic_write_bytes(results / "provenance.json", (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())


def _pipeline_commit() -> str:
    """The commit of this pipeline's own repository when mining starts (``-dirty`` with
    uncommitted changes to tracked files)."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=False).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""
    return f"{sha}-dirty" if sha and dirty else sha


def _git_version() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def _reasons(counter: Counter) -> str:
    return "; ".join(f"{k}: {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _funnel(rows: list[dict[str, Any]], records: dict[str, dict[str, Any]], selected: Iterable[str]) -> list[dict[str, Any]]:
    selected = set(selected)
    n_all = len(rows)
    meta_out = Counter(r["exclusion"].split(" (")[0] for r in rows if r["exclusion"] and r["full_name"] not in records)
    n_eligible = n_all - sum(meta_out.values())
    n_sampled = len(records)
    cloned = [n for n, rec in records.items() if rec["clone"]["status"] == "cloned"]
    clone_fail = Counter(rec["clone"]["status"] for rec in records.values() if rec["clone"]["status"] != "cloned")
    by_name = {r["full_name"]: r for r in rows}
    select_out = Counter(by_name[n]["exclusion"].split(" ")[0] for n in cloned if n not in selected)
    scanned = [n for n in selected if records[n]["scanned"]]
    with_calls = [n for n in scanned if records[n].get("uses_mlflow")]
    return [
        {"step": 1, "stage": "found", "repositories": n_all, "dropped": 0, "drop_reasons": ""},
        {"step": 2, "stage": "eligible", "repositories": n_eligible, "dropped": n_all - n_eligible, "drop_reasons": _reasons(meta_out)},
        {"step": 3, "stage": "sampled", "repositories": n_sampled, "dropped": n_eligible - n_sampled,
         "drop_reasons": f"not drawn by the seeded sample: {n_eligible - n_sampled}" if n_eligible > n_sampled else ""},
        {"step": 4, "stage": "cloned", "repositories": len(cloned), "dropped": n_sampled - len(cloned), "drop_reasons": _reasons(clone_fail)},
        {"step": 5, "stage": "selected", "repositories": len(selected), "dropped": len(cloned) - len(selected), "drop_reasons": _reasons(select_out)},
        {"step": 6, "stage": "scanned", "repositories": len(scanned), "dropped": len(selected) - len(scanned), "drop_reasons": ""},
        {"step": 7, "stage": "with MLflow calls", "repositories": len(with_calls), "dropped": len(scanned) - len(with_calls),
         "drop_reasons": f"no tracking or registry call site: {len(scanned) - len(with_calls)}" if len(scanned) > len(with_calls) else ""},
    ]

