"""Detector families. Each module is one family; :data:`FAMILIES` is the order rows are made in."""

from __future__ import annotations

from types import ModuleType

from miners.scan.detectors import modelref, registry, seeds, tracking

FAMILIES: tuple[ModuleType, ...] = (tracking, seeds, registry, modelref)

#: Every alias -> canonical qualified name, over all families.
ALIASES: dict[str, str] = {}
#: Constructor -> instance type, over all families.
CONSTRUCTORS: dict[str, str] = {}
for _family in FAMILIES:
    ALIASES.update(getattr(_family, "ALIASES", {}))
    CONSTRUCTORS.update(getattr(_family, "CONSTRUCTORS", {}))

#: Names ``from mlflow import *`` brings in that a detector knows.
STAR_EXPORTS: dict[str, frozenset[str]] = {
    "mlflow": tracking.EXPORTS | {name.split(".")[-1] for name in registry.FLUENT},
}

#: Case-insensitive substrings one of which a file must contain for any detector to fire.
#: Every detection needs an import or attribute spelling one of them, or a ``models:/``
#: string, a seed keyword, or a Hugging Face model call; files without any are checked for syntax only.
TRIGGERS: tuple[str, ...] = (
    "mlflow", "models:/", "seed", "random_state", "randomstate", "default_rng", "prngkey",
    "determinis", "cudnn", "cublas_workspace", "pcg64", "mt19937", "philox", "sfc64", "jax",
    "import random", "from_pretrained", "transformers", "huggingface_hub", "hf_hub_download", "snapshot_download",
)
