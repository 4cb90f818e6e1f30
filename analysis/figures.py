"""Figures of the paper: executes ``notebooks/NN-<name>.ipynb`` headlessly, plus the small
helpers those notebooks share (style, the results folder, saving). The notebooks read the
tables through :func:`analysis.results.read_table`: the numbers they draw are computed once by
the analysis stages (``results/tables/``), the published per-project tables
(``funnel.csv``, ``rerun_funnel.csv``, ``rerun_repos.csv``) are drawn as they are.

``python -m analysis figures --results results --notebooks notebooks --out paper/figures
[--only NN] [--keep-executed DIR] [--timeout SECONDS]``

Each notebook is copied into a private temporary directory and executed there with papermill
on the ``python3`` kernel of the interpreter running this command (the kernel spec that
ipykernel installs into this virtual environment; ``python`` in it resolves to
``sys.executable``, and ``JUPYTER_PATH`` puts this environment's spec first, so nothing has to
be registered globally). The notebook's ``parameters`` cell gets the absolute ``results_dir``
and ``out_dir``; the committed notebooks are never written to, so they stay without outputs.

Execution record (``<out>/figures.csv``, one row per notebook, sorted by notebook):

* ``notebook``: file name; ``status``: ``ok`` when every cell ran and the notebook wrote at
  least one ``<out>/NN-*.pdf`` and one ``.png``, else ``failed``;
* ``seconds``: wall-clock time of the execution, kernel start included (seconds, 0.1 s);
* ``outputs``: the ``NN-*`` files it wrote into ``<out>`` (``;``-separated);
* ``error``: for a failure, the exception (``Name: message``) and the failing cell.

With ``--only`` the rows of the other notebooks are kept from the previous record.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from miners.csvio import atomic_write_bytes, write_csv

if TYPE_CHECKING:  # the notebooks import the helpers; keep matplotlib out of the CLI path
    from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_RE = re.compile(r"^(\d{2})-[A-Za-z0-9_-]+\.ipynb$")
RECORD_COLUMNS = ("notebook", "status", "seconds", "outputs", "error")
KERNEL = "python3"

# --- helpers used by the notebooks ------------------------------------------------------

#: Okabe & Ito (2008) colour-blind-safe palette.
COLORS: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "skyblue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

#: IEEE one-column width (inches).
COLUMN_WIDTH = 3.5


def setup_style() -> None:
    """Agg backend and a compact, deterministic style for one-column IEEE figures (8 pt text,
    TrueType fonts embedded in PDFs, fixed SVG hash salt)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({
        "font.size": 8,
        "axes.titlesize": 8,
        "axes.labelsize": 8,
        "xtick.labelsize": 7,
        "ytick.labelsize": 7,
        "legend.fontsize": 7,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=[
            COLORS["blue"], COLORS["orange"], COLORS["green"], COLORS["vermillion"],
            COLORS["purple"], COLORS["skyblue"], COLORS["yellow"], COLORS["black"],
        ]),
        "figure.dpi": 100,
        "savefig.dpi": 300,
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.02,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.hashsalt": "mlflow-mining",
        "path.simplify": False,
    })


def integer_ticks() -> Any:
    """A tick locator for counts: matplotlib's default density, integers only."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True)


def results_path(results_dir: str | os.PathLike[str]) -> Path:
    """The results folder as a resolved path; a clear error when it is not a folder."""
    path = Path(results_dir).expanduser().resolve()
    if not path.is_dir():
        raise NotADirectoryError(
            f"results_dir {str(results_dir)!r} is not a folder (resolved: {path}); "
            "point it at the published results/ (make mine) or data/demo/results (make demo)"
        )
    return path


def no_data_figure(text: str, height: float = 1.4) -> Figure:
    """An empty one-column figure that says why it is empty."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(COLUMN_WIDTH, height))
    ax = fig.add_axes((0.005, 0.01, 0.99, 0.98))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():  # a light frame keeps the figure's size under bbox "tight"
        spine.set_visible(True)
        spine.set_color("#dddddd")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, color=COLORS["grey"],
            transform=ax.transAxes)
    return fig


