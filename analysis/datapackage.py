"""``python -m analysis datapackage``: ``results/datapackage.json``, the published results as a
Frictionless Tabular Data Package (spec v1, read and validated by frictionless-py 5).

Usage::

    python -m analysis datapackage --results results            # write, then validate
    python -m analysis datapackage --results results --check    # validate; fail if out of date

Definition. The package has one tabular resource per CSV file under ``results/`` (the mined
tables, the rerun tables, and ``results/tables/*.csv`` written by the analysis stage). Every
resource and every column of every CSV must be documented: the mined and rerun tables in
:data:`miners.schema.TABLES` (the published schema: a description per table, and per column its
declared type and its definition with units), the analysis tables in the ``TABLE_DOCS`` dict of the module that
writes them (:data:`TABLE_MODULES`). A CSV without a description, or a column without one, is
an error that names the file and the column, so adding a column forces documenting it.

* Types are declared, not inferred, for the schema's tables (so the package does not change with
  the data); for analysis tables a field may declare ``{"type": ..., "description": ...}``,
  otherwise its type is inferred from its values (:func:`infer_type`; a column without any
  value takes the type of the same column name in the other tables, else string).
* CSV dialect: comma, ``"`` quoting, ``\\n`` line ends, a header row, UTF-8; the empty string is
  the only missing value; booleans are written ``true``/``false``.
* Each resource records its size (``bytes``) and SHA-256 (``hash``), so validation also proves
  that the package describes exactly these files.
* Package metadata: name, title, description, version (``pyproject.toml``), licence of the
  data (CC-BY-4.0), contributors, ``created`` (``mined_at`` of ``results/provenance.json``,
  never the clock), sources (the sampling frame) and the provenance record.

The output is byte-identical for the same inputs (fixed key order, sorted resources, atomic
write). Validation uses ``frictionless.validate``: schema, types, constraints, primary and
foreign keys, sizes and hashes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from analysis.stages import TABLE_MODULES
from miners.csvio import atomic_write_bytes
from miners.schema import TABLES, TYPES, Col, SchemaError, Table

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILE = "datapackage.json"
TABLES_DIR = "tables"
TRUE, FALSE = "true", "false"

TITLE = ("mlflow-mining: experiment tracking, seeding and model-registry use in GitHub projects "
         "that use MLflow, and whether their experiments reproduce (published results)")
DESCRIPTION = (
    "Facts mined from public GitHub repositories that use MLflow, each pinned to one commit "
    "(corpus.csv, column sha): the sampling funnel, clone status, every candidate Python and "
    "notebook file, every detected MLflow tracking, seed and model-registry call site, per-"
    "repository features and practices; the rerun experiment (re-executing sampled projects "
    "k times per condition in a network-less sandbox, and the run-to-run variance of their "
    "metrics); and the analysis tables of the paper. No code or data of the mined repositories "
    "is included. Column definitions: each field's description here, and study/codebook.md. "
    "provenance.json records the miner version, protocol and frame (with SHA-256) and when the "
    "corpus was mined. The pipeline's code is MIT-licensed; these data are CC-BY-4.0."
)
KEYWORDS = ["mining software repositories", "MLflow", "experiment tracking", "reproducibility",
            "random seeds", "model registry", "MLOps"]
LICENSES = [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
             "title": "Creative Commons Attribution 4.0 International"}]
CONTRIBUTORS = [{"title": "The mlflow-mining team", "role": "author"}]
DIALECT = {"delimiter": ",", "doubleQuote": True, "header": True, "lineTerminator": "\n",
           "quoteChar": '"'}
PROVENANCE_KEYS = ("miner_version", "miner_versions_of_task_records", "pipeline_commit", "mined_at",
                   "protocol", "protocol_sha256", "frame", "frame_sha256", "sample", "select",
                   "python", "git")


class DatapackageError(Exception):
    """The results cannot be described: an undocumented file or column, or bad documentation."""



_INT = re.compile(r"[+-]?\d+")
_NUM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(inf|nan)", re.IGNORECASE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def infer_type(values: list[str]) -> str:
    """The narrowest type of a column's non-empty values: boolean (only ``true``/``false``),
    integer, number, date, datetime (ISO 8601), else string; string when all are empty."""
    present = [v for v in values if v != ""]
    if not present:
        return "string"
    for kind, test in (("boolean", lambda v: v in (TRUE, FALSE)),
                       ("integer", _INT.fullmatch), ("number", _NUM.fullmatch),
                       ("date", _DATE.fullmatch), ("datetime", _DATETIME.fullmatch)):
        if all(test(v) for v in present):
            return kind
    return "string"


def project_version(root: Path = ROOT) -> str:
    """``[project] version`` of pyproject.toml (the installed distribution's, failing that)."""
    try:
        return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        from importlib.metadata import version

        return version("mlflow-mining")


def table_docs(modules: tuple[str, ...] = TABLE_MODULES) -> dict[str, dict[str, Any]]:
    """``TABLE_DOCS`` of the analysis modules that exist, merged (a module that is not written
    yet is skipped; any other import error is raised)."""
    docs: dict[str, dict[str, Any]] = {}
    owner: dict[str, str] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and (exc.name == name or name.startswith(exc.name + ".")):
                continue
            raise
        for stem, doc in (getattr(module, "TABLE_DOCS", None) or {}).items():
            if stem in docs:
                raise DatapackageError(f"table {stem!r} is documented twice: in {owner[stem]} and "
                                       f"{name} (TABLE_DOCS)")
            docs[stem], owner[stem] = doc, name
    return docs


def _table_col(stem: str, col: str, doc: Any, values: list[str]) -> Col:
    where = f"TABLE_DOCS[{stem!r}]['fields'][{col!r}]"
    if isinstance(doc, str):
        description, kind = doc, None
    elif isinstance(doc, dict):
        description, kind = doc.get("description"), doc.get("type")
    else:
        raise DatapackageError(f"{where} must be a description or a dict with 'description'")
    if not isinstance(description, str) or not description.strip():
        raise DatapackageError(f"{where} has an empty description")
    if kind is not None and kind not in TYPES:
        raise DatapackageError(f"{where} has type {kind!r}; choose one of {', '.join(TYPES)}")
    if kind is None:
        kind = infer_type(values) if any(v != "" for v in values) else ""  # settled by build()
    return Col(kind, description.strip())


def _settle_empty_columns(resources: list[dict[str, Any]]) -> None:
    """A table column without any value takes the type its name has in the other tables when
    they agree (e.g. ``dof`` of a table of tests), else string."""
    known: dict[str, set[str]] = {}
    for r in resources:
        for f in r["schema"]["fields"]:
            if f["type"] and r["name"].startswith(f"{TABLES_DIR}/"):
                known.setdefault(f["name"], set()).add(f["type"])
    for r in resources:
        for f in r["schema"]["fields"]:
            if not f["type"]:
                types = known.get(f["name"], set())
                f["type"] = next(iter(types)) if len(types) == 1 else "string"
                if f["type"] == "boolean":
                    f["trueValues"], f["falseValues"] = [TRUE], [FALSE]


def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), None)
    if not header:
        raise DatapackageError(f"{path}: empty file, no header row")
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DatapackageError(f"{path}: duplicate column(s) {', '.join(dupes)}")
    return header


