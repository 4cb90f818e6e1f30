"""Discovery against a recorded-response GitHub API on 127.0.0.1 (no real network)."""

from __future__ import annotations

import json

import pytest

from miners.corpus.discover import discover, normalise
from miners.corpus.frame import frame_corpus
from miners.csvio import read_csv
from tests.github_fake import FakeGitHub, make_repos

SECRET = "ghp_test_token_never_written_0123456789"


@pytest.fixture
def fake():
    with FakeGitHub(make_repos(2300)) as server:
        yield server


def test_date_slicing_recovers_every_repository_past_the_1000_cap(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    raw = discover(["mlflow-project"], [], tmp_path / "raw", api_url=fake.url, created_from="2019-06-01",
                   created_to="2022-01-01", seconds_between_requests=0, retry_wait=1)
    n = normalise(tmp_path / "raw", tmp_path / "corpus.csv")
    assert n == 2300  # all of them, although one query can return at most 1,000
    rows = read_csv(tmp_path / "corpus.csv")
    assert [r["full_name"] for r in rows] == sorted(r["full_name"] for r in rows)
    first = next(r for r in rows if r["full_name"] == "owner00/proj0000")
    assert first["archived"] == "true" and first["fork"] == "true" and first["language"] == "Python"
    assert first["query"] == "topic:mlflow-project" and first["topics"] == "mlflow-project;mlops"
    # the injected 403 (Retry-After) and 502 were retried, not fatal
    assert any("page=2" in p for p in fake.requests) and any("page=3" in p for p in fake.requests)
    slices = [json.loads(ln) for ln in raw.read_text().splitlines() if '"kind": "slice"' in ln]
    assert len(slices) >= 3 and all(s["total_count"] < 1000 for s in slices)
    assert sum(s["items"] for s in slices) == 2300
    # the token is sent to the API, and written nowhere
    assert fake.auth_headers[0] == f"token {SECRET}"
    assert SECRET not in raw.read_text()
    assert SECRET not in (tmp_path / "corpus.csv").read_text()
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err


def test_raw_files_are_never_rewritten(fake, tmp_path, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    a = discover(["mlflow-project"], [], tmp_path / "raw", api_url=fake.url, created_from="2021-06-01",
                 created_to="2021-07-01", seconds_between_requests=0, retry_wait=1)
    before = a.read_bytes()
    b = discover(["mlflow-project"], [], tmp_path / "raw", api_url=fake.url, created_from="2021-06-01",
                 created_to="2021-07-01", seconds_between_requests=0, retry_wait=1)
    assert a != b and a.read_bytes() == before
    assert normalise(tmp_path / "raw", tmp_path / "c.csv") == len(read_csv(tmp_path / "c.csv")) > 0


def test_missing_token_warns_about_rate_limits(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    discover(["nothing-here"], [], tmp_path / "raw", api_url=fake.url, created_from="2021-01-01",
             created_to="2021-01-02", seconds_between_requests=0, retry_wait=1)
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err
    assert fake.auth_headers[0] is None


def test_frame_replaces_discovery(tmp_path):
    frame = tmp_path / "frame.csv"
    frame.write_text("repo,evidence\nb/two,x\na/one,y\nA/One,dup\n")
    assert frame_corpus(frame, tmp_path / "corpus.csv") == 2
    rows = read_csv(tmp_path / "corpus.csv")
    assert [r["full_name"] for r in rows] == ["a/one", "b/two"]
    assert rows[0]["clone_url"] == "https://github.com/a/one.git"