def save_figure(fig: Figure, out_dir: str | os.PathLike[str], name: str) -> list[Path]:
    """Write ``<out_dir>/<name>.pdf`` and ``.png`` atomically and byte-stably (no creation
    date in the PDF, no software tag in the PNG), close the figure, return the paths."""
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, metadata in (("pdf", {"CreationDate": None}), ("png", {"Software": None})):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata=metadata)
        path = out / f"{name}.{fmt}"
        atomic_write_bytes(path, buf.getvalue(), durable=False)
        written.append(path)
    plt.close(fig)
    return written


# --- running the notebooks --------------------------------------------------------------


@dataclass
class Record:
    """One notebook's execution (see the module docstring)."""

    notebook: str
    status: str
    seconds: float
    outputs: str = ""
    error: str = ""

    def row(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "status": self.status,
                "seconds": f"{self.seconds:.1f}", "outputs": self.outputs, "error": self.error}


def find_notebooks(folder: Path, only: Sequence[str] = ()) -> list[Path]:
    """The ``NN-<name>.ipynb`` notebooks of ``folder`` in order; with ``only``, those whose
    number (``01``, ``1``) or stem (``01-funnel``) is listed. Unknown selections are an error."""
    found = sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_RE.match(p.name))
    if not only:
        return found
    wanted = {w.strip() for item in only for w in item.split(",") if w.strip()}
    picked, matched = [], set()
    for path in found:
        number = NOTEBOOK_RE.match(path.name).group(1)  # type: ignore[union-attr]
        keys = {number, str(int(number)), path.stem, path.name}
        if keys & wanted:
            picked.append(path)
            matched |= keys & wanted
    unknown = sorted(wanted - matched)
    if unknown:
        names = ", ".join(p.name for p in found) or "none"
        raise ValueError(f"--only {', '.join(unknown)}: no such notebook in {folder} ({names})")
    return picked


def parameters_cells(nb: Any) -> list[int]:
    """Indexes of the code cells tagged ``parameters``."""
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])]


@contextlib.contextmanager
def kernel_environment(private: Path) -> Iterator[None]:
    """Environment for the kernel (inherited from this process) while a notebook runs: this
    environment's kernel spec first, the repository importable, Agg, a fixed hash seed, and
    connection files and IPython's profile in the private folder ``private`` (nothing is
    written to the user's home). Restored afterwards."""
    prefix_share = str(Path(sys.prefix) / "share" / "jupyter")
    old_path = os.environ.get("PYTHONPATH", "")
    changes = {
        "JUPYTER_PATH": os.pathsep.join([prefix_share, *filter(None, [os.environ.get("JUPYTER_PATH")])]),
        "JUPYTER_RUNTIME_DIR": str(private / "runtime"),
        "IPYTHONDIR": str(private / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [old_path])]),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        "SOURCE_DATE_EPOCH": "0",
    }
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _figure_files(out: Path, number: str) -> dict[str, tuple[int, int, int]]:
    """``NN-*.pdf``/``.png`` of ``out`` -> (inode, size, mtime); an atomic replace changes it."""
    files = {}
    for path in out.glob(f"{number}-*"):
        if path.suffix in (".pdf", ".png") and path.is_file():
            st = path.stat()
            files[path.name] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return files


def _describe(exc: BaseException) -> str:
    """``Name: message`` of an execution failure, on one line."""
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    if evalue is None:
        evalue = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
    count = getattr(exc, "exec_count", None)
    text = f"{ename}: {evalue}".strip().rstrip(":")
    if count is not None:
        text += f" (cell In [{count}])"
    return " ".join(text.split())


