"""A pool of parser processes that survives crashing and hanging inputs.

Files are sent to worker processes in small batches; a worker returns each file's result as
soon as it has it, so the pool always knows which file a worker is on and since when.

Definitions. A file's *deadline* is ``min(cap, FLOOR_SECONDS + size / BYTES_PER_SECOND)``
seconds of one worker's time, counted from the moment the worker starts that file (the
previous file's result, or the batch's dispatch), whatever batch it is in: 15 s plus 1 s per
50 kB, and never more than the protocol's ``[scan] timeout_per_file`` (the cap). A bare libcst
parse runs at about 8 MB/s here, so the deadline is several hundred times a normal file's
parse time. A worker past its file's deadline is killed and replaced; that file gets a
``parse_error`` result ("did not finish within ... s") and the files queued behind it go on
in a fresh worker. A worker that dies (a native parser crash such as a segmentation fault on
pathologically nested code) is replaced the same way; the file it was on is retried alone
once, in case the crash came from an earlier file, and gets a ``parse_error`` result if it
kills its worker again. Nothing a single file does can stop a scan or hold other files.
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
#: A file's deadline: FLOOR_SECONDS plus its size over BYTES_PER_SECOND, capped by the protocol.
FLOOR_SECONDS = 15.0
BYTES_PER_SECOND = 50_000


def deadline(size: int, cap: float) -> float:
    """Seconds a worker may spend on one file of ``size`` bytes (see the module docstring)."""
    return min(cap, FLOOR_SECONDS + size / BYTES_PER_SECOND)


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
        for tid, kind, data in batch:  # one message per file: the parent knows where it is
            conn.send((tid, analyze(kind, data)))
        batches += 1
        if batches % 64 == 0:
            gc.collect()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    queued: deque[list[Task]] = field(default_factory=deque)  # batches sent, in order
    done: int = 0  # results received of the first queued batch
    started: float = 0.0  # when the worker started its current file
    alone: bool = False  # the first queued batch is one file retried alone after a crash

    def current(self) -> Task:
        return self.queued[0][self.done]

    def unfinished(self) -> list[list[Task]]:
        """The batches it was given, less the files it finished, the current one included."""
        return [self.queued[0][self.done:], *list(self.queued)[1:]]


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

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Any, FileResult]]:
        source = iter(tasks)
        exhausted = False
        retry: deque[tuple[list[Task], bool]] = deque()  # (batch, a file retried alone)

        def next_batch() -> tuple[list[Task], bool] | None:
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
            return (batch, False) if batch else None

        while True:
            if not self._workers:
                first = next_batch()
                if first is None:
                    return
                retry.appendleft(first)
                self._start()
            for w in self._workers:
                while len(w.queued) < DEPTH and not w.alone:
                    item = next_batch()
                    if item is None:
                        break
                    batch, alone = item
                    if alone and w.queued:  # a file retried alone waits for an idle worker
                        retry.appendleft(item)
                        break
                    if not w.queued:
                        w.started, w.done, w.alone = time.monotonic(), 0, alone
                    w.queued.append(batch)
                    w.conn.send(batch)
            busy = [w for w in self._workers if w.queued]
            if not busy:
                return
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
            now = time.monotonic()
            for w in busy:
                if w.conn in ready:
                    got = self._receive(w, now)
                    if got is not None:
                        yield from got
                        continue
                tid, kind, data = w.current()
                if w.process.sentinel in ready or not w.process.is_alive():
                    w.process.join(timeout=10)  # the exit code is known only once it is reaped
                    reason = _describe_exit(w.process.exitcode)
                    alone, rest = w.alone, self._replace(w)
                    if alone:
                        self.crashes += 1
                        yield tid, failure_result(kind, data, reason)
                    else:  # retry the file alone: the crash may have come from an earlier file
                        retry.appendleft(([rest[0][0]], True))
                    retry.extend((b, False) for b in [rest[0][1:], *rest[1:]] if b)
                elif now - w.started > (limit := deadline(len(data), self.timeout)):
                    rest = self._replace(w)
                    self.timeouts += 1
                    yield tid, failure_result(kind, data, f"parser did not finish within {limit:.0f} s "
                                                          f"(the deadline of a {len(data):,}-byte file)")
                    retry.extend((b, False) for b in [rest[0][1:], *rest[1:]] if b)

    def _receive(self, w: _Worker, now: float) -> list[tuple[Any, FileResult]] | None:
        """Every result waiting on ``w``'s pipe (None when the pipe broke: the worker died)."""
        out = []
        try:
            while w.conn.poll():
                out.append(w.conn.recv())
                w.done += 1
                w.started = now
                if w.done == len(w.queued[0]):
                    w.queued.popleft()
                    w.done, w.alone = 0, False
                if not w.queued:
                    break
        except (EOFError, OSError):
            return out or None
        return out

    def _replace(self, worker: _Worker) -> list[list[Task]]:
        """Kill and replace a crashed or stalled worker; returns what it had not finished."""
        rest = worker.unfinished()
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self._workers[self._workers.index(worker)] = self._spawn()
        return rest


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
