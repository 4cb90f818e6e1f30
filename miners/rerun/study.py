"""The reproducibility study at scale: the census's projects in a seeded order, probed, then
repeated, in chunks that resume from committed records (``make rerun``).

Definitions.

* **Queue** (:func:`queue`): the union of two strata of the census, in rank order
  (``sha256("<seed>:<owner/name>")``, :func:`miners.corpus.sample.rank`):

  - the **main sample**: the seeded rerun order (:func:`miners.rerun.sampling.order`): the
    eligible projects (scanned, use MLflow, log metrics or turn on autolog) with one
    representative per template family;
  - the **originals stratum**: every scanned project that uses MLflow and whose committed
    ``mlruns/`` holds parameters and metrics (``repo_practices.csv``: ``mlruns_params`` > 0 and
    ``mlruns_metrics`` > 0), so that its reruns can be compared with its authors' runs.

  A project in both is attempted once and counted in both (``picked_by`` ``sample``,
  ``originals`` or ``sample_and_originals``). The two are reported apart, never pooled.
* **Probe, then repeat** (:data:`PLAN`): a project's first run is run 1 of ``as_written`` (with
  the harness's recipe probing, :mod:`miners.rerun.probe`). A project whose probe logs metrics
  (:data:`~miners.rerun.vocab.METRIC_STATUSES`) gets ``runs`` runs in each of ``as_written``,
  ``seeds_forced`` and ``latest_env`` (the probe is run 1 of ``as_written``). A project whose probe
  fails because of its environment (:data:`ENV_FAILURES`) gets one ``latest_env`` run, which says
  whether the packages of the fixed recent date make it run; any other failing probe gets no
  further run (a failure that repeats is not re-run).
* **Attempted**: a project with a committed record. **Pending**: a queued project without one
  (its mirror may be missing on this machine: it is skipped, not recorded, and listed by
  ``rerun-mirrors``). Every queued project was cloned by the census, so a clone that fails in a
  chunk is the machine's failure, not the project's: it is logged and the project stays pending.
  So does a project whose record shows the machine ran out of disk (:func:`machine_failure`:
  "No space left on device" in any of its rows, environments or errors): that failure is this
  machine's, and the project is attempted again by a later chunk.
* **Disk guard**: before a project starts, if the free space of the work folder's disk is below
  ``--min-free-gb`` (default 15 GB), the chunk lets the running projects finish, empties the
  package cache (``--cache``, which grows by gigabytes per environment as of a date) and goes
  on; if the space is still below the limit, it stops (``stopping: ... GB free``).
* **Judged** (the stop rule's count): a main-sample project whose ``as_written`` and
  ``seeds_forced`` runs both have a verdict other than ``not_judged``
  (:func:`miners.rerun.variance.verdicts`).
* **Committed record** (``results/records/rerun/<owner__name>.json.gz``,
  :class:`miners.committed.CommittedRecords`): everything the harness recorded of one project
  (its clone's status, the run records, the recipes and probes, the checkout facts, the
  committed originals, the environments' records with their locks) and the harness version
  that made it; never a file of the project. It is written when the project's last run ends; a
  later ``make rerun`` on any machine restores it into the work folder and publishes from it,
  so a partial study publishes consistent CSVs.
* **Cutoff** (the stop rule, exactly): the main sample is a prefix of the queue. Its cutoff is
  the queue position of the ``target_judged``-th judged main-sample project, counted in queue
  order (:func:`main_cutoff`; none while fewer are judged). A chunk starts no ``sample``
  project queued after the cutoff but still attempts the pending ones before it, whatever
  finished first; a ``sample_and_originals`` project after the cutoff is attempted and published
  as ``originals``, and a ``sample`` one that a parallel job had already started as
  ``after_stop`` (in neither stratum, :func:`published_picked_by`). So the main sample never
  gains the projects that happened to finish while the target was being reached.
* **Chunk**: one invocation. ``--max-hours`` starts no project after that many hours (a project
  boundary); ``--target-judged`` sets the cutoff's target (above: no ``sample`` project
  queued after the cutoff starts; originals-stratum projects still run). ``--scheduler
  tcp://HOST:PORT`` runs the projects on a Dask cluster, each worker in its own work folder
  (sandbox, package cache); the records it returns are the same as a local run's.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from miners.committed import CommittedRecords
from miners.corpus.sample import rank
from miners.csvio import read_csv
from miners.rerun import sandbox
from miners.rerun.config import Config
from miners.rerun.records import RunRecord, record_path, write_json
from miners.rerun.sampling import Project, eligible, order
from miners.rerun.vocab import METRIC_STATUSES, PickedBy, RunStatus, Verdict
from miners.schema.ids import repo_id

STAGE = "rerun"
#: What the machine's own trouble leaves in a record (a full disk), never the project's.
MACHINE_FAILURE = re.compile(r"No space left on device|os error 28|\[Errno 28\]|Disk quota exceeded")
GB = 1024 ** 3
MAIN = ("as_written", "seeds_forced")
ALL = ("as_written", "seeds_forced", "latest_env")
#: Probe failures caused by the environment: the project then gets one latest_env run.
ENV_FAILURES = frozenset({RunStatus.INSTALL_FAILED, RunStatus.MISSING_MODULE, RunStatus.VERSION_CONFLICT,
                          RunStatus.IMPORT_ERROR})
PLAN = ("probe: as_written run 1 (recipe probing); metrics logged -> runs 1..k of as_written, "
        "seeds_forced and latest_env; environment failure -> latest_env run 1; other failure -> nothing more")


@dataclass(frozen=True)
class Queued:
    """One queued project: ``position`` in the queue (1-based), its corpus facts and stratum."""

    position: int
    full_name: str
    commit: str
    commit_date: str
    rank: str
    stratum: str
    family: str
    picked_by: str

    @property
    def repo(self) -> str:
        return repo_id(self.full_name)


def originals_stratum(corpus: Path, features: Path, practices: Path) -> set[str]:
    """Names of the scanned projects that use MLflow and commit runs with params and metrics."""
    uses = {r["full_name"] for r in read_csv(features) if r.get("uses_mlflow") == "true"}
    scanned = {r["full_name"] for r in read_csv(corpus) if r.get("scanned") == "true"}
    return {r["full_name"] for r in read_csv(practices)
            if int(r.get("mlruns_params") or 0) > 0 and int(r.get("mlruns_metrics") or 0) > 0} & uses & scanned


def queue(corpus: Path, features: Path, practices: Path, seed: int) -> list[Queued]:
    """The study's queue (module docstring), in rank order."""
    main = {r["full_name"]: r for r in order(corpus, features, seed)}
    orig = originals_stratum(corpus, features, practices)
    rows, corpus_rows = eligible(corpus, features)
    strata = {r["full_name"]: r["stratum"] for r in rows}
    out = []
    for i, name in enumerate(sorted(set(main) | orig, key=lambda n: rank(seed, n)), 1):
        c = corpus_rows[name]
        picked = (PickedBy.SAMPLE_AND_ORIGINALS if name in main and name in orig
                  else PickedBy.SAMPLE if name in main else PickedBy.ORIGINALS)
        out.append(Queued(i, name, c.get("sha", ""), c.get("commit_date", ""), rank(seed, name),
                          strata.get(name, ""), main.get(name, {}).get("family", ""), picked))
    return out


