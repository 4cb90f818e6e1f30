"""The sandbox with real processes: no network, scrubbed environment, read-only system,
time limit that kills the whole process group."""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from miners.rerun import sandbox

pytestmark = pytest.mark.skipif(sandbox.available() is None, reason="no sandbox here (apt-get install bubblewrap)")


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_network_is_blocked_but_loopback_works(tmp_path):
    hits: list[str] = []

    class H(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *a: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    code = (
        "import socket, urllib.request\n"
        f"try:\n    urllib.request.urlopen('http://127.0.0.1:{port}/escaped', timeout=3)\n    print('REACHED')\n"
        "except Exception as e:\n    print('BLOCKED', type(e).__name__)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); c = socket.create_connection(s.getsockname())\n"
        "print('LOOPBACK OK')\n"
    )
    out = sandbox.run(_py(code), tmp_path, limits=sandbox.Limits(timeout=30))
    server.shutdown()
    assert "BLOCKED" in out.stdout_tail and "LOOPBACK OK" in out.stdout_tail, out
    assert hits == []  # the host's server was never reached


def test_environment_is_scrubbed_and_home_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws_secret")
    code = "import os; print(sorted(k for k in os.environ if 'SECRET' in k or 'TOKEN' in k)); print(os.environ['HOME']); print(os.environ['OMP_NUM_THREADS'])"
    out = sandbox.run(_py(code), tmp_path, limits=sandbox.Limits(timeout=30, threads=2))
    lines = out.stdout_tail.splitlines()
    assert lines[0] == "[]" and lines[1] == str((tmp_path / "home").resolve()) and lines[2] == "2"


def test_writes_outside_the_run_directory_fail(tmp_path):
    # the interpreter's own environment: host file system, read-only inside (wherever it lives)
    outside = Path(sys.prefix) / f".sandbox-escape-{time.time_ns()}.txt"
    code = f"open({str(outside)!r}, 'w').write('x')"
    out = sandbox.run(_py(code), tmp_path / "run", limits=sandbox.Limits(timeout=30))
    assert out.exit_code != 0 and not outside.exists()
    assert "Read-only file system" in out.stderr_tail or "Permission denied" in out.stderr_tail
    host_tmp = tmp_path.parent / f"tmp-escape-{time.time_ns()}.txt"  # /tmp is private to the sandbox
    sandbox.run(_py(f"open({str(host_tmp)!r}, 'w').write('x')"), tmp_path / "run2", limits=sandbox.Limits(timeout=30))
    assert not host_tmp.exists()


def test_timeout_kills_the_whole_process_group(tmp_path):
    marker = tmp_path / "child-alive"
    child = tmp_path / "child.py"
    child.write_text(f"import time\nwhile True:\n    open({str(marker)!r}, 'w').write(str(time.time()))\n    time.sleep(0.2)\n")
    code = f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(child)!r}])\ntime.sleep(60)\n"
    t0 = time.monotonic()
    out = sandbox.run(_py(code), tmp_path, limits=sandbox.Limits(timeout=2))
    assert out.timed_out and out.exit_code is None and time.monotonic() - t0 < 20
    time.sleep(0.6)
    before = marker.read_text()
    time.sleep(0.8)
    assert marker.read_text() == before  # the grandchild is dead too


def test_memory_limit(tmp_path):
    out = sandbox.run(_py("x = bytearray(3 * 1024**3)"), tmp_path, limits=sandbox.Limits(timeout=30, memory_mb=1024))
    assert out.exit_code != 0 and "MemoryError" in out.stderr_tail


def test_refuses_without_a_sandbox_unless_told(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "available", lambda: None)
    with pytest.raises(sandbox.NoSandbox, match="unsafe-no-sandbox"):
        sandbox.run(_py("print(1)"), tmp_path)
    out = sandbox.run(_py("print(1)"), tmp_path, unsafe_no_sandbox=True)
    assert out.sandbox == "none" and out.stdout_tail.strip() == "1"
