"""File versions of a history, parsed once: the content key of a version, and the scanner's
result for each distinct content (the scanner's cache first, then its parser pool).

Definitions. A *version* is the content of a ``.py`` or ``.ipynb`` file at some commit; its
*key* is the SHA-256 of its bytes. A version over the protocol's size cap for its kind, or
whose content the clone cannot give, has no key: it is never parsed and counts as having no
call site (and 0 lines). The scanner's cache is keyed by content and miner version, so a
version seen before (in another commit, on another branch, in another repository, or by
``make mine``) is not parsed again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from miners.scan.files import Limits
from miners.scan.records import FileResult

#: Versions sent to the parser pool at once (the deadline is checked between chunks).
CHUNK = 256


def kind_of(path: str) -> str:
    """``ipynb`` or ``py``, from the file name."""
    return "ipynb" if path.lower().endswith(".ipynb") else "py"


def keyed(path: str, data: bytes | None, limits: Limits) -> tuple[str, str] | None:
    """``(key, kind)`` of a version, or None when it has no key (see the definitions)."""
    kind = kind_of(path)
    cap = limits.max_ipynb_bytes if kind == "ipynb" else limits.max_py_bytes
    if data is None or len(data) > cap:
        return None
    return hashlib.sha256(data).hexdigest(), kind


def results(scanner: Any, versions: Mapping[str, tuple[str, bytes]],
            before_chunk: Callable[[], None] | None = None) -> dict[str, FileResult | None]:
    """The scanner's result for every version (``key -> (kind, content)``): from the cache when
    there, else parsed in chunks of :data:`CHUNK` (``before_chunk`` is called before each, and
    may raise to stop) and cached."""
    from miners.scan.cache import ResultCache

    found: dict[str, FileResult | None] = {}
    todo: list[tuple[str, str, bytes]] = []
    for key, (kind, data) in versions.items():
        cached = scanner.cache.get(ResultCache.key(key, kind))
        if cached is not None:
            found[key] = cached
        else:
            todo.append((key, kind, data))
    for start in range(0, len(todo), CHUNK):
        if before_chunk is not None:
            before_chunk()
        for key, result in scanner.pool.run(todo[start:start + CHUNK]):
            scanner.cache.put(ResultCache.key(key, versions[key][0]), result)
            found[key] = result
    return found
