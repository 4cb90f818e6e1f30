"""Datasette plugin of ``make browse`` (loaded with ``--plugins-dir``): in ``repo_features``
the counts ``tracking_sites``, ``seed_sites`` and ``registry_sites`` link to the repository's
call sites of that category (``call_sites?repo=<repo>&category=<category>``).

The data package declares call sites' foreign key as the pair (repo, path) -> files, and
Datasette draws links only for single-column foreign keys, so without this a repository's page
would not lead to its call sites.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from markupsafe import Markup, escape

COUNT_COLUMNS = {"tracking_sites": "tracking", "seed_sites": "seed", "registry_sites": "registry"}


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if table != "repo_features" or column not in COUNT_COLUMNS or value is None:
        return None
    query = urlencode({"repo": row["repo"], "category": COUNT_COLUMNS[column]})
    href = datasette.urls.table(database, "call_sites") + "?" + query
    return Markup(f'<a class="call-sites" href="{escape(href)}">{escape(str(value))}</a>')
