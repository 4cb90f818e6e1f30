"""``python -m analysis browse``: the results database (built once per module from a copy of the
committed results/), its agreement with the data package and the paper, its errors on bad
input, and the Datasette site it serves, driven over HTTP and in headless Chromium."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analysis import browse
from analysis.browse_queries import QUERIES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
CHROMIUM = Path("/usr/bin/chromium")
MACRO = re.compile(r"\\newcommand\{\\([A-Za-z]+)\}\{([^}]*)\}")


def paper_macros() -> dict[str, str]:
    out: dict[str, str] = {}
    for tex in sorted((ROOT / "paper" / "generated").glob("*.tex")):
        out.update(MACRO.findall(tex.read_text(encoding="utf-8")))
    return out


def macro_number(text: str) -> float:
    return float(text.replace("\\%", "").replace(",", ""))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    base = tmp_path_factory.mktemp("browse")
    results = base / "results"
    shutil.copytree(RESULTS, results)
    db = base / "results.db"
    metadata = browse.build(results, db)
    return db, metadata


@pytest.fixture(scope="module")
def package() -> dict[str, Any]:
    return json.loads((RESULTS / "datapackage.json").read_text(encoding="utf-8"))


def test_canned_queries_reproduce_the_paper_macros(built: tuple[Path, dict[str, Any]]) -> None:
    db, metadata = built
    macros = paper_macros()
    conn = sqlite3.connect(db)
    assert {q.name for q in QUERIES} == set(metadata["databases"]["results"]["queries"])
    assert {q.name[:3] for q in QUERIES} == {"rq1", "rq2", "rq3", "rq4", "rq5"}
    for q in QUERIES:
        cur = conn.execute(q.sql)
        row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
        assert "k" in q.macros and "pct" in q.macros, q.name
        for column, macro in q.macros.items():
            assert macro in macros, f"{q.name}: no macro \\{macro} in paper/generated"
            if column == "pct":
                # both are k/n rounded to 0.1, but SQLite rounds a tie (81.25) away from zero where
                # Python's formatting rounds it to even: each is checked against the exact share
                exact = 100 * row["k"] / row["n"]
                assert row[column] == pytest.approx(exact, abs=0.05 + 1e-9), (q.name, column)
                assert macro_number(macros[macro]) == pytest.approx(exact, abs=0.05 + 1e-9), (q.name, column)
            else:
                assert row[column] == pytest.approx(macro_number(macros[macro])), (q.name, column)


def test_tables_follow_the_data_package(built: tuple[Path, dict[str, Any]],
                                        package: dict[str, Any]) -> None:
    db, metadata = built
    conn = sqlite3.connect(db)
    sql_type = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
    tables = metadata["databases"]["results"]["tables"]
    for resource in package["resources"]:
        name = browse.table_name(resource)
        schema = resource["schema"]
        info = conn.execute(f'pragma table_info("{name}")').fetchall()
        declared = [(f["name"], sql_type.get(f["type"], "TEXT")) for f in schema["fields"]]
        assert [(c[1], c[2]) for c in info][: len(declared)] == declared, name
        pk = [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]]
        assert pk == schema.get("primaryKey", []), name
        fks: dict[int, list[tuple[str, str, str]]] = {}
        for fk in conn.execute(f'pragma foreign_key_list("{name}")'):
            fks.setdefault(fk[0], []).append((fk[3], fk[2], fk[4]))
        expected = sorted(
            [(c, f["reference"]["resource"].rsplit("/", 1)[-1], o)
             for c, o in zip(f["fields"], f["reference"]["fields"], strict=True)]
            for f in schema.get("foreignKeys", []))
        assert sorted(fks.values()) == expected, name
        rows = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
        with (RESULTS / resource["path"]).open(newline="", encoding="utf-8") as fh:
            assert rows == sum(1 for _ in csv.reader(fh)) - 1, name
        assert tables[name]["description"] == resource["description"]
        assert tables[name]["columns"] == {
            **{f["name"]: f["description"] for f in schema["fields"]},
            **({"url": tables[name]["columns"]["url"]} if name in browse.URL_TABLES else {})}
    assert conn.execute("select count(*) from call_sites_fts where call_sites_fts match "
                        "'autolog'").fetchone()[0] > 0
    assert conn.execute("select count(*) from reruns_fts").fetchone()[0] > 0
    assert tables["call_sites"]["facets"] == ["category", "api"]
    assert tables["rerun_repos"]["facets"] == ["condition", "verdict"]
    indexed = {tuple(r[2] for r in conn.execute(f'pragma index_info("{ix[1]}")'))
               for ix in conn.execute("pragma index_list(call_sites)")}
    assert {("repo", "path"), ("category",), ("api",)} <= indexed


def test_urls_point_at_the_mined_commit(built: tuple[Path, dict[str, Any]]) -> None:
    db, _ = built
    conn = sqlite3.connect(db)
    with (RESULTS / "corpus.csv").open(newline="", encoding="utf-8") as fh:
        sha = {r["full_name"]: r["sha"] for r in csv.DictReader(fh)}
    py = conn.execute("select repo, path, line, url from call_sites where path like '%.py' "
                      "order by repo, path, line limit 1").fetchone()
    full = py[0].replace("__", "/", 1)
    assert py[3] == f"https://github.com/{full}/blob/{sha[full]}/{py[1]}#L{py[2]}"
    nb = conn.execute("select url from call_sites where path like '%.ipynb' limit 1").fetchone()
    assert "#L" not in nb[0] and nb[0].endswith(".ipynb")
    assert conn.execute("select count(*) from files where url is null or url not like "
                        "'https://github.com/%/blob/%'").fetchone()[0] == 0
    assert browse.github_url("o/n", "abc", "a b/c.py", 3) == "https://github.com/o/n/blob/abc/a%20b/c.py#L3"


def small_results(tmp_path: Path) -> Path:
    """A results folder with the data package and its two smallest resources' files."""
    out = tmp_path / "results"
    out.mkdir()
    for name in ("datapackage.json", "corpus.csv", "funnel.csv"):
        shutil.copy(RESULTS / name, out / name)
    return out


