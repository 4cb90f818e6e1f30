"""``python -m miners history``: a real git history walked with PyDriller, the families' events,
the metadata (mailmap, active days), failures as rows, resumption and byte-identical tables."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from miners.csvio import read_csv
from miners.history.tables import HISTORY_VERSION, history
from miners.schema.check import problems

TRACKING = "import mlflow\nmlflow.log_param('lr', 0.1)\nmlflow.log_metric('acc', 1.0)\n"
STAGES = TRACKING + "c = mlflow.MlflowClient()\nc.transition_model_version_stage('m', 1, 'Production')\n"
ALIASES = TRACKING + "c = mlflow.MlflowClient()\nc.set_registered_model_alias('m', 'champion', 1)\n"


def _commit(repo: Path, message: str, date: str, email: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=dev", "-c", f"user.email={email}", "add", "-A"],
                   check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=dev", "-c", f"user.email={email}", "commit", "-q",
                    "--allow-empty", "-m", message], check=True, env=env)
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository whose code gains tracking, a seed, registry stages, then swaps stages for
    aliases, loses its seed and moves its training script; two e-mails of one author."""
    repo = tmp_path / "mirrors" / "acme+proj"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    shas = {}
    (repo / "README.md").write_text("# proj\n")
    shas["readme"] = _commit(repo, "readme", "2023-01-01T10:00:00+00:00", "ann@old.org")
    (repo / "train.py").write_text(TRACKING)
    shas["tracking"] = _commit(repo, "track", "2023-01-11T10:00:00+00:00", "ann@old.org")
    (repo / "seed.py").write_text("import random\nrandom.seed(1)\n")
    shas["seed"] = _commit(repo, "seed", "2023-01-11T18:00:00+00:00", "ann@new.org")
    (repo / "train.py").write_text(STAGES)
    shas["stages"] = _commit(repo, "stages", "2023-06-01T10:00:00+00:00", "bob@x.org")
    (repo / "train.py").write_text(ALIASES)
    shas["aliases"] = _commit(repo, "aliases", "2024-02-01T10:00:00+00:00", "bob@x.org")
    (repo / "seed.py").unlink()
    shas["unseed"] = _commit(repo, "unseed", "2024-02-02T10:00:00+00:00", "bob@x.org")
    (repo / "src").mkdir()
    (repo / "train.py").rename(repo / "src" / "train.py")
    (repo / ".mailmap").write_text("Ann <ann@new.org> <ann@old.org>\n")
    shas["move"] = _commit(repo, "move", "2024-03-01T10:00:00+00:00", "ann@new.org")
    (repo / "notes.txt").write_text("later\n")
    _commit(repo, "after the pin", "2024-04-01T10:00:00+00:00", "ann@new.org")
    return repo, shas


