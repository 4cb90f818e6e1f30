"""``python -m analysis browse``: the published ``results/`` as one SQLite database, browsable
read-only with Datasette (``make browse``).

Usage::

    python -m analysis browse --results results --db data/results.db            # build only
    python -m analysis browse --results results --db data/results.db --serve --port 8001

Definition. The database is built with sqlite-utils from the CSVs that
``results/datapackage.json`` lists, and from nothing else: one table per resource (named after
the resource, ``tables/rq1_tracking`` -> ``rq1_tracking``), its column types (integer ->
INTEGER, number -> REAL, boolean -> INTEGER 0/1, others TEXT; the empty string -> NULL), primary
key, foreign keys (composite ones included) and an index per foreign key are the package's.
Added when building:

* a column ``url`` on ``call_sites`` and ``files``: the file at the mined commit,
  ``https://github.com/<owner>/<name>/blob/<sha>/<path>`` (``owner/name`` and ``sha`` from
  ``corpus.csv``), with ``#L<line>`` for call sites in ``.py`` files (a notebook's line numbers
  count from its cell, so its link has no anchor);
* full-text search (FTS5) on :data:`FTS` and an index on each facet column (:data:`FACETS`).

Next to the database, ``<db>.metadata.json`` is Datasette's metadata: the package's title,
licence and descriptions (table ``description``, per-column ``columns``; units are part of each
column's description), default facets and the canned queries of
:mod:`analysis.browse_queries`. ``--serve`` runs ``datasette serve --immutable`` on 127.0.0.1
(no writes, no remote assets) with the plugin in ``analysis/datasette_plugins/`` that links
the call-site counts of a repository to its call sites.

A missing or corrupt input stops the build with :class:`BrowseError`, whose message names the
file and what to do: an absent CSV, a header that differs from the package's fields, a size or
SHA-256 that differs from the package's record, a value that is not of its column's type.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlite_utils

from analysis.browse_queries import datasette_queries

DB_NAME = "results"
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
FTS: dict[str, tuple[str, ...]] = {
    "call_sites": ("api", "detail"),
    "reruns": ("reason", "exception", "stderr_tail"),
    "rerun_environments": ("reason", "failed_requirement"),
}
FACET_COLUMNS = ("category", "api", "status", "condition", "verdict")
URL_TABLES = ("call_sites", "files")
FIX = ("restore the committed results with `git checkout -- results/`, or regenerate them "
       "(`make analysis` rewrites results/tables/ and results/datapackage.json)")


class BrowseError(Exception):
    """A results file is missing or does not match ``results/datapackage.json``."""


def table_name(resource: dict[str, Any]) -> str:
    """The SQLite table of a package resource: its name after the last ``/``."""
    return str(resource["name"]).rsplit("/", 1)[-1]


def load_package(results: Path) -> dict[str, Any]:
    path = results / "datapackage.json"
    if not path.is_file():
        raise BrowseError(f"{path}: missing; {FIX}")
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
        names = [table_name(r) for r in package["resources"]]
    except (ValueError, KeyError, TypeError) as e:
        raise BrowseError(f"{path}: not a readable data package ({e}); {FIX}") from e
    if len(set(names)) != len(names):
        raise BrowseError(f"{path}: two resources map to the same table name; {FIX}")
    return package


def check_file(results: Path, resource: dict[str, Any]) -> Path:
    """The resource's CSV, after checking it exists and has the package's header, size and
    hash."""
    path = results / resource["path"]
    if not path.is_file():
        raise BrowseError(f"{path}: missing (listed in {results / 'datapackage.json'}); {FIX}")
    names = [f["name"] for f in resource["schema"]["fields"]]
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        header = next(csv.reader(fh), None)
    if header != names:
        raise BrowseError(f"{path}: header {header} does not match the data package's fields "
                          f"{names}; {FIX}")
    data = path.read_bytes()
    if "bytes" in resource and len(data) != resource["bytes"]:
        raise BrowseError(f"{path}: {len(data)} bytes, the data package records "
                          f"{resource['bytes']}; the file is corrupt or was changed: {FIX}")
    algo, _, digest = str(resource.get("hash", "")).rpartition(":")
    if digest and hashlib.new(algo or "md5", data).hexdigest() != digest:
        raise BrowseError(f"{path}: its SHA-256 differs from the data package's record; "
                          f"the file is corrupt or was changed: {FIX}")
    return path


def _converter(field: dict[str, Any]):
    kind = field["type"]
    trues = set(field.get("trueValues", ["true"]))
    falses = set(field.get("falseValues", ["false"]))

    def convert(text: str) -> Any:
        if text == "":
            return None
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean":
            if text in trues:
                return 1
            if text in falses:
                return 0
            raise ValueError(f"not a boolean ({sorted(trues)} / {sorted(falses)})")
        return text

    return convert


def read_rows(path: Path, resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The typed rows of a resource's CSV; its header must be the package's field names."""
    fields = resource["schema"]["fields"]
    names = [f["name"] for f in fields]
    converters = [_converter(f) for f in fields]
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != names:
            raise BrowseError(f"{path}: header {header} does not match the data package's "
                              f"fields {names}; {FIX}")
        for lineno, row in enumerate(reader, start=2):
            if len(row) != len(names):
                raise BrowseError(f"{path}:{lineno}: {len(row)} values, {len(names)} columns; "
                                  f"{FIX}")
            out: dict[str, Any] = {}
            for name, conv, text in zip(names, converters, row, strict=True):
                try:
                    out[name] = conv(text)
                except ValueError as e:
                    raise BrowseError(f"{path}:{lineno}: column {name}: {text!r} is not of the "
                                      f"declared type ({e}); {FIX}") from e
            yield out


