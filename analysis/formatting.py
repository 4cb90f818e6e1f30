"""How the analysis writes numbers: one rule per kind of number for the paper's LaTeX macros and
tables, and one float format for the CSV tables, so a number reads the same wherever it appears.

Definitions (a *missing* value is ``None`` or NaN; it is :data:`NA`, ``n/a``, in LaTeX and the
empty cell in a CSV):

* :func:`count` -- a whole number, with thousands separators (``1,640``) or without (``1640``).
* :func:`percent` -- *the* percent rule: a share ``s`` (0-1) is written as ``100 * s`` with
  ``decimals`` decimals, followed by LaTeX's ``\\%`` when ``sign`` (``76.7\\%``, ``80\\%``,
  or ``76.7`` where a table's heading carries the unit). :func:`percent_interval` writes a Wilson
  interval with the same rule.
* :func:`number` -- a statistic with ``decimals`` decimals, LaTeX's minus (``$-$0.09``) and
  ``$\\infty$``; with ``whole`` a whole number drops its decimals (medians of counts).
* :func:`p_value` -- ``$p = 0.034$``, ``$p < 0.001$`` or ``$p$ n/a``.
* :func:`csv_number` -- the float format of every CSV table: ``decimals`` fixed decimals,
  ``significant`` significant digits (``%g``), or neither: *exact*, the shortest text that reads
  back as the same float (a whole number without ``.0``). Each table states its
  :class:`CsvFormat`; :func:`table_csv` writes it.

LaTeX output: :func:`macro_name` (letters only), :func:`latex_macro`, :class:`Macros` (one
macro file of a stage), :func:`booktabs` (a table body the paper wraps in a float); every
generated file starts with :func:`generated_by`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

NA = "n/a"

_DIGITS = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}"}


def missing(x: Any) -> bool:
    """None or a float NaN (the empty cell of a table read as text is not missing here)."""
    return x is None or (isinstance(x, float | np.floating) and math.isnan(float(x)))


# --------------------------------------------------------------------------- numbers in LaTeX


def count(k: int | None, grouping: bool = True) -> str:
    """A whole number: ``1,640`` (``grouping``) or ``1640``; ``n/a`` when missing."""
    if missing(k):
        return NA
    return f"{int(k):,}" if grouping else str(int(k))


def percent(share: float | None, decimals: int = 1, sign: bool = True) -> str:
    """A share (0-1) as a percentage: ``100 * share`` with ``decimals`` decimals, then ``\\%``
    when ``sign``: ``percent(0.7667)`` is ``76.7\\%``; ``n/a`` when missing."""
    if missing(share):
        return NA
    return f"{100 * float(share):.{decimals}f}" + ("\\%" if sign else "")


def percent_interval(low: float | None, high: float | None, decimals: int = 1,
                     sign: bool = True, brackets: bool = True) -> str:
    """An interval of shares by :func:`percent`: ``[72.1\\%, 80.8\\%]``, or without brackets
    ``72.1--80.8``; ``n/a`` when either bound is missing."""
    if missing(low) or missing(high):
        return NA
    a, b = percent(low, decimals, sign), percent(high, decimals, sign)
    return f"[{a}, {b}]" if brackets else f"{a}--{b}"


def number(x: float | None, decimals: int = 2, whole: bool = False) -> str:
    """A statistic with ``decimals`` decimals (``whole``: a whole number without decimals);
    a negative sign as ``$-$``, infinity as ``$\\infty$``; ``n/a`` when missing."""
    if missing(x):
        return NA
    x = float(x)
    if math.isinf(x):
        return r"$\infty$" if x > 0 else r"$-\infty$"
    text = f"{x:.0f}" if whole and x.is_integer() else f"{x:.{decimals}f}"
    return "$-$" + text[1:] if text.startswith("-") else text


def interval(low: float | None, high: float | None, decimals: int = 2) -> str:
    """``[low, high]`` of a statistic by :func:`number` (an odds ratio's CI); ``n/a`` when
    either bound is missing."""
    if missing(low) or missing(high):
        return NA
    return f"[{number(low, decimals)}, {number(high, decimals)}]"


def p_value(p: float | None, symbol: str = "p") -> str:
    """``$p = 0.034$``, ``$p < 0.001$`` or ``$p$ n/a`` (the macro carries the relation)."""
    if missing(p):
        return f"${symbol}$ {NA}"
    if p < 0.001:
        return f"${symbol} < 0.001$"
    return f"${symbol} = {p:.3f}$"


# --------------------------------------------------------------------------- numbers in CSV


@dataclass(frozen=True)
class Digits:
    """The precision of a float in a CSV table: ``decimals`` fixed decimals, or ``significant``
    significant digits, or neither (:data:`EXACT`)."""

    decimals: int | None = None
    significant: int | None = None


#: The shortest text that reads back as the same float; whole numbers without ``.0``.
EXACT = Digits()


def csv_number(x: Any, digits: Digits = EXACT) -> str:
    """A number as a CSV cell (see :class:`Digits`): empty when missing, ``inf``/``-inf``."""
    if missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if digits.decimals is not None:
        return f"{round(x, digits.decimals):.{digits.decimals}f}"
    if digits.significant is not None:
        return f"{x:.{digits.significant}g}"
    return str(int(x)) if x.is_integer() else repr(x)


def csv_cell(value: Any, digits: Digits | None = None, default: Digits = EXACT) -> str:
    """One CSV cell: empty when missing; ``true``/``false`` for a boolean; a number with
    ``digits`` when the column has a rule; any other float with ``default``; else its text."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if missing(value):
        return ""
    if digits is not None:
        return csv_number(value, digits)
    if isinstance(value, float | np.floating):
        return csv_number(value, default)
    return str(value)


@dataclass(frozen=True)
class CsvFormat:
    """The float precision of one CSV table: per column (``columns``), and for any other
    float (``default``)."""

    columns: Mapping[str, Digits] = field(default_factory=dict)
    default: Digits = EXACT


def table_csv(frame: pd.DataFrame, columns: Sequence[str] | None = None,
              fmt: CsvFormat = CsvFormat()) -> bytes:
    """A table as CSV bytes: the header ``columns`` (default: the frame's, in order; a column
    the frame lacks is empty), one line per row by :func:`csv_cell` with the column's rule of
    ``fmt``, quoted where needed, ``\\n`` line ends, UTF-8."""
    cols = list(frame.columns if columns is None else columns)
    frame = frame.reindex(columns=cols).astype(object)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for values in frame.itertuples(index=False, name=None):
        writer.writerow([csv_cell(v, fmt.columns.get(c), fmt.default)
                         for c, v in zip(cols, values, strict=True)])
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- LaTeX


def generated_by(stage: str) -> str:
    """The first line of every generated LaTeX file of ``python -m analysis <stage>``."""
    return f"% Generated by python -m analysis {stage}; do not edit."


def macro_name(*parts: str | int) -> str:
    """A LaTeX macro name (letters only) from words: ``macro_name("RQ1", "logs_params")`` is
    ``RQOneLogsParams``. Each digit is spelled as a word; every other non-letter separates words.
    """
    out: list[str] = []
    for part in parts:
        text = re.sub(r"\d", lambda m: " " + _DIGITS[int(m.group())] + " ", str(part))
        for word in re.split(r"[^A-Za-z]+", text):
            if word:
                out.append(word[0].upper() + word[1:])
    name = "".join(out)
    if not name:
        raise ValueError(f"no letters in macro name parts {parts!r}")
    return name


def tex_escape(text: str) -> str:
    """Escape LaTeX's special characters in plain text."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(text))


def texttt(text: str) -> str:
    """Plain text (a repository, a metric key) in typewriter type, escaped."""
    return r"\texttt{" + tex_escape(text) + "}"


def latex_macro(name: str, value: str | int | float | None, *, raw: bool = False) -> str:
    """``\\newcommand{\\<name>}{<value>}`` plus a newline.

    ``name`` must be letters only (LaTeX control words cannot contain digits). ``value``: an int
    by :func:`count`, ``None`` or NaN as ``n/a``, a float by :func:`number` with one decimal, a
    string escaped unless ``raw`` (already LaTeX).
    """
    if not re.fullmatch(r"[A-Za-z]+", name or ""):
        raise ValueError(f"LaTeX macro names are letters only, got {name!r}")
    if missing(value):
        text = NA
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | np.integer):
        text = count(value)
    elif isinstance(value, float | np.floating):
        text = number(value, 1)
    else:
        text = str(value) if raw else tex_escape(str(value))
    return f"\\newcommand{{\\{name}}}{{{text}}}\n"


class Macros:
    """The macros of one stage's macro file: name -> LaTeX text, each defined once.

    :meth:`render` writes :func:`generated_by` of ``stage``, then the ``notes`` (comment lines),
    then one ``\\newcommand`` per macro, sorted by name (``sort``) or in the order defined.
    """

    def __init__(self, stage: str, notes: Sequence[str] = (), sort: bool = True) -> None:
        self.stage, self.notes, self.sort = stage, tuple(notes), sort
        self.values: dict[str, str] = {}

    def raw(self, name: str, text: str) -> None:
        """A macro whose value is already LaTeX."""
        if name in self.values:
            raise ValueError(f"macro \\{name} defined twice")
        latex_macro(name, "x")  # validates the name
        self.values[name] = text

    def count(self, name: str, k: int | None, grouping: bool = True) -> None:
        self.raw(name, count(k, grouping))

    def prevalence(self, stem: str, k: int, n: int, share: float, low: float, high: float) -> None:
        """``<stem>Count``, ``Total``, ``Pct``, ``Low``, ``High`` and ``CI`` of k of n (every
        one ``n/a`` but the total when n is 0)."""
        ok = n > 0
        self.count(stem + "Count", k if ok else None)
        self.count(stem + "Total", n)
        self.raw(stem + "Pct", percent(share if ok else None))
        self.raw(stem + "Low", percent(low if ok else None))
        self.raw(stem + "High", percent(high if ok else None))
        self.raw(stem + "CI", percent_interval(low if ok else None, high if ok else None))

    def render(self) -> str:
        names = sorted(self.values) if self.sort else list(self.values)
        head = "".join(line + "\n" for line in (generated_by(self.stage), *self.notes))
        return head + "".join(latex_macro(k, self.values[k], raw=True) for k in names)


def booktabs(header: Sequence[str], align: str, rows: Sequence[Sequence[str]], *,
             stage: str, groups: Mapping[int, str] | None = None,
             head: Sequence[str] | None = None, midrule_before: Collection[int] = ()) -> str:
    """A booktabs ``tabular`` of ``python -m analysis <stage>``: header cells and rows already
    LaTeX. ``head`` replaces the header row by raw lines (a spanning heading and its
    ``\\cmidrule``); ``groups`` maps a row index to a group heading set on its own spanning row
    before it; ``midrule_before`` rows get a ``\\midrule`` above them. No rows gives one
    ``n/a`` row."""
    ncol = len(header)
    lines = [generated_by(stage), f"\\begin{{tabular}}{{{align}}}", "\\toprule",
             *(head if head is not None else [" & ".join(header) + " \\\\"]), "\\midrule"]
    if not rows:
        lines.append(" & ".join([NA] + [""] * (ncol - 1)) + " \\\\")
    for i, row in enumerate(rows):
        if groups and i in groups:
            if i:
                lines.append("\\addlinespace")
            lines.append(f"\\multicolumn{{{ncol}}}{{@{{}}l}}{{\\emph{{{groups[i]}}}}} \\\\")
        if i in midrule_before:
            lines.append("\\midrule")
        if len(row) != ncol:
            raise ValueError(f"row {row!r} has {len(row)} cells, the header {ncol}")
        lines.append(" & ".join(row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", ""]
    return "\n".join(lines)
