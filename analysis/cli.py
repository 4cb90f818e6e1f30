"""Command line of the analysis stage. Every command reads only ``results/`` (and, for
``validate``, the hand labels in ``study/validation/``) and writes derived files.

Commands (each is a module of this package with a ``main(argv) -> int``):

* ``stats``       results/*.csv -> results/tables/*.csv and paper/generated/*.tex (RQ1-RQ4)
* ``rq5``         rerun results -> results/tables/rq5_*.csv and paper/generated/rq5.tex
* ``validate``    study/validation/ labels vs results/call_sites.csv -> precision and recall
* ``figures``     executes notebooks/NN-*.ipynb headlessly -> paper/figures/*.pdf, *.png
* ``datapackage`` results/datapackage.json (Frictionless) from the CSVs and their field docs
* ``browse``      results/ -> data/results.db (sqlite-utils), served read-only with Datasette
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "stats": "analysis.stats",
    "rq5": "analysis.rq5",
    "validate": "analysis.validation",
    "figures": "analysis.figures",
    "datapackage": "analysis.datapackage",
    "browse": "analysis.browse",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        if args and args[0] not in ("-h", "--help"):
            print(f"\nunknown command {args[0]!r}: choose one of {', '.join(COMMANDS)}", file=sys.stderr)
            return 2
        return 0
    module = importlib.import_module(COMMANDS[args[0]])
    return int(module.main(args[1:]) or 0)
