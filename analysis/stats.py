"""``python -m analysis stats``: the statistics of RQ1-RQ4 and the numbers the paper quotes.

Usage::

    python -m analysis stats --results results --tables results/tables --generated paper/generated

Reads only ``results/*.csv`` (and the sample seed from ``results/provenance.json`` when present)
and writes

* ``<tables>/rq1_*.csv`` ... ``rq4_*.csv`` and ``rq_sensitivity.csv`` (documented in the
  ``TABLE_DOCS`` of :data:`RESEARCH_QUESTIONS` and :mod:`analysis.sensitivity`);
* ``<generated>/stats.tex``: one ``\\newcommand`` for every number the paper quotes for the
  funnel and RQ1-RQ4 (counts, percentages with one decimal, Wilson 95% interval bounds, test
  statistics, p-values, effect sizes);
* ``<generated>/<table>.tex``: booktabs ``tabular`` environments the paper wraps in floats.

Each research question is one module with the same shape (:mod:`analysis.rq1` ...
:mod:`analysis.rq4`): its measures and tests over the repository table
(:mod:`analysis.repo_table`), ``tables()`` (its tables and their macros) and ``latex()`` (its
LaTeX tables). The p-values of every RQ1-RQ4 test are adjusted together (Benjamini-Hochberg,
``q``); the corpus and the funnel are :mod:`analysis.corpus`. Definitions: the modules'
docstrings and ``study/protocol.md``.

Degenerate inputs (no repositories, an empty group, a constant score) give ``n/a``, never an
exception; every macro is always written, so the paper builds on any results directory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from analysis import corpus, rq1, rq2, rq3, rq4, sensitivity
from analysis.formatting import CsvFormat, Macros
from analysis.inference import bh_adjust
from analysis.measures import CSV_FORMAT, FIGURE_FORMAT, STAGE, tests_table, tests_tex
from analysis.output import write_tables, write_text
from analysis.repo_table import read_inputs, repo_table
from analysis.results import ResultsError, read_provenance

#: The research questions of this stage, in order.
RESEARCH_QUESTIONS: tuple[ModuleType, ...] = (rq1, rq2, rq3, rq4)
#: The modules documenting the tables this stage writes.
TABLE_MODULES: tuple[ModuleType, ...] = (*RESEARCH_QUESTIONS, sensitivity)


def table_docs() -> dict[str, dict[str, Any]]:
    """``TABLE_DOCS`` of every table this stage writes."""
    return {name: doc for mod in TABLE_MODULES for name, doc in mod.TABLE_DOCS.items()}


def csv_format(name: str) -> CsvFormat:
    """The float format of a table: exact for a table a figure draws, else :data:`CSV_FORMAT`."""
    figure = {t for mod in TABLE_MODULES for t in getattr(mod, "FIGURE_TABLES", ())}
    return FIGURE_FORMAT if name in figure else CSV_FORMAT


@dataclass
class Output:
    tables: dict[str, pd.DataFrame]
    tex: dict[str, str]
    macros: Macros


def analyse(data: Mapping[str, pd.DataFrame], provenance: Mapping[str, str]) -> Output:
    """All tables, LaTeX tables and macros from the results tables (as read by
    :func:`analysis.repo_table.read_inputs`) and the provenance record."""
    df = repo_table(data)
    macros = Macros(STAGE)
    tables: dict[str, pd.DataFrame] = {}
    for rq in RESEARCH_QUESTIONS:
        tables.update(rq.tables(df, data, macros))
    tests = [t for rq in RESEARCH_QUESTIONS for t in rq.tests(df)]
    for t, q in zip(tests, bh_adjust([t.result.p for t in tests]), strict=True):
        t.result.extra["q"] = q
    all_tests = tests_table(tests, macros)
    for rq in RESEARCH_QUESTIONS:
        name = f"rq{rq.RQ}_tests"
        if name in rq.TABLE_DOCS:
            tables[name] = (all_tests[all_tests["rq"] == f"RQ{rq.RQ}"] if not all_tests.empty
                            else all_tests)
    tables.update(sensitivity.tables(df, macros))
    tex = {"funnel": corpus.funnel(data["funnel"], macros)}
    corpus.corpus_macros(data, provenance, df, macros)
    for rq in RESEARCH_QUESTIONS:
        tex.update(rq.latex(tables))
    tex["stats_tests"] = tests_tex(all_tests)
    tex.update(sensitivity.latex(tables))
    return Output(tables=tables, tex=tex, macros=macros)


def write(out: Output, tables_dir: Path, generated_dir: Path) -> list[Path]:
    """Write the tables (CSV), the LaTeX tables and stats.tex; returns the paths."""
    written = write_tables(tables_dir, out.tables, table_docs(), csv_format)
    written += [write_text(Path(generated_dir) / f"{name}.tex", out.tex[name])
                for name in sorted(out.tex)]
    written.append(write_text(Path(generated_dir) / "stats.tex", out.macros.render()))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis stats", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="folder of the published CSVs (default: results)")
    parser.add_argument("--tables", type=Path, default=None,
                        help="output folder of the CSV tables (default: <results>/tables)")
    parser.add_argument("--generated", type=Path, default=Path("paper/generated"),
                        help="output folder of the LaTeX files (default: paper/generated)")
    args = parser.parse_args(argv)
    try:
        data = read_inputs(args.results)
    except ResultsError as exc:
        print(f"analysis stats: {exc}", file=sys.stderr)
        return 2
    out = analyse(data, read_provenance(args.results))
    paths = write(out, args.tables or args.results / "tables", args.generated)
    print(f"analysis stats: {len(out.macros.values)} macros, {len(out.tables)} tables, "
          f"{len(paths)} files written", file=sys.stderr)
    return 0