def _corpus(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A corpus.csv; the third field says whether the repository was cloned by the mine."""
    path.write_text("full_name,sha,selected,clone_status\n"
                    + "".join(f"{n},{s},{c},{'cloned' if c == 'true' else 'not_found'}\n" for n, s, c in rows))
    return path


def test_history_events_metadata_and_resumption(project, tmp_path: Path) -> None:
    repo, shas = project
    corpus = _corpus(tmp_path / "corpus.csv", [("acme/proj", shas["move"], "true"),
                                                ("ghost/gone", "a" * 40, "true"),
                                                ("acme/other", "b" * 40, "false")])
    template = f"file://{repo.parent}/{{owner}}+{{name}}"
    out, work = tmp_path / "out", tmp_path / "work"
    counts = history(corpus, template, work, out, jobs=1, progress=False)
    assert counts == {"ok": 1, "no_clone": 1}
    rows = {r["repo"]: r for r in read_csv(out / "repo_history.csv")}
    assert set(rows) == {"acme__proj", "ghost__gone"}  # cloned by the mine only; failures are rows
    assert rows["ghost__gone"]["status"] == "no_clone" and rows["ghost__gone"]["reason"]
    r = rows["acme__proj"]
    assert r["status"] == "ok" and r["commit"] == shas["move"] and r["history_version"] == HISTORY_VERSION
    assert (r["commits"], r["code_commits"], r["commits_unreadable"]) == ("7", "6", "0")  # not the later commit
    assert r["authors"] == "2"  # ann's two addresses are one through the mailmap
    assert r["active_days"] == "6" and r["age_days"] == "425"
    assert r["first_commit_date"] == "2023-01-01T10:00:00+00:00"
    assert r["pinned_commit_date"] == "2024-03-01T10:00:00+00:00"
    assert r["days_to_first_tracking"] == "10" and r["tracking_at_pin"] == "true"
    assert r["stages_first_date"] == "2023-06-01T10:00:00+00:00"
    assert r["aliases_first_date"] == "2024-02-01T10:00:00+00:00" and r["stages_then_aliases"] == "true"
    # the pinned tree: README.md, .mailmap, src/train.py (the later notes.txt is after the pin)
    assert (r["files_at_pin"], r["code_files_at_pin"]) == ("3", "1")
    assert r["code_lines_at_pin"] == str(len(ALIASES.splitlines()))
    assert (r["branches"], r["heads_walked"], r["branches_using_mlflow"]) == ("1", "1", "1")
    assert r["mlflow_only_off_default"] == "false"
    ev = {e["family"]: e for e in read_csv(out / "history_events.csv")}
    assert set(ev) == {"tracking", "metrics", "seed", "registry", "registry_stages", "registry_aliases"}
    assert ev["tracking"]["first_commit"] == shas["tracking"] and ev["tracking"]["removed_commit"] == ""
    assert ev["tracking"]["present_at_pin"] == "true"  # the rename keeps it
    assert ev["seed"]["first_commit"] == shas["seed"] and ev["seed"]["removed_commit"] == shas["unseed"]
    assert ev["seed"]["present_at_pin"] == "false"
    assert ev["registry_stages"]["removed_commit"] == shas["aliases"]
    assert ev["registry_aliases"]["first_commit"] == shas["aliases"] and ev["registry"]["removed_commit"] == ""
    for name in ("repo_history", "history_events", "branch_heads"):
        assert problems(name, out / f"{name}.csv") == []
    # resumable and deterministic: a second run walks nothing and writes the same bytes
    before = {n: (out / n).read_bytes() for n in ("repo_history.csv", "history_events.csv", "branch_heads.csv")}
    (work / "clones" / "acme__proj").rename(work / "clones" / "moved-away")
    history(corpus, "file:///nowhere/{owner}+{name}", work, out, jobs=1, progress=False)
    assert {n: (out / n).read_bytes() for n in before} == before
    # another machine: no work folder, no mirror; the committed records alone give the same tables
    assert sorted(p.name for p in (out / "records" / "history").iterdir()) == ["acme__proj.json.gz",
                                                                              "ghost__gone.json.gz"]
    committed = {p.name: p.read_bytes() for p in (out / "records" / "history").iterdir()}
    for n in before:
        (out / n).unlink()
    history(corpus, "file:///nowhere/{owner}+{name}", tmp_path / "fresh", out, jobs=1, progress=False)
    assert {n: (out / n).read_bytes() for n in before} == before
    assert {p.name: p.read_bytes() for p in (out / "records" / "history").iterdir()} == committed
    assert not (tmp_path / "fresh" / "clones").exists()  # nothing was cloned
    # a record made by other code whose repository cannot be cloned here is kept, nothing published
    import gzip
    import json

    from miners.committed import StaleRecordsError

    stale = out / "records" / "history" / "acme__proj.json.gz"
    data = json.loads(gzip.decompress(stale.read_bytes()))
    data["row"]["history_version"] = "0.0.0+old"
    stale.write_bytes(gzip.compress(json.dumps(data).encode()))
    kept = stale.read_bytes()
    with pytest.raises(StaleRecordsError, match=r"acme/proj \(record by 0.0.0\+old\)"):
        history(corpus, "file:///nowhere/{owner}+{name}", tmp_path / "fresh2", out, jobs=1, progress=False)
    assert stale.read_bytes() == kept and {n: (out / n).read_bytes() for n in before} == before


def test_branch_heads_find_mlflow_living_off_the_default_branch(tmp_path: Path) -> None:
    """The default branch holds only a licence; a branch named main-mlflow holds the tracked
    training script, a committed model and mlruns/: MLflow use lives only off the default."""
    repo = tmp_path / "mirrors" / "acme+branchy"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "LICENSE").write_text("MIT\n")
    pin = _commit(repo, "licence", "2024-01-01T10:00:00+00:00", "ann@x.org")
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-b", "main-mlflow"], check=True)
    (repo / "train.py").write_text(TRACKING)
    (repo / "model.pkl").write_bytes(b"\x80\x04N.")
    (repo / "mlruns" / "0").mkdir(parents=True)
    (repo / "mlruns" / "0" / "meta.yaml").write_text("name: Default\n")
    (repo / "venv" / "lib").mkdir(parents=True)
    (repo / "venv" / "lib" / "mlflow_copy.py").write_text(TRACKING)  # a skipped folder: not counted
    branch = _commit(repo, "mlflow", "2024-01-02T10:00:00+00:00", "ann@x.org")
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-b", "docs", "main"], check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    corpus = _corpus(tmp_path / "corpus.csv", [("acme/branchy", pin, "true")])
    history(corpus, f"file://{repo.parent}/{{owner}}+{{name}}", tmp_path / "w", tmp_path / "o", jobs=1,
            progress=False)
    row = read_csv(tmp_path / "o" / "repo_history.csv")[0]
    assert row["status"] == "ok", row
    assert (row["branches"], row["heads_walked"], row["branches_using_mlflow"]) == ("3", "3", "1")
    assert row["mlflow_only_off_default"] == "true"
    assert (row["branches_with_mlruns"], row["branches_with_models"]) == ("1", "1")
    assert (row["files_at_pin"], row["code_files_at_pin"], row["code_lines_at_pin"]) == ("1", "0", "0")
    heads = {h["branch"]: h for h in read_csv(tmp_path / "o" / "branch_heads.csv")}
    assert list(heads) == ["docs", "main", "main-mlflow"]
    assert heads["main"]["default"] == "true" and heads["main"]["uses_mlflow"] == "false"
    assert heads["main-mlflow"]["commit"] == branch and heads["main-mlflow"]["uses_mlflow"] == "true"
    assert heads["main-mlflow"]["mlruns"] == "true" and heads["main-mlflow"]["model_files"] == "1"
    assert heads["docs"]["uses_mlflow"] == "false" and heads["docs"]["date"] == "2024-01-01T10:00:00+00:00"
    assert problems("branch_heads", tmp_path / "o" / "branch_heads.csv") == []


def test_a_mirror_lacking_a_blob_still_gives_its_history(project, tmp_path: Path) -> None:
    """A local mirror is borrowed (--shared): a blob it lacks (here the README's, as a mirror
    without its largest blobs would) does not stop the walk, and the commit that added it is
    read from its tree diff."""
    repo, shas = project
    bare = tmp_path / "mirrors" / "acme+bare"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(bare)], check=True)
    blob = subprocess.run(["git", "-C", str(bare), "rev-parse", f"{shas['readme']}:README.md"], check=True,
                          capture_output=True, text=True).stdout.strip()
    subprocess.run(["git", "-C", str(bare), "repack", "-q", "-a", "-d"], check=True)
    # drop the README blob from the mirror, as a mirror without its largest blobs would
    packs = list((bare / "objects" / "pack").glob("*.pack"))
    keep = subprocess.run(["git", "-C", str(bare), "rev-list", "--objects", "--all"], check=True,
                          capture_output=True, text=True).stdout.split("\n")
    objects = "\n".join(line.split()[0] for line in keep if line and not line.startswith(blob)) + "\n"
    subprocess.run(["git", "-C", str(bare), "pack-objects", "-q", str(bare / "objects" / "pack" / "slim")],
                   input=objects, text=True, check=True, capture_output=True)
    for p in packs:
        p.unlink()
        p.with_suffix(".idx").unlink()
    corpus = _corpus(tmp_path / "corpus.csv", [("acme/bare", shas["move"], "true")])
    history(corpus, f"file://{bare.parent}/{{owner}}+{{name}}", tmp_path / "w", tmp_path / "o", jobs=1,
            progress=False)
    row = read_csv(tmp_path / "o" / "repo_history.csv")[0]
    assert row["status"] == "ok" and row["commits"] == "7", row
    assert row["commits_unreadable"] == "0" and row["tracking_at_pin"] == "true"
    missing = subprocess.run(["git", "-C", str(tmp_path / "w" / "clones" / "acme__bare"), "cat-file", "-e", blob],
                             capture_output=True, check=False)
    assert missing.returncode != 0  # the blob really is absent from the clone


def test_code_of_the_first_commit_counts_from_the_first_commit(tmp_path: Path) -> None:
    """The root commit is diffed against the empty tree: its code is there from the start;
    a committed virtual environment is left out, as the scanner leaves it out."""
    repo = tmp_path / "mirrors" / "acme+root"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "train.py").write_text(TRACKING)
    (repo / "venv" / "lib").mkdir(parents=True)
    (repo / "venv" / "lib" / "seeded.py").write_text("import random\nrandom.seed(1)\n")
    root = _commit(repo, "root", "2024-01-01T10:00:00+00:00", "a@x.org")
    (repo / "more.py").write_text("x = 1\n")
    pin = _commit(repo, "more", "2024-01-03T10:00:00+00:00", "a@x.org")
    corpus = _corpus(tmp_path / "corpus.csv", [("acme/root", pin, "true")])
    history(corpus, f"file://{repo.parent}/{{owner}}+{{name}}", tmp_path / "w", tmp_path / "o", jobs=1,
            progress=False)
    row = read_csv(tmp_path / "o" / "repo_history.csv")[0]
    assert row["days_to_first_tracking"] == "0" and row["code_commits"] == "2"
    ev = {e["family"]: e for e in read_csv(tmp_path / "o" / "history_events.csv")}
    assert ev["tracking"]["first_commit"] == root and "seed" not in ev



def test_a_walk_past_its_budget_is_a_row_with_its_reason(project, tmp_path: Path, monkeypatch) -> None:
    """A history too long to walk within the budget is an error row with the reason, and the
    other repositories go on; copies of MLflow's own source are not walked at all."""
    from miners.history import tables, walk

    repo, shas = project
    monkeypatch.setattr(tables, "WALK_SECONDS", -1.0)  # every walk is already past its deadline
    corpus = tmp_path / "corpus.csv"
    corpus.write_text("full_name,sha,selected,clone_status,exclusion\n"
                      f"acme/proj,{shas['move']},true,cloned,\n"
                      f"acme/mlflowcopy,{shas['move']},false,cloned,mlflow_source\n")
    history(corpus, f"file://{repo.parent}/{{owner}}+{{name}}", tmp_path / "w", tmp_path / "o", jobs=1,
            progress=False)
    rows = read_csv(tmp_path / "o" / "repo_history.csv")
    assert [r["repo"] for r in rows] == ["acme__proj"]
    assert rows[0]["status"] == "error" and "budget" in rows[0]["reason"], rows[0]
    assert walk.WALK_SECONDS == 600.0
