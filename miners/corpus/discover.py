"""``python -m miners discover``: find repositories with PyGithub, and normalise what was found.

Definition. For each topic ``t`` in the protocol the search query is ``topic:t``; each extra
query is used as written. GitHub's search returns at most 1,000 results per query, so every
query is sliced by creation date (``created:A..B``): a slice whose total count reaches the
cap is split in two halves, recursively, down to a single day (a single day still at the cap
is recorded as ``truncated``). Pagination is lazy (100 per page, following Link headers);
PyGithub's ``GithubRetry`` retries rate-limit 403/429 responses (after ``Retry-After`` or the
reset time) and 5xx responses; requests are spaced by ``seconds_between_requests``.

Every API item is appended, never edited, to a new file ``data/raw/discovery/<UTC time>.jsonl``
with the query and the time it was retrieved; :func:`normalise` turns all raw files into
``corpus.csv`` (one row per repository: the first time it was found wins). The token comes
from ``GITHUB_TOKEN`` only and is never logged or written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from miners.csvio import write_csv
from miners.schema import get

SEARCH_CAP = 1000
#: The corpus columns discovery writes (the frame's own columns and the selection follow).
CORPUS_COLUMNS = get("corpus").around_extra()[0]


def _client(api_url: str, seconds_between_requests: float, retry_wait: float = 60.0):
    from github import Auth, Github, GithubRetry

    token = os.environ.get("GITHUB_TOKEN") or None
    if token is None:
        print("warning: GITHUB_TOKEN is not set: unauthenticated search is limited to 10 requests per "
              "minute (30 with a token) and the core API to 60 per hour; set GITHUB_TOKEN to a token with "
              "public read access", file=sys.stderr)
    retry = GithubRetry(total=10, secondary_rate_wait=retry_wait, max_rate_limit_wait=3600, backoff_factor=0.5)
    return Github(auth=Auth.Token(token) if token else None, base_url=api_url.rstrip("/"), per_page=100,
                  retry=retry, seconds_between_requests=seconds_between_requests, timeout=60)


def _days(a: dt.date, b: dt.date) -> int:
    return (b - a).days


def sliced_queries(client: Any, base: str, start: dt.date, end: dt.date) -> Iterator[tuple[str, int, bool]]:
    """Yield ``(query, total_count, truncated)`` slices of ``base`` that each fit under the cap."""
    query = f"{base} created:{start.isoformat()}..{end.isoformat()}"
    total = client.search_repositories(query).totalCount
    if total < SEARCH_CAP or _days(start, end) == 0:
        yield query, total, total >= SEARCH_CAP
        return
    mid = start + dt.timedelta(days=_days(start, end) // 2)
    yield from sliced_queries(client, base, start, mid)
    yield from sliced_queries(client, base, mid + dt.timedelta(days=1), end)


def discover(topics: list[str], queries: list[str], raw_dir: Path, api_url: str = "https://api.github.com",
             created_from: str = "2008-01-01", created_to: str = "", seconds_between_requests: float = 0.25,
             retry_wait: float = 60.0, now: dt.datetime | None = None) -> Path:
    """Run every search and append the raw items to a new JSONL file; returns its path."""
    client = _client(api_url, seconds_between_requests, retry_wait)
    start = dt.date.fromisoformat(created_from)
    end = dt.date.fromisoformat(created_to) if created_to else dt.date.today()
    raw_dir = Path(raw_dir)
    raw_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = raw_dir / f"{stamp}.jsonl"
    bases = [f"topic:{t}" for t in topics] + list(queries)
    with open(path, "x", encoding="utf-8") as fh:  # a new file: raw data is never edited
        for base in bases:
            for query, total, truncated in sliced_queries(client, base, start, end):
                seen = 0
                for repo in client.search_repositories(query):
                    record = {"kind": "item", "query": query, "base_query": base,
                              "retrieved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                              "item": repo._rawData}  # as searched; raw_data would fetch each repo again
                    fh.write(json.dumps(record, sort_keys=True) + "\n")
                    seen += 1
                fh.write(json.dumps({"kind": "slice", "query": query, "base_query": base, "total_count": total,
                                     "items": seen, "truncated": truncated,
                                     "retrieved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
                                    sort_keys=True) + "\n")
                fh.flush()
    return path


def _row(item: dict[str, Any], base: str, retrieved_at: str) -> dict[str, Any]:
    lic = item.get("license") or {}
    return {
        "full_name": item.get("full_name", ""), "html_url": item.get("html_url", ""),
        "clone_url": item.get("clone_url", ""), "default_branch": item.get("default_branch", ""),
        "stars": item.get("stargazers_count"), "forks": item.get("forks_count"),
        "watchers": item.get("watchers_count"), "open_issues": item.get("open_issues_count"),
        "size_kb": item.get("size"), "language": item.get("language") or "",
        "license": lic.get("spdx_id") or "", "topics": ";".join(sorted(item.get("topics") or [])),
        "created_at": item.get("created_at", ""), "pushed_at": item.get("pushed_at", ""),
        "archived": bool(item.get("archived")), "fork": bool(item.get("fork")),
        "query": base, "discovered_at": retrieved_at, "api_metadata": "github_api",
    }


def normalise(raw_dir: Path, out: Path) -> int:
    """All raw discovery files -> ``corpus.csv`` (sorted by full_name); returns the row count."""
    rows: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(raw_dir).glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec.get("kind") != "item":
                    continue
                row = _row(rec["item"], rec["base_query"], rec["retrieved_at"])
                key = row["full_name"].lower()
                if key in rows:
                    queries = set(rows[key]["query"].split(";")) | {row["query"]}
                    rows[key]["query"] = ";".join(sorted(queries))
                else:
                    rows[key] = row
    return write_csv(out, CORPUS_COLUMNS, rows.values(), sort_key=["full_name"])
