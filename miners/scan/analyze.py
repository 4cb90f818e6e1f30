"""Analyse one file's bytes: decode, parse with libcst, run every detector in one pass.

This is a pure function of the file's content and kind (so its result can be cached by
content hash): :func:`analyze` never raises for bad input; every failure is a status with a
reason. A file whose text contains none of the detectors' trigger substrings
(:data:`miners.scan.detectors.TRIGGERS`) cannot produce a row; its syntax is checked with
Python's ``ast`` (``parser = ast``) instead of a libcst parse, and libcst decides whenever
``ast`` rejects it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from collections import defaultdict
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from miners.scan.collect import Collected, Collector, RawString
from miners.scan.detectors import FAMILIES, TRIGGERS
from miners.scan.detectors.base import AssignSite, CallSite, Hit, StringSite
from miners.scan.detectors.seeds import RANDOM_FRAMEWORKS
from miners.scan.notebooks import NotebookError, read_code_cells
from miners.scan.records import FileResult, Site

_PY2_HINTS = re.compile(r"^\s*print\s+[^\s(=]|^\s*except\s+[\w.]+\s*,\s*\w+\s*:|^\s*exec\s+['\"]", re.MULTILINE)
_NUMPY_RANDOM_IMPORT = re.compile(r"numpy\.random|from\s+numpy\s+import\s+[^\n]*\brandom\b")


def analyze(kind: str, data: bytes) -> FileResult:
    """Analyse a ``py`` or ``ipynb`` file given as bytes."""
    try:
        return _analyze(kind, data)
    except RecursionError:
        return _result("parse_error", "expressions nested too deeply for analysis (RecursionError)",
                       data, kind)
    except MemoryError:
        return _result("parse_error", "ran out of memory while parsing", data, kind)


def _result(status: str, reason: str, data: bytes, kind: str, lines: int = 0, code_cells: int | None = None,
            parser: str = "", frameworks: tuple[str, ...] = (), sites: tuple[Site, ...] = ()) -> FileResult:
    return FileResult(kind, status, reason, len(data), lines, code_cells, parser, frameworks, sites)


def _decode_python(data: bytes) -> tuple[str | None, str]:
    if b"\0" in data[:8192]:
        return None, "binary content (NUL bytes), not Python source"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return None, f"bad encoding declaration: {exc}"
    try:
        return data.decode(encoding), ""
    except (UnicodeDecodeError, LookupError) as exc:
        return None, f"not decodable as {encoding}: {str(exc)[:120]}"


def _analyze(kind: str, data: bytes) -> FileResult:
    if kind == "ipynb":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return _result("unreadable", f"notebook is not UTF-8: {str(exc)[:120]}", data, kind)
        try:
            cells = read_code_cells(text)
        except NotebookError as exc:
            return _result("parse_error", str(exc), data, kind)
        units = [(c.index, c.source) for c in cells]
        notes = [f"cell {c.index}: {c.note}" for c in cells if c.note]
        lines = sum(c.original_lines for c in cells)
    else:
        source, why = _decode_python(data)
        if source is None:
            return _result("unreadable", why, data, kind)
        units = [(-1, source)]
        notes = []
        lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    code = "\n".join(src for _, src in units)
    lowered = code.lower()
    if not any(t in lowered for t in TRIGGERS):
        checked = _ast_check(kind, units, data, lines, notes, code)
        if checked is not None:
            return checked
    return _libcst(kind, units, data, lines, notes, code)


def _frameworks(modules: set[str], code: str) -> tuple[str, ...]:
    found = set()
    roots = {m.split(".")[0] for m in modules}
    for root in roots:
        if root in RANDOM_FRAMEWORKS:
            found.add(RANDOM_FRAMEWORKS[root])
    if "numpy" in roots and (_NUMPY_RANDOM_IMPORT.search(code) or ".random." in code):
        found.add("numpy")
    return tuple(sorted(found))


def _ast_check(kind: str, units: list[tuple[int, str]], data: bytes, lines: int,
               notes: list[str], code: str) -> FileResult | None:
    """Syntax-check a file that no detector can match; None means: let libcst decide."""
    modules: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, src in units:
            try:
                tree = ast.parse(src)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            stack: list[ast.stmt] = list(tree.body)
            while stack:  # imports are statements: no need to visit expressions
                node = stack.pop()
                if isinstance(node, ast.Import):
                    modules.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    if node.module and not node.level:
                        modules.add(node.module)
                else:
                    for name in _STMT_LISTS:
                        stack.extend(getattr(node, name, ()))
                    for handler in getattr(node, "handlers", ()):
                        stack.extend(handler.body)
                    for case in getattr(node, "cases", ()):
                        stack.extend(case.body)
    return _result("parsed", "; ".join(notes), data, kind, lines=lines, parser="ast",
                   code_cells=len(units) if kind == "ipynb" else None,
                   frameworks=_frameworks(modules, code))


_STMT_LISTS = ("body", "orelse", "finalbody")


def _syntax_reason(exc: Exception, source: str) -> str:
    if isinstance(exc, cst.ParserSyntaxError):
        msg = f"syntax error at line {exc.raw_line}: {exc.message}"
    else:
        msg = f"{type(exc).__name__}: {exc}"
    msg = " ".join(msg.split())[:200]
    if _PY2_HINTS.search(source):
        msg += " (looks like Python 2)"
    return msg


def _libcst(kind: str, units: list[tuple[int, str]], data: bytes, lines: int,
            notes: list[str], code: str) -> FileResult:
    collector = Collector(look_for_uris="models:/" in code)
    modules: dict[int, cst.Module] = {}
    failures: list[str] = []
    for unit, src in units:
        try:
            module = cst.parse_module(src)
        except Exception as exc:  # ParserSyntaxError, and anything else the parser raises
            failures.append(_syntax_reason(exc, src) if kind == "py" else f"cell {unit}: {_syntax_reason(exc, src)}")
            continue
        modules[unit] = module
        collector.add_module(module, unit)
    code_cells = len(units) if kind == "ipynb" else None
    if not modules:
        reason = "; ".join(failures) if kind == "py" else (
            "no code cells" if not units else f"no code cell parsed ({len(units)} cells): " + "; ".join(failures[:3]))
        if not units:
            return _result("parsed", "no code cells", data, kind, lines=lines, parser="libcst", code_cells=0)
        return _result("parse_error", reason[:500], data, kind, lines=lines, parser="libcst", code_cells=code_cells)
    if failures:
        notes = [f"{len(failures)} of {len(units)} code cells did not parse: " + "; ".join(failures[:3]), *notes]
    collected = collector.out
    hits = _detect(collected, modules)
    sources = dict(units)
    sites = _place(hits, modules, kind, sources, collected, collector.calls_per_stmt)
    mods = set(collected.modules)
    return _result("parsed", "; ".join(notes)[:500], data, kind, lines=lines, parser="libcst",
                   code_cells=code_cells, frameworks=_frameworks(mods, code), sites=sites)


def _detect(collected: Collected, modules: dict[int, cst.Module]) -> list[tuple[int, int, Hit]]:
    bindings = collected.bindings
    hits: list[tuple[int, int, Hit]] = []
    code_for_cache: dict[int, Any] = {}

    def code_for(unit: int):
        fn = code_for_cache.get(unit)
        if fn is None:
            fn = code_for_cache[unit] = modules[unit].code_for_node
        return fn

    for raw in collected.calls:
        qname = bindings.resolve(raw.chain, raw.scope)
        site = CallSite(raw.node, qname, ".".join(raw.chain) if raw.chain else "?", raw.uris,
                        code_for(raw.unit), collected.constants)
        found = False
        for family in FAMILIES:
            for hit in family.on_call(site):
                hits.append((raw.unit, raw.stmt, hit))
                found = True
        if raw.uris and not found:  # a URI in the arguments of some other call
            collected.strings.extend(RawString(n, t, raw.unit, raw.stmt) for n, t in raw.uris)
    for raw in collected.assigns:
        if raw.env_key is not None:
            base = bindings.resolve(raw.chain)
            if base != "os.environ":
                continue
            qname = f"os.environ[{raw.env_key}]"
        else:  # resolve what the attribute belongs to, not the (re)bound target itself
            assert raw.chain is not None
            owner = bindings.resolve(raw.chain[:-1])
            if owner is None:
                continue
            qname = f"{owner}.{raw.chain[-1]}"
        site = AssignSite(raw.node, qname, raw.value, code_for(raw.unit))
        for family in FAMILIES:
            on_assign = getattr(family, "on_assign", None)
            if on_assign is not None:
                hits.extend((raw.unit, raw.stmt, h) for h in on_assign(site))
    for raw in collected.strings:
        site = StringSite(raw.node, raw.template)
        for family in FAMILIES:
            on_string = getattr(family, "on_string", None)
            if on_string is not None:
                hits.extend((raw.unit, raw.stmt, h) for h in on_string(site))
    return hits


def _place(hits: list[tuple[int, int, Hit]], modules: dict[int, cst.Module], kind: str,
           sources: dict[int, str], collected: Collected,
           calls_per_stmt: dict[tuple[int, int], int]) -> tuple[Site, ...]:
    """Give each hit its (line, col).

    Calls are numbered in source order within their top-level statement by the walk; the
    k-th call of a libcst statement is the k-th ``ast.Call``, in position order, of the
    matching ``ast`` statements (a line ``a; b`` is one libcst statement and two ``ast``
    ones), whose line and column Python's own parser gives at a tenth of libcst's cost. The
    mapping is checked (same number of calls, same callee spelling); where it does not hold,
    and for hits that are not calls, positions come from libcst's ``PositionProvider`` on the
    hit's top-level statement alone."""
    raw_of = {id(c.node): c for c in collected.calls}
    per_unit: dict[int, list[tuple[int, Hit]]] = defaultdict(list)
    for unit, stmt, hit in hits:
        per_unit[unit].append((stmt, hit))
    sites: list[Site] = []
    for unit, unit_hits in per_unit.items():
        fast = _ast_call_positions(sources[unit], modules[unit], calls_per_stmt, unit,
                                   [raw_of[id(h.node)] for _, h in unit_hits if id(h.node) in raw_of])
        slow: dict[int, list[Hit]] = defaultdict(list)
        for stmt, hit in unit_hits:
            pos = fast.get(id(hit.node)) if fast is not None else None
            if pos is None:
                slow[stmt].append(hit)
            else:
                sites.append(Site(unit if kind == "ipynb" else None, pos[0], pos[1], hit.category, hit.api, hit.detail))
        if slow:
            module = modules[unit]
            starts = _statement_offsets(module)
            for stmt, stmt_hits in slow.items():
                mini = module.with_changes(body=[module.body[stmt]], header=[], footer=[])
                positions = MetadataWrapper(mini, unsafe_skip_copy=True).resolve(PositionProvider)
                for hit in stmt_hits:
                    p = positions.get(hit.node)
                    line = starts[stmt] + (p.start.line if p else 1)
                    sites.append(Site(unit if kind == "ipynb" else None, line, p.start.column if p else 0,
                                      hit.category, hit.api, hit.detail))
    sites.sort(key=lambda s: s.order)
    return tuple(sites)


