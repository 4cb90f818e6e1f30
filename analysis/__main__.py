"""``python -m analysis``: the analysis stage (tables and paper macros from results/)."""

import sys

print("analysis: not built yet: it reads results/*.csv once mining has published them "
      "(see the open issue on the study's analysis)", file=sys.stderr)
raise SystemExit(0)
