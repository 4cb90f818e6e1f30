"""What the harness records under ``<work>/records/<repo>/``, written once and never changed.

Definitions.

* A *run record* (:class:`RunRecord`, ``<condition>-<k>.json``, :func:`record_path`): what
  ``reruns.csv``, ``rerun_metrics.csv`` and ``rerun_params.csv`` publish of one run, written
  when the run finishes; a restart skips a run that has one. ``row``: the run's columns of
  ``reruns.csv`` (:data:`miners.rerun.publish.RUN_COLUMNS`); ``metrics``: ``{key: [(step,
  value, is_last)]}``, every value the run logged per step (the last logged value of each
  step); ``params``: ``{key: value}``. Keys of a store holding several MLflow runs are
  ``run<i>/<key>`` (:mod:`miners.rerun.capture`).
* A project's cached facts (JSON, :func:`cached`): ``checkout.json`` (path mappings, LFS
  pointers), ``originals.json`` (the committed MLflow runs), ``recipes.json`` (the ranked
  recipes and skipped commands) and ``chosen.json`` (the recipe kept on the first run, and its
  probes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from miners.csvio import atomic_write_bytes


def record_path(work: Path, repo: str, condition: str, k: int) -> Path:
    """Where run ``k`` of ``repo`` in ``condition`` is recorded under the work folder ``work``."""
    return work / "records" / repo / f"{condition}-{k}.json"


def write_json(path: Path, data: Any) -> None:
    atomic_write_bytes(path, json.dumps(data, sort_keys=True, indent=1).encode(), durable=False)


def cached(path: Path, make: Callable[[], Any]) -> Any:
    """The JSON at ``path``; made with ``make`` and written there first when absent."""
    if path.exists():
        return json.loads(path.read_text())
    data = make()
    write_json(path, data)
    return data


@dataclass(frozen=True)
class RunRecord:
    row: MappingProxyType
    metrics: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, row: dict[str, Any], metrics: dict[str, Any] | None = None,
           params: dict[str, Any] | None = None) -> RunRecord:
        return cls(MappingProxyType(dict(row)), MappingProxyType(dict(metrics or {})),
                   MappingProxyType(dict(params or {})))

    def to_json(self) -> bytes:
        return json.dumps({"row": dict(self.row), "metrics": dict(self.metrics), "params": dict(self.params)},
                          sort_keys=True, indent=1).encode()

    def save(self, path: Path) -> None:
        atomic_write_bytes(path, self.to_json(), durable=False)

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(Path(path).read_text())
        return cls.of(data["row"], data.get("metrics"), data.get("params"))
