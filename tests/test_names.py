"""Name resolution as a data table: code, dotted expression -> qualified name."""

from __future__ import annotations

import libcst as cst
import pytest

from miners.scan.collect import Collector, dotted

TABLE = [
    ("import mlflow as mf", "mf.log_param", "mlflow.log_param"),
    ("import mlflow.sklearn", "mlflow.sklearn.autolog", "mlflow.sklearn.autolog"),
    ("import mlflow.sklearn as mls", "mls.log_model", "mlflow.sklearn.log_model"),
    ("from mlflow import log_metric as lm", "lm", "mlflow.log_metric"),
    ("from mlflow.tracking import MlflowClient\nc = MlflowClient()", "c.log_metric", "mlflow.tracking.MlflowClient.log_metric"),
    ("from mlflow import MlflowClient", "MlflowClient().search_runs", "mlflow.tracking.MlflowClient.search_runs"),
    ("import mlflow\nclass A:\n    def __init__(self):\n        self.client = mlflow.client.MlflowClient()", "self.client.log_param", "mlflow.tracking.MlflowClient.log_param"),
    ("def f():\n    import numpy as np", "np.random.seed", "numpy.random.seed"),
    ("try:\n    import torch\nexcept ImportError:\n    torch = None", "torch.manual_seed", "torch.manual_seed"),
    ("from mlflow import *", "log_param", "mlflow.log_param"),
    ("from mlflow import *", "not_an_mlflow_name", None),
    ("from mlflow import log_param\ndef log_param(k, v): pass", "log_param", None),
    ("from . import mlflow", "mlflow.log_param", None),
    ("", "mlflow.log_param", None),
    ("import numpy as np\nrng = np.random.default_rng(1)", "rng.integers", "numpy.random.Generator.integers"),
    ("import mlflow\nm = mlflow.pyfunc.load_model(u)", "m.predict", None),
    ("import mlflow\nx = x.y", "x.z", None),
    ("import mlflow\nr = mlflow.store.artifact.models_artifact_repo.ModelsArtifactRepository(u)", "r.download_artifacts",
     "mlflow.store.artifact.models_artifact_repo.ModelsArtifactRepository.download_artifacts"),
    ("import mlflow\nruns = mlflow.search_runs()", "runs.sort_values", None),
]


def test_a_functions_own_import_wins_over_a_module_level_def_of_that_name():
    code = "def mlflow(step):\n    import mlflow\n    mlflow.set_tracking_uri(step)\n\nmlflow.log_param('a', 1)\n"
    collector = Collector(look_for_uris=False)
    collector.add_module(cst.parse_module(code), 0)
    resolved = [collector.out.bindings.resolve(c.chain, c.scope) for c in collector.out.calls]
    assert resolved == ["mlflow.set_tracking_uri", None]


@pytest.mark.parametrize(("code", "expr", "expected"), TABLE)
def test_resolution(code, expr, expected):
    collector = Collector(look_for_uris=False)
    collector.add_module(cst.parse_module(code), 0)
    chain = dotted(cst.parse_expression(expr))
    assert collector.out.bindings.resolve(chain) == expected