def run_main(results: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = browse.main(["--results", str(results), "--db", str(db)])
    return code, capsys.readouterr().err


def test_missing_corpus_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = small_results(tmp_path)
    (results / "corpus.csv").unlink()
    code, err = run_main(results, tmp_path / "r.db", capsys)
    assert code == 1
    assert f"{results / 'corpus.csv'}: missing" in err and "git checkout -- results/" in err
    assert not (tmp_path / "r.db").exists() and not (tmp_path / "r.db.tmp").exists()


def test_header_mismatch_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = small_results(tmp_path)
    funnel = results / "funnel.csv"
    text = funnel.read_text(encoding="utf-8")
    funnel.write_text(text.replace("repositories", "repos", 1), encoding="utf-8")
    code, err = run_main(results, tmp_path / "r.db", capsys)
    assert code == 1
    assert f"{funnel}: header" in err and "does not match" in err and "make analysis" in err
    assert not (tmp_path / "r.db.tmp").exists()


def test_changed_values_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = small_results(tmp_path)
    funnel = results / "funnel.csv"
    lines = funnel.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace(",", ",x", 1)
    funnel.write_text("\n".join(lines), encoding="utf-8")
    code, err = run_main(results, tmp_path / "r.db", capsys)
    assert code == 1 and str(funnel) in err and "corrupt" in err


def test_bad_value_names_line_and_column(tmp_path: Path) -> None:
    resource = {"schema": {"fields": [{"name": "n", "type": "integer"}]}}
    path = tmp_path / "t.csv"
    path.write_text("n\n1\nabc\n", encoding="utf-8")
    with pytest.raises(browse.BrowseError, match=r"t\.csv:3: column n: 'abc'"):
        list(browse.read_rows(path, resource))


# --- the Datasette site -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


@pytest.fixture(scope="module")
def site(built: tuple[Path, dict[str, Any]]) -> Iterator[str]:
    db, _ = built
    port = free_port()
    log = db.with_name("datasette.log")
    with log.open("w") as out:  # a file, not a pipe: an unread pipe would block the server
        proc = subprocess.Popen(browse.serve_command(db, port), stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                pytest.fail(f"datasette exited: {log.read_text()}")
            try:
                if get(base + "/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("datasette did not start within 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_site_serves_metadata_and_survives_bad_sql(site: str) -> None:
    status, html = get(site + "/results/repo_features")
    assert status == 200 and "One row per selected repository" in html
    status, html = get(site + "/results?sql=selec+nonsense")
    assert status == 400 and "Invalid SQL" in html
    status, html = get(site + "/results?sql=delete+from+funnel")
    assert status == 400 and "Statement must be a SELECT" in html
    status, body = get(site + "/results.json?sql=select+count(*)+as+n+from+funnel&_shape=array")
    assert status == 200 and json.loads(body)[0]["n"] > 0
    status, body = get(site + "/results/call_sites.json?_search=autolog&_shape=array&_size=1")
    assert status == 200 and "autolog" in json.loads(body)[0]["api"]


def test_browse_in_chromium(site: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    macros = paper_macros()
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(site + "/results/repo_features")
            assert "One row per selected repository" in page.content()
            page.locator('a[href*="_facet=uses_mlflow"]').first.click()
            page.wait_for_load_state()
            page.locator('.facet-info a[href*="uses_mlflow=1"]').first.click()
            page.wait_for_load_state()
            assert "uses_mlflow=1" in page.url
            shown = page.locator("h3").first.inner_text()
            assert shown.startswith(f"{int(macros['Analysed'].replace(',', '')):,} rows"), shown  # the analysed projects
            page.locator("table.rows-and-columns tbody tr td.type-pk a").first.click()
            page.wait_for_load_state()
            repo = page.url.rsplit("/", 1)[-1]
            assert "/results/repo_features/" in page.url
            sites = page.locator("a.call-sites").first
            expected = int(sites.inner_text())
            sites.click()
            page.wait_for_load_state()
            assert "/results/call_sites?" in page.url and f"repo={repo}" in page.url
            rows = page.locator("h3").first.inner_text()
            assert rows.startswith(f"{expected} row"), (rows, expected)
            link = page.locator('table.rows-and-columns a[href^="https://github.com/"]').first
            assert "/blob/" in (link.get_attribute("href") or "")
            page.goto(site + "/results/rq1_logs_params")
            cell = page.locator("table.rows-and-columns td.col-k").first.inner_text()
            assert int(cell) == int(macros["RQOneParamsCount"].replace(",", ""))
            pct = page.locator("table.rows-and-columns td.col-pct").first.inner_text()
            assert float(pct) == macro_number(macros["RQOneParamsPct"])
            shot = tmp_path / "browse-screenshot.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 0
            data = ROOT / "data"
            if data.is_dir() and os.access(data, os.W_OK):
                shutil.copy(shot, data / "browse-screenshot.png")
        finally:
            browser.close()
    outside = [u for u in requests if not u.startswith(site + "/")]
    assert requests and not outside, outside