def _columns(path: Path) -> dict[str, list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    return {c: [r[i] if i < len(r) else "" for r in rows] for i, c in enumerate(header)}


def _field(name: str, col: Col) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": col.type, "description": col.description}
    if col.type == "boolean":
        out["trueValues"], out["falseValues"] = [TRUE], [FALSE]
    constraints: dict[str, Any] = {}
    if col.enum:
        constraints["enum"] = list(col.enum)
    if col.minimum is not None:
        constraints["minimum"] = col.minimum
    if col.maximum is not None:
        constraints["maximum"] = col.maximum
    if constraints:
        out["constraints"] = constraints
    return out


def csv_files(results: Path) -> list[Path]:
    """Every CSV under ``results`` (hidden files and folders left out), as relative paths."""
    out = []
    for p in sorted(Path(results).rglob("*.csv")):
        rel = p.relative_to(results)
        if not any(part.startswith(".") for part in rel.parts):
            out.append(rel)
    return out


def _resource_name(rel: Path) -> str:
    if rel.parent == Path("."):
        return rel.stem
    name = "/".join(rel.with_suffix("").parts)
    if not re.fullmatch(r"[-a-z0-9._/]+", name):
        raise DatapackageError(f"{rel}: a table's file name must be lower case letters, digits, "
                               "'-', '_' or '.' (it becomes the resource name)")
    return name


def _resource(results: Path, rel: Path, docs: dict[str, dict[str, Any]],
              modules: tuple[str, ...]) -> dict[str, Any]:
    path = results / rel
    header = _header(path)
    name = _resource_name(rel)
    if rel.parent == Path("."):
        spec: Table | None = TABLES.get(rel.stem)
        if spec is None:
            raise DatapackageError(f"{path}: no description: declare the table {rel.stem!r} in "
                                   "miners/schema/ (mined.py or rerun.py)")
        try:
            spec.check_header(header, str(path))
        except SchemaError as exc:
            raise DatapackageError(str(exc)) from None
        cols = {c: spec.columns[c] for c in header}
        title, description = spec.title, spec.description
        primary = [c for c in spec.primary_key if c in header]  # optional key columns
    elif rel.parent == Path(TABLES_DIR):
        doc = docs.get(rel.stem)
        if not isinstance(doc, dict) or not str(doc.get("description") or "").strip():
            raise DatapackageError(f"{path}: no description: add {rel.stem!r} with a "
                                   "'description' to TABLE_DOCS of the module that writes it "
                                   f"(one of {', '.join(modules)})")
        fields = doc.get("fields") or {}
        undocumented = [c for c in header if c not in fields]
        if undocumented:
            raise DatapackageError(f"{path}: column(s) {', '.join(undocumented)} have no "
                                   f"description: add them to TABLE_DOCS[{rel.stem!r}]['fields']")
        values = _columns(path) if any(not isinstance(fields[c], dict) or "type" not in fields[c]
                                       for c in header) else {}
        cols = {c: _table_col(rel.stem, c, fields[c], values.get(c, [])) for c in header}
        title, description = str(doc.get("title") or rel.stem), str(doc["description"]).strip()
        primary = doc.get("primaryKey")
    else:
        raise DatapackageError(f"{path}: no description: CSVs belong in {results} or "
                               f"{results / TABLES_DIR}")
    data = path.read_bytes()
    schema: dict[str, Any] = {"fields": [_field(c, col) for c, col in cols.items()],
                              "missingValues": [""]}
    if primary:
        schema["primaryKey"] = list(primary)
    return {"name": name, "path": rel.as_posix(), "profile": "tabular-data-resource",
            "title": title, "description": description, "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "bytes": len(data),
            "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "dialect": dict(DIALECT),
            "schema": schema}


def _provenance(results: Path) -> dict[str, Any]:
    path = results / "provenance.json"
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text())
    except ValueError as exc:
        raise DatapackageError(f"{path}: not valid JSON ({exc})") from None
    return {k: info[k] for k in PROVENANCE_KEYS if k in info}


