"""History of one repository up to its pinned commit: who committed, when, and when each MLflow
practice appeared in the code and whether it stayed.

Definitions. The walk is PyDriller's (``pydriller.Repository``, oldest commit first, author
names and e-mails through the repository's ``.mailmap``) over the commits reachable from the
pinned commit. Dates are author dates in UTC (when a change was written, not when it was
merged or rebased).

* *Metadata* over every reachable commit: ``commits``; ``authors``, distinct author e-mail
  addresses (lower-cased, after the mailmap); ``active_days``, distinct UTC days with a
  commit; ``first_commit_date`` (the earliest author date), ``pinned_commit_date`` and
  ``age_days`` between them (whole days).
* *Code commits*: the commits that add, change, rename or delete a ``.py`` or ``.ipynb`` file
  outside the folders the scanner skips (virtual environments, ``site-packages``, build output)
  (``code_commits``). A commit's changes are its tree diff against its first parent; a commit
  git cannot diff is counted in ``commits_unreadable``
  and skipped, and a file version whose content cannot be read (a blob the mirror lacks)
  counts as having no call site. Each new version of such a file is scanned with the study's detectors
  (the scanner's parser pool and per-file cache: a version whose content was seen before is
  not parsed again); files over the protocol's size caps count as having no call site.
* A *family* (:data:`FAMILIES`) is present in a file version when one of its call sites is;
  the repository *has* a family after a commit when some file, in its latest version in the
  walk's order, has it (a deleted file has nothing). Commits are walked oldest first; a merge
  commit's changes are what it brought into its first parent, so a merged branch's files are
  seen at their branch commits and again, as merged, at the merge.
* An *event* of a family: ``first_commit``/``first_date``, the first commit after which the
  repository has it; ``removed_commit``/``removed_date``, the first later commit after which
  it no longer has it (empty if it never lost it); ``present_at_pin`` whether it has it after
  the pinned commit. A family that comes back after a removal keeps its first appearance and
  its last removal is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from miners.history.versions import keyed, results
from miners.scan.detail import parse_detail
from miners.scan.features import uses_alias, uses_stage
from miners.scan.files import Limits, _excluded_by_folder
from miners.scan.records import FileResult

#: The families whose history is recorded: family -> when a call site belongs to it (the order
#: and names are the schema's vocabulary ``HISTORY_FAMILIES``).
FAMILIES: dict[str, str] = {
    "tracking": "any tracking row",
    "metrics": "a tracking row of kind metric or batch (explicit metric logging)",
    "autolog": "a tracking row of kind autolog",
    "seed": "any seed row",
    "registry": "any registry row",
    "registration": "a registry row of kind register (register_model, create_model_version, "
                    "log_model(registered_model_name=...))",
    "registry_stages": "a registry row with a stage (stage transition or look-up, or a "
                       "models:/<name>/<stage> URI)",
    "registry_aliases": "a registry row with an alias (alias methods, models:/<name>@<alias>)",
}
CODE_SUFFIXES = (".py", ".ipynb")


def families_of(result: FileResult | None) -> frozenset[str]:
    """The :data:`FAMILIES` present in one scanned file version."""
    if result is None:
        return frozenset()
    found: set[str] = set()
    for site in result.sites:
        d = parse_detail(site.detail)
        kind = d.get("kind", "")
        if site.category == "tracking":
            found.add("tracking")
            if kind in ("metric", "batch"):
                found.add("metrics")
            if kind == "autolog":
                found.add("autolog")
        elif site.category == "seed":
            found.add("seed")
        elif site.category == "registry":
            found.add("registry")
            if kind == "register":
                found.add("registration")
            if uses_stage(d):
                found.add("registry_stages")
            if uses_alias(d):
                found.add("registry_aliases")
    return frozenset(found)


@dataclass
class Change:
    """One commit's change to a code file: the path after it (None: deleted), the path before
    it (renames and deletions), the content's key into the parsed versions, and whether the
    file kept its content (a pure rename, which PyDriller gives without content)."""

    commit: int
    new_path: str | None
    old_path: str | None
    key: str | None
    same_content: bool = False


@dataclass
class Walked:
    """What the walk of one repository gives, before any file is parsed."""

    commits: list[tuple[str, datetime]] = field(default_factory=list)  # code commits, in walk order
    changes: list[Change] = field(default_factory=list)
    blobs: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (kind, content)
    metadata: dict[str, Any] = field(default_factory=dict)


def _utc(d: datetime) -> datetime:
    return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)


class WalkTooLong(Exception):
    """The walk of one repository passed its deadline (:data:`WALK_SECONDS`)."""


#: Wall-clock budget of one repository's walk and parse, in seconds: a history past it (a copy
#: of a large project's whole history) is a row with status ``error`` and the reason, not a
#: census held for hours.
WALK_SECONDS = 600.0


def _check(deadline: float | None) -> None:
    import time

    if deadline is not None and time.monotonic() > deadline:
        raise WalkTooLong(f"the walk passed its budget of {WALK_SECONDS:g} s (a very long history)")


def walk_commits(clone: Path, sha: str, limits: Limits, deadline: float | None = None) -> Walked:
    """Walk ``clone`` (a git repository with a work tree or ``--no-checkout`` clone) up to
    ``sha`` with PyDriller: the metadata and every code file change, contents keyed by hash.
    Raises :class:`WalkTooLong` past ``deadline`` (a ``time.monotonic()`` value)."""
    from pydriller import Repository

    out = Walked()
    dates: list[datetime] = []
    emails: set[str] = set()
    pinned_date: datetime | None = None
    unreadable = 0
    repo = Repository(str(clone), to_commit=sha, use_mailmap=True)
    for commit in repo.traverse_commits():
        _check(deadline)
        when = _utc(commit.author_date)
        dates.append(when)
        emails.add((commit.author.email or commit.author.name or "").strip().lower())
        if commit.hash == sha:
            pinned_date = when
        mods = _tree_changes(commit)
        if mods is None:
            unreadable += 1
            continue
        if not mods:
            continue
        index = len(out.commits)
        out.commits.append((commit.hash, when))
        for change_type, old_path, new_path, source in mods:
            key = None
            data = _content(source)
            if change_type == "RENAME" and not data:
                out.changes.append(Change(index, new_path, old_path, None, same_content=True))
                continue
            if new_path is not None:
                version = keyed(new_path, data, limits)
                if version is not None:
                    key = version[0]
                    out.blobs.setdefault(key, (version[1], data))
            out.changes.append(Change(index, new_path, old_path, key))
    first = min(dates) if dates else None
    pinned = pinned_date or (max(dates) if dates else None)
    out.metadata = {
        "commits": len(dates),
        "code_commits": len(out.commits),
        "commits_unreadable": unreadable,
        "authors": len(emails - {""}),
        "active_days": len({d.date() for d in dates}),
        "first_commit_date": first.isoformat(timespec="seconds") if first else "",
        "pinned_commit_date": pinned.isoformat(timespec="seconds") if pinned else "",
        "age_days": (pinned - first).days if first and pinned else None,
    }
    return out


def _content(source: Any) -> bytes | None:
    """The new content of a changed file (a PyDriller ``ModifiedFile``, or a GitPython blob
    from :func:`_tree_changes`), as bytes; None when git cannot give it."""
    try:
        data = source.content if hasattr(source, "content") else source.data_stream.read()
    except Exception:  # a blob the mirror lacks: the version counts as having no call site
        return None
    return bytes(data) if data is not None else None


_GIT_CHANGE = {"A": "ADD", "D": "DELETE", "M": "MODIFY", "R": "RENAME", "T": "MODIFY", "C": "ADD"}


def _tree_changes(commit: Any) -> list[tuple[str, str | None, str | None, Any]] | None:
    """The code-file changes of a commit, from the tree diff of the GitPython commit PyDriller
    wraps (against its first parent, or the empty tree for a root commit): no patch is made,
    so no blob but the new versions of code files is ever read (a blob the mirror lacks, or a
    committed virtual environment's thousands of files, cost nothing). Files in the folders
    the scanner skips (virtual environments, ``site-packages``, build output, ...; see
    :mod:`miners.scan.files`) are left out. None when git cannot diff the commit."""
    try:
        from git import NULL_TREE

        c = commit._c_object
        paths = [f":(icase)*{suffix}" for suffix in CODE_SUFFIXES]  # git filters: a huge tree stays cheap
        diffs = (c.parents[0].diff(c, paths=paths, create_patch=False) if c.parents
                 else c.diff(NULL_TREE, paths=paths, create_patch=False))
        out = []
        for d in diffs:
            kind = _GIT_CHANGE.get((d.change_type or "M")[0], "MODIFY") if c.parents else "ADD"
            old = None if kind == "ADD" else d.a_path
            new = None if kind == "DELETE" else (d.b_path or d.a_path)
            path = new or old or ""
            if path.lower().endswith(CODE_SUFFIXES) and _excluded_by_folder(path.split("/"), set()) is None:
                blob = (d.b_blob if d.b_blob is not None else d.a_blob) if new is not None else None
                out.append((kind, old, new, blob))
        return out
    except Exception:
        return None


def events(walked: Walked, found: dict[str, frozenset[str]]) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """Replay the changes with each version's families (``found``: content key -> families):
    one event per family the repository ever had, and the families it has at the pin."""
    per_path: dict[str, frozenset[str]] = {}
    first: dict[str, int] = {}
    removed: dict[str, int] = {}
    have: frozenset[str] = frozenset()
    by_commit: dict[int, list[Change]] = {}
    for ch in walked.changes:
        by_commit.setdefault(ch.commit, []).append(ch)
    for index in range(len(walked.commits)):
        for ch in by_commit.get(index, ()):
            before = frozenset()
            if ch.old_path is not None and ch.old_path != ch.new_path:
                before = per_path.pop(ch.old_path, frozenset())
            if ch.new_path is not None:
                if ch.same_content:
                    per_path[ch.new_path] = before
                else:
                    per_path[ch.new_path] = found.get(ch.key, frozenset()) if ch.key else frozenset()
        now = frozenset().union(*per_path.values()) if per_path else frozenset()
        for fam in now - have:
            first.setdefault(fam, index)
            removed.pop(fam, None)
        for fam in have - now:
            removed[fam] = index
        have = now
    rows = []
    for fam in FAMILIES:
        if fam not in first:
            continue
        f_sha, f_date = walked.commits[first[fam]]
        r = removed.get(fam)
        rows.append({"family": fam, "first_commit": f_sha, "first_date": f_date.isoformat(timespec="seconds"),
                     "removed_commit": walked.commits[r][0] if r is not None else "",
                     "removed_date": walked.commits[r][1].isoformat(timespec="seconds") if r is not None else "",
                     "present_at_pin": fam in have})
    return rows, have


def parse_versions(walked: Walked, scanner: Any, deadline: float | None = None) -> dict[str, frozenset[str]]:
    """Families of every distinct file version, parsed once through the scanner's cache and
    parser pool (:func:`miners.history.versions.results`); raises :class:`WalkTooLong` past
    ``deadline``."""
    parsed = results(scanner, walked.blobs, lambda: _check(deadline))
    return {key: families_of(result) for key, result in parsed.items()}


def summary_of(rows: Iterable[dict[str, Any]], metadata: dict[str, Any]) -> dict[str, Any]:
    """The derived columns of ``repo_history.csv`` from a repository's events and metadata."""
    by = {r["family"]: r for r in rows}
    first = metadata.get("first_commit_date") or ""
    tracking = by.get("tracking")
    days = None
    if tracking and first:
        days = (datetime.fromisoformat(tracking["first_date"]) - datetime.fromisoformat(first)).days
    stages, aliases = by.get("registry_stages"), by.get("registry_aliases")
    return {
        "days_to_first_tracking": days,
        "tracking_at_pin": bool(tracking and tracking["present_at_pin"]),
        "stages_first_date": stages["first_date"] if stages else "",
        "aliases_first_date": aliases["first_date"] if aliases else "",
        "stages_then_aliases": bool(stages and aliases and aliases["first_date"] >= stages["first_date"]),
    }
