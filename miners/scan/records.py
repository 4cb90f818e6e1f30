"""The scanner's typed records, from one file's bytes to one repository's rows.

* :class:`Site`: one detected site of a file (a row of ``call_sites.csv`` without its
  repository and path);
* :class:`FileResult`: what analysing one file's bytes gave; a function of the content and
  kind alone, so it is cached by content hash;
* :class:`ScannedFile`: one candidate file of a repository and what scanning it gave (a row of
  ``files.csv``, with the file's sites);
* :class:`RepoScan`: one scanned repository: its files in path order and its features (a row
  of ``repo_features.csv``).

Each record turns into its table rows here (:data:`SITE_COLUMNS`, :data:`FILE_COLUMNS`) and
into JSON and back (the cache stores :class:`FileResult`, a ``mine`` task record stores
:class:`RepoScan`), without loss: the rows written from a record read back from JSON are the
same bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from miners.csvio import format_value
from miners.schema import names

SITE_COLUMNS = names("call_sites")
FILE_COLUMNS = names("files")


@dataclass(frozen=True, slots=True)
class Site:
    """One detected site of a file.

    ``cell``: 0-based index in the notebook's cell list (markdown cells counted), None for a
    ``.py`` file; ``line``: 1-based line in the file (in the cell for a notebook); ``col``:
    0-based column, in characters, of the call, assignment target or string; ``category``:
    ``tracking``, ``seed`` or ``registry``; ``api``: the fully qualified name; ``detail``: the
    ``key=value;...`` facts (:mod:`miners.scan.detail`).
    """

    cell: int | None
    line: int
    col: int
    category: str
    api: str
    detail: str

    @property
    def order(self) -> tuple[int, int, int, str, str, str]:
        """The sort key of a file's sites: cell (a ``.py`` file's before any cell), line,
        column, category, api, detail."""
        return (-1 if self.cell is None else self.cell, self.line, self.col, self.category, self.api,
                self.detail)

    def row(self, repo: str, path: str) -> list[str]:
        """Its ``call_sites.csv`` row (:data:`SITE_COLUMNS`)."""
        return [repo, path, format_value(self.cell), str(self.line), str(self.col), self.category, self.api,
                self.detail]

    def to_json(self) -> list[Any]:
        return [self.cell, self.line, self.col, self.category, self.api, self.detail]

    @classmethod
    def from_json(cls, data: list[Any]) -> Site:
        return cls(*data)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What analysing one file's bytes gave.

    ``kind``: ``py`` or ``ipynb``; ``status``: ``parsed``, ``parse_error`` or ``unreadable``;
    ``reason``: why, or notes on a parsed file ('' when there is nothing to say); ``bytes``:
    the file's size in bytes; ``lines``: its lines (for a notebook, the lines of its code cells
    as written); ``code_cells``: a notebook's code cells (None for ``.py``); ``parser``:
    ``libcst``, ``ast`` (a file no detector can match, syntax-checked only) or '' (not
    parsed); ``frameworks``: the random frameworks it uses, sorted; ``sites``: its sites in
    :attr:`Site.order`.
    """

    kind: str
    status: str
    reason: str
    bytes: int
    lines: int
    code_cells: int | None = None
    parser: str = ""
    frameworks: tuple[str, ...] = ()
    sites: tuple[Site, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "status": self.status, "reason": self.reason, "bytes": self.bytes,
                "lines": self.lines, "code_cells": self.code_cells, "parser": self.parser,
                "frameworks": list(self.frameworks), "sites": [s.to_json() for s in self.sites]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileResult:
        return cls(data["kind"], data["status"], data["reason"], data["bytes"], data["lines"], data["code_cells"],
                   data["parser"], tuple(data["frameworks"]), tuple(Site.from_json(s) for s in data["sites"]))


@dataclass(frozen=True, slots=True)
class ScannedFile:
    """One candidate file of a repository and what scanning it gave.

    ``path``: relative to the repository root, ``/``-separated; ``status``: ``parsed``,
    ``parse_error``, ``skipped`` or ``unreadable``; ``lines``, ``bytes``, ``code_cells``: as in
    :class:`FileResult` (``lines`` and ``code_cells`` None for a file not read, ``bytes`` None
    when its size is unknown); ``sha256``: the hexadecimal SHA-256 of its content ('' when not
    read); the other fields as in :class:`FileResult`.
    """

    path: str
    kind: str
    status: str
    reason: str
    lines: int | None
    bytes: int | None
    code_cells: int | None
    parser: str
    sha256: str
    frameworks: tuple[str, ...] = ()
    sites: tuple[Site, ...] = ()

    @classmethod
    def read(cls, path: str, sha256: str, result: FileResult) -> ScannedFile:
        """A file that was read, with its content hash and its analysis."""
        return cls(path, result.kind, result.status, result.reason, result.lines, result.bytes, result.code_cells,
                   result.parser, sha256, result.frameworks, result.sites)

    @classmethod
    def not_read(cls, path: str, kind: str, status: str, reason: str, size: int = 0) -> ScannedFile:
        """A file that was skipped or could not be read (``size`` 0: unknown)."""
        return cls(path, kind, status, reason, None, size or None, None, "", "")

    def row(self, repo: str) -> list[str]:
        """Its ``files.csv`` row (:data:`FILE_COLUMNS`)."""
        return [repo, self.path, self.kind, self.status, self.reason, format_value(self.lines),
                format_value(self.bytes), format_value(self.code_cells), self.parser, self.sha256,
                ";".join(self.frameworks)]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "status": self.status, "reason": self.reason,
                "lines": self.lines, "bytes": self.bytes, "code_cells": self.code_cells, "parser": self.parser,
                "sha256": self.sha256, "frameworks": list(self.frameworks),
                "sites": [s.to_json() for s in self.sites]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScannedFile:
        return cls(data["path"], data["kind"], data["status"], data["reason"], data["lines"], data["bytes"],
                   data["code_cells"], data["parser"], data["sha256"], tuple(data["frameworks"]),
                   tuple(Site.from_json(s) for s in data["sites"]))


@dataclass(frozen=True, slots=True)
class RepoScan:
    """One scanned repository: ``repo`` (its id, ``owner__name``), its candidate ``files`` in
    path order, and its ``features`` (a row of ``repo_features.csv``, column -> value; see
    :mod:`miners.scan.features`)."""

    repo: str
    files: tuple[ScannedFile, ...]
    features: dict[str, Any]

    def sites(self) -> Iterator[tuple[ScannedFile, Site]]:
        """Every site with its file, in the order of ``call_sites.csv`` (path, then
        :attr:`Site.order`)."""
        for f in self.files:
            for s in f.sites:
                yield f, s

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "files": [f.to_json() for f in self.files], "features": self.features}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RepoScan:
        return cls(data["repo"], tuple(ScannedFile.from_json(f) for f in data["files"]), data["features"])