def in_main(q: Queued | Project) -> bool:
    return q.picked_by in (PickedBy.SAMPLE, PickedBy.SAMPLE_AND_ORIGINALS)


def main_cutoff(judged_positions: set[int] | list[int], target: int) -> int | None:
    """The main sample's cutoff (module docstring): the queue position of the ``target``-th
    judged main-sample project in queue order, or None while fewer than ``target`` are judged."""
    ranked = sorted(judged_positions)
    return ranked[target - 1] if target > 0 and len(ranked) >= target else None


def published_picked_by(q: Queued, cutoff: int | None) -> str:
    """A project's ``picked_by`` in the published sample: its queue stratum, except that a main
    draw queued after the cutoff leaves the main sample (``originals`` or ``after_stop``)."""
    if cutoff is None or q.position <= cutoff or not in_main(q):
        return str(q.picked_by)
    return PickedBy.ORIGINALS if q.picked_by == PickedBy.SAMPLE_AND_ORIGINALS else PickedBy.AFTER_STOP


# --- one project ---------------------------------------------------------------------------


def _pack(work: Path, repo: str, clone: dict[str, Any], harness: str) -> dict[str, Any]:
    """The committed record of one project from its work folder."""
    rec_dir = work / "records" / repo
    files = {p.name: json.loads(p.read_text()) for p in sorted(rec_dir.glob("*.json"))} if rec_dir.is_dir() else {}
    envs = {}
    env_root = work / "envs" / repo
    for env_file in sorted(env_root.glob("*/env.json")) if env_root.is_dir() else []:
        data = json.loads(env_file.read_text())
        data.pop("venv", None)  # a path of the machine that built it
        envs[env_file.parent.name] = data
    return {"repo": repo, "clone": clone, "records": files, "envs": envs, "harness": harness, "plan": PLAN}