def run_notebook(notebook: Path, results: Path, out: Path, keep_executed: Path | None = None,
                 timeout: float = 600.0) -> Record:
    """Execute one notebook in a temporary working copy; never raises for notebook errors."""
    import nbformat
    import papermill
    from traitlets.config import Config

    number = NOTEBOOK_RE.match(notebook.name).group(1)  # type: ignore[union-attr]
    start = time.monotonic()
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as exc:  # unreadable notebook
        return Record(notebook.name, "failed", 0.0, error=f"unreadable notebook: {_describe(exc)}")
    if len(parameters_cells(nb)) != 1:
        return Record(notebook.name, "failed", 0.0,
                      error="needs exactly one code cell tagged 'parameters'")
    out.mkdir(parents=True, exist_ok=True)
    before = _figure_files(out, number)
    error = ""
    with tempfile.TemporaryDirectory(prefix="figures-") as tmp:
        work = Path(tmp)
        source = work / notebook.name
        executed = work / f"executed-{notebook.name}"
        shutil.copyfile(notebook, source)
        try:
            with kernel_environment(work):
                papermill.execute_notebook(
                    str(source), str(executed),
                    parameters={"results_dir": str(results), "out_dir": str(out)},
                    kernel_name=KERNEL, cwd=str(work), progress_bar=False, log_output=False,
                    execution_timeout=timeout, start_timeout=60,
                    # Unix sockets in the private working folder (papermill runs in cwd): no TCP port
                    config=Config({"KernelManager": {"transport": "ipc"}}),
                    shutdown_kernel="immediate",  # outputs are written; skip the slow goodbye
                )
        except Exception as exc:
            error = _describe(exc)
        if keep_executed is not None and executed.is_file():
            keep_executed.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, keep_executed / notebook.name)
    seconds = round(time.monotonic() - start, 1)
    written = sorted(name for name, stamp in _figure_files(out, number).items()
                     if before.get(name) != stamp)
    if not error and not (any(n.endswith(".pdf") for n in written)
                          and any(n.endswith(".png") for n in written)):
        error = f"ran, but wrote no {number}-*.pdf and {number}-*.png into {out}"
    return Record(notebook.name, "failed" if error else "ok", seconds, ";".join(written), error)


def write_record(path: Path, records: Sequence[Record], keep_others: bool) -> None:
    """``figures.csv``: these records, plus (``keep_others``) earlier rows of other notebooks."""
    import csv

    rows = {r.notebook: r.row() for r in records}
    if keep_others and path.is_file():
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                rows.setdefault(row.get("notebook", ""), {c: row.get(c, "") for c in RECORD_COLUMNS})
    write_csv(path, RECORD_COLUMNS, rows.values(), sort_key=["notebook"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analysis figures",
        description="Execute notebooks/NN-*.ipynb headlessly (papermill) -> figures + figures.csv.")
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="results folder passed to the notebooks as results_dir")
    parser.add_argument("--notebooks", type=Path, default=Path("notebooks"))
    parser.add_argument("--out", type=Path, default=Path("paper/figures"),
                        help="figure folder (out_dir); figures.csv is written here")
    parser.add_argument("--only", action="append", default=[], metavar="NN",
                        help="run only these notebooks (number or stem; repeat or comma-separate)")
    parser.add_argument("--keep-executed", type=Path, metavar="DIR",
                        help="also save the executed notebooks (with outputs) into DIR")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds one cell may run before the notebook fails (default 600)")
    args = parser.parse_args(argv)

    if not args.notebooks.is_dir():
        print(f"figures: --notebooks {args.notebooks} is not a folder", file=sys.stderr)
        return 2
    try:
        notebooks = find_notebooks(args.notebooks, args.only)
    except ValueError as exc:
        print(f"figures: {exc}", file=sys.stderr)
        return 2
    if not notebooks:
        print(f"figures: no NN-<name>.ipynb notebook in {args.notebooks}", file=sys.stderr)
        return 2
    results = args.results.expanduser().resolve()
    out = args.out.expanduser().resolve()
    keep = args.keep_executed.expanduser().resolve() if args.keep_executed else None
    if not results.is_dir():
        print(f"figures: warning: --results {args.results} is not a folder; "
              "every notebook will fail", file=sys.stderr)

    records = []
    for notebook in notebooks:
        record = run_notebook(notebook, results, out, keep, args.timeout)
        records.append(record)
        if record.status == "ok":
            print(f"figures: {notebook.name}: ok in {record.seconds:.1f} s -> "
                  f"{record.outputs.replace(';', ', ')}")
        else:
            print(f"figures: {notebook.name}: FAILED after {record.seconds:.1f} s: {record.error}",
                  file=sys.stderr)
    write_record(out / "figures.csv", records, keep_others=bool(args.only))
    failed = [r.notebook for r in records if r.status != "ok"]
    if failed:
        hint = f" (executed copies in {keep})" if keep else " (--keep-executed DIR keeps the executed copies)"
        print(f"figures: {len(failed)} of {len(records)} notebook(s) failed: {', '.join(failed)}"
              f"{hint}", file=sys.stderr)
        return 1
    print(f"figures: {len(records)} notebook(s) ok; record in {out / 'figures.csv'}")
    return 0
