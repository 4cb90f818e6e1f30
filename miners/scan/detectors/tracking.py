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

Only MLflow's public API counts: a name inside one of MLflow's internal packages
(:data:`INTERNAL`: ``mlflow.utils``, ``mlflow.store``, ``mlflow.protos``, ...) or with a private
component (``mlflow.tracking._tracking_service``, ``mlflow.tracking.fluent._get_experiment_id``)
is not tracking, including what those packages re-export (``from mlflow.utils.file_utils import
yaml`` + ``yaml.safe_load`` is PyYAML).

``MlflowClient`` instances are also followed through the return values of the file's own
functions and properties (``def make_client(): return MlflowClient()`` + ``make_client().log_param``;
``@property def client(self): return MlflowClient()`` + ``self.client.log_metric``; see *Name
resolution*).

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

#: MLflow's internal packages: implementation, not API (their calls are never tracking rows).
INTERNAL = ("mlflow.utils", "mlflow.store", "mlflow.protos", "mlflow.ml_package_versions", "mlflow.version",
            "mlflow.cli", "mlflow.legacy_databricks_cli")


def public(qname: str) -> bool:
    """True when ``qname`` (inside ``mlflow``) is MLflow's public API: outside :data:`INTERNAL`
    and with no component starting with ``_``."""
    if any(qname == p or qname.startswith(p + ".") for p in INTERNAL):
        return False
    return not any(part.startswith("_") for part in qname.split("."))


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
    Example("from mlflow.tracking.client import MlflowClient\nc = MlflowClient()\nc.log_param(r, 'a', 1)",
            f"{CLIENT}.log_param", "kind=param;key=a"),
    Example("from mlflow.client import MlflowClient\nMlflowClient().log_metric(r, 'm', 1)", f"{CLIENT}.log_metric"),
    Example("import mlflow.tracking.client as mc\nmc.MlflowClient().set_tag(r, 't', 1)", f"{CLIENT}.set_tag", "kind=tag;key=t"),
    Example("import mlflow\nclass T:\n    @property\n    def client(self):\n        return mlflow.MlflowClient()\n"
            "    def fit(self):\n        self.client.log_metric(r, 'loss', 1.0)", f"{CLIENT}.log_metric", "kind=metric;key=loss"),
    Example("import mlflow\nclass T:\n    @functools.cached_property\n    def client(self):\n"
            "        return mlflow.tracking.MlflowClient()\n    def fit(self):\n        self.client.log_param(r, 'lr', 1)",
            f"{CLIENT}.log_param", "kind=param;key=lr"),
    Example("from mlflow import MlflowClient\ndef make_client():\n    return MlflowClient()\nc = make_client()\n"
            "c.log_param(r, 'a', 1)", f"{CLIENT}.log_param", "kind=param;key=a"),
    Example("from mlflow import MlflowClient\ndef make_client():\n    client = MlflowClient()\n    return client\n"
            "make_client().log_metric(r, 'b', 2)", f"{CLIENT}.log_metric", "kind=metric;key=b"),
    Example("import mlflow\nclass T:\n    def __init__(self):\n        self._c = mlflow.MlflowClient()\n"
            "    def client(self):\n        return self._c\n    def fit(self):\n        self.client().log_param(r, 'a', 1)",
            f"{CLIENT}.log_param", "kind=param;key=a"),
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
    "from mlflow.utils.file_utils import yaml\nyaml.safe_load(open('c.yaml'))",
    "from mlflow.utils.file_utils import TempDir\nwith TempDir() as t:\n    pass",
    "import mlflow\nmlflow.tracking.fluent._get_experiment_id()",
    "from mlflow.store.tracking.file_store import FileStore\nFileStore('mlruns').list_experiments()",
    "import pandas as pd\ndef load():\n    return pd.read_csv('x.csv')\nload().log_metric('a', 1)",
    "def make():\n    return make()\nmake().log_param('a', 1)",
    "class T:\n    @property\n    def client(self):\n        return Other()\n    def fit(self):\n        self.client.log_metric('a', 1)",
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
    if q is None or not q.startswith("mlflow.") or not public(q) or registry.is_registry_call(site):
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
