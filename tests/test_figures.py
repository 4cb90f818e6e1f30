"""Figure notebooks and ``python -m analysis figures``: the committed notebooks are clean and
parameterised, and executing them on a small synthetic results folder with a real kernel
writes every figure (three kernel runs in all: every notebook with rerun data, 06 without,
and a bad results folder)."""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import math
import time
from pathlib import Path

import nbformat
import pytest

from analysis import figures
from tests.conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01-funnel", "02-prevalence", "03-seed-coverage", "04-registry-over-time",
            "05-traceability", "06-rerun-spread"]
PRACTICES = ["logs_params", "logs_metrics", "logs_artifacts", "logs_models", "logs_tags",
             "logs_datasets", "uses_autolog", "uses_client", "uses_registry"]


def committed() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def base_results(folder: Path) -> Path:
    """A few rows of every CSV the notebooks read (no rerun files)."""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "funnel.csv", ["step", "stage", "repositories", "dropped", "drop_reasons"], [
        [1, "found", 6, 0, ""], [2, "sampled", 5, 1, "not drawn: 1"],
        [3, "scanned", 5, 0, ""], [4, "with MLflow calls", 4, 1, "no call site: 1"],
    ])
    repos = [  # repo, uses_mlflow, py, ipynb, used, seeded, coverage, date, stages, aliases
        ("a/one", "true", 2, 0, "numpy;sklearn", "numpy;sklearn", "complete",
         "2022-03-01T10:00:00+02:00", "true", "false"),
        ("b/two", "true", 0, 1, "torch;random", "torch", "partial",
         "2024-08-01T00:00:00+00:00", "true", "true"),
        ("c/three", "true", 1, 1, "sklearn", "", "none", "2025-02-01T00:00:00-05:00", "false",
         "true"),
        ("d/four", "true", 3, 0, "", "", "no_random_framework", "", "false", "false"),
        ("e/five", "false", 0, 0, "numpy", "", "none", "2025-09-09T00:00:00+00:00", "false",
         "false"),
    ]
    features = ["repo", "full_name", "uses_mlflow", "mlflow_files_py", "mlflow_files_ipynb",
                *PRACTICES, "registers_models", "uses_stages", "uses_aliases",
                "frameworks_used", "frameworks_seeded", "seed_coverage"]
    rows = []
    for i, (name, mlflow, py, nb, used, seeded, coverage, _, stages, aliases) in enumerate(repos):
        flags = ["true" if (i + j) % 2 else "false" for j in range(len(PRACTICES))]
        rows.append([name.replace("/", "__"), name, mlflow, py, nb, *flags,
                     "true" if stages == "true" or aliases == "true" else "false", stages,
                     aliases, used, seeded, coverage])
    write(folder / "repo_features.csv", features, rows)
    write(folder / "corpus.csv", ["full_name", "sha", "commit_date", "selected"],
          [[r[0], "0" * 40, r[7], "true"] for r in repos] + [["f/six", "", "", "false"]])
    write(folder / "repo_practices.csv",
          ["repo", "full_name", "traceability", "traceability_points", "maturity"], [
              ["a__one", "a/one", 7, "code;data;hyperparameters;metrics;model;environment;randomness", 3],
              ["b__two", "b/two", 3, "code;metrics;model", 1],
              ["c__three", "c/three", 2, "code;hyperparameters", 0],
              ["d__four", "d/four", 0, "", 0],
              ["e__five", "e/five", 1, "environment", 0],
          ])
    return folder


def with_reruns(folder: Path) -> Path:
    write(folder / "rerun_funnel.csv",
          ["step", "stage", "condition", "repositories", "dropped", "drop_reasons"], [
              [1, "sampled", "", 3, 0, ""],
              [2, "ran", "as_written", 3, 0, ""], [2, "ran", "seeds_forced", 2, 1, "crashed: 1"],
          ])
    write(folder / "rerun_repos.csv",
          ["repo", "full_name", "condition", "runs_planned", "runs_ok", "metrics_compared",
           "verdict", "why", "max_rel_range", "median_rel_range"], [
              ["a__one", "a/one", "as_written", 3, 3, 2, "identical", "", "0.0", "0.0"],
              ["a__one", "a/one", "seeds_forced", 3, 3, 2, "identical", "", "0.0", "0.0"],
              ["b__two", "b/two", "as_written", 3, 3, 1, "varying", "", "0.25", "0.25"],
              ["b__two", "b/two", "seeds_forced", 3, 3, 1, "within_tolerance", "", "1e-09", "1e-09"],
              ["c__three", "c/three", "as_written", 3, 0, 0, "not_judged", "no run ok", "", ""],
              ["c__three", "c/three", "seeds_forced", 3, 0, 0, "not_judged", "no run ok", "", ""],
          ])
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


def test_wilson_interval_is_scipy_wilson():
    low, high = figures.wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert figures.wilson(0, 4)[0] == 0.0
    assert all(math.isnan(v) for v in figures.wilson(0, 0))


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
