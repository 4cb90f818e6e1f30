"""``mine`` end to end on git repositories served through file://: resumable after kill -9,
identical on a real Dask LocalCluster, funnel in absolute counts."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from miners.csvio import read_csv
from miners.mine import StaleRecordsError, mine
from miners.protocol import load
from miners.schema.check import problems
from tests.conftest import ROOT, SAMPLE, git

PUBLISHED = ("corpus.csv", "clone_status.csv", "call_sites.csv", "files.csv", "skipped_folders.csv",
             "repo_features.csv", "repo_practices.csv", "funnel.csv")


def _bare_repo(root: Path, full_name: str, source: Path) -> None:
    work = root / "work" / full_name.replace("/", "__")
    shutil.copytree(source, work)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "init")
    git(work, "tag", "v1.0.0")
    owner, name = full_name.split("/")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(root / "mirrors" / f"{owner}+{name}.git")], check=True)


@pytest.fixture(scope="module")
def fixture_corpus(tmp_path_factory):
    """Sample-corpus projects as bare git repositories, plus a copy (a near-duplicate) and a
    frame entry with no repository behind it."""
    root = tmp_path_factory.mktemp("corpus")
    names = []
    for i, project in enumerate(sorted(SAMPLE.iterdir())):
        full = f"org{i}/{project.name.split('__')[1]}"
        _bare_repo(root, full, project)
        names.append(full)
    _bare_repo(root, "copycat/churn-sklearn-copy", SAMPLE / "acme__churn-sklearn")
    names += ["copycat/churn-sklearn-copy", "ghost/does-not-exist"]
    frame = root / "frame.csv"
    frame.write_text("repo,kind_guess\n" + "".join(f"{n},project\n" for n in names))
    proto = root / "protocol.toml"
    proto.write_text(f'[discover]\nframe = "{frame}"\n[sample]\nsize = 0\nseed = 7\n'
                     f'[clone]\nurl_template = "file://{root}/mirrors/{{owner}}+{{name}}.git"\n')
    return root, proto


def _bytes(results: Path) -> dict[str, bytes]:
    return {n: (results / n).read_bytes() for n in PUBLISHED}


@pytest.fixture(scope="module")
def reference(fixture_corpus, tmp_path_factory):
    _root, proto = fixture_corpus
    out = tmp_path_factory.mktemp("ref")
    funnel = mine(load(proto), out / "work", out / "results", jobs=2, progress=False)
    return out / "results", funnel


def test_funnel_and_published_tables(reference):
    results, funnel = reference
    counts = {r["stage"]: r["repositories"] for r in funnel}
    assert counts == {"found": 9, "eligible": 9, "sampled": 9, "cloned": 8, "selected": 7, "scanned": 7,
                      "with MLflow calls": 7}
    drops = {r["stage"]: r["drop_reasons"] for r in funnel}
    assert drops["cloned"] == "not_found: 1"
    assert drops["selected"] == "near_duplicate_of: 1"
    corpus = {r["full_name"]: r for r in read_csv(results / "corpus.csv")}
    assert corpus["ghost/does-not-exist"]["exclusion"] == "clone_not_found"
    assert not (results.parent / "work" / "clones" / "ghost__does-not-exist").exists()  # no half-made clone
    copy, orig = corpus["copycat/churn-sklearn-copy"], corpus["org0/churn-sklearn"]
    assert copy["cluster"] == orig["cluster"] != "" and copy["cluster_size"] == "2"
    assert {copy["selected"], orig["selected"]} == {"true", "false"}
    assert len(orig["sha"]) == 40 and orig["tags"] == "1" and orig["frame_kind_guess"] == "project"
    repos = {r["repo"] for r in read_csv(results / "repo_features.csv")}
    assert len(repos) == 7 and all("__" in r for r in repos)
    assert read_csv(results / "funnel.csv")[3]["repositories"] == "8"
    practices = {r["repo"]: r for r in read_csv(results / "repo_practices.csv")}
    assert set(practices) == repos
    churn = next(r for k, r in practices.items() if k.endswith("__churn-sklearn"))
    assert churn["mlproject_env"] == "python_env" and churn["tags"] == "1" and churn["mlflow_pin"] == "exact"
    assert (results / "provenance.json").exists()


def test_every_published_table_fits_the_schema(reference):
    """What the real mine writes (header, types, vocabularies) against miners.schema."""
    results, _funnel = reference
    for name in PUBLISHED:
        assert problems(name.removesuffix(".csv"), results / name) == [], name


def test_pinned_commits_are_re_mined_exactly(fixture_corpus, reference, tmp_path):
    """A published corpus pins SHAs: a new commit upstream does not change a re-mine."""
    root, proto = fixture_corpus
    results, _ = reference
    shutil.copytree(results, tmp_path / "results")
    work = next((root / "work").glob("*__unseeded-baseline"))
    mirror = root / "mirrors" / (work.name.replace("__", "+") + ".git")
    (work / "extra.py").write_text("import mlflow\nmlflow.log_metric('new', 1)\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "upstream moves on")
    git(work, "push", "-q", str(mirror), "main")
    try:
        mine(load(proto), tmp_path / "work", tmp_path / "results", jobs=2, progress=False)
        assert _bytes(tmp_path / "results") == _bytes(results)
        repinned = mine(load(proto), tmp_path / "work2", tmp_path / "results2", jobs=2, progress=False, repin=True)
        assert repinned
        assert "extra.py" in (tmp_path / "results2" / "files.csv").read_text()
    finally:
        git(work, "reset", "-q", "--hard", "HEAD~1")
        git(work, "push", "-q", "-f", str(mirror), "main")


def test_committed_records_re_publish_without_clones(fixture_corpus, reference, tmp_path):
    """Another machine, no mirror and no work folder: the committed records alone give the same
    tables; a record made by another miner version is not trusted (its repository is redone)."""
    import gzip
    import json

    _root, proto = fixture_corpus
    results, _ = reference
    committed = results / "records" / "mine"
    assert len(list(committed.glob("*.json.gz"))) == 9  # every task, failed clones included
    shutil.copytree(results, tmp_path / "results")
    for name in PUBLISHED:
        (tmp_path / "results" / name).unlink()
    mine(load(proto), tmp_path / "work", tmp_path / "results", jobs=2, progress=False,
         url_template="file:///nowhere/{owner}+{name}.git")
    assert _bytes(tmp_path / "results") == _bytes(results)
    assert not list((tmp_path / "work" / "clones").glob("*"))  # nothing was cloned
    # a stale record (another miner version) is redone; where its repository cannot be cloned,
    # it is kept and nothing is published (a re-mine must not turn the census into clone failures)
    stale = tmp_path / "results" / "records" / "mine" / "org0__churn-sklearn.json.gz"
    data = json.loads(gzip.decompress(stale.read_bytes()))
    data["record"]["miner_version"] = "0.0.0+old"
    stale.write_bytes(gzip.compress(json.dumps(data).encode()))
    kept = stale.read_bytes()
    with pytest.raises(StaleRecordsError, match=r"1 repositories .* org0/churn-sklearn \(record by 0.0.0\+old\)"):
        mine(load(proto), tmp_path / "work2", tmp_path / "results", jobs=2, progress=False,
             url_template="file:///nowhere/{owner}+{name}.git")
    assert stale.read_bytes() == kept and _bytes(tmp_path / "results") == _bytes(results)
    # with its mirror, it is redone under the current version, to the same tables
    mine(load(proto), tmp_path / "work2", tmp_path / "results", jobs=2, progress=False)
    assert _bytes(tmp_path / "results") == _bytes(results)
    assert stale.read_bytes() != kept


def test_a_census_in_chunks_leaves_pending_snapshots_out(fixture_corpus, tmp_path):
    """Only the repositories whose snapshot was looked up are mined; the rest are
    snapshot_pending, counted in the funnel; an unavailable snapshot's reason is kept."""
    _root, proto = fixture_corpus
    snaps = tmp_path / "snapshots.csv"
    snaps.write_text(f"full_name,status,head,reason\norg0/churn-sklearn,fetched,{'a' * 40},\n"
                     "ghost/does-not-exist,unavailable,,No snapshot of that repository can be had here.\n")
    funnel = mine(load(proto), tmp_path / "work", tmp_path / "results", jobs=2, progress=False,
                  snapshots=snaps)
    counts = {r["stage"]: (r["repositories"], r["drop_reasons"]) for r in funnel}
    assert counts["eligible"] == (2, "snapshot_pending: 7")
    assert counts["cloned"] == (1, "not_found: 1")
    corpus = {r["full_name"]: r for r in read_csv(tmp_path / "results" / "corpus.csv")}
    assert corpus["copycat/churn-sklearn-copy"]["exclusion"] == "snapshot_pending"
    assert corpus["ghost/does-not-exist"]["clone_reason"].startswith("no snapshot: No snapshot")
    assert corpus["org0/churn-sklearn"]["api_metadata"] == "no_api"
    bad = tmp_path / "bad.csv"
    bad.write_text("full_name,status,head,reason\norg0/churn-sklearn,maybe,,\n")
    with pytest.raises(ValueError, match="fetched or unavailable"):
        mine(load(proto), tmp_path / "work", tmp_path / "results", jobs=2, progress=False, snapshots=bad)


