"""What every detector family shares: the views of a call, assignment and string it is shown,
the :class:`Hit` it returns, and small helpers for reading literal arguments.

A detector family is one module with:

* a docstring: the operational definition of its category, rendered into the codebook;
* ``CATEGORY``: the ``category`` value of its rows in ``call_sites.csv``;
* declarative tables of fully qualified names (what counts, and how it is described);
* ``DETECTS`` and ``IGNORES``: code examples that must, and must not, produce a row of this
  category (the test suite turns each example into one test);
* functions ``on_call``, ``on_assign`` and ``on_string`` that turn a resolved site into hits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst


class _NotLiteral:
    def __repr__(self) -> str:
        return "NOT_LITERAL"


#: Returned by :func:`literal` for an expression that is not a constant.
NOT_LITERAL = _NotLiteral()


@dataclass(frozen=True, slots=True)
class Example:
    """A code example for a detector: ``api`` (and ``detail`` prefix) the row must have."""

    code: str
    api: str | None = None
    detail: str | None = None
    notebook: bool = False


@dataclass(slots=True)
class Hit:
    """One row of ``call_sites.csv`` before its position is known."""

    category: str
    api: str
    detail: str
    node: cst.CSTNode


@dataclass(slots=True)
class CallSite:
    """A call expression, with the name its callee resolves to (``qname``; None if unresolved)."""

    node: cst.Call
    qname: str | None
    spelled: str
    uris: list[tuple[cst.CSTNode, str]]
    code_for: Callable[[cst.CSTNode], str]
    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)

    def constant(self, node: cst.BaseExpression | None) -> object:
        """Like :func:`literal`, but a name assigned once in the file to a literal gives that
        literal (``MODEL_NAME = "churn"`` ... ``register_model(uri, MODEL_NAME)``)."""
        if isinstance(node, cst.Name) and node.value in self.constants:
            return literal(self.constants[node.value])
        return literal(node)

    def arg(self, position: int | None, name: str | None) -> cst.BaseExpression | None:
        """The argument given by keyword ``name``, else the ``position``-th positional one."""
        positional = 0
        for a in self.node.args:
            if a.keyword is not None:
                if name is not None and a.keyword.value == name:
                    return a.value
            elif a.star:
                return None
            else:
                if position is not None and positional == position:
                    return a.value
                positional += 1
        return None

    def keywords(self) -> dict[str, cst.BaseExpression]:
        return {a.keyword.value: a.value for a in self.node.args if a.keyword is not None}

    def text(self, node: cst.CSTNode, limit: int = 60) -> str:
        return clip(self.code_for(node), limit)


@dataclass(slots=True)
class AssignSite:
    """An assignment to an attribute (``a.b.c = v``) or to ``os.environ[KEY]``.

    ``qname`` is the resolved attribute (``torch.backends.cudnn.deterministic``) or
    ``os.environ[KEY]``; ``value`` the assigned expression.
    """

    node: cst.CSTNode
    qname: str
    value: cst.BaseExpression
    code_for: Callable[[cst.CSTNode], str]


@dataclass(slots=True)
class StringSite:
    """A string literal that contains ``models:/`` and is not an argument of a resolved call."""

    node: cst.CSTNode
    template: str


def literal(node: cst.BaseExpression | None) -> object:
    """The constant value of ``node`` (int, float, str, bool, None), else :data:`NOT_LITERAL`."""
    if node is None:
        return NOT_LITERAL
    if isinstance(node, cst.Integer | cst.Float):
        try:
            return node.evaluated_value
        except Exception:
            return NOT_LITERAL
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        try:
            value = node.evaluated_value
        except Exception:
            return NOT_LITERAL
        return value if isinstance(value, str) else NOT_LITERAL
    if isinstance(node, cst.Name) and node.value in {"True", "False", "None"}:
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
    return NOT_LITERAL


def clip(text: str, limit: int = 60) -> str:
    """One-line, length-limited rendering of code or a value for the ``detail`` column
    (:mod:`miners.scan.detail`): whitespace runs become one space, ``;`` becomes ``,``, and
    text over ``limit`` characters is cut to ``limit - 3`` followed by ``...``."""
    flat = " ".join(text.split())
    flat = flat.replace(";", ",")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def value_text(site_text: Callable[[cst.CSTNode], str], node: cst.BaseExpression) -> str:
    """``detail`` rendering of a value: the literal itself, else ``expr:<code>``."""
    value = literal(node)
    if value is NOT_LITERAL:
        return "expr:" + clip(site_text(node), 50)
    return clip(repr(value) if isinstance(value, str) else str(value), 50)


def string_template(node: cst.CSTNode) -> str | None:
    """The text of a string literal, with each f-string replacement field shown as ``{}``."""
    if isinstance(node, cst.SimpleString):
        try:
            v = node.evaluated_value
        except Exception:
            return None
        return v if isinstance(v, str) else None
    if isinstance(node, cst.FormattedString):
        out = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            else:
                out.append("{}")
        return "".join(out)
    if isinstance(node, cst.ConcatenatedString):
        left = string_template(node.left)
        right = string_template(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None