def restore(work: Path, record: dict[str, Any]) -> None:
    """Write a committed record's files into the work folder (those already there are kept)."""
    repo = record["repo"]
    for name, data in record.get("records", {}).items():
        path = work / "records" / repo / name
        if not path.exists():
            write_json(path, data)
    for key, data in record.get("envs", {}).items():
        path = work / "envs" / repo / key / "env.json"
        if not path.exists():
            write_json(path, data)


def _clean(work: Path, repo: str) -> None:
    """Remove what a finished project left that is not a record: clone, checkout, runs, venvs."""
    for folder in (work / "clones" / repo, work / "checkouts" / repo, work / "runs" / repo):
        shutil.rmtree(folder, ignore_errors=True)
    env_root = work / "envs" / repo
    for child in env_root.glob("*/*") if env_root.is_dir() else []:
        if child.name != "env.json":
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)


def forget(work: Path, repo: str) -> None:
    """Remove everything of a project from the work folder, its run and environment records too:
    a pending project is attempted from scratch, never from what an interrupted or failed
    attempt left (an environment recorded as failed would otherwise be reused)."""
    for folder in ("clones", "checkouts", "runs", "records", "envs"):
        shutil.rmtree(work / folder / repo, ignore_errors=True)


def _status(work: Path, repo: str, condition: str, k: int) -> str:
    path = record_path(work, repo, condition, k)
    return RunRecord.load(path).row["status"] if path.exists() else ""


def run_one(q: Queued, cfg: Config, url: str, harness: str) -> dict[str, Any]:
    """Clone, probe and repeat one project in ``cfg.work`` (module docstring); returns its
    committed record. Never raises for the project's own trouble: a failure is its record."""
    from miners.corpus.clone import clone_repo
    from miners.rerun.harness import run_project

    forget(cfg.work, q.repo)
    clone_dir = cfg.work / "clones" / q.repo
    started = time.monotonic()
    result = clone_repo(q.full_name, url, clone_dir, q.commit or None)
    clone = {"status": result.status, "reason": result.reason[:500], "seconds": round(time.monotonic() - started, 3)}
    if result.status not in ("cloned", "reused"):
        return _pack(cfg.work, q.repo, clone, harness)
    project = Project(q.repo, clone_dir, q.full_name, q.commit, q.stratum, q.rank, q.picked_by, {}, q.commit_date)
    try:
        run_project(project, replace(cfg, conditions=("as_written",), runs=1))
        probe = _status(cfg.work, q.repo, "as_written", 1)
        if probe in METRIC_STATUSES:
            run_project(project, replace(cfg, conditions=ALL))
        elif probe in ENV_FAILURES:
            run_project(project, replace(cfg, conditions=("latest_env",), runs=1))
    except Exception as exc:  # the harness itself failed on this project: that is data too
        clone["harness_error"] = f"{type(exc).__name__}: {exc}"[:500]
    record = _pack(cfg.work, q.repo, clone, harness)
    _clean(cfg.work, q.repo)
    return record


def machine_failure(record: dict[str, Any]) -> str:
    """The first sign in a project's record that the machine failed it (:data:`MACHINE_FAILURE`),
    with some context, else ''."""
    text = json.dumps(record)
    m = MACHINE_FAILURE.search(text)
    return text[max(m.start() - 120, 0): m.end()].replace("\\n", " ") if m else ""


def free_gb(path: Path) -> float:
    """Free space, in GB (2**30 bytes), of the disk that holds ``path`` (or its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free / GB


def make_room(cfg: Config, min_free_gb: float, log: Callable[[str], None]) -> bool:
    """The disk guard (module docstring), with no project running: empty the package cache when
    the work folder's disk has less than ``min_free_gb`` free; whether there is room now."""
    before = free_gb(cfg.work)
    if before >= min_free_gb:
        return True
    if cfg.cache is not None and Path(cfg.cache).exists():
        shutil.rmtree(cfg.cache, ignore_errors=True)
    after = free_gb(cfg.work)
    log(f"disk: {before:.1f} GB free, below {min_free_gb:g} GB; package cache emptied: {after:.1f} GB free")
    return after >= min_free_gb


