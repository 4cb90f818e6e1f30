"""Figure notebooks and ``python -m analysis figures``: the committed notebooks are clean and
parameterised, and executing them with a real kernel on a small synthetic results folder, with
the analysis tables computed from it, writes every figure (kernel runs: every notebook with
rerun data, 06 without, 02 without its analysis table, and a bad results folder)."""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import time
from pathlib import Path

import nbformat
import pytest

from analysis import figures, rq5, rq6, stats
from tests.conftest import ROOT
from tests.test_rq5 import _results as write_rerun_results
from tests.test_stats import make_results

NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01-funnel", "02-prevalence", "03-seed-coverage", "04-registry-over-time",
            "05-traceability", "06-rerun-spread", "07-adoption", "08-rerun-study"]


def committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def base_results(folder: Path) -> Path:
    """The mined tables of four repositories (tests/test_stats.py) and the analysis tables
    computed from them: everything the notebooks read but the rerun files and the histories
    (whose analysis tables are then empty)."""
    make_results(folder)
    assert stats.main(["--results", str(folder), "--generated", str(folder / "generated")]) == 0
    assert rq6.main(["--results", str(folder), "--generated", str(folder / "generated")]) == 0  # no history
    return folder


def with_reruns(folder: Path) -> Path:
    """Adds the rerun tables of tests/test_rq5.py and the RQ5 tables computed from them."""
    write_rerun_results(folder.parent)  # into <parent>/results
    assert rq5.main(["--results", str(folder), "--generated", str(folder / "generated")]) == 0
    return folder


def digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def read_record(out: Path) -> list[dict[str, str]]:
    with (out / "figures.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def outputs_text(notebook: Path) -> str:
    """Everything the executed notebook printed or displayed (text parts)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


# --- (a) the committed notebooks ----------------------------------------------------------


def test_committed_notebooks_are_the_paper_figures():
    assert [p.stem for p in committed()] == EXPECTED


@pytest.mark.parametrize("path", committed(), ids=lambda p: p.stem)
def test_committed_notebook_is_clean_and_parameterised(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    for cell in code:
        assert cell.outputs == [], f"{path.name}: a cell has outputs"
        assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
    tagged = figures.parameters_cells(nb)
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    tree = ast.parse(nb.cells[tagged[0]].source)
    assigned = {t.id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    assert assigned == {"results_dir": "../results", "out_dir": "../paper/figures"}
    source = "\n".join(c.source for c in code)
    assert f'save_figure(fig, out_dir, "{path.stem}")' in source  # the name the paper includes
    assert "results_dir" not in source.replace(nb.cells[tagged[0]].source, "").replace(
        "results_path(results_dir)", ""), "read results only through results_path()"


# --- helpers, without a kernel ------------------------------------------------------------


def test_saved_figures_are_byte_stable(tmp_path: Path):
    import matplotlib.pyplot as plt

    figures.setup_style()

    def draw(out: Path) -> list[Path]:
        fig, ax = plt.subplots(figsize=(figures.COLUMN_WIDTH, 2))
        ax.bar(["a", "b"], [3, 5], color=figures.COLORS["blue"])
        ax.set_title("n = 8")
        return figures.save_figure(fig, out, "99-test")

    first, second = draw(tmp_path / "one"), draw(tmp_path / "two")
    assert [p.name for p in first] == ["99-test.pdf", "99-test.png"]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    pdf, png = (p.read_bytes() for p in first)
    assert pdf.startswith(b"%PDF") and b"CreationDate" not in pdf
    assert png.startswith(b"\x89PNG") and b"matplotlib" not in png


def test_only_selects_by_number_or_stem_and_rejects_unknown():
    assert [p.stem for p in figures.find_notebooks(NOTEBOOKS, ["06", "1"])] == \
        ["01-funnel", "06-rerun-spread"]
    assert [p.stem for p in figures.find_notebooks(NOTEBOOKS, ["02-prevalence,5"])] == \
        ["02-prevalence", "05-traceability"]
    with pytest.raises(ValueError, match="42"):
        figures.find_notebooks(NOTEBOOKS, ["42"])
    assert figures.main(["--notebooks", str(NOTEBOOKS), "--only", "42"]) == 2


def test_notebook_without_parameters_cell_fails_clearly(tmp_path: Path, capsys):
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(nb, folder / "07-bad.ipynb")
    out = tmp_path / "out"
    assert figures.main(["--results", str(tmp_path), "--notebooks", str(folder),
                         "--out", str(out)]) == 1
    (row,) = read_record(out)
    assert row["notebook"] == "07-bad.ipynb" and row["status"] == "failed"
    assert "parameters" in row["error"]
    assert "07-bad.ipynb: FAILED" in capsys.readouterr().err


def test_record_keeps_other_notebooks_only_with_only(tmp_path: Path):
    path = tmp_path / "figures.csv"
    figures.write_record(path, [figures.Record("01-a.ipynb", "ok", 1.0, "01-a.pdf;01-a.png")],
                         keep_others=False)
    figures.write_record(path, [figures.Record("02-b.ipynb", "failed", 2.0, error="E: x")],
                         keep_others=True)
    assert [r["notebook"] for r in read_record(tmp_path)] == ["01-a.ipynb", "02-b.ipynb"]
    figures.write_record(path, [figures.Record("02-b.ipynb", "ok", 2.0)], keep_others=False)
    assert [(r["notebook"], r["status"]) for r in read_record(tmp_path)] == [("02-b.ipynb", "ok")]


# --- (b), (c): real kernels ------------------------------------------------------------


def test_every_notebook_runs_on_synthetic_results(tmp_path: Path):
    results = with_reruns(base_results(tmp_path / "results"))
    out, kept = tmp_path / "figures", tmp_path / "executed"
    before = digest(committed())
    code = figures.main(["--results", str(results), "--notebooks", str(NOTEBOOKS),
                         "--out", str(out), "--keep-executed", str(kept)])
    records = read_record(out)
    assert code == 0, [r["error"] for r in records if r["status"] != "ok"]
    assert [r["notebook"] for r in records] == [f"{s}.ipynb" for s in EXPECTED]
    for stem, record in zip(EXPECTED, records, strict=True):
        assert record["status"] == "ok" and record["error"] == ""
        assert record["outputs"] == f"{stem}.pdf;{stem}.png"
        assert (out / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
        assert (out / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        assert float(record["seconds"]) > 0
    assert digest(committed()) == before, "the committed notebooks were modified"
    # the parameters reached the kernels, and the rerun paths were taken
    assert str(results) in (kept / "01-funnel.ipynb").read_text(encoding="utf-8")
    spread = outputs_text(kept / "06-rerun-spread.ipynb")
    assert "varying" in spread and "no rerun data" not in spread


def test_rerun_figure_without_rerun_data(tmp_path: Path):
    results = base_results(tmp_path / "results")
    out, kept = tmp_path / "figures", tmp_path / "executed"
    assert figures.main(["--results", str(results), "--notebooks", str(NOTEBOOKS),
                         "--out", str(out), "--only", "06", "--keep-executed", str(kept)]) == 0
    assert (out / "06-rerun-spread.pdf").is_file() and (out / "06-rerun-spread.png").is_file()
    assert "no rerun data" in outputs_text(kept / "06-rerun-spread.ipynb")


def test_a_figure_without_its_analysis_table_says_to_run_the_analysis(tmp_path: Path):
    results = make_results(tmp_path / "results")  # the mined tables only
    out = tmp_path / "figures"
    assert figures.main(["--results", str(results), "--notebooks", str(NOTEBOOKS),
                         "--out", str(out), "--only", "02"]) == 1
    (row,) = read_record(out)
    assert row["error"].startswith("MissingTableError:")
    assert "rq1_by_location.csv not found" in row["error"] and "make analysis" in row["error"]


def test_invalid_results_folder_gives_a_failure_record(tmp_path: Path, capsys):
    missing = tmp_path / "no-such-results"
    out = tmp_path / "figures"
    start = time.monotonic()
    code = figures.main(["--results", str(missing), "--notebooks", str(NOTEBOOKS),
                         "--out", str(out), "--only", "01", "--timeout", "60"])
    assert time.monotonic() - start < 120
    assert code == 1
    (row,) = read_record(out)
    assert row["status"] == "failed" and row["outputs"] == ""
    assert row["error"].startswith("NotADirectoryError:") and str(missing) in row["error"]
    assert not list(out.glob("01-*.p*"))
    assert "01-funnel.ipynb: FAILED" in capsys.readouterr().err
