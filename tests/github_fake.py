"""A recorded-response GitHub search API on 127.0.0.1 for PyGithub to talk to.

Serves ``GET /search/repositories`` for a synthetic set of repositories with GitHub's
behaviour: ``total_count`` of all matches but at most 1,000 items, pages of ``per_page``
with ``Link`` headers, and injected faults: one secondary-rate-limit 403 with
``Retry-After`` and one 502.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


def make_repos(n: int, topic: str = "mlflow-project") -> list[dict]:
    start = dt.date(2020, 1, 1)
    repos = []
    for i in range(n):
        created = start + dt.timedelta(days=(i * 7) % 700)
        repos.append({
            "id": i + 1, "name": f"proj{i:04d}", "full_name": f"owner{i % 50:02d}/proj{i:04d}",
            "owner": {"login": f"owner{i % 50:02d}", "id": 1000 + i % 50, "type": "User"},
            "private": False, "html_url": f"https://github.com/owner{i % 50:02d}/proj{i:04d}",
            "clone_url": f"https://github.com/owner{i % 50:02d}/proj{i:04d}.git",
            "url": f"https://api.github.com/repos/owner{i % 50:02d}/proj{i:04d}",
            "default_branch": "main", "stargazers_count": i % 13, "forks_count": i % 3,
            "watchers_count": i % 13, "open_issues_count": 0, "size": 100 + i, "language": "Python",
            "license": {"spdx_id": "MIT", "key": "mit", "name": "MIT License"} if i % 2 else None,
            "topics": [topic, "mlops"], "created_at": f"{created.isoformat()}T12:00:00Z",
            "pushed_at": "2024-01-01T00:00:00Z", "archived": i % 17 == 0, "fork": i % 11 == 0,
        })
    return repos


class FakeGitHub:
    def __init__(self, repos: list[dict], faults: bool = True) -> None:
        self.repos = repos
        self.requests: list[str] = []
        self.auth_headers: list[str | None] = []
        self._faults = {"rate_limit": faults, "bad_gateway": faults}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _search(self, q: str) -> list[dict]:
        topic = re.search(r"topic:(\S+)", q)
        created = re.search(r"created:(\d{4}-\d\d-\d\d)\.\.(\d{4}-\d\d-\d\d)", q)
        out = []
        for r in self.repos:
            if topic and topic.group(1) not in r["topics"]:
                continue
            day = r["created_at"][:10]
            if created and not (created.group(1) <= day <= created.group(2)):
                continue
            out.append(r)
        return sorted(out, key=lambda r: r["id"])

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, code: int, body: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-RateLimit-Remaining", "29")
                self.send_header("X-RateLimit-Limit", "30")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                fake.auth_headers.append(self.headers.get("Authorization"))
                url = urlparse(self.path)
                if url.path != "/search/repositories":
                    self._send(404, {"message": "Not Found"})
                    return
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                page = int(params.get("page", "1"))
                if page == 2 and fake._faults["rate_limit"]:
                    fake._faults["rate_limit"] = False
                    self._send(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
                               {"Retry-After": "1"})
                    return
                if page == 3 and fake._faults["bad_gateway"]:
                    fake._faults["bad_gateway"] = False
                    self._send(502, {"message": "Server Error"})
                    return
                per_page = int(params.get("per_page", "30"))
                matches = fake._search(params.get("q", ""))
                visible = matches[:1000]
                items = visible[(page - 1) * per_page: page * per_page]
                last = max(1, -(-len(visible) // per_page))
                links = []
                for rel, p in (("next", page + 1), ("last", last)):
                    if p <= last and (rel != "next" or page < last):
                        q = dict(params, page=str(p))
                        links.append(f'<{fake.url}{url.path}?{urlencode(q)}>; rel="{rel}"')
                headers = {"Link": ", ".join(links)} if links else {}
                self._send(200, {"total_count": len(matches), "incomplete_results": False, "items": items}, headers)

        return Handler
