"""miners/rerun/vocab.py and miners/rerun/interventions.py: every categorical value the rerun
harness sets is a member of its vocabulary, every intervention line is written in one place
and has a known kind, and the vocabularies import nothing of the harness."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from miners.rerun import interventions, vocab
from miners.rerun.vocab import Intervention

PACKAGE = Path(vocab.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

#: Fields (dict keys, keyword arguments, attributes) whose values come from a vocabulary; an
#: environment's source is also ``Declared.source`` (an attribute, or the first argument).
FIELDS = {"status", "env_status", "env_source", "entry_kind", "env_mode", "mode", "sandbox", "verdict", "agreement",
          "picked_by"}
ATTRIBUTES = FIELDS | {"source"}
#: The vocabularies the annotations of functions returning such a value name.
VOCABULARIES = {name for name, value in vars(vocab).items()
                if isinstance(value, type) and issubclass(value, vocab.Vocabulary) and value is not vocab.Vocabulary}


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent.parent).as_posix()


def _literals(node: ast.expr) -> Iterator[ast.Constant]:
    """The string literals a value expression can evaluate to (through conditionals and tuples'
    first elements, as ``classify`` returns them)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _literals(value)
    elif isinstance(node, ast.Tuple) and node.elts:
        yield from _literals(node.elts[0])


def _returns_vocabulary(fn: ast.FunctionDef) -> bool:
    names = {n.id for n in ast.walk(fn.returns) if isinstance(n, ast.Name)} if fn.returns is not None else set()
    return bool(names & VOCABULARIES)


