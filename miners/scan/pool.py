"""A pool of parser processes that survives crashing and hanging inputs.

Files are sent to worker processes in small batches. When a worker dies (a native parser
crash such as a segmentation fault on pathologically nested code) or exceeds its time
limit, it is replaced and every file of its batch is retried alone; a file that still
kills or stalls its worker on its own gets a ``parse_error`` result saying so. Nothing a
single file does can stop a scan.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import multiprocessing as mp
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from miners.scan.analyze import analyze
from miners.scan.records import FileResult

Task = tuple[Any, str, bytes]  # (task id, kind, content)

BATCH_FILES = 16
BATCH_BYTES = 512_000
DEPTH = 2  # batches queued per worker, so it never waits for the parent to read the next


def _worker_main(conn: Connection) -> None:
    faulthandler.disable()  # a native parser crash is expected data here, not a report
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Syntax trees are acyclic and freed by reference counting; the cyclic collector would
    # only rescan them (and every object inherited from the parent) while they are built.
    # Inherited objects are frozen out of collection; a collection runs every 64 batches.
    gc.freeze()
    gc.disable()
    batches = 0
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        conn.send([(tid, analyze(kind, data)) for tid, kind, data in batch])
        batches += 1
        if batches % 64 == 0:
            gc.collect()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    queued: deque[list[Task]] = field(default_factory=deque)  # batches sent, in order
    started: float = 0.0  # when the first queued batch started


def failure_result(kind: str, data: bytes, reason: str) -> FileResult:
    """The result of a file whose parser process crashed or timed out: ``parse_error``, its
    lines counted as newline bytes."""
    return FileResult(kind, "parse_error", reason, len(data), data.count(b"\n"), None, "libcst")


class ParserPool:
    """``jobs`` worker processes; :meth:`run` maps :func:`analyze` over tasks, unordered."""

    def __init__(self, jobs: int, timeout_per_file: float = 120.0) -> None:
        if jobs < 1:
            raise ValueError("--jobs must be at least 1")
        self.jobs = jobs
        self.timeout = timeout_per_file
        self._ctx = mp.get_context("fork")
        self._workers: list[_Worker] = []
        self.crashes = 0
        self.timeouts = 0

    def __enter__(self) -> ParserPool:
        return self  # workers start with the first task: a scan served from the cache starts none

    def _start(self) -> None:
        if not self._workers:
            _preload()
            self._workers = [self._spawn() for _ in range(self.jobs)]

    def __exit__(self, *exc: object) -> None:
        for w in self._workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
        for w in self._workers:
            w.process.join(timeout=5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
        self._workers = []

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self._workers[self._workers.index(worker)] = self._spawn()

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Any, FileResult]]:
        source = iter(tasks)
        exhausted = False
        retry: deque[list[Task]] = deque()

        def next_batch() -> list[Task] | None:
            nonlocal exhausted
            if retry:
                return retry.popleft()
            if exhausted:
                return None
            batch: list[Task] = []
            size = 0
            for task in source:
                batch.append(task)
                size += len(task[2])
                if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
                    break
            else:
                exhausted = True
            return batch or None

        while True:
            if not self._workers:
                first = next_batch()
                if first is None:
                    return
                retry.appendleft(first)
                self._start()
            for w in self._workers:
                while len(w.queued) < DEPTH:
                    batch = next_batch()
                    if batch is None:
                        break
                    if not w.queued:
                        w.started = time.monotonic()
                    w.queued.append(batch)
                    w.conn.send(batch)
            busy = [w for w in self._workers if w.queued]
            if not busy:
                return
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=1.0)
            now = time.monotonic()
            for w in busy:
                batch = w.queued[0]
                if w.conn in ready:
                    try:
                        results = w.conn.recv()
                    except (EOFError, OSError):
                        results = None
                    if results is not None:
                        w.queued.popleft()
                        w.started = now
                        yield from results
                        continue
                if w.process.sentinel in ready or not w.process.is_alive():
                    w.process.join(timeout=10)  # the exit code is known only once it is reaped
                    code = w.process.exitcode
                    later = list(w.queued)[1:]
                    self._replace_and_isolate(w, batch, retry)
                    retry.extend(later)  # batches queued behind the failing one were not run
                    yield from self._give_up(batch, _describe_exit(code), "crash")
                elif now - w.started > self.timeout * len(batch):
                    later = list(w.queued)[1:]
                    self._replace_and_isolate(w, batch, retry)
                    retry.extend(later)
                    yield from self._give_up(batch, f"parser did not finish within {self.timeout:g} s", "timeout")

    def _replace_and_isolate(self, worker: _Worker, batch: list[Task], retry: deque[list[Task]]) -> None:
        """Replace a crashed or stalled worker; every file of a batch of several is retried alone."""
        self._replace(worker)
        if len(batch) > 1:
            retry.extend([task] for task in batch)

    def _give_up(self, batch: list[Task], reason: str, what: str) -> Iterator[tuple[Any, FileResult]]:
        if len(batch) == 1:
            tid, kind, data = batch[0]
            if what == "crash":
                self.crashes += 1
            else:
                self.timeouts += 1
            yield tid, failure_result(kind, data, reason)


def _preload() -> None:
    """Import what the workers need before forking them, so each does not import it again."""
    import nbformat  # noqa: F401
    from nbformat import converter, reader  # noqa: F401

    from miners.scan.ipython import _transformer

    _transformer()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the parser process crashed on this file (killed by {name})"
    return f"the parser process exited unexpectedly on this file (exit code {code})"
