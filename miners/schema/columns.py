"""Columns and tables: the types the published schema is written in.

Definitions.

* A :class:`Col` is one documented column: its Frictionless ``type`` (integer, number, boolean,
  string, date, datetime), its definition with units, and optional constraints (allowed values,
  bounds). ``optional`` columns may be absent from a published file (tables published before a
  column existed); every other column must be present.
* A :class:`Table` is one published CSV, named by its file stem: its title, description, its
  columns **in the order the producer writes them**, its primary key, and foreign keys to other
  tables. ``extra_prefix`` names a family of columns a table may carry beyond its declared ones
  (the sampling frame's own columns, ``frame_*``), inserted where the declared ones of that
  prefix stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

TYPES = ("integer", "number", "boolean", "string", "date", "datetime")
OPTIONAL = ("Optional: absent from tables published before rerun harness v2.")


class SchemaError(Exception):
    """A file or a writer disagrees with the published schema (wrong, missing or undocumented
    columns, an unknown table)."""


@dataclass(frozen=True)
class Col:
    """A documented column: its declared Frictionless ``type``, its definition (with units),
    and optional constraints (allowed values, bounds)."""

    type: str
    description: str
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False


def integer(description: str, minimum: float | None = 0, maximum: float | None = None) -> Col:
    """An integer column, non-negative unless ``minimum`` says otherwise."""
    return Col("integer", description, minimum=minimum, maximum=maximum)


def number(description: str, minimum: float | None = None, maximum: float | None = None) -> Col:
    """A real-valued column."""
    return Col("number", description, minimum=minimum, maximum=maximum)


def boolean(description: str) -> Col:
    """A boolean column, written ``true``/``false``."""
    return Col("boolean", description)


def string(description: str, enum: tuple[str, ...] = ()) -> Col:
    """A text column, its values restricted to ``enum`` when one is given."""
    return Col("string", description, enum=tuple(enum))


def timestamp(description: str) -> Col:
    """An ISO 8601 date-time column."""
    return Col("datetime", description)


def optional(col: Col) -> Col:
    """``col`` marked optional: absent from tables published before rerun harness v2 (the
    sentence :data:`OPTIONAL` ends its description)."""
    return Col(col.type, col.description + OPTIONAL, col.enum, col.minimum, col.maximum, True)


@dataclass(frozen=True)
class Table:
    """One published CSV table (see the module docstring)."""

    name: str
    title: str
    description: str
    columns: dict[str, Col]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()
    extra_prefix: str = ""
    sort_key: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        """Every declared column, in the order the producer writes them."""
        return list(self.columns)

    @property
    def required(self) -> list[str]:
        """The columns every published file of this table has."""
        return [c for c, col in self.columns.items() if not col.optional and not self._extra(c)]

    def _extra(self, name: str) -> bool:
        return bool(self.extra_prefix) and name.startswith(self.extra_prefix)

    def check_header(self, header: Sequence[str], where: str = "") -> None:
        """Raise :class:`SchemaError` unless ``header`` has every required column, only
        declared columns (or ``extra_prefix`` ones), and the declared order."""
        where = where or f"{self.name}.csv"
        header = list(header)
        dupes = sorted({c for c in header if header.count(c) > 1})
        unknown = [c for c in header if c not in self.columns and not self._extra(c)]
        missing = [c for c in self.required if c not in header]
        problems = []
        if dupes:
            problems.append(f"duplicate column(s) {', '.join(dupes)}")
        if unknown:
            problems.append(f"column(s) {', '.join(unknown)} are not in the schema (document them "
                            f"in miners/schema/, table {self.name!r})")
        if missing:
            problems.append(f"column(s) {', '.join(missing)} are missing")
        if not problems:
            rank = {c: i for i, c in enumerate(self.columns)}
            declared = [c for c in header if c in rank]
            if declared != sorted(declared, key=rank.__getitem__):
                problems.append("columns are not in the schema's order "
                                f"({', '.join(self.names)})")
        if problems:
            raise SchemaError(f"{where}: " + "; ".join(problems))


def table(name: str, spec: dict, foreign_keys: Sequence[tuple[list[str], str, list[str]]] = (),
          extra_prefix: str = "") -> Table:
    """A :class:`Table` from a declarative spec dict (title, description, primaryKey, fields)."""
    for col_name, col in spec["fields"].items():
        if not isinstance(col, Col) or col.type not in TYPES or not col.description.strip():
            raise SchemaError(f"table {name!r}, column {col_name!r}: a Col with one of the types "
                              f"{', '.join(TYPES)} and a description is needed")
    return Table(name=name, title=spec["title"], description=spec["description"],
                 columns=dict(spec["fields"]), primary_key=tuple(spec.get("primaryKey") or ()),
                 foreign_keys=tuple((tuple(a), b, tuple(c)) for a, b, c in foreign_keys),
                 extra_prefix=extra_prefix)
