"""The record of one run: what ``reruns.csv``, ``rerun_metrics.csv`` and ``rerun_params.csv``
publish, written once when the run finishes and never changed (``<work>/records/<repo>/
<condition>-<k>.json``).

Definition. ``row``: the run's columns of ``reruns.csv`` (:data:`miners.rerun.publish.RUN_COLUMNS`);
``metrics``: ``{key: [(step, value, is_last)]}``, every value the run logged per step (the last
logged value of each step); ``params``: ``{key: value}``. Keys of a store holding several MLflow
runs are ``run<i>/<key>`` (:mod:`miners.rerun.capture`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from miners.csvio import atomic_write_bytes


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
