"""Light-weight name resolution: which fully qualified name a dotted expression refers to.

Definition. Within one file (one notebook counts as one file, its cells in order), every
binding of a name is collected without regard to control flow or function scope:

* ``import a.b`` binds ``a`` to ``a``; ``import a.b as x`` binds ``x`` to ``a.b``;
  ``from a.b import c as d`` binds ``d`` to ``a.b.c``; relative imports (``from . import x``)
  are the project's own and bind nothing resolvable;
* ``from m import *`` makes a bare name ``n`` resolve to ``m.n`` when a detector knows
  ``m.n`` (:data:`miners.scan.detectors.STAR_EXPORTS`);
* an assignment ``t = e`` (``t`` a name or attribute chain such as ``self.client``) binds
  ``t`` to what ``e`` resolves to, when ``e`` is a dotted name or a call of one; a call of a
  known class (:data:`miners.scan.detectors.CONSTRUCTORS`, e.g. ``MlflowClient``), or of any
  CapWords name inside ``mlflow`` (a class), gives an instance of it, so ``t.method`` resolves
  to ``Class.method``; the result of calling anything else resolves to nothing;
* a module-level ``def n`` or ``class n`` makes ``n`` the project's own: it is never resolved
  to an imported name (methods inside classes do not shadow module names) — except inside a
  function that imports ``n`` itself: a function's own imports come first within it.

* a function's return values: a call of a function defined in the file (``make_client()``,
  at any depth) resolves to what its ``return`` statements return (the first that resolves),
  and so does ``self.m()`` for a method ``m`` of a class in the file; a method decorated
  ``@property`` or ``@cached_property`` resolves without the call (``self.client``). So
  ``def make_client(): return MlflowClient()`` makes ``make_client().log_param`` and
  ``c = make_client(); c.log_param`` resolve to ``MlflowClient.log_param``. What a return
  statement returns resolves like any expression of the file (``return self._client``
  follows ``self._client = MlflowClient()``). A name bound otherwise (an import, an
  assignment) keeps that binding first.

A dotted expression ``a.b.c`` resolves through its longest bound prefix. Names that are
never bound (builtins, parameters, locals) resolve to nothing. Qualified names are
canonicalised (:data:`miners.scan.detectors.ALIASES`). This is what libcst's
``QualifiedNameProvider`` computes for imports, plus instance tracking, at a fraction of the
cost; ``make bench`` measures the agreement of the two on real code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from miners.scan.detectors import ALIASES, CONSTRUCTORS, STAR_EXPORTS

CALL = "()"
_ALIAS_KEYS = sorted(ALIASES, key=len, reverse=True)


def canonical(qname: str) -> str:
    """Map another import path of a known name to its canonical qualified name."""
    for prefix in _ALIAS_KEYS:
        if qname == prefix or qname.startswith(prefix + "."):
            return ALIASES[prefix] + qname[len(prefix):]
    return qname


@dataclass(slots=True)
class Bindings:
    """All bindings of one file: dotted target -> list of sources."""

    imports: dict[str, list[str]] = field(default_factory=dict)
    exprs: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    local: set[str] = field(default_factory=set)
    stars: list[str] = field(default_factory=list)
    #: imports made inside a function: (function scope id, name) -> qualified names
    scoped: dict[tuple[int, str], list[str]] = field(default_factory=dict)
    #: function scope id -> enclosing scope id (0 is the module)
    parents: dict[int, int] = field(default_factory=dict)
    #: functions defined in the file: how a call reaches them (``name`` or ``self.name``) ->
    #: (is a property, the chains their ``return`` statements return)
    returns: dict[str, tuple[bool, list[tuple[str, ...]]]] = field(default_factory=dict)
    _memo: dict[str, str | None] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)

    def bind_import(self, name: str, qname: str, scope: int = 0) -> None:
        self.imports.setdefault(name, []).append(qname)
        if scope:
            self.scoped.setdefault((scope, name), []).append(qname)

    def bind_expr(self, target: str, chain: tuple[str, ...]) -> None:
        self.exprs.setdefault(target, []).append(chain)

    def bind_function(self, key: str, is_property: bool) -> list[tuple[str, ...]]:
        """Register a function reached as ``key``; returns the list its return chains go to."""
        prop, chains = self.returns.setdefault(key, (is_property, []))
        if is_property and not prop:
            self.returns[key] = (True, chains)
        return chains

    def _through_returns(self, chain: Sequence[str], first_call: int, scope: int) -> str | None:
        """``chain`` resolved through the return values of a function of the file it calls."""
        for i in range(first_call, 0, -1):
            key = ".".join(chain[:i])
            found = self.returns.get(key)
            if found is None:
                continue
            is_property, returned = found
            if is_property:
                rest = chain[i:]
            elif i < len(chain) and chain[i] == CALL:
                rest = chain[i + 1:]
            else:
                return None
            marker = "returns:" + key
            if marker in self._active:  # recursion such as ``def f(): return f()``
                return None
            self._active.add(marker)
            try:
                for value in returned:
                    result = self.resolve((*value, *rest), scope)
                    if result is not None:
                        return result
            finally:
                self._active.discard(marker)
            return None
        return None

    def _binding(self, name: str) -> str | None:
        if name in self._memo:
            return self._memo[name]
        if name in self._active:  # a cycle such as ``x = x.y``
            return None
        self._active.add(name)
        result: str | None = None
        if name not in self.local:
            for q in self.imports.get(name, ()):
                result = canonical(q)
                break
            if result is None:
                for chain in self.exprs.get(name, ()):
                    result = self.resolve(chain)
                    if result is not None:
                        break
        self._active.discard(name)
        self._memo[name] = result
        return result

    def resolve(self, chain: Sequence[str] | None, scope: int = 0) -> str | None:
        """Qualified name of a dotted chain (``CALL`` marks a call) used in ``scope``, or None."""
        if not chain:
            return None
        # longest bound prefix that contains no call
        first_call = chain.index(CALL) if CALL in chain else len(chain)
        base: str | None = None
        used = 0
        while scope and base is None:  # a function's own imports first
            for i in range(first_call, 0, -1):
                found = self.scoped.get((scope, ".".join(chain[:i])))
                if found:
                    base, used = canonical(found[0]), i
                    break
            scope = self.parents.get(scope, 0)
        for i in range(first_call, 0, -1) if base is None else ():
            key = ".".join(chain[:i])
            if key in self.imports or key in self.exprs or key in self.local:
                base = self._binding(key)
                used = i
                break
        if used == 0 and first_call >= 1 and chain[0] not in self.local:
            for module in self.stars:
                if chain[0] in STAR_EXPORTS.get(module, ()):
                    base = f"{module}.{chain[0]}"
                    used = 1
                    break
        if base is None:
            return self._through_returns(chain, first_call, scope) if self.returns else None
        qname = base
        for part in chain[used:]:
            if part == CALL:
                instance = CONSTRUCTORS.get(canonical(qname))
                if instance is None and qname.startswith("mlflow.") and qname.rsplit(".", 1)[-1][:1].isupper():
                    instance = qname  # a class of mlflow's: the call gives an instance of it
                if instance is None:
                    return None
                qname = instance
            else:
                qname = canonical(f"{qname}.{part}")
        return canonical(qname)