def vocabulary_values(tree: ast.AST) -> Iterator[ast.expr]:
    """Every expression the module sets a vocabulary field to, or returns from a function
    annotated to return a vocabulary member."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            yield from (v for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and k.value in FIELDS)
        elif isinstance(node, ast.Call):
            yield from (kw.value for kw in node.keywords if kw.arg in FIELDS)
            if isinstance(node.func, ast.Name) and node.func.id == "Declared" and node.args:
                yield node.args[0]
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                targets = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) and isinstance(target, ast.Tuple) \
                    else [node.value] * len(targets)
                for t, v in zip(targets, values, strict=True):
                    if isinstance(t, ast.Attribute) and t.attr in ATTRIBUTES:
                        yield v
        elif isinstance(node, ast.FunctionDef) and _returns_vocabulary(node):
            yield from (r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None)


def test_the_harness_sets_vocabulary_fields_from_the_vocabularies_only() -> None:
    """'' (not set, an empty cell) is the one literal allowed."""
    found = []
    for path in SOURCES:
        for value in vocabulary_values(ast.parse(path.read_text())):
            found += [f"{_rel(path)}:{lit.lineno}: {lit.value!r}" for lit in _literals(value) if lit.value]
    assert not found, ("vocabulary values written as literals; use the members of miners/rerun/vocab.py "
                       "(add the value there, with its definition, if it is new):\n" + "\n".join(found))


def test_the_scan_finds_what_it_looks_for() -> None:
    tree = ast.parse('row = {"status": "ok"}\nresult.env_status, reason = "installed", ""\n'
                     'def f() -> tuple[RunStatus, str]:\n    return ("crashed" if x else RunStatus.OK), ""\n'
                     'Declared("lock")\nrow.update(verdict="varying")\n')
    assert sorted(lit.value for v in vocabulary_values(tree) for lit in _literals(v)) == [
        "crashed", "installed", "lock", "ok", "varying"]


def test_every_member_has_a_definition_and_the_values_are_plain_strings() -> None:
    for name in VOCABULARIES:
        vocabulary = getattr(vocab, name)
        assert len(vocabulary) >= 1, name
        for member in vocabulary:
            assert member.definition.strip(), (name, member.value)
            assert re.fullmatch(r"[a-z0-9_.\-]+", member.value), (name, member.value)
    assert vocab.RUN_STATUSES[:2] == ("ok", "crashed_after_metrics")
    assert all(type(v) is str for v in vocab.RUN_STATUSES + vocab.ENV_SOURCES + vocab.INTERVENTIONS)
    assert set(vocab.METRIC_STATUSES) | set(vocab.REPEATING) <= set(vocab.RUN_STATUSES)
    assert vocab.RunStatus.OK == "ok" and f"{vocab.RunStatus.OK}" == "ok"


def test_the_vocabularies_import_nothing_of_the_harness() -> None:
    code = ("import sys, miners.rerun.vocab, miners.rerun.interventions; "
            "print(sorted(m for m in sys.modules if m.startswith('miners.') or m in ('yaml', 'libcst', 'packaging')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["miners.rerun", "miners.rerun.interventions", "miners.rerun.vocab"]


# ----------------------------------------------------------------------------- interventions

SAMPLES = {
    "recipe": (("README.md:12", "python train.py", [("MLproject:entry main", "install_failed")]), Intervention.RECIPE),
    "repair": (("run from src/ after FileNotFoundError from the root",), Intervention.REPAIR),
    "mlflow_run": ((2,), Intervention.MLFLOW_RUN),
    "tracking_redirect": ((["http://localhost:5000"],), Intervention.TRACKING_REDIRECT),
    "path_mapping": (("/content/data", "data", "train.py:3"), Intervention.PATH_MAPPING),
    "python_none_before": (("3.6", "2015-01-01T00:00:00Z"), Intervention.PYTHON),
    "python_unreadable": (("3.11", "three"), Intervention.PYTHON),
    "python_impossible": (("3.11", "<3"), Intervention.PYTHON),
    "python_substituted": (("3.6", "3.5"), Intervention.PYTHON),
    "python_machine": ((), Intervention.PYTHON),
    "python_for_torch": (("3.9",), Intervention.PYTHON),
    "torch_wheel": (("torch==2.13.0+cpu",), Intervention.TORCH_WHEEL),
    "torch_no_wheel": (("3.9",), Intervention.TORCH_WHEEL),
    "no_date_cap": (("commit date", ""), Intervention.DATE_CAP),
    "pip_no_date_cap": ((), Intervention.DATE_CAP),
    "venv_fallback": (("uv: no interpreter",), Intervention.VENV),
    "added": (("mlflow",), Intervention.ADDED),
    "added_import": (("loguru",), Intervention.ADDED),
    "dropped": (("mkl", "conda-only package"), Intervention.DROPPED),
    "dropped_guess": (("pythonjsonlogger",), Intervention.DROPPED),
    "relaxed": (("numpy==1.99.5", "numpy"), Intervention.RELAXED),
    "imports_instead": (("requirements", "numpy==1.99.5"), Intervention.IMPORTS_INSTEAD),
    "numpy_below_2": (("numpy.dtype size changed", None), Intervention.NUMPY_BELOW_2),
}
WRITERS = {name: fn for name, fn in inspect.getmembers(interventions, inspect.isfunction)
           if fn.__module__ == interventions.__name__ and name != "kind_of"}


def test_every_writer_is_sampled_and_every_kind_has_a_writer() -> None:
    assert set(WRITERS) == set(SAMPLES)
    assert {kind for _, kind in SAMPLES.values()} == set(Intervention) == set(interventions.OPENINGS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_line_has_its_kind(name: str) -> None:
    args, kind = SAMPLES[name]
    assert interventions.kind_of(WRITERS[name](*args)) == kind


def test_lines_keep_their_published_wording() -> None:
    assert interventions.relaxed("x==1", None) == "dropped x==1 (failed to install)"
    assert interventions.kind_of(interventions.relaxed("x==1", None)) == Intervention.DROPPED
    assert interventions.numpy_below_2("s", "") == "numpy<2 (binary incompatibility: s) did not install: "
    assert interventions.recipe("w", "t", []) == "recipe w: t"
    assert interventions.no_date_cap("latest_date", "soon") == "no date cap: the latest_date is unreadable (soon)"
    assert interventions.kind_of("something else") is None


def _text(node: ast.expr) -> str:
    """A string expression's text, each formatted value written as ``0``."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else "0" for v in node.values)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_intervention_lines_are_written_only_by_the_interventions_module() -> None:
    found = []
    for path in SOURCES:
        if path.name == "interventions.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text())
        skip = _docstrings(tree) | {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                                     for v in node.values}
        for node in ast.walk(tree):
            if id(node) in skip or not (isinstance(node, ast.JoinedStr) or
                                        (isinstance(node, ast.Constant) and isinstance(node.value, str))):
                continue
            kind = interventions.kind_of(_text(node))
            if kind is not None:
                found.append(f"{_rel(path)}:{node.lineno}: {kind.value}: {_text(node)[:60]!r}")
    assert not found, "intervention lines written outside miners/rerun/interventions.py:\n" + "\n".join(found)
