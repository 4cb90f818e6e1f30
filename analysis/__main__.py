"""``python -m analysis <command>``: see :mod:`analysis.cli`."""

from analysis.cli import main

raise SystemExit(main())
