"""Repository identities: the one conversion between a GitHub ``owner/name`` and the repository
id used in file and folder names and in the ``repo`` columns of the per-file tables.

Definition. ``repo_id("owner/name") == "owner__name"``: the first ``/`` is replaced by two
underscores (GitHub owners cannot contain ``/`` or ``__``-ambiguous characters before it, so the
conversion is reversible); :func:`full_name` is its inverse. A string without the separator is
returned unchanged by both, so either form may be passed.
"""

from __future__ import annotations

SEPARATOR = "__"


def repo_id(full_name: str) -> str:
    """``owner/name`` -> ``owner__name`` (unchanged if it has no ``/``)."""
    return full_name.replace("/", SEPARATOR, 1)


def full_name(repo_id: str) -> str:
    """``owner__name`` -> ``owner/name`` (unchanged if it has no ``__``)."""
    return repo_id.replace(SEPARATOR, "/", 1) if SEPARATOR in repo_id else repo_id
