"""Command line of the analysis: ``python -m analysis <stage> [options]``, one command per stage
of :data:`analysis.stages.STAGES` (``python -m analysis <stage> --help`` lists its options), and
``python -m analysis all``, the stages of ``make analysis`` in order."""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from pathlib import Path

from analysis.stages import ANALYSIS, BY_NAME, STAGES, Stage


def usage() -> str:
    """The help text: every stage with what it reads and writes."""
    lines = ["usage: python -m analysis <stage> [options]   (<stage> --help: its options)", "",
             "Stages (paths relative to the results folder, unless they start with paper/, "
             "study/ or data/):"]
    indent = " " * 17
    for s in STAGES:
        lines.append(f"  {s.name:<12}   {s.description}")
        for what, paths in (("reads", s.reads), ("writes", s.writes)):
            lines += textwrap.wrap(f"{what} {', '.join(paths)}", 96, initial_indent=indent,
                                   subsequent_indent=indent + "  ")
    lines.append(f"  {'all':<12}   the stages of `make analysis`, in order: "
                 f"{', '.join(s.name for s in ANALYSIS)}")
    return "\n".join(lines)


def run(stage: Stage, argv: list[str]) -> int:
    module = importlib.import_module(stage.module)
    return int(module.main(argv) or 0)


def run_all(argv: list[str]) -> int:
    """Every stage of :data:`analysis.stages.ANALYSIS` with the options it takes; stops at the
    first that fails."""
    parser = argparse.ArgumentParser(prog="python -m analysis all",
                                     description="the stages of `make analysis`, in order: "
                                                 + ", ".join(s.name for s in ANALYSIS))
    parser.add_argument("--results", type=Path, default=Path("results"),
                        help="folder of the published CSVs (default: results)")
    parser.add_argument("--tables", type=Path, default=None,
                        help="output folder of the CSV tables (default: <results>/tables)")
    parser.add_argument("--generated", type=Path, default=Path("paper/generated"),
                        help="output folder of the LaTeX files (default: paper/generated)")
    parser.add_argument("--labels", type=Path, default=Path("study/validation"),
                        help="the validation's labels (default: study/validation)")
    args = parser.parse_args(argv)
    values = {"results": args.results, "tables": args.tables or args.results / "tables",
              "generated": args.generated, "labels": args.labels}
    for stage in ANALYSIS:
        code = run(stage, [a for opt in stage.options for a in (f"--{opt}", str(values[opt]))])
        if code:
            print(f"analysis all: stage {stage.name} failed (exit {code}); the later stages "
                  "did not run", file=sys.stderr)
            return code
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(), file=sys.stderr)
        return 0
    if args[0] == "all":
        return run_all(args[1:])
    if args[0] not in BY_NAME:
        print(usage(), file=sys.stderr)
        print(f"\nunknown stage {args[0]!r}: choose one of {', '.join(BY_NAME)} or all",
              file=sys.stderr)
        return 2
    return run(BY_NAME[args[0]], args[1:])
