"""What every run of a project shares, found once before its first run.

Definition. A project's *preparation* (:class:`Prepared`): its complete checkout
(:func:`miners.rerun.checkout.complete`: every tracked blob the remote serves; ``files_missing``
and ``missing_names`` for those it did not), its ranked recipes and the commands skipped
(:mod:`miners.rerun.recipes`), its absolute-path mappings and Git LFS pointers
(:mod:`miners.rerun.checkout`), the committed MLflow runs (:func:`miners.rerun.capture.read_committed`)
and its *local modules*: the names an import of the project's own code can start with (every
top-level folder and module, every folder, every ``.py`` file's stem), which tell a missing
module of the project from a missing package. Each is cached under
``<work>/records/<repo>/`` (:mod:`miners.rerun.records`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from miners.rerun import capture, checkout, recipes
from miners.rerun.config import Config
from miners.rerun.records import cached
from miners.rerun.sampling import Project


@dataclass
class Prepared:
    """What every run of a project shares: its recipes, checkout facts and committed originals."""

    recipes: list[recipes.Recipe]
    skipped: list[str]
    mappings: list[checkout.Mapping]
    lfs_pointers: list[str]
    files_missing: int
    missing_names: list[str]
    local_modules: set[str]


def prepare(project: Project, cfg: Config) -> Prepared:
    """Complete checkout, recipes, LFS pointers, path mappings and committed originals of a
    project (each cached under ``<work>/records/<repo>/``); sets ``project.root`` to the
    complete checkout."""
    rec = cfg.work / "records" / project.repo
    project.root, info = checkout.complete(project.root, cfg.work, project.repo)
    files = checkout.walk(project.root)

    def facts() -> dict[str, Any]:
        return {"mappings": [asdict(m) for m in checkout.mappings(project.root, files)],
                "lfs_pointers": checkout.lfs_pointers(project.root, files)}

    found = cached(rec / "checkout.json", facts)
    cached(rec / "originals.json", lambda: capture.read_committed(project.root))
    cands = cached(rec / "recipes.json", lambda: recipes_record(project.root))
    local = {PurePosixPath(f).parts[0].removesuffix(".py") for f in files}
    local |= {PurePosixPath(f).stem for f in files if f.endswith(".py")}
    local |= {part for f in files for part in PurePosixPath(f).parts[:-1]}
    return Prepared([recipes.recipe_from_json(r) for r in cands["recipes"]], cands["skipped"],
                    [checkout.Mapping(**m) for m in found["mappings"]], found["lfs_pointers"],
                    len(info["missing_paths"]), sorted({Path(p).name for p in info["missing_paths"]}), local)


def recipes_record(root: Path) -> dict[str, Any]:
    """The ranked recipes of a checkout and the commands skipped, as JSON-ready data."""
    found, skipped = recipes.candidates(root)
    return {"recipes": [recipes.recipe_to_json(r) for r in found], "skipped": skipped}
