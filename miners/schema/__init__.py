"""The schema of the published tables, shared by the stages that write them and the analysis
that reads them.

Definition. :data:`TABLES` maps each published CSV of ``results/`` (by file stem) to its
:class:`~miners.schema.columns.Table`: title, description, columns in the order the producer
writes them (name, type, unit and definition, allowed values, optional or not), primary and
foreign keys. Producers take their headers from it (:func:`names`), the data package is
assembled from it (``python -m analysis datapackage``), and readers check a file's header
against it (:func:`check_header`); ``tests/test_schema.py`` fails when a writer and the schema
disagree. The shared vocabularies (categories, conditions, statuses, frameworks, trace points,
thresholds) are :mod:`miners.schema.vocab`; the rerun conditions' registry is
:mod:`miners.schema.conditions`; repository identities are :mod:`miners.schema.ids`.

Adding a column: declare it in :mod:`miners.schema.mined` or :mod:`miners.schema.rerun`, at the
position the producer writes it, and set it in the producer. Adding a table: a new entry there.
"""

from __future__ import annotations

from collections.abc import Sequence

from miners.schema.columns import OPTIONAL, TYPES, Col, SchemaError, Table, table
from miners.schema.history import HISTORY
from miners.schema.mined import MINED
from miners.schema.rerun import RERUN

#: Declared relations between tables (local columns, target table, target columns), checked by
#: the data package's validation when both tables are present.
FOREIGN_KEYS: dict[str, list[tuple[list[str], str, list[str]]]] = {
    "clone_status": [(["repo"], "corpus", ["full_name"])],
    "repo_features": [(["full_name"], "corpus", ["full_name"])],
    "repo_practices": [(["repo"], "repo_features", ["repo"])],
    "files": [(["repo"], "repo_features", ["repo"])],
    "skipped_folders": [(["repo"], "repo_features", ["repo"])],
    "call_sites": [(["repo", "path"], "files", ["repo", "path"])],
    "reruns": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_metrics": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "rerun_params": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "variance": [(["repo", "condition"], "rerun_repos", ["repo", "condition"])],
    "rerun_repos": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_environments": [(["repo"], "rerun_sample", ["repo"])],
    "rerun_originals": [(["repo", "condition", "run"], "reruns", ["repo", "condition", "run"])],
    "rerun_recipes": [(["repo"], "rerun_sample", ["repo"])],
    "repo_history": [(["full_name"], "corpus", ["full_name"])],
    "history_events": [(["repo"], "repo_history", ["repo"])],
    "branch_heads": [(["repo"], "repo_history", ["repo"])],
}
#: Families of columns a table may carry beyond the declared ones (the frame's own columns).
EXTRA_PREFIX = {"corpus": "frame_"}

#: Every published table of ``results/``: mined, history, rerun, in publication order.
TABLES: dict[str, Table] = {
    name: table(name, spec, FOREIGN_KEYS.get(name, ()), EXTRA_PREFIX.get(name, ""))
    for name, spec in {**MINED, **HISTORY, **RERUN}.items()
}


def get(name: str) -> Table:
    """The published table ``name`` (file stem); :class:`SchemaError` names the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(f"no published table {name!r} in the schema; known: "
                          f"{', '.join(TABLES)} (declare it in miners/schema/)") from None


def names(name: str) -> list[str]:
    """The columns of table ``name`` in the order its producer writes them."""
    return get(name).names


def check_header(name: str, header: Sequence[str], where: str = "") -> None:
    """Raise :class:`SchemaError` unless ``header`` fits table ``name`` (see
    :meth:`Table.check_header`)."""
    get(name).check_header(header, where)


__all__ = ["FOREIGN_KEYS", "OPTIONAL", "TABLES", "TYPES", "Col", "SchemaError", "Table", "check_header",
           "get", "names"]
