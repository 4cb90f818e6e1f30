"""registry — use of the MLflow Model Registry.

Operational definition. A site is a ``registry`` row when one of these holds:

1. the call resolves to ``mlflow.register_model`` or to a fluent registry function
   (``mlflow.search_registered_models``, ``mlflow.search_model_versions``,
   ``mlflow.set_registry_uri``, ``mlflow.get_registry_uri``);
2. the call resolves to an ``MlflowClient`` method on registered models or model versions:
   create, rename, update, delete, get, search, tags, ``get_latest_versions``,
   ``transition_model_version_stage``, and the alias methods;
3. the call resolves to a ``log_model`` function of an MLflow flavor and has a
   ``registered_model_name=`` keyword whose value is not the literal ``None`` (this call is
   also a ``tracking`` row: two rows);
4. a string literal (also an f-string or implicitly concatenated string) contains a
   ``models:/`` URI. If the string is an argument of a call that resolves into ``mlflow``,
   the call is the registry row (``api`` = the call, e.g. ``mlflow.pyfunc.load_model``) and
   the call is *not* a tracking row; otherwise the string itself is the row (``api`` =
   ``models:/``). Docstrings are not URIs.

Each URI is classified by what follows ``models:/<name>``: ``/<digits>`` = ``version``;
``/latest`` = ``latest``; ``/None|Staging|Production|Archived`` (any case) = ``stage``;
``@<alias>`` = ``alias``; no name/suffix separator = ``model_id`` (an MLflow 3 logged-model
URI such as ``models:/m-1234``); a suffix that is an f-string replacement field = ``dynamic``.

``detail`` carries ``kind`` (register, stage_transition, alias, version, model, search, uri,
config), ``stage`` / ``alias`` literals where given, and ``uri_kind`` for URIs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from miners.scan.detail import detail
from miners.scan.detectors.base import CallSite, Example, Hit, StringSite, literal

CATEGORY = "registry"
CLIENT = "mlflow.tracking.MlflowClient"

#: Fluent (module-level) registry functions and what they do.
FLUENT: dict[str, str] = {
    "mlflow.register_model": "register",
    "mlflow.search_registered_models": "search",
    "mlflow.search_model_versions": "search",
    "mlflow.set_registry_uri": "config",
    "mlflow.get_registry_uri": "config",
}

#: ``MlflowClient`` registry methods and what they do.
CLIENT_METHODS: dict[str, str] = {
    "create_registered_model": "model",
    "rename_registered_model": "model",
    "update_registered_model": "model",
    "delete_registered_model": "model",
    "get_registered_model": "model",
    "search_registered_models": "search",
    "list_registered_models": "search",
    "set_registered_model_tag": "model",
    "delete_registered_model_tag": "model",
    "create_model_version": "register",
    "update_model_version": "version",
    "delete_model_version": "version",
    "get_model_version": "version",
    "get_model_version_download_uri": "version",
    "search_model_versions": "search",
    "get_latest_versions": "stage_lookup",
    "transition_model_version_stage": "stage_transition",
    "set_model_version_tag": "version",
    "delete_model_version_tag": "version",
    "get_model_version_stages": "stage_lookup",
    "copy_model_version": "version",
    "set_registered_model_alias": "alias",
    "delete_registered_model_alias": "alias",
    "get_model_version_by_alias": "alias",
}

STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}

DETECTS = [
    Example("import mlflow\nmlflow.register_model('runs:/abc/model', 'churn')", "mlflow.register_model", "kind=register"),
    Example("import mlflow\nmlflow.sklearn.log_model(m, 'model', registered_model_name='churn')",
            "mlflow.sklearn.log_model", "kind=register"),
    Example("from mlflow import MlflowClient\nc = MlflowClient()\nc.transition_model_version_stage('churn', 3, 'Production')",
            f"{CLIENT}.transition_model_version_stage", "kind=stage_transition;stage=Production"),
    Example("from mlflow.tracking import MlflowClient\nMlflowClient().set_registered_model_alias('churn', 'champion', 3)",
            f"{CLIENT}.set_registered_model_alias", "kind=alias;alias=champion"),
    Example("import mlflow.pyfunc\nm = mlflow.pyfunc.load_model('models:/churn/Production')",
            "mlflow.pyfunc.load_model", "kind=uri;uri_kind=stage;stage=Production"),
    Example("uri = f'models:/{name}@champion'", "models:/", "kind=uri;uri_kind=alias;alias=champion"),
    Example("uri = 'models:/churn/3'", "models:/", "kind=uri;uri_kind=version"),
    Example("uri = f'models:/{name}/{version}'", "models:/", "kind=uri;uri_kind=dynamic"),
    Example("uri = 'models:/m-0123abcd'", "models:/", "kind=uri;uri_kind=model_id"),
    Example("uri = 'models:/churn/latest'", "models:/", "kind=uri;uri_kind=latest"),
    Example("import mlflow as mf\nclient = mf.tracking.MlflowClient()\nclient.get_latest_versions('churn', stages=['Staging'])",
            f"{CLIENT}.get_latest_versions", "kind=stage_lookup;stage=Staging"),
    Example("from mlflow import *\nregister_model('runs:/x/model', 'churn')", "mlflow.register_model"),
    Example("import mlflow\nNAME = 'churn-v2'\nmlflow.register_model(uri, NAME)", "mlflow.register_model", "kind=register;name=churn-v2"),
    Example("import mlflow\nclass Trainer:\n    def __init__(self):\n        self.client = mlflow.MlflowClient()\n"
            "    def promote(self, v):\n        self.client.set_registered_model_alias('m', 'prod', v)",
            f"{CLIENT}.set_registered_model_alias", "kind=alias;alias=prod"),
    Example("import mlflow\nclass Registry:\n    @property\n    def client(self):\n        return mlflow.MlflowClient()\n"
            "    def promote(self):\n        self.client.transition_model_version_stage('m', 2, 'Staging')",
            f"{CLIENT}.transition_model_version_stage", "kind=stage_transition;stage=Staging"),
    Example("from mlflow.tracking.client import MlflowClient\ndef client():\n    return MlflowClient()\n"
            "client().get_latest_versions('m', stages=['Production'])", f"{CLIENT}.get_latest_versions",
            "kind=stage_lookup;stage=Production"),
]

IGNORES = [
    "import mlflow\nmlflow.sklearn.log_model(m, 'model')",
    "import mlflow\nmlflow.sklearn.log_model(m, 'model', registered_model_name=None)",
    "def register_model(x, y):\n    pass\nregister_model('a', 'b')",
    "class Registry:\n    def transition_model_version_stage(self, *a): pass\nRegistry().transition_model_version_stage('m', 1, 'Production')",
    "def f():\n    'Loads models:/churn/Production from the registry.'\n",
    "# mlflow.register_model('runs:/abc/model', 'churn')\n",
    "x = 'mlflow.register_model(uri, name)'",
]


def classify_uri(template: str) -> dict[str, str]:
    """Classify a ``models:/`` URI template (``{}`` marks an f-string replacement field)."""
    i = template.find("models:/")
    rest = template[i + len("models:/"):]
    rest = re.split(r"[\s'\"]", rest, maxsplit=1)[0]
    if "@" in rest:
        alias = rest.split("@", 1)[1]
        if not alias or "{}" in alias:
            return {"uri_kind": "alias"}
        return {"uri_kind": "alias", "alias": alias}
    if "/" in rest:
        suffix = rest.split("/", 1)[1].strip("/")
        if not suffix or "{}" in suffix:
            return {"uri_kind": "dynamic"}
        if suffix.isdigit():
            return {"uri_kind": "version"}
        if suffix.lower() == "latest":
            return {"uri_kind": "latest"}
        if suffix.lower() in STAGES:
            return {"uri_kind": "stage", "stage": STAGES[suffix.lower()]}
        return {"uri_kind": "other"}
    if not rest or "{}" in rest:
        return {"uri_kind": "dynamic"}
    return {"uri_kind": "model_id"}


def is_registry_call(site: CallSite) -> bool:
    """True when the call's only row is a registry row (it carries a ``models:/`` URI or is
    a registry function/method)."""
    q = site.qname
    if q is None:
        return False
    if site.uris and (q == "mlflow" or q.startswith("mlflow.")):
        return True
    if q in FLUENT:
        return True
    return q.startswith(CLIENT + ".") and q[len(CLIENT) + 1:] in CLIENT_METHODS


def _stage_detail(site: CallSite, kind: str) -> dict[str, str]:
    out: dict[str, str] = {"kind": kind}
    if kind == "stage_transition":
        v = literal(site.arg(2, "stage"))
        if isinstance(v, str):
            out["stage"] = STAGES.get(v.lower(), v)
    elif kind == "stage_lookup":
        node = site.arg(1, "stages")
        v = literal(node)
        if isinstance(v, str):
            out["stage"] = STAGES.get(v.lower(), v)
        elif node is not None and hasattr(node, "elements"):
            vals = [literal(e.value) for e in node.elements]
            out["stage"] = ",".join(STAGES.get(x.lower(), x) for x in vals if isinstance(x, str))
    elif kind == "alias":
        v = literal(site.arg(1, "alias"))
        if isinstance(v, str):
            out["alias"] = v
    return out


def on_call(site: CallSite) -> Iterator[Hit]:
    q = site.qname
    if q is None or not (q == "mlflow" or q.startswith("mlflow.")):
        return
    if site.uris:
        for _node, template in site.uris:
            yield Hit(CATEGORY, q, detail(kind="uri", **classify_uri(template)), site.node)
        return
    if q in FLUENT:
        kind = FLUENT[q]
        name = _literal_str(site, site.arg(1, "name")) if kind == "register" else None
        yield Hit(CATEGORY, q, detail(kind=kind, name=name), site.node)
        return
    if q.startswith(CLIENT + "."):
        method = q[len(CLIENT) + 1:]
        if method in CLIENT_METHODS:
            fields = _stage_detail(site, CLIENT_METHODS[method])
            fields["name"] = _literal_str(site, site.arg(0, "name")) or ""
            yield Hit(CATEGORY, q, detail(**fields), site.node)
        return
    if q.endswith(".log_model"):
        node = site.arg(None, "registered_model_name")
        if node is not None and literal(node) is not None:
            yield Hit(CATEGORY, q, detail(kind="register", name=_literal_str(site, node)), site.node)


def _literal_str(site: CallSite, node: cst.BaseExpression | None) -> str | None:
    value = site.constant(node)
    return value if isinstance(value, str) else None


def on_string(site: StringSite) -> Iterator[Hit]:
    yield Hit(CATEGORY, "models:/", detail(kind="uri", **classify_uri(site.template)), site.node)