def create_sql(resource: dict[str, Any], extra: tuple[str, ...] = ()) -> str:
    """CREATE TABLE for a resource: declared types, primary key and foreign keys (sqlite-utils
    declares only single-column foreign keys; the package has composite ones)."""
    schema = resource["schema"]
    cols = [f'"{f["name"]}" {SQL_TYPES.get(f["type"], "TEXT")}' for f in schema["fields"]]
    cols += [f'"{c}" TEXT' for c in extra]
    if schema.get("primaryKey"):
        cols.append("PRIMARY KEY (" + ", ".join(f'"{c}"' for c in schema["primaryKey"]) + ")")
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        cols.append("FOREIGN KEY (" + ", ".join(f'"{c}"' for c in fk["fields"]) + ") REFERENCES "
                    f'"{ref["resource"].rsplit("/", 1)[-1]}" ('
                    + ", ".join(f'"{c}"' for c in ref["fields"]) + ")")
    return f'CREATE TABLE "{table_name(resource)}" (\n  ' + ",\n  ".join(cols) + "\n)"


def repo_id(full_name: str) -> str:
    """``owner/name`` -> ``owner__name`` (the repository id of the mined tables)."""
    return full_name.replace("/", "__", 1)


def github_url(full_name: str, sha: str, path: str, line: int | None = None) -> str:
    url = f"https://github.com/{full_name}/blob/{sha}/{quote(path, safe='/')}"
    return f"{url}#L{line}" if line is not None and not path.endswith(".ipynb") else url


def commits(package: dict[str, Any], results: Path) -> dict[str, tuple[str, str]]:
    """repo id -> (owner/name, mined commit) from corpus.csv."""
    corpus = next((r for r in package["resources"] if r["name"] == "corpus"), None)
    if corpus is None:
        raise BrowseError(f"{results / 'datapackage.json'}: no corpus resource; {FIX}")
    path = check_file(results, corpus)
    return {repo_id(r["full_name"]): (r["full_name"], r["sha"])
            for r in read_rows(path, corpus) if r["sha"]}


