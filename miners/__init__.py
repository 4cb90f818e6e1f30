"""mlflow-mining miners: discover, clone and statically mine repositories that use MLflow.

The package is in rooms, one job each: :mod:`miners.corpus` (which repositories, cloned at a
pinned commit), :mod:`miners.scan` (the static miner), :mod:`miners.practices` (how a repository
versions data, models and environments), :mod:`miners.rerun` (the rerun harness) and
:mod:`miners.schema` (identities and vocabularies the stages share). The top level holds the
command line (:mod:`miners.cli`), the orchestration of a mining run (:mod:`miners.mine`), shared
input and output (:mod:`miners.csvio`, :mod:`miners.protocol`) and reports that span rooms
(:mod:`miners.summary`, :mod:`miners.codebook`, :mod:`miners.bench`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__version__ = "0.1.0"

#: The rooms whose code decides what a mined record holds (a task record of ``mine`` and the
#: per-file results the scan caches): the clone and fingerprint (corpus), every file's sites
#: and the repository's features (scan, detectors included), the practices, and the schema the
#: rows are written in. The rerun harness, the command line, the orchestration and the shared
#: IO are not among them: editing them never invalidates mined records or cached results.
MINED_BY = ("corpus", "practices", "scan", "schema")


class UsageError(Exception):
    """Bad command-line input: the message says what was wrong and what to do."""


def source_digest(root: Path, rooms: Iterable[str] = MINED_BY) -> str:
    """The first 12 hexadecimal digits of the SHA-256 over every ``*.py`` file below the given
    rooms (sub-packages of ``root``), each as its path relative to ``root`` then its bytes, in
    path order."""
    h = hashlib.sha256()
    paths = [p for room in rooms for p in (Path(root) / room).rglob("*.py")]
    for path in sorted(paths, key=lambda p: p.relative_to(root).as_posix()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


#: ``<package version>+<source digest of the MINED_BY rooms>``: any change to a detector (or to
#: anything else in those rooms) changes it, so stale cached results and task records are
#: redone without anyone having to remember to bump a version number.
MINER_VERSION = f"{__version__}+{source_digest(Path(__file__).parent)}"