def _ast_dotted(node: ast.AST) -> tuple[str, ...] | None:
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return tuple(reversed(parts))
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        else:
            return None


def _ast_call_positions(source: str, module: cst.Module, calls_per_stmt: dict[tuple[int, int], int],
                        unit: int, raws: list) -> dict[int, tuple[int, int]] | None:
    """``id(libcst Call) -> (line, col)`` for the given raw calls, or None if the mapping fails."""
    if not raws:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    # libcst top-level statement i -> the ast statements it holds
    spans: list[tuple[int, int]] = []
    j = 0
    for stmt in module.body:
        n = len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        spans.append((j, j + n))
        j += n
    if j != len(tree.body):
        return None
    lines: list[str] | None = None
    calls_of: dict[int, list[ast.Call]] = {}
    out: dict[int, tuple[int, int]] = {}
    for raw in raws:
        calls = calls_of.get(raw.stmt)
        if calls is None:
            a, b = spans[raw.stmt]
            calls = [n for node in tree.body[a:b] for n in ast.walk(node) if isinstance(n, ast.Call)]
            if len(calls) != calls_per_stmt.get((unit, raw.stmt), -1):
                return None
            calls.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
            calls_of[raw.stmt] = calls
        call = calls[raw.index]
        if raw.chain is not None and _ast_dotted(call.func) != raw.chain:
            return None
        col = call.col_offset
        if lines is None:
            lines = source.split("\n")
        line_text = lines[call.lineno - 1] if call.lineno - 1 < len(lines) else ""
        if not line_text.isascii():  # ast columns count UTF-8 bytes; ours count characters
            col = len(line_text.encode("utf-8")[:col].decode("utf-8", "replace"))
        out[id(raw.node)] = (call.lineno, col)
    return out


def _statement_offsets(module: cst.Module) -> list[int]:
    """Number of lines before each top-level statement."""
    code_for = module.code_for_node
    line = sum(code_for(h).count("\n") for h in module.header)
    starts = []
    for stmt in module.body:
        starts.append(line)
        line += code_for(stmt).count("\n")
    return starts
