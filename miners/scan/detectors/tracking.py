"""tracking — experiment tracking with MLflow.

Operational definition. A call site is a ``tracking`` row when its callee resolves into the
``mlflow`` package and it is not a registry-only call (see ``registry``). Resolution follows
the file's imports, wherever they stand (module level, inside functions, inside
``try``/``except``): ``import mlflow as mf`` + ``mf.log_param``, ``from mlflow import
log_metric as lm`` + ``lm``, submodule imports (``import mlflow.sklearn``), ``from mlflow
import *`` for names MLflow exports, names assigned from resolved names, and ``MlflowClient``
instances bound to a name or attribute (``client = MlflowClient()``, ``self.client = ...``)
or used directly (``MlflowClient().log_param``). ``MlflowClient`` is reported under its
canonical name ``mlflow.tracking.MlflowClient`` whichever of its import paths is used.

Not tracking: a function or class of the project's own with an MLflow-like name (a module-
level ``def log_param`` shadows an import of that name), a method of another class, and any
text in strings, comments or markdown.

``detail`` carries ``kind`` (param, metric, artifact, model, model_load, tag, dataset,
autolog, run, setup, query, evaluate, signature, client, trace, other; from
:data:`KINDS`), the MLflow ``flavor`` for flavor functions (``mlflow.sklearn.autolog`` ->
``sklearn``), and the literal ``key``/``keys`` of params, metrics and tags where given.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from miners.scan.detail import detail
from miners.scan.detectors import registry
from miners.scan.detectors.base import CallSite, Example, Hit, literal

CATEGORY = "tracking"
CLIENT = "mlflow.tracking.MlflowClient"

#: Other import paths of ``MlflowClient``, mapped to its canonical name.
ALIASES: dict[str, str] = {
    "mlflow.MlflowClient": CLIENT,
    "mlflow.client.MlflowClient": CLIENT,
    "mlflow.tracking.client.MlflowClient": CLIENT,
}

#: Classes whose instances are tracked through assignments: constructor -> instance type.
CONSTRUCTORS: dict[str, str] = {CLIENT: CLIENT}

#: Kind of a tracking call, by the last component of its qualified name.
KINDS: dict[str, str] = {
    "log_param": "param", "log_params": "param",
    "log_metric": "metric", "log_metrics": "metric", "log_batch": "batch",
    "log_artifact": "artifact", "log_artifacts": "artifact", "log_dict": "artifact",
    "log_text": "artifact", "log_figure": "artifact", "log_image": "artifact",
    "log_table": "artifact",
    "log_model": "model", "save_model": "model", "load_model": "model_load",
    "set_tag": "tag", "set_tags": "tag", "delete_tag": "tag",
    "set_experiment_tag": "tag", "set_experiment_tags": "tag",
    "log_input": "dataset", "log_inputs": "dataset",
    "autolog": "autolog",
    "start_run": "run", "end_run": "run", "active_run": "run", "create_run": "run",
    "set_terminated": "run", "last_active_run": "run", "delete_run": "run",
    "set_experiment": "setup", "create_experiment": "setup", "set_tracking_uri": "setup",
    "get_tracking_uri": "setup", "enable_system_metrics_logging": "setup",
    "search_runs": "query", "get_run": "query", "search_experiments": "query",
    "get_experiment": "query", "get_experiment_by_name": "query",
    "get_metric_history": "query", "list_artifacts": "query", "download_artifacts": "query",
    "evaluate": "evaluate", "infer_signature": "signature", "MlflowClient": "client",
    "trace": "trace", "start_span": "trace", "log_trace": "trace",
}

#: Functions whose first argument (or ``key=``) is a param, metric or tag key.
KEYED = {"log_param", "log_metric", "set_tag", "delete_tag", "set_experiment_tag"}
#: Functions whose first argument (or ``params=``/``metrics=``/``tags=``) is a dict of keys.
DICTS = {"log_params": "params", "log_metrics": "metrics", "set_tags": "tags"}
#: Names the ``mlflow`` package exports, for ``from mlflow import *``.
EXPORTS = frozenset(KINDS) - {
    "infer_signature", "save_model", "load_model", "log_model", "log_batch", "create_run",
    "set_terminated", "get_metric_history", "list_artifacts", "download_artifacts", "log_trace",
}

DETECTS = [
    Example("import mlflow\nmlflow.log_param('lr', 0.1)", "mlflow.log_param", "kind=param;key=lr"),
    Example("import mlflow as mf\nmf.log_metric('rmse', 0.5)", "mlflow.log_metric", "kind=metric;key=rmse"),
    Example("from mlflow import log_metric as lm\nlm('acc', 1.0)", "mlflow.log_metric", "kind=metric;key=acc"),
    Example("import mlflow.sklearn\nmlflow.sklearn.autolog()", "mlflow.sklearn.autolog", "kind=autolog;flavor=sklearn"),
    Example("import mlflow\nmlflow.autolog()", "mlflow.autolog", "kind=autolog"),
    Example("def train():\n    import mlflow\n    mlflow.log_params({'lr': 0.1, 'seed': 1})", "mlflow.log_params", "kind=param;keys=lr,seed"),
    Example("try:\n    import mlflow\nexcept ImportError:\n    mlflow = None\nmlflow.set_tag('team', 'x')", "mlflow.set_tag", "kind=tag;key=team"),
    Example("from mlflow.tracking import MlflowClient\nclient = MlflowClient()\nclient.log_metric(run_id, 'loss', 0.1)",
            f"{CLIENT}.log_metric", "kind=metric;key=loss"),
    Example("from mlflow.tracking import MlflowClient\nclient = MlflowClient()", CLIENT, "kind=client"),
    Example("import mlflow\nmlflow.MlflowClient().log_param(r, 'a', 1)", f"{CLIENT}.log_param", "kind=param;key=a"),
    Example("import mlflow\nwith mlflow.start_run(run_name='x'):\n    pass", "mlflow.start_run", "kind=run"),
    Example("import mlflow\nmlflow.pytorch.log_model(net, 'model')", "mlflow.pytorch.log_model", "kind=model;flavor=pytorch"),
    Example("from mlflow.models import infer_signature\nsig = infer_signature(X, y)", "mlflow.models.infer_signature", "kind=signature"),
    Example("import mlflow\nmlflow.log_input(mlflow.data.from_pandas(df), context='training')", "mlflow.log_input", "kind=dataset"),
    Example("import mlflow\nlog = mlflow.log_metric\nlog('f1', 0.9)", "mlflow.log_metric", "kind=metric;key=f1"),
    Example("from mlflow import *\nlog_metric('f1', 0.9)", "mlflow.log_metric", "kind=metric;key=f1"),
    Example("%matplotlib inline\nimport mlflow\n!pip install x\nmlflow.log_metric('a', 1)", "mlflow.log_metric", notebook=True),
    Example("%%time\nimport mlflow\nmlflow.log_param('a', 1)", "mlflow.log_param", notebook=True),
    Example("import mlflow\n%time mlflow.log_metric('t', 1)", "mlflow.log_metric", notebook=True),
]

IGNORES = [
    "def log_param(k, v):\n    print(k, v)\nlog_param('lr', 0.1)",
    "class Logger:\n    def log_metric(self, k, v): pass\nLogger().log_metric('a', 1)",
    "import wandb\nwandb.log({'acc': 1})",
    "x = 'mlflow.log_param(\"lr\", 0.1)'",
    "# mlflow.log_param('lr', 0.1)\n",
    "logger.log_metric('a', 1)",
    "from mylib import mlflow_utils\nmlflow_utils.log_param('a', 1)",
    "from . import mlflow\nmlflow.log_param('a', 1)",
    "import mlflow\nmlflow.pyfunc.load_model('models:/churn/1')",
    "import mlflow\nmlflow.register_model('runs:/x/model', 'churn')",
]


def _key(node: cst.BaseExpression | None) -> str | None:
    v = literal(node)
    return v if isinstance(v, str) else None


def _dict_keys(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.Dict):
        keys = [literal(e.key) for e in node.elements if isinstance(e, cst.DictElement)]
        strs = sorted(k for k in keys if isinstance(k, str))
        return ",".join(strs) or None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        names = sorted(a.keyword.value for a in node.args if a.keyword is not None)
        return ",".join(names) or None
    return None


def on_call(site: CallSite) -> Iterator[Hit]:
    q = site.qname
    if q is None or not q.startswith("mlflow.") or registry.is_registry_call(site):
        return
    parts = q.split(".")
    last = parts[-1]
    kind = KINDS.get(last, "dataset" if parts[1] == "data" else "other")
    flavor = parts[1] if len(parts) == 3 and parts[1] not in {"tracking", "models", "data", "client"} else None
    key = keys = None
    if last in KEYED:
        key = _key(site.arg(1 if q.startswith(CLIENT + ".") else 0, "key"))
    elif last in DICTS:
        keys = _dict_keys(site.arg(1 if q.startswith(CLIENT + ".") else 0, DICTS[last]))
    yield Hit(CATEGORY, q, detail(kind=kind, flavor=flavor, key=key, keys=keys), site.node)