def with_urls(rows: Iterator[dict[str, Any]], path: Path,
              shas: dict[str, tuple[str, str]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if row["repo"] not in shas:
            raise BrowseError(f"{path}: repository {row['repo']} has no mined commit (sha) in "
                              f"corpus.csv; {FIX}")
        full_name, sha = shas[row["repo"]]
        row["url"] = github_url(full_name, sha, row["path"], row.get("line"))
        yield row


def build(results: Path, db_path: Path) -> dict[str, Any]:
    """Build ``db_path`` from ``results`` (atomically) and return the Datasette metadata."""
    package = load_package(results)
    shas = commits(package, results)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(db_path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite_utils.Database(tmp)
    try:
        for resource in package["resources"]:
            name = table_name(resource)
            path = check_file(results, resource)
            extra = ("url",) if name in URL_TABLES else ()
            db.execute(create_sql(resource, extra))
            rows = read_rows(path, resource)
            db[name].insert_all(with_urls(rows, path, shas) if extra else rows, batch_size=5000)
            columns = {f["name"] for f in resource["schema"]["fields"]}
            for fk in resource["schema"].get("foreignKeys", []):
                db[name].create_index(fk["fields"], if_not_exists=True)
            for col in FACET_COLUMNS:
                if col in columns:
                    db[name].create_index([col], if_not_exists=True)
            if name in FTS:
                db[name].enable_fts(list(FTS[name]), create_triggers=False)
        db.conn.commit()
        db.vacuum()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, db_path)
    metadata = datasette_metadata(package)
    metadata_path(db_path).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return metadata


def metadata_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + ".metadata.json")


def datasette_metadata(package: dict[str, Any]) -> dict[str, Any]:
    """Datasette metadata from the data package: descriptions, facets and canned queries."""
    tables: dict[str, Any] = {}
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        names = [f["name"] for f in fields]
        columns = {f["name"]: f.get("description", "") for f in fields}
        if table_name(resource) in URL_TABLES:
            columns["url"] = ("the file on GitHub at the mined commit (corpus.csv sha); call "
                              "sites in .py files link to their line (generated when building)")
        table: dict[str, Any] = {
            "title": resource.get("title", table_name(resource)),
            "description": resource.get("description", ""),
            "columns": columns,
        }
        facets = [c for c in FACET_COLUMNS if c in names]
        if facets:
            table["facets"] = facets
        tables[table_name(resource)] = table
    licence = (package.get("licenses") or [{}])[0]
    return {
        "title": package.get("title", "mlflow-mining results"),
        "description": package.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "databases": {DB_NAME: {"tables": tables, "queries": datasette_queries()}},
    }


def serve_command(db_path: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The ``datasette serve`` command line: immutable database, local host, our metadata."""
    return [
        sys.executable, "-m", "datasette", "serve", "--immutable", str(db_path),
        "--metadata", str(metadata_path(db_path)), "--plugins-dir", str(PLUGINS_DIR),
        "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", "5000", "--setting", "default_page_size", "50",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analysis browse", description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, default=Path("results"))
    ap.add_argument("--db", type=Path, default=Path("data/results.db"))
    ap.add_argument("--serve", action="store_true", help="serve the database with Datasette")
    ap.add_argument("--port", type=int, default=8001)
    args = ap.parse_args(argv)
    try:
        build(args.results, args.db)
    except BrowseError as e:
        print(f"browse: {e}", file=sys.stderr)
        return 1
    except sqlite3.Error as e:
        print(f"browse: {args.db}: {e}; {FIX}", file=sys.stderr)
        return 1
    print(f"browse: {args.db} and {metadata_path(args.db)} built from {args.results}/")
    if not args.serve:
        return 0
    print(f"browse: http://127.0.0.1:{args.port}/ (read-only; Ctrl-C stops)", flush=True)
    cmd = serve_command(args.db, args.port)
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover (execv does not return)