def _worker_run(q: Queued, cfg_fields: dict[str, Any], url: str, harness: str) -> dict[str, Any]:
    """Run one project on a Dask worker: its own work folder and package cache below the given
    work folder (``worker-<pid>``), so that workers never share a sandbox or a cache."""
    import os

    base = Path(cfg_fields["work"])
    own = base / f"worker-{os.uname().nodename}-{os.getpid()}"
    cfg_fields = dict(cfg_fields)
    min_free_gb = cfg_fields.pop("min_free_gb", 0.0)
    cfg = Config(**{**cfg_fields, "work": own, "cache": own / "cache",
                    "wheels": Path(cfg_fields["wheels"]) if cfg_fields.get("wheels") else None,
                    "python_env": Path(cfg_fields["python_env"]) if cfg_fields.get("python_env") else None})
    if min_free_gb:  # the worker's own cache, emptied between its projects (one thread per worker)
        make_room(cfg, min_free_gb, lambda s: print(s, file=sys.stderr, flush=True))
    return run_one(q, cfg, url, harness)


# --- the chunk -----------------------------------------------------------------------------


def judged(work: Path, repo: str, runs: int) -> bool:
    """Whether a project's as_written and seeds_forced runs both have a verdict (module docstring)."""
    from miners.rerun import variance

    rows, metrics = [], []
    for c in MAIN:
        for k in range(1, runs + 1):
            path = record_path(work, repo, c, k)
            if path.exists():
                rec = RunRecord.load(path)
                rows.append(dict(rec.row))
                metrics += [{"repo": repo, "condition": c, "run": k, "key": key, "step": s, "value": v, "is_last": last}
                            for key, values in rec.metrics.items() for s, v, last in values]
    if not rows:
        return False
    var_rows = variance.variance(rows, metrics, {})
    verdicts = variance.verdicts(rows, var_rows, {repo: {}}, list(MAIN))
    return all(v["verdict"] != Verdict.NOT_JUDGED for v in verdicts) and len(verdicts) == len(MAIN)


@dataclass
class Progress:
    """What a chunk has done so far, for its progress lines and its stop rules."""

    attempted: int
    judged_at: set[int]  # queue positions of the judged main-sample projects (the cutoff's input)
    target: int
    started: float
    done_now: int = 0
    pending_here: int = 0

    @property
    def judged(self) -> int:
        return len(self.judged_at)

    @property
    def cutoff(self) -> int | None:
        return main_cutoff(self.judged_at, self.target)

    def line(self, q: Queued, status: str, remaining: int) -> str:
        elapsed = time.monotonic() - self.started
        per = elapsed / self.done_now if self.done_now else 0.0
        rate = self.judged / self.attempted if self.attempted else 0.0
        need = max(self.target - self.judged, 0)
        left = (need / rate if rate else remaining) if need else 0
        eta = per * min(left, remaining) / 3600
        return (f"[{self.attempted} attempted, {self.judged}/{self.target} judged] #{q.position} {q.full_name}: "
                f"{status}; {per / 60:.1f} min/project this chunk, about {eta:.1f} h left")


def _summary(record: dict[str, Any]) -> str:
    probe = record.get("records", {}).get("as_written-1.json", {}).get("row", {})
    if record["clone"]["status"] not in ("cloned", "reused"):
        return f"clone {record['clone']['status']}"
    runs = sum(1 for name in record.get("records", {}) if name.split("-")[0] in ALL)
    return f"probe {probe.get('status', 'none')}, {runs} run(s)"


