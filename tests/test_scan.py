"""The scanner end to end on real files and real git repositories made in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from miners import UsageError
from miners.csvio import read_csv
from miners.scan.files import Limits
from miners.scan.tables import scan
from tests.conftest import ROOT, git, notebook_json

BAD_FILES: dict[str, str | bytes] = {
    "ok.py": "import mlflow\nmlflow.log_metric('ok', 1)\n",
    "syntax.py": "import mlflow\ndef f(:\n    mlflow.log_param('a', 1)\n",
    "py2.py": "import mlflow\nprint 'hello'\nmlflow.log_param('a', 1)\n",
    "latin1_declared.py": "# -*- coding: latin-1 -*-\nimport mlflow\nmlflow.set_tag('name', 'Jos\xe9')\n".encode("latin-1"),
    "undecodable.py": b"import mlflow\nx = '\xff\xfe'\n",
    "binary.py": b"\x7fELF\x00\x00\x01\x02",
    "big_generated.py": "import mlflow\n" + "x = 1\n" * 40_000,
    "crash.py": "import mlflow\nx = " + "(" * 6000 + "1" + ")" * 6000 + "\n",
    "deep.py": "import mlflow\nx = " + "[" * 900 + "mlflow.log_param('deep', 1)" + "]" * 900 + "\n",
    "broken.ipynb": '{"cells": [',
    "old.ipynb": json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "import mlflow\nmlflow.log_param('v3', 1)", "outputs": [], "language": "python"}]}]}),
    "nb.ipynb": notebook_json(("markdown", "import mlflow"), ("code", "import mlflow\nmlflow.log_param('nb', 1)"),
                              ("code", "def broken(:")),
    "venv/lib/python3.11/site-packages/mlflow/x.py": "import mlflow\nmlflow.log_param('vendored', 1)\n",
    "build/lib/pkg/mod.py": "import mlflow\n",
}


def _scan(tmp_path: Path, repos: list[Path], **kw) -> dict[str, list[dict[str, str]]]:
    out = tmp_path / kw.pop("out_name", "out")
    scan(repos, out, progress=False, **kw)
    return {n: read_csv(out / f"{n}.csv") for n in ("call_sites", "files", "repo_features", "skipped_folders")}


@pytest.fixture
def bad_repo(make_git_repo, tmp_path):
    repo = make_git_repo("owner__bad", BAD_FILES)
    # a tracked file whose blob is missing from the work tree (partial clone / sparse checkout)
    (repo / "missing.py").write_text("import mlflow\n")
    git(repo, "add", "missing.py")
    git(repo, "commit", "-q", "-m", "add")
    (repo / "missing.py").unlink()
    # symlinks: a loop, one escaping the repository, one pointing inside
    (tmp_path / "outside.py").write_text("import mlflow\nmlflow.log_param('outside', 1)\n")
    os.symlink("loop_b.py", repo / "loop_a.py")
    os.symlink("loop_a.py", repo / "loop_b.py")
    os.symlink(str(tmp_path / "outside.py"), repo / "escape.py")
    os.symlink("ok.py", repo / "alias.py")
    (repo / "untracked.py").write_text("import mlflow\nmlflow.log_param('untracked', 1)\n")
    git(repo, "add", "loop_a.py", "loop_b.py", "escape.py", "alias.py")
    git(repo, "commit", "-q", "-m", "links")
    return repo


def test_bad_input_never_stops_a_scan(bad_repo, tmp_path):
    tables = _scan(tmp_path, [bad_repo], limits=Limits(max_py_bytes=100_000), timeout_per_file=60)
    files = {f["path"]: f for f in tables["files"]}
    expect = {
        "ok.py": ("parsed", ""),
        "syntax.py": ("parse_error", "syntax error"),
        "py2.py": ("parse_error", "looks like Python 2"),
        "latin1_declared.py": ("parsed", ""),
        "undecodable.py": ("unreadable", "not decodable as utf-8"),
        "binary.py": ("unreadable", "binary content"),
        "big_generated.py": ("skipped", "larger than the size cap"),
        "crash.py": ("parse_error", "parser process crashed"),
        "deep.py": ("parse_error", "nested too deeply"),
        "broken.ipynb": ("parse_error", "invalid notebook JSON"),
        "old.ipynb": ("parsed", ""),
        "nb.ipynb": ("parsed", "1 of 2 code cells did not parse"),
        "missing.py": ("unreadable", "missing from the work tree"),
        "loop_a.py": ("unreadable", "symlink loop"),
        "escape.py": ("skipped", "outside the repository"),
        "alias.py": ("skipped", "symlink to ok.py"),
    }
    for path, (status, reason) in expect.items():
        assert files[path]["status"] == status, (path, files[path])
        assert reason in files[path]["reason"], (path, files[path]["reason"])
    # files skipped for their folder are counted per folder, not listed one by one
    assert not any(p.startswith(("venv/", "build/")) for p in files)
    assert [(f["folder"], f["what"], f["py_files"], f["ipynb_files"]) for f in tables["skipped_folders"]] == [
        ("build", "build output", "1", "0"), ("venv", "a virtual environment", "1", "0")]
    assert "untracked.py" not in files  # a git checkout: tracked files only
    sites = {(s["path"], s["api"], s["detail"]) for s in tables["call_sites"]}
    assert ("old.ipynb", "mlflow.log_param", "kind=param;key=v3") in sites
    assert ("nb.ipynb", "mlflow.log_param", "kind=param;key=nb") in sites
    assert ("latin1_declared.py", "mlflow.set_tag", "kind=tag;key=name") in sites
    assert not any(p.startswith("venv/") or p == "escape.py" for p, _, _ in sites)
    feats = tables["repo_features"][0]
    assert feats["files_parse_error"] == "5" and feats["files_unreadable"] == "5"


def test_missing_repository_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        scan([tmp_path / "nope"], tmp_path / "out", progress=False)
    proc = subprocess.run([sys.executable, "-m", "miners", "scan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "repository directory does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def _bytes(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in ("call_sites.csv", "files.csv", "repo_features.csv")}


def test_deterministic_parallel_and_cached_runs_are_byte_identical(tmp_path):
    repos = sorted((ROOT / "study" / "sample-corpus").iterdir())
    scan(repos, tmp_path / "a", jobs=1, progress=False)
    scan(repos, tmp_path / "b", jobs=2, progress=False)
    cache = tmp_path / "cache"
    cold = scan(repos, tmp_path / "c", jobs=2, cache_dir=cache, progress=False)
    warm = scan(list(reversed(repos)), tmp_path / "d", jobs=2, cache_dir=cache, progress=False)
    a = _bytes(tmp_path / "a")
    assert a == _bytes(tmp_path / "b") == _bytes(tmp_path / "c") == _bytes(tmp_path / "d")
    assert cold.cache_hits == 0
    assert warm.cache_hits == sum(1 for r in read_csv(tmp_path / "a" / "files.csv") if r["sha256"])
    assert not list((tmp_path / "a").glob(".*"))  # no temporary files left behind


def test_changed_file_is_rescanned_not_served_from_cache(make_git_repo, tmp_path):
    repo = make_git_repo("o__r", {"t.py": "import mlflow\nmlflow.log_param('a', 1)\n"})
    cache = tmp_path / "cache"
    first = _scan(tmp_path, [repo], cache_dir=cache, out_name="1")
    (repo / "t.py").write_text("import mlflow\nmlflow.log_metric('b', 1)\n")
    second = _scan(tmp_path, [repo], cache_dir=cache, out_name="2")
    assert [s["api"] for s in first["call_sites"]] == ["mlflow.log_param"]
    assert [s["api"] for s in second["call_sites"]] == ["mlflow.log_metric"]


def test_plain_folder_is_walked_and_ids_map_to_full_names(tmp_path):
    repo = tmp_path / "acme__proj"
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "a.py").write_text("import random\nrandom.seed(1)\n")
    (repo / ".venv").mkdir()
    (repo / ".venv" / "b.py").write_text("x = 1\n")
    tables = _scan(tmp_path, [repo])
    assert [(f["path"], f["status"]) for f in tables["files"]] == [("src/a.py", "parsed")]
    assert [(f["repo"], f["folder"], f["py_files"]) for f in tables["skipped_folders"]] == [("acme__proj", ".venv", "1")]
    assert tables["repo_features"][0]["full_name"] == "acme/proj"
    assert tables["repo_features"][0]["seed_coverage"] == "complete"


def test_a_locked_cache_is_a_miss_not_a_crash(tmp_path):
    import sqlite3

    from miners.scan.cache import ResultCache
    from miners.scan.records import FileResult, Site

    one = FileResult("py", "parsed", "", 10, 2, None, "libcst", ("numpy",),
                     (Site(None, 2, 0, "seed", "numpy.random.seed", "framework=numpy;value=1"),))
    two = FileResult("ipynb", "parse_error", "bad", 5, 0, 1, "libcst")
    cache = ResultCache(tmp_path / "c")
    cache.put("k", one)
    cache.flush()
    holder = sqlite3.connect(tmp_path / "c" / "scan-cache.sqlite", isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another scan holds the lock
    cache._db.execute("PRAGMA busy_timeout=100")
    cache.put("k2", two)
    cache.flush()  # must not raise: the write is dropped
    assert cache.get("k") == one  # WAL: readers are not blocked by a writer
    holder.execute("ROLLBACK")
    assert cache.get("k") == one and cache.get("k2") is None
    cache.close()


def test_repositories_come_back_in_order_while_finished_ones_wait(tmp_path, monkeypatch):
    from miners.scan import scanner

    repos = sorted((ROOT / "study" / "sample-corpus").iterdir())
    scan(repos, tmp_path / "a", jobs=2, progress=False)
    cache = tmp_path / "cache"
    scan(repos[::2], tmp_path / "fill", jobs=2, cache_dir=cache, progress=False)  # every other one cached
    monkeypatch.setattr(scanner, "MAX_WAITING", 1)  # a cached repository waits for the one before it
    mixed = scan(repos, tmp_path / "b", jobs=2, cache_dir=cache, progress=False)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert mixed.repos == len(repos) and mixed.cache_hits > 0


def test_scan_repo_records_round_trip_through_json():
    from miners.scan.records import RepoScan
    from miners.scan.scanner import scan_repo

    for repo in sorted((ROOT / "study" / "sample-corpus").iterdir()):
        scanned = scan_repo(repo)
        assert scanned.repo == repo.name and scanned.files
        assert [f.path for f in scanned.files] == sorted(f.path for f in scanned.files)
        assert RepoScan.from_json(json.loads(json.dumps(scanned.to_json()))) == scanned


def test_a_slow_file_gets_a_deadline_of_its_own_and_its_batch_goes_on(make_git_repo, tmp_path):
    """Hostile files (a 10,000-term operator chain makes libcst run for minutes) are cut at a
    deadline proportional to their size, whatever batch they share; the files around them are
    parsed, and a crashing file is still isolated and named."""
    from miners.scan import pool

    chain = "import mlflow\nx = " + " + ".join(["a"] * 10_000) + "\nmlflow.log_metric('m', x)\n"
    files: dict[str, str] = {"a_slow.py": chain}  # first of its batch: the rest of the batch waits behind it
    files.update({f"ok_{i:02d}.py": f"import mlflow\nmlflow.log_param('p{i}', {i})\n" for i in range(20)})
    files["crash.py"] = "import mlflow\nx = " + "(" * 6000 + "1" + ")" * 6000 + "\n"
    repo = make_git_repo("owner__hostile", files)
    tables = _scan(tmp_path, [repo], timeout_per_file=600, jobs=2)
    by_path = {f["path"]: f for f in tables["files"]}
    limit = pool.deadline(len(chain.encode()), 600)
    assert limit < 20  # seconds, not the 600 s cap, and not multiplied by a batch
    slow = by_path["a_slow.py"]
    assert slow["status"] == "parse_error" and "did not finish within" in slow["reason"], slow
    assert all(by_path[f"ok_{i:02d}.py"]["status"] == "parsed" for i in range(20))
    assert "crashed" in by_path["crash.py"]["reason"]
    assert {s["path"] for s in tables["call_sites"]} == {f"ok_{i:02d}.py" for i in range(20)}


def test_deadline_grows_with_size_up_to_the_cap():
    from miners.scan.pool import deadline

    assert deadline(0, 120) == 15.0 and deadline(50_000, 120) == 16.0 and deadline(10**9, 120) == 120
