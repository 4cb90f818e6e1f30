"""results/datapackage.json: every CSV and column documented, valid, current, deterministic."""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from analysis import datapackage as dp
from miners import mine, schema
from miners.corpus.clone_stage import STATUS_COLUMNS
from miners.corpus.discover import CORPUS_COLUMNS
from miners.history import tables as history_tables
from miners.practices.repo_practices import PRACTICE_COLUMNS
from miners.rerun import publish, variance
from miners.rerun.sampling import SAMPLE_COLUMNS
from miners.scan import tables as scan_tables
from miners.scan.features import FEATURE_COLUMNS
from miners.scan.records import FILE_COLUMNS, SITE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"
FRAME_COLUMNS = ["frame_evidence_strength", "frame_evidence", "frame_kind_guess",
                 "frame_has_mlproject", "frame_runnable_guess", "frame_cluster"]
# The columns each producer writes, taken from the producing code itself.
WRITTEN = {
    "funnel": mine.FUNNEL_COLUMNS,
    "corpus": CORPUS_COLUMNS + FRAME_COLUMNS + mine.SELECTION_COLUMNS,
    "clone_status": [c for c in STATUS_COLUMNS if c != "seconds"],
    "files": FILE_COLUMNS,
    "skipped_folders": scan_tables.FOLDER_COLUMNS,
    "call_sites": SITE_COLUMNS,
    "repo_features": FEATURE_COLUMNS,
    "repo_practices": PRACTICE_COLUMNS,
    "repo_history": history_tables.REPO_COLUMNS,
    "history_events": history_tables.EVENT_COLUMNS,
    "branch_heads": history_tables.HEAD_COLUMNS,
    "rerun_sample": SAMPLE_COLUMNS,
    "reruns": publish.RUN_COLUMNS,
    "rerun_metrics": publish.METRIC_COLUMNS,
    "rerun_params": publish.PARAM_COLUMNS,
    "variance": variance.VARIANCE_COLUMNS,
    "rerun_repos": variance.REPO_COLUMNS,
    "rerun_environments": publish.ENV_COLUMNS,
    "rerun_funnel": publish.FUNNEL_COLUMNS,
    "rerun_originals": variance.ORIGINAL_COLUMNS,
    "rerun_recipes": publish.RECIPE_COLUMNS,
    "rerun_causes": publish.CAUSE_COLUMNS,
}
PROVENANCE = {"mined_at": "2026-01-02T03:04:05+00:00", "miner_version": "0.1.0+test",
              "frame": "study/frame.csv", "frame_sha256": "ab" * 32, "python": "3.11.7"}


def _value(resource: str, column: str, col: schema.Col) -> str:
    """One valid cell per documented column, consistent across tables (keys and references)."""
    if column == "repo":
        return "acme/demo" if resource == "clone_status" else "acme__demo"
    if column == "full_name":
        return "acme/demo"
    if column == "path":
        return "train.py"
    if col.enum:
        return col.enum[0]
    return {"integer": "1", "number": "0.5", "boolean": "true", "date": "2026-01-01",
            "datetime": "2026-01-01T00:00:00+00:00"}.get(col.type, "x")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def synthetic_results(folder: Path) -> Path:
    """A results folder with one valid row in every CSV, with the columns the code writes."""
    for name, columns in WRITTEN.items():
        fields = schema.get(name).columns
        row = [_value(name, c, fields[c]) for c in columns]
        _write(folder / f"{name}.csv", list(columns), [row])
    (folder / "provenance.json").write_text(json.dumps(PROVENANCE))
    return folder


def test_every_column_the_code_writes_is_documented_and_no_documentation_is_stale() -> None:
    assert set(WRITTEN) == set(schema.TABLES)
    for name, columns in WRITTEN.items():
        table = schema.get(name)
        assert list(columns) == table.names, name  # same columns, in the order written
        table.check_header(columns)
        for column, col in table.columns.items():
            assert col.type in schema.TYPES, (name, column)
            text = col.description.strip().lower()
            assert text not in ("", column.replace("_", " ")), (name, column)
        assert table.description.startswith("One row per") or name.endswith("funnel")
        assert set(table.primary_key) <= set(columns), name
    for name, keys in schema.FOREIGN_KEYS.items():
        for local, target, remote in keys:
            assert set(local) <= set(WRITTEN[name]) and set(remote) <= set(WRITTEN[target])