def chunk(items: list[Queued], cfg: Config, out_records: Path, url_of: Callable[[str], str], *,
          harness: str, max_hours: float = 0.0, target_judged: int = 150, scheduler: str | None = None,
          available: Callable[[str], bool] = lambda _n: True, log: Callable[[str], None] | None = None,
          min_free_gb: float = 15.0) -> Progress:
    """Attempt the queue's pending projects in order until a stop rule holds (module docstring);
    each finished project's committed record is saved under ``out_records`` at once."""
    log = log or (lambda s: print(s, file=sys.stderr, flush=True))
    store = CommittedRecords(out_records, STAGE)
    done = set(store.ids())
    for rid in done:
        rec = store.load(rid)
        if rec:
            restore(cfg.work, rec)
    progress = Progress(len(done), {q.position for q in items if q.repo in done and in_main(q)
                                    and judged(cfg.work, q.repo, cfg.runs)}, target_judged, time.monotonic())
    deadline = time.monotonic() + max_hours * 3600 if max_hours else float("inf")

    room = {"ok": True}

    def todo() -> Iterator[Queued]:
        for q in items:
            if q.repo in done:
                continue
            if time.monotonic() >= deadline:
                log(f"stopping: --max-hours {max_hours} reached (at a project boundary)")
                return
            if not room["ok"]:
                log(f"stopping: {free_gb(cfg.work):.1f} GB free on the work folder's disk, below --min-free-gb "
                    f"{min_free_gb:g} even with the package cache emptied (free some space and run again)")
                return
            cutoff = progress.cutoff
            if cutoff is not None and q.position > cutoff and q.picked_by == PickedBy.SAMPLE:
                continue
            if not available(q.full_name):
                continue
            yield q

    def finish(q: Queued, record: dict[str, Any]) -> None:
        if record["clone"]["status"] not in ("cloned", "reused"):
            # every census project was cloned once: a failure here is this machine's (a mirror
            # absent, no network), not the project's, so it stays pending for a later chunk
            progress.pending_here += 1
            log(f"#{q.position} {q.full_name}: not cloned here ({record['clone']['status']}: "
                f"{record['clone']['reason'][:200]}); left pending")
            return
        trouble = machine_failure(record)
        if trouble:
            progress.pending_here += 1
            log(f"#{q.position} {q.full_name}: the machine failed it (...{trouble[-200:]}); not recorded, left pending")
            forget(cfg.work, q.repo)
            return
        restore(cfg.work, record)
        store.save(q.repo, record)
        done.add(q.repo)
        progress.attempted += 1
        progress.done_now += 1
        if in_main(q) and judged(cfg.work, q.repo, cfg.runs):
            progress.judged_at.add(q.position)
        remaining = sum(1 for x in items if x.repo not in done)
        log(progress.line(q, _summary(record), remaining))

    if sandbox.available() is None and not cfg.unsafe_no_sandbox:
        raise sandbox.NoSandbox("no sandbox is available (install bubblewrap: apt-get install bubblewrap); "
                                "pass --unsafe-no-sandbox to run untrusted code without one")
    cfg.work.mkdir(parents=True, exist_ok=True)
    def low() -> bool:
        return bool(min_free_gb) and free_gb(cfg.work) < min_free_gb

    if scheduler:
        _on_cluster(todo(), cfg, url_of, harness, scheduler, finish, min_free_gb)
    elif cfg.jobs <= 1:
        if low():
            room["ok"] = make_room(cfg, min_free_gb, log)
        for q in todo():
            finish(q, run_one(q, cfg, url_of(q.full_name), harness))
            if low():
                room["ok"] = make_room(cfg, min_free_gb, log)
    else:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        with ThreadPoolExecutor(cfg.jobs) as pool:
            it = todo()
            running = {}

            def fill() -> None:
                while len(running) < cfg.jobs:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    running[pool.submit(run_one, nxt, cfg, url_of(nxt.full_name), harness)] = nxt

            if low():
                room["ok"] = make_room(cfg, min_free_gb, log)
            fill()
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for f in finished:
                    finish(running.pop(f), f.result())
                if low():  # the cache is shared: empty it only once the running projects are done
                    for f in list(running):
                        finish(running.pop(f), f.result())
                    room["ok"] = make_room(cfg, min_free_gb, log)
                fill()
    return progress


def _on_cluster(items: Iterator[Queued], cfg: Config, url_of: Callable[[str], str], harness: str, scheduler: str,
                finish: Callable[[Queued, dict[str, Any]], None], min_free_gb: float = 0.0) -> None:
    """Run the projects on the Dask cluster at ``scheduler``, a bounded window at a time (so the
    stop rules are checked between projects); the client saves each record as it arrives."""
    from distributed import Client, as_completed

    fields = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()}
    fields["min_free_gb"] = min_free_gb
    with Client(scheduler) as client:
        window = max(sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()), 1)
        futures = {}
        for q in items:
            futures[client.submit(_worker_run, q, fields, url_of(q.full_name), harness, key=f"rerun-{q.repo}",
                                  pure=False)] = q
            if len(futures) >= window:
                break
        pool = as_completed(list(futures))
        for f in pool:
            q = futures.pop(f)
            finish(q, f.result())
            nxt = next(items, None)
            if nxt is not None:
                new = client.submit(_worker_run, nxt, fields, url_of(nxt.full_name), harness, key=f"rerun-{nxt.repo}",
                                    pure=False)
                futures[new] = nxt
                pool.add(new)


def attempted_projects(items: list[Queued], work: Path, out_records: Path) -> list[Project]:
    """The attempted projects (those with a committed record), restored into ``work``, in queue
    order, as the publisher's projects."""
    store = CommittedRecords(out_records, STAGE)
    out = []
    for q in items:
        rec = store.load(q.repo)
        if rec is None:
            continue
        restore(work, rec)
        out.append(Project(q.repo, work / "clones" / q.repo, q.full_name, q.commit, q.stratum, q.rank, q.picked_by,
                           {}, q.commit_date))
    return out


def pending(items: list[Queued], out_records: Path) -> list[Queued]:
    """The queued projects without a committed record, in queue order."""
    done = set(CommittedRecords(out_records, STAGE).ids())
    return [q for q in items if q.repo not in done]
