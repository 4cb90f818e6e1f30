"""mlflow-mining miners: discover, clone and statically mine repositories that use MLflow."""

from __future__ import annotations

import hashlib
from pathlib import Path

__version__ = "0.1.0"


# The rerun harness (the package miners/rerun/) does not change what the static miner finds;
# editing it must not invalidate mined records and caches.
HARNESS_PACKAGE = "rerun"


def _source_digest() -> str:
    """Digest of the miner's own source files.

    Part of :data:`MINER_VERSION`, so that any change to a detector invalidates cached
    per-file results without anyone having to remember to bump a version number.
    """
    h = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).parts[0] == HARNESS_PACKAGE:
            continue
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


MINER_VERSION = f"{__version__}+{_source_digest()}"