def test_a_copy_of_mlflows_own_source_is_not_a_project_using_it(tmp_path):
    """The fork filter without the API: MLflow's own package read in a repository's code marks a
    copy of MLflow; the same file inside a virtual environment (skipped) does not."""
    import json

    from miners.mine import _holds_mlflow_source

    def record(name: str, path: str, status: str) -> None:
        (tmp_path / f"{name}.scan.json").write_text(json.dumps({"files": [
            {"path": "train.py", "status": "parsed"}, {"path": path, "status": status}]}))

    record("a__copy", "mlflow/tracking/fluent.py", "parsed")
    record("b__nested", "vendor/mlflow/tracking/fluent.py", "parse_error")
    record("c__venv", "venv/lib/site-packages/mlflow/tracking/fluent.py", "skipped")
    record("d__own", "src/my_mlflow/tracking/fluent_helpers.py", "parsed")
    assert [_holds_mlflow_source(tmp_path, n) for n in ("a/copy", "b/nested", "c/venv", "d/own", "e/none")] == [
        True, True, False, False, False]


def test_kill_9_and_resume_gives_identical_results(fixture_corpus, reference, tmp_path):
    _root, proto = fixture_corpus
    results, _ = reference
    cmd = [sys.executable, "-m", "miners", "mine", "--protocol", str(proto), "--work", str(tmp_path / "work"),
           "--results", str(tmp_path / "results"), "--jobs", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = tmp_path / "work" / "repos"

    def done() -> set[str]:  # finished tasks (a scan payload alone does not finish one)
        return {p.name for p in records.glob("*.json") if not p.name.endswith(".scan.json")}

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(done()) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = done()
    assert 3 <= len(done_before) < 9, "the kill must land mid-run"
    assert not (tmp_path / "results" / "funnel.csv").exists()
    assert not [p for p in records.iterdir() if not p.name.endswith(".json")], "no partial records"
    mtimes = {p.name: p.stat().st_mtime_ns for p in records.glob("*.json")}
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    assert {p.name: p.stat().st_mtime_ns for p in records.glob("*.json") if p.name in mtimes} == mtimes, "finished repositories were redone"
    assert _bytes(tmp_path / "results") == _bytes(results)


def test_dask_local_cluster_gives_identical_results(fixture_corpus, reference, tmp_path):
    import dask
    from distributed import LocalCluster

    _root, proto = fixture_corpus
    results, _ = reference
    with dask.config.set({"distributed.worker.daemon": False}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        mine(load(proto), tmp_path / "work", tmp_path / "results", scheduler=cluster.scheduler_address, progress=False)
    assert _bytes(tmp_path / "results") == _bytes(results)