def test_synthetic_package_is_written_complete_and_valid(tmp_path: Path, capsys) -> None:
    results = synthetic_results(tmp_path / "results")
    assert dp.main(["--results", str(results)]) == 0, capsys.readouterr().err
    package = json.loads((results / "datapackage.json").read_text())
    assert package["created"] == PROVENANCE["mined_at"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert package["version"] == pyproject["project"]["version"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert "study/frame.csv" in package["sources"][0]["title"]
    assert [r["path"] for r in package["resources"]] == [f"{n}.csv" for n in schema.TABLES]
    for resource in package["resources"]:
        assert not Path(resource["path"]).is_absolute()
        assert resource["schema"]["missingValues"] == [""]
        for field in resource["schema"]["fields"]:
            assert field["description"] and field["type"] in schema.TYPES
            if field["type"] == "boolean":
                assert field["trueValues"] == ["true"] and field["falseValues"] == ["false"]
    # validation really checks the data: a bad boolean and a dangling reference are reported
    _write(results / "call_sites.csv", SITE_COLUMNS,
           [["acme__other", "train.py", "", "1", "0", "tracking", "mlflow.log_param", "k=v"]])
    with open(results / "repo_features.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][FEATURE_COLUMNS.index("uses_mlflow")] = "yes"
    _write(results / "repo_features.csv", rows[0], rows[1:])
    assert dp.main(["--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert "call_sites" in err and "foreign key" in err
    assert "repo_features" in err and "uses_mlflow" in err


def test_an_undocumented_column_or_file_is_an_error_naming_it(tmp_path: Path, capsys) -> None:
    results = synthetic_results(tmp_path / "results")
    _write(results / "files.csv", [*FILE_COLUMNS, "mystery"],
           [["acme__demo", "train.py", "py", "parsed", "", "1", "1", "", "ast", "x", "", "?"]])
    undocumented = r"files\.csv: column\(s\) mystery are not in the schema \(document them in miners/schema/"
    with pytest.raises(dp.DatapackageError, match=undocumented):
        dp.build(results)
    assert dp.main(["--results", str(results)]) == 1
    assert "mystery" in capsys.readouterr().err
    assert not (results / "datapackage.json").exists()
    (results / "files.csv").unlink()
    _write(results / "leftover.csv", ["a"], [["1"]])
    with pytest.raises(dp.DatapackageError, match=r"leftover\.csv: no description"):
        dp.build(results)


def test_tables_are_documented_by_table_docs(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    results = synthetic_results(tmp_path / "results")
    _write(results / "tables" / "rq_demo.csv",
           ["name", "k", "share", "significant", "empty", "dof"],
           [["a", "3", "0.25", "true", "", ""], ["b", "-1", "1e-05", "false", "", ""]])
    _write(results / "tables" / "rq_more.csv", ["dof"], [["2"]])
    modules = tmp_path / "mods"
    modules.mkdir()
    (modules / "docs_ok.py").write_text(
        "TABLE_DOCS = {'rq_demo': {'description': 'A demo table.', 'fields': {\n"
        "    'name': 'a name', 'k': 'a count',\n"
        "    'share': {'type': 'number', 'description': 'k / n'},\n"
        "    'significant': 'q < 0.05', 'empty': 'never filled', 'dof': 'degrees of freedom'}},\n"
        "  'rq_more': {'description': 'More.', 'fields': {'dof': 'degrees of freedom'}}}\n")
    (modules / "docs_broken.py").write_text("import a_dependency_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(modules))
    package = dp.build(results, table_modules=("docs_ok", "analysis.not_written_yet"))
    table = package["resources"][-2]
    assert table["name"] == "tables/rq_demo" and table["path"] == "tables/rq_demo.csv"
    assert [(f["name"], f["type"]) for f in table["schema"]["fields"]] == [
        ("name", "string"), ("k", "integer"), ("share", "number"), ("significant", "boolean"),
        ("empty", "string"), ("dof", "integer")]
    path = results / "datapackage.json"
    path.write_bytes(dp.render(package))
    assert dp.validate(path) == []
    with pytest.raises(ModuleNotFoundError):  # a real import error is not hidden
        dp.build(results, table_modules=("docs_broken",))
    with pytest.raises(dp.DatapackageError, match=r"rq_demo\.csv: no description"):
        dp.build(results, table_modules=("analysis.not_written_yet",))
    (results / "tables" / "rq_more.csv").unlink()
    _write(results / "tables" / "rq_demo.csv", ["name", "extra"], [["a", "1"]])
    with pytest.raises(dp.DatapackageError, match=r"rq_demo\.csv: column\(s\) extra"):
        dp.build(results, table_modules=("docs_ok",))
    sys.modules.pop("docs_ok", None)


def test_output_is_deterministic_and_dated_by_provenance_not_the_clock(tmp_path: Path) -> None:
    results = synthetic_results(tmp_path / "results")
    first = dp.render(dp.build(results))
    assert dp.render(dp.build(results)) == first
    later = {**PROVENANCE, "mined_at": "2027-05-06T00:00:00+00:00"}
    (results / "provenance.json").write_text(json.dumps(later))
    assert dp.build(results)["created"] == "2027-05-06T00:00:00+00:00"
    (results / "provenance.json").unlink()
    assert "created" not in dp.build(results)


def test_check_fails_when_the_package_is_out_of_date(tmp_path: Path, capsys) -> None:
    results = synthetic_results(tmp_path / "results")
    assert dp.main(["--results", str(results), "--check"]) == 1  # not written yet
    assert dp.main(["--results", str(results), "--no-validate"]) == 0
    assert dp.main(["--results", str(results), "--check"]) == 0
    with open(results / "funnel.csv", "a") as fh:
        fh.write("2,more,1,0,\n")
    assert dp.main(["--results", str(results), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


def test_infer_type() -> None:
    assert dp.infer_type(["true", "", "false"]) == "boolean"
    assert dp.infer_type(["1", "-2", ""]) == "integer"
    assert dp.infer_type(["1", "0.5", "1e-05", "inf"]) == "number"
    assert dp.infer_type(["2026-01-01"]) == "date"
    assert dp.infer_type(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00+05:30"]) == "datetime"
    assert dp.infer_type(["1", "a"]) == "string"
    assert dp.infer_type(["", ""]) == "string"


def test_committed_package_is_current(tmp_path: Path) -> None:
    committed = RESULTS / dp.PACKAGE_FILE
    assert committed.exists(), "results/datapackage.json is missing: run make datapackage"
    copy = tmp_path / "results"
    shutil.copytree(RESULTS, copy, ignore=shutil.ignore_patterns(dp.PACKAGE_FILE))
    assert dp.render(dp.build(copy)) == committed.read_bytes(), \
        "results/datapackage.json is out of date: run make datapackage"


def test_committed_package_is_valid() -> None:
    """The one full validation (files.csv included, about 10 s)."""
    assert dp.validate(RESULTS / dp.PACKAGE_FILE) == []


def test_results_readme_names_every_table() -> None:
    readme = (RESULTS / "README.md").read_text()
    names = {f"{n}.csv" for n in schema.TABLES} | {p.as_posix() for p in dp.csv_files(RESULTS)
                                                  if p.parent == Path(".")}
    assert [n for n in sorted(names) if f"`{n}`" not in readme] == []
    for text in ("make mine", "make rerun", "make analysis", "make datapackage", "CC-BY-4.0",
                 "CITATION.cff", "provenance.json"):
        assert text in readme


def test_citation_cff() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["title"].startswith("mlflow-mining: ")
    assert str(cff["version"]) == version and cff["license"] == "MIT"
    assert str(cff["date-released"]) == "2026-11-22"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    assert cff["message"]
    paper = cff["preferred-citation"]
    assert paper["type"] == "article" and paper["title"] and paper["authors"]
