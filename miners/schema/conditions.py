"""The registry of rerun conditions: what differs between the ways a project is re-executed.

Definition. A *condition* is one way of re-executing a project, fixed by three facts:

* ``environment``: which packages the project's environment resolves to. ``as_of_commit``:
  every install is resolved with the package index as it was at the pinned commit's date
  (``uv pip install --exclude-newer <commit date>``), with the declared Python where the machine
  has it; ``latest``: the same declared requirements resolved as of one fixed recent date
  (``[rerun] latest_date`` in ``study/protocol.toml``), so that runs days apart see the same
  packages (environment drift).
* ``force_seeds``: whether the injected capture seeds ``random``, NumPy, PyTorch and TensorFlow
  at import, turns on their determinism flags and sets ``PYTHONHASHSEED=0``
  (:mod:`miners.rerun.capture`).
* ``description``: one sentence, published in the data package.

Adding a condition is one entry in :data:`CONDITIONS` (this module is part of the published schema,
so the condition also becomes an allowed value of every `condition` column); the CLI, the records, the data package
and the analysis read the registry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    name: str
    environment: str  # as_of_commit | latest
    force_seeds: bool
    description: str


CONDITIONS: dict[str, Condition] = {c.name: c for c in (
    Condition("as_written", "as_of_commit", False,
              "the project as committed, its environment resolved as of the pinned commit's date"),
    Condition("seeds_forced", "as_of_commit", True,
              "as_written, with random, numpy, torch and tensorflow seeded (0) and determinism flags on "
              "at interpreter start, PYTHONHASHSEED=0"),
    Condition("latest_env", "latest", False,
              "the same code with its declared requirements resolved as of the protocol's fixed recent "
              "date ([rerun] latest_date): environment drift"),
)}
ENVIRONMENTS = ("as_of_commit", "latest")
DEFAULT = ("as_written", "seeds_forced")


def get(name: str) -> Condition:
    """The registered condition ``name``; a ``ValueError`` names the registered ones."""
    if name not in CONDITIONS:
        raise ValueError(f"unknown rerun condition {name!r}; registered: {', '.join(CONDITIONS)}")
    return CONDITIONS[name]


def parse(text: str) -> tuple[str, ...]:
    """A comma-separated list of registered condition names, in the order given."""
    names = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
    if not names:
        raise ValueError(f"no rerun condition given; registered: {', '.join(CONDITIONS)}")
    for n in names:
        get(n)
    return names
