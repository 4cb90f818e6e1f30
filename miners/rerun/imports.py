"""What the files a recipe runs import, and the distributions that provide it.

Definitions.

* The *import closure* of an entry (:func:`import_closure`): the ``entry_paths`` files (posix,
  relative to the root), then every local module they import, transitively. An import is
  *local* when it resolves to a file or folder of the checkout relative to the root, ``src/``,
  the importing file's folder or the entry folders (relative imports: the importing file's
  package); every other import is *third-party*. Notebooks are read from their code cells.
* The *distributions* of imported modules (:func:`distributions`): ``IMPORT_TO_DIST`` where the
  import name is not the distribution's, else the top-level name with ``_`` as ``-``; the
  standard library and ``NOT_ON_PYPI`` are left out.
* The *inferred* requirements (:func:`inferred`, environment source ``inferred``): the
  distributions of the third-party imports of the entry's import closure; with no entry, of
  every candidate file of the repository, minus the repository's own module names.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path, PurePosixPath

from miners.scan.files import list_candidates

IMPORT_TO_DIST = {
    "sklearn": "scikit-learn", "cv2": "opencv-python-headless", "PIL": "pillow", "yaml": "pyyaml",
    "bs4": "beautifulsoup4", "pythonjsonlogger": "python-json-logger", "skimage": "scikit-image", "dotenv": "python-dotenv", "attr": "attrs",
    "Bio": "biopython", "google.protobuf": "protobuf", "dateutil": "python-dateutil", "jwt": "pyjwt",
    "mpl_toolkits": "matplotlib", "tensorflow_hub": "tensorflow-hub", "lightning": "lightning",
    "pytorch_lightning": "pytorch-lightning", "hydra": "hydra-core", "omegaconf": "omegaconf",
    "sentence_transformers": "sentence-transformers", "docx": "python-docx", "fitz": "pymupdf",
    "magic": "python-magic", "Levenshtein": "python-levenshtein", "serial": "pyserial", "zmq": "pyzmq",
    "git": "gitpython", "IPython": "ipython", "ipywidgets": "ipywidgets", "tf_keras": "tf-keras",
    "keras": "keras", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost",
    "prefect": "prefect", "dagshub": "dagshub", "optuna": "optuna", "hyperopt": "hyperopt",
}
NOT_ON_PYPI = {"__future__", "google", "setuptools", "pkg_resources", "distutils", "_typeshed"}


def _imports(tree: ast.AST) -> list[tuple[str, int, list[str]]]:
    """``(module, level, imported names)`` of every import statement."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, 0, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level, [a.name for a in node.names]))
    return out


def _parse(root: Path, rel: str) -> ast.AST | None:
    from miners.scan.notebooks import read_code_cells

    try:
        text = (root / rel).read_text(errors="replace")
        if rel.endswith(".ipynb"):
            text = "\n".join(c.source for c in read_code_cells(text))
        return ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return None


def _local_module(root: Path, bases: list[PurePosixPath], dotted: str) -> tuple[bool, list[str]]:
    """Whether ``dotted`` names a module or package of the checkout (under one of ``bases``), and
    the files importing it executes (the module or the package's ``__init__.py``, and the
    ``__init__.py`` of the packages above it)."""
    parts = [p for p in dotted.split(".") if p]
    for base in bases:
        for k in range(len(parts), 0, -1):
            stem = base.joinpath(*parts[:k])
            files = [str(f) for f in (stem.with_suffix(".py"), stem / "__init__.py") if (root / f).is_file()]
            if files or (k == len(parts) and (root / stem).is_dir()):
                inits = [str(base.joinpath(*parts[:j], "__init__.py")) for j in range(1, k)]
                return True, files + [f for f in inits if (root / f).is_file()]
    return False, []


def import_closure(root: Path, entry_paths: tuple[str, ...]) -> tuple[list[str], set[str]]:
    """``(local files, third-party top-level modules)`` of the entry's import closure: the
    ``entry_paths`` files (posix, relative to ``root``), then every local module they import,
    transitively. An import is local when it resolves to a file or folder of the checkout
    relative to the root, ``src/``, the importing file's folder or the entry folders (relative
    imports: the importing file's package)."""
    root = Path(root)
    todo = [p for p in entry_paths if (root / p).is_file()]
    seen: set[str] = set()
    third: set[str] = set()
    entry_dirs = [PurePosixPath(p).parent for p in entry_paths]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        tree = _parse(root, rel)
        here = PurePosixPath(rel).parent
        for module, level, names in _imports(tree) if tree else ():
            if level:
                base = here.parents[level - 2] if level > 1 and len(here.parents) >= level - 1 else here
                for dotted in [module] + [f"{module}.{n}" for n in names]:
                    todo += _local_module(root, [base], dotted)[1]
                continue
            bases = list(dict.fromkeys([PurePosixPath("."), PurePosixPath("src"), here, *entry_dirs]))
            is_local, files = _local_module(root, bases, module)
            if not is_local:
                third.add(module)
                continue
            todo += files
            for name in names:
                todo += _local_module(root, bases, f"{module}.{name}")[1]
    return sorted(seen), third


def _repository_imports(root: Path) -> set[str]:
    """Top-level imports of every candidate file, minus the repository's own module names."""
    modules: set[str] = set()
    local: set[str] = set()
    for cand in list_candidates(root):
        parts = cand.path.split("/")
        local.update({parts[0].removesuffix(".py"), parts[-1].removesuffix(".py").removesuffix(".ipynb"), *parts[:-1]})
        tree = None if cand.skip_status else _parse(root, cand.path)
        if tree is not None:
            modules.update(m for m, level, _ in _imports(tree) if m and not level)
    return {m for m in modules if m.split(".")[0] not in local or m in IMPORT_TO_DIST}


def distributions(modules: set[str]) -> list[str]:
    """PyPI distributions of imported modules (``IMPORT_TO_DIST``, else the top-level name with
    ``_`` as ``-``), minus the standard library and ``NOT_ON_PYPI``."""
    dists = set()
    for mod in modules:
        top = mod.split(".")[0]
        if (top in sys.stdlib_module_names or top in NOT_ON_PYPI) and mod not in IMPORT_TO_DIST:
            continue
        dists.add(IMPORT_TO_DIST.get(mod) or IMPORT_TO_DIST.get(top) or top.replace("_", "-"))
    return sorted(dists)


def inferred(root: Path, entry_paths: tuple[str, ...] = ()) -> list[str]:
    """Distributions for the imports of the entry's import closure (:func:`import_closure`), or
    of the whole repository when no entry is given (see module docstring)."""
    if entry_paths:
        return distributions(import_closure(Path(root), tuple(entry_paths))[1])
    return distributions(_repository_imports(Path(root)))
