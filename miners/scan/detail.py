"""The ``detail`` column of ``call_sites.csv``: the facts a detector records about a site.

Definition. ``detail`` is a list of ``key=value`` fields joined by ``;``, in the order the
detector gives them, empty values left out (:func:`detail`, the one writer). Values rendered
from code pass through :func:`miners.scan.detectors.base.clip`, which turns ``;`` into ``,``;
names taken from string literals (a param key, a registered model name) are written as they
are. :func:`parse_detail` is the one reader, used by the scanner's repository features and by
the analysis: the text is split at every ``;``; in each part the first ``=`` separates the key
from the value (a value may contain ``=``); a part without ``=`` is ignored; a key given twice
keeps its last value.

This module imports nothing else of the scanner, so the analysis reads ``detail`` without
loading the parser.
"""

from __future__ import annotations


def detail(**parts: object) -> str:
    """``k=v;k=v`` rendering of detail fields, in the given order, leaving out empty ones."""
    return ";".join(f"{k}={v}" for k, v in parts.items() if v not in (None, "", []))


def parse_detail(text: str) -> dict[str, str]:
    """The fields of a ``detail`` value as ``{key: value}`` (see the module docstring)."""
    out: dict[str, str] = {}
    for part in text.split(";"):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key] = value
    return out