def build(results: Path, table_modules: tuple[str, ...] = TABLE_MODULES) -> dict[str, Any]:
    """The package descriptor of ``results`` (raises :class:`DatapackageError`);
    ``table_modules`` are the modules whose ``TABLE_DOCS`` document ``results/tables/``."""
    results = Path(results)
    if not results.is_dir():
        raise DatapackageError(f"results folder not found: {results}")
    files = csv_files(results)
    docs = table_docs(table_modules) if any(f.parent == Path(TABLES_DIR) for f in files) else {}
    order = {name: i for i, name in enumerate(TABLES)}
    files.sort(key=lambda f: (f.parent != Path("."), order.get(f.stem, len(order)), f.as_posix()))
    resources = [_resource(results, f, docs, table_modules) for f in files]
    _settle_empty_columns(resources)
    present = {r["name"] for r in resources}
    for r in resources:
        spec = TABLES.get(r["name"])
        keys = [{"fields": list(local), "reference": {"resource": target, "fields": list(remote)}}
                for local, target, remote in (spec.foreign_keys if spec else ()) if target in present]
        if keys:
            r["schema"]["foreignKeys"] = keys
    prov = _provenance(results)
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": "mlflow-mining-results",
        "title": TITLE,
        "description": DESCRIPTION,
        "version": project_version(),
    }
    if prov.get("mined_at"):
        package["created"] = prov["mined_at"]
    package.update(keywords=KEYWORDS, licenses=LICENSES, contributors=CONTRIBUTORS)
    if prov.get("frame"):
        digest = f", SHA-256 {prov['frame_sha256']}" if prov.get("frame_sha256") else ""
        package["sources"] = [{"title": f"Sampling frame {prov['frame']} (path relative to the "
                                        f"pipeline's repository{digest})"}]
    if prov:
        package["provenance"] = prov
    package["resources"] = resources
    return package


def render(package: dict[str, Any]) -> bytes:
    """The descriptor as JSON bytes: 2-space indent, key order as built, UTF-8, final newline."""
    return (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write(results: Path) -> Path:
    """Build and write ``results/datapackage.json`` atomically; returns its path."""
    path = Path(results) / PACKAGE_FILE
    atomic_write_bytes(path, render(build(results)))
    return path


def validate(path: Path, limit: int = 50) -> list[str]:
    """Frictionless validation of a package descriptor; returns the errors (empty if valid)."""
    import frictionless

    report = frictionless.validate(str(path))
    errors = [f"package: {e.message}" for e in report.errors]
    for task in report.tasks:
        errors += [f"{task.name}: {e.message}" for e in task.errors]
    if len(errors) > limit:
        errors = [*errors[:limit], f"... and {len(errors) - limit} more"]
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis datapackage",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="the results folder (default: results)")
    parser.add_argument("--check", action="store_true",
                        help="do not write: fail if datapackage.json is missing or out of date, "
                             "then validate it")
    parser.add_argument("--no-validate", action="store_true", help="write without validating")
    args = parser.parse_args(argv)
    path = args.results / PACKAGE_FILE
    try:
        if args.check:
            if not path.exists() or path.read_bytes() != render(build(args.results)):
                print(f"{path} is missing or out of date: run python -m analysis datapackage "
                      f"--results {args.results}", file=sys.stderr)
                return 1
        else:
            write(args.results)
    except DatapackageError as exc:
        print(f"datapackage: {exc}", file=sys.stderr)
        return 1
    if args.no_validate and not args.check:
        print(f"wrote {path} (not validated)")
        return 0
    errors = validate(path)
    if errors:
        print(f"{path} is not valid:", file=sys.stderr)
        for e in errors:
            print(f"  {e}", file=sys.stderr)
        return 1
    print(f"{path}: valid ({'checked' if args.check else 'written'})")
    return 0
