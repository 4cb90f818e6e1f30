"""Run untrusted project code in a sandbox.

Definition. A sandboxed run executes a command with:

* no network: a new network namespace (bubblewrap ``--unshare-net``, or ``unshare --net``
  when bubblewrap is missing) in which only loopback is up, so a notebook kernel can still
  talk to itself;
* a scrubbed environment: only ``PATH``, locale and the variables the harness sets are passed
  (no ``GITHUB_TOKEN``, no cloud credentials), with its own ``HOME`` and ``TMPDIR`` inside the
  run directory;
* the file system read-only except the run directory (bubblewrap: read-only bind of ``/``, a
  private ``/tmp``, a writable bind of the run directory); when the run maps absolute paths
  (:mod:`miners.rerun.checkout`), ``/`` is instead a fresh root holding a read-only bind of each
  of the host's top-level folders, so that new mount points (``/app``, ``/content``) can be
  made, each a writable bind of a folder of the run's copy;
* a wall-clock limit after which the whole process group (the sandbox's PID namespace,
  children included) is killed, an address-space limit (``RLIMIT_AS``), and thread counts of
  the numeric libraries fixed (``OMP_NUM_THREADS`` etc.) and recorded.

Without bubblewrap or unshare no sandbox exists; :func:`run` then refuses unless
``unsafe_no_sandbox`` is given.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from miners.rerun.vocab import Sandbox

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
KEEP_VARS = ("PATH", "LANG", "LC_ALL", "TZ")


class NoSandbox(RuntimeError):
    """No way to isolate the network here, and the caller did not accept running unsafely."""


@dataclass(frozen=True)
class Limits:
    timeout: float = 900.0  # seconds of wall-clock time
    memory_mb: int = 8192  # address space
    threads: int = 1


@dataclass
class Outcome:
    exit_code: int | None
    timed_out: bool
    seconds: float
    stdout_tail: str
    stderr_tail: str
    sandbox: str  # a Sandbox value


def available() -> Sandbox | None:
    """``bwrap`` or ``unshare`` when that sandbox works here, else None."""
    if shutil.which("bwrap"):
        probe = subprocess.run(["bwrap", "--unshare-net", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return Sandbox.BWRAP
    if shutil.which("unshare"):
        probe = subprocess.run(["unshare", "--net", "--map-root-user", "true"], capture_output=True, check=False)
        if probe.returncode == 0:
            return Sandbox.UNSHARE
    return None


def environment(run_dir: Path, limits: Limits, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The scrubbed environment of a sandboxed run."""
    env = {k: os.environ[k] for k in KEEP_VARS if k in os.environ}
    home = run_dir / "home"
    tmp = run_dir / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg",
               NO_PROXY="*", no_proxy="*")
    env.update({v: str(limits.threads) for v in THREAD_VARS})
    env.update(extra or {})
    return env


def visible_under_tmp() -> list[Path]:
    """Host paths under /tmp the sandboxed code needs although /tmp is private: this
    interpreter and its environment (a checkout or virtual environment may live in /tmp)."""
    import sys

    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent}
    return sorted(p for p in paths if p.is_relative_to("/tmp"))


def _root_binds() -> list[str]:
    """A read-only bind (or the symbolic link) of every top-level entry of the host's ``/``
    except ``/dev``, ``/proc`` and ``/tmp``, for a fresh root that can take new mount points."""
    out: list[str] = []
    for entry in sorted(Path("/").iterdir()):
        if entry.name in ("dev", "proc", "tmp"):
            continue
        if entry.is_symlink():
            out += ["--symlink", os.readlink(entry), str(entry)]
        elif entry.is_dir():
            out += ["--ro-bind", str(entry), str(entry)]
    return out


def command(argv: list[str], run_dir: Path, cwd: Path, kind: str, read_only: tuple[Path, ...] = (),
            binds: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """The sandboxing command line; ``read_only`` host paths stay visible (read-only) even when
    they lie under the private /tmp (a project's environment, say); ``binds`` are ``(source,
    mount point)`` pairs mounted writable (bubblewrap only: absolute-path mappings)."""
    if kind == Sandbox.BWRAP:
        extra = sorted({*visible_under_tmp(), *(Path(p).resolve() for p in read_only if Path(p).resolve().is_relative_to("/tmp"))})
        keep = [a for p in extra for a in ("--ro-bind", str(p), str(p))]
        root = _root_binds() if binds else ["--ro-bind", "/", "/"]
        mounts = [a for src, dest in binds for a in ("--bind", src, dest)]
        return ["bwrap", "--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session",
                *root, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", *keep,
                "--bind", str(run_dir), str(run_dir), *mounts, "--chdir", str(cwd), *argv]
    if kind == Sandbox.UNSHARE:
        return ["unshare", "--net", "--map-root-user", "--pid", "--fork", "--kill-child", "sh", "-c",
                'ip link set lo up 2>/dev/null; cd "$0" && exec "$@"', str(cwd), *argv]
    return argv


def run(argv: list[str], run_dir: Path, cwd: Path | None = None, limits: Limits = Limits(),
        extra_env: dict[str, str] | None = None, unsafe_no_sandbox: bool = False, tail: int = 4000,
        read_only: tuple[Path, ...] = (), binds: tuple[tuple[str, str], ...] = ()) -> Outcome:
    """Run ``argv`` sandboxed in ``run_dir`` (writable); ``cwd`` must lie inside it."""
    run_dir = Path(run_dir).resolve()
    cwd = Path(cwd or run_dir).resolve()
    kind = available()
    if kind is None and not unsafe_no_sandbox:
        raise NoSandbox("no sandbox is available (install bubblewrap: apt-get install bubblewrap); "
                        "pass --unsafe-no-sandbox to run untrusted code without one")
    env = environment(run_dir, limits, extra_env)
    cmd = command(argv, run_dir, cwd, kind or Sandbox.NONE, read_only, binds)
    memory = limits.memory_mb * 1024 * 1024

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    out_path, err_path = run_dir / "stdout.txt", run_dir / "stderr.txt"
    started = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                start_new_session=True, preexec_fn=limit)
        timed_out = False
        try:
            code: int | None = proc.wait(timeout=limits.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: the sandbox and every child
            proc.wait()
            code = None
    seconds = time.monotonic() - started
    return Outcome(code, timed_out, round(seconds, 3), _tail(out_path, tail), _tail(err_path, tail), kind or Sandbox.NONE)


def _tail(path: Path, n: int) -> str:
    data = path.read_bytes()
    return data[-n:].decode("utf-8", "replace")
