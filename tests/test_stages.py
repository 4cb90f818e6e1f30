"""analysis.stages: the one list of stages drives the command line, ``python -m analysis all``
and the data package's table documentation."""

from __future__ import annotations

import importlib

from analysis import cli, datapackage, stages
from analysis import validation_heldout_report as heldout
from tests.test_rq5 import _results as rerun_results
from tests.test_stats import make_results


def test_every_stage_is_a_command_with_a_main():
    for stage in stages.STAGES:
        assert callable(importlib.import_module(stage.module).main), stage.name
        assert stage.description and stage.reads and stage.writes, stage.name
    assert [s.name for s in stages.ANALYSIS] == ["stats", "rq5", "rq6", "validate", "datapackage"]


def test_the_table_modules_document_every_table_once():
    assert datapackage.TABLE_MODULES == stages.TABLE_MODULES
    seen: dict[str, str] = {}
    for name in stages.TABLE_MODULES:
        for table, doc in importlib.import_module(name).TABLE_DOCS.items():
            assert table not in seen, f"{table} documented by {seen.get(table)} and {name}"
            assert doc["description"] and doc["fields"], table
            seen[table] = name
            assert stages.documented_columns(table) == list(doc["fields"])
    assert stages.documented_columns("no_such_table") is None


def test_help_lists_every_stage_and_unknown_stages_fail(capsys):
    assert cli.main([]) == 0
    text = capsys.readouterr().err
    assert all(f"  {s.name} " in text for s in stages.STAGES) and "  all " in text
    assert cli.main(["nope"]) == 2
    assert "unknown stage 'nope'" in capsys.readouterr().err


def test_all_runs_the_analysis_stages_in_order(tmp_path, capsys):
    results = make_results(tmp_path / "results")
    rerun_results(tmp_path)  # the rerun tables, in the same folder
    generated = tmp_path / "generated"
    code = cli.main(["all", "--results", str(results), "--generated", str(generated),
                     "--labels", str(tmp_path / "no-labels")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert {p.name for p in generated.glob("*.tex")} >= {"stats.tex", "rq5.tex",
                                                         "validation.tex"}
    documented = {t for m in stages.TABLE_MODULES
                  for t in importlib.import_module(m).TABLE_DOCS}
    # without held-out labels (--labels names an empty folder) the held-out tables are not written
    assert {p.stem for p in (results / "tables").glob("*.csv")} == documented - set(heldout.TABLES)
    assert (results / "datapackage.json").is_file()
    (results / "funnel.csv").write_text("step\n1\n")  # a stage that fails stops the others
    assert cli.main(["all", "--results", str(results), "--generated", str(generated)]) == 2
    assert "stage stats failed" in capsys.readouterr().err
