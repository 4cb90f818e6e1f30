"""model_ref — a reference to a model by its name, and whether that name carries a version.

Operational definition. A site is a ``model_ref`` row when it names a model with a string
literal (or a name assigned once in the file to one) in one of these places (:data:`SOURCES`):

1. ``hf_from_pretrained``: a call of a ``from_pretrained`` method (``AutoModel``,
   ``AutoTokenizer``, any ``transformers``, ``diffusers`` or ``peft`` class, resolved or not)
   whose first argument or ``pretrained_model_name_or_path=`` is a Hugging Face Hub id;
2. ``hf_pipeline``: ``transformers.pipeline`` with ``model=`` (or its second positional
   argument) a Hub id;
3. ``hf_hub``: ``huggingface_hub.hf_hub_download`` or ``snapshot_download`` with ``repo_id=``
   (or its first positional argument);
4. ``sentence_transformers``: ``SentenceTransformer(...)`` or ``CrossEncoder(...)`` of
   ``sentence_transformers`` with a Hub id as the model;
5. ``mlflow_registry``: a registered model's name given to MLflow: ``mlflow.register_model``
   (``name``), a flavor's ``log_model(registered_model_name=...)``, and the ``MlflowClient``
   methods on one registered model or its versions (the ``name`` argument, see ``registry``);
6. ``models_uri``: the name in a ``models:/<name>/<version|stage>`` or ``models:/<name>@<alias>``
   URI (a string anywhere, as in ``registry``); a name that is an f-string replacement field is
   not a name, and ``models:/m-<id>`` (an MLflow 3 logged-model id) names no model.

A *Hub id* is ``<name>`` or ``<owner>/<name>`` made of letters, digits, ``-``, ``_`` and ``.``,
not starting with ``.`` or ``/`` and not ending in a file extension (``.bin``, ``.pt``, ...):
a literal local path (``./checkpoints/bert``, ``/models/x``) is a checkpoint, not a model name,
and is not a row.

The *version pattern* of a name (``version`` in ``detail``; :func:`version_pattern`) is read
from its last ``/``-separated part (an owner never carries a version), case-insensitively, the
first of these that occurs as a token (not preceded or followed by a letter or digit):
``vX.Y.Z`` (three dot-separated numbers, the ``v`` optional: ``model-1.0.0``); ``date`` (a year
19xx or 20xx with a month, and optionally a day, separated by ``-``, ``_``, ``.`` or nothing:
``2024-01``, ``20240115``); ``vX.Y`` (two dot-separated numbers, the ``v`` optional:
``bge-large-en-v1.5``, ``Llama-3.1-8B``); ``vX-Y`` (``v``, a number, ``-`` or ``_`` and a
number: ``stable-diffusion-v1-5``, ``t5-v1_1-base``); ``vX`` (``v`` and a number:
``all-MiniLM-L6-v2``); else ``none`` (``bert-base-uncased``, ``gpt2``, ``Qwen2.5-0.5B``: a
number glued to letters is part of the name, not a version). A name *follows a version pattern*
when its pattern is not ``none``; this is the measure of the study's seed report on Hugging Face
model names (the vX, vX.X, vX-X patterns).

``detail`` carries ``model`` (the name as written, ``;`` shown as ``,``), ``source`` (above) and
``version`` (the pattern). A call that is also a ``tracking`` or ``registry`` row (a registered
name, a ``models:/`` URI) is also this row: two rows at one site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from miners.scan.detail import detail
from miners.scan.detectors import registry
from miners.scan.detectors.base import CallSite, Example, Hit, StringSite, clip

CATEGORY = "model_ref"
CLIENT = registry.CLIENT

#: Where a model name is read from: source -> what it is.
SOURCES: dict[str, str] = {
    "hf_from_pretrained": "from_pretrained(<id>) of a Hugging Face class",
    "hf_pipeline": "transformers.pipeline(model=<id>)",
    "hf_hub": "huggingface_hub.hf_hub_download / snapshot_download(repo_id=<id>)",
    "sentence_transformers": "sentence_transformers.SentenceTransformer / CrossEncoder(<id>)",
    "mlflow_registry": "a registered model name given to MLflow",
    "models_uri": "the name in a models:/ URI",
}

#: Calls that take a Hub id: qualified name -> (source, position, keyword).
CALLS: dict[str, tuple[str, int | None, str]] = {
    "transformers.pipeline": ("hf_pipeline", 1, "model"),
    "transformers.pipelines.pipeline": ("hf_pipeline", 1, "model"),
    "huggingface_hub.hf_hub_download": ("hf_hub", 0, "repo_id"),
    "huggingface_hub.snapshot_download": ("hf_hub", 0, "repo_id"),
    "huggingface_hub.file_download.hf_hub_download": ("hf_hub", 0, "repo_id"),
    "sentence_transformers.SentenceTransformer": ("sentence_transformers", 0, "model_name_or_path"),
    "sentence_transformers.CrossEncoder": ("sentence_transformers", 0, "model_name"),
    "sentence_transformers.cross_encoder.CrossEncoder": ("sentence_transformers", 0, "model_name"),
}

#: ``MlflowClient`` registry methods whose ``name`` (first argument) is a registered model name.
NAMED_CLIENT_METHODS = frozenset(m for m, kind in registry.CLIENT_METHODS.items() if kind != "search")

#: The version patterns, in the order they are tried (the first that occurs wins), then ``none``.
_EDGE_L, _EDGE_R = r"(?<![a-z0-9])", r"(?![a-z0-9])"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(_EDGE_L + body + _EDGE_R, re.IGNORECASE)) for label, body in (
        ("vX.Y.Z", r"v?\d+\.\d+\.\d+"),
        ("date", r"(?:19|20)\d{2}[-_.]?(?:0[1-9]|1[0-2])(?:[-_.]?(?:0[1-9]|[12]\d|3[01]))?"),
        ("vX.Y", r"v?\d+\.\d+"),
        ("vX-Y", r"v\d+[-_]\d+"),
        ("vX", r"v\d+"),
    ))
VERSION_PATTERNS = (*(label for label, _ in PATTERNS), "none")

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?")
_FILE_EXT = re.compile(r"\.(?:bin|pt|pth|ckpt|safetensors|h5|onnx|pkl|joblib|json|zip|gz|tar|txt|model)$",
                       re.IGNORECASE)
_URI_NAME = re.compile(r"models:/([^/@\s'\"]*)")

DETECTS = [
    Example("from transformers import AutoModel\nm = AutoModel.from_pretrained('bert-base-uncased')",
            "transformers.AutoModel.from_pretrained", "model=bert-base-uncased;source=hf_from_pretrained;version=none"),
    Example("from transformers import AutoTokenizer\nt = AutoTokenizer.from_pretrained(pretrained_model_name_or_path='BAAI/bge-large-en-v1.5')",
            "transformers.AutoTokenizer.from_pretrained", "model=BAAI/bge-large-en-v1.5;source=hf_from_pretrained;version=vX.Y"),
    Example("MODEL = 'runwayml/stable-diffusion-v1-5'\npipe = StableDiffusionPipeline.from_pretrained(MODEL)",
            "StableDiffusionPipeline.from_pretrained", "model=runwayml/stable-diffusion-v1-5;source=hf_from_pretrained;version=vX-Y"),
    Example("from transformers import pipeline\nclf = pipeline('sentiment-analysis', model='distilbert-base-uncased-finetuned-sst-2-english')",
            "transformers.pipeline", "model=distilbert-base-uncased-finetuned-sst-2-english;source=hf_pipeline;version=none"),
    Example("from huggingface_hub import hf_hub_download\np = hf_hub_download(repo_id='TheBloke/Llama-2-7B-GGUF', filename='x.gguf')",
            "huggingface_hub.hf_hub_download", "model=TheBloke/Llama-2-7B-GGUF;source=hf_hub;version=none"),
    Example("from huggingface_hub import snapshot_download\nsnapshot_download('org/model-2024-01-15')",
            "huggingface_hub.snapshot_download", "model=org/model-2024-01-15;source=hf_hub;version=date"),
    Example("from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('all-MiniLM-L6-v2')",
            "sentence_transformers.SentenceTransformer", "model=all-MiniLM-L6-v2;source=sentence_transformers;version=vX"),
    Example("import mlflow\nmlflow.register_model('runs:/abc/model', 'churn-1.2.0')",
            "mlflow.register_model", "model=churn-1.2.0;source=mlflow_registry;version=vX.Y.Z"),
    Example("import mlflow\nmlflow.sklearn.log_model(m, 'model', registered_model_name='churn_v2')",
            "mlflow.sklearn.log_model", "model=churn_v2;source=mlflow_registry;version=vX"),
    Example("from mlflow import MlflowClient\nMlflowClient().transition_model_version_stage('churn', 3, 'Production')",
            f"{CLIENT}.transition_model_version_stage", "model=churn;source=mlflow_registry;version=none"),
    Example("import mlflow\nm = mlflow.pyfunc.load_model('models:/fraud-detector/Production')",
            "mlflow.pyfunc.load_model", "model=fraud-detector;source=models_uri;version=none"),
    Example("uri = 'models:/t5-v1_1-base@champion'", "models:/", "model=t5-v1_1-base;source=models_uri;version=vX-Y"),
]

IGNORES = [
    "from transformers import AutoModel\nm = AutoModel.from_pretrained('./checkpoints/bert')",
    "from transformers import AutoModel\nm = AutoModel.from_pretrained(args.model_name)",
    "from transformers import AutoModel\nm = AutoModel.from_pretrained('/models/weights.bin')",
    "from transformers import pipeline\nclf = pipeline('sentiment-analysis')",
    "uri = f'models:/{name}/1'",
    "uri = 'models:/m-0123abcd'",
    "import mlflow\nmlflow.search_registered_models(filter_string=\"name='churn'\")",
    "x = 'bert-base-uncased'",
    "def f():\n    'Loads models:/churn/Production.'\n",
]


def version_pattern(name: str) -> str:
    """The version pattern of a model name (see the module docstring): one of
    :data:`VERSION_PATTERNS`."""
    last = name.rstrip("/").rsplit("/", 1)[-1]
    for label, pattern in PATTERNS:
        if pattern.search(last):
            return label
    return "none"


def hub_id(value: object) -> str | None:
    """``value`` when it is a Hugging Face Hub id (see the module docstring), else None."""
    if not isinstance(value, str) or _HUB_ID.fullmatch(value) is None or _FILE_EXT.search(value):
        return None
    return value


def _row(site_node: cst.CSTNode, api: str, name: str, source: str) -> Hit:
    return Hit(CATEGORY, api, detail(model=clip(name, 100), source=source, version=version_pattern(name)), site_node)


def uri_name(template: str) -> str | None:
    """The model name of a ``models:/`` URI template, or None (dynamic, empty, a model id)."""
    m = _URI_NAME.search(template)
    if m is None:
        return None
    name, rest = m.group(1), template[m.end():]
    if not name or "{}" in name or rest[:1] not in ("/", "@"):
        return None  # dynamic, empty, or models:/<model id> (nothing follows the name)
    return name


def on_call(site: CallSite) -> Iterator[Hit]:
    q = site.qname
    api = q or site.spelled
    if q is not None and (q == "mlflow" or q.startswith("mlflow.")):
        yield from _mlflow(site, q)
        return
    if api.endswith(".from_pretrained"):
        name = hub_id(site.constant(site.arg(0, "pretrained_model_name_or_path")))
        if name is not None:
            yield _row(site.node, api, name, "hf_from_pretrained")
        return
    spec = CALLS.get(q) if q is not None else None
    if spec is not None:
        source, position, keyword = spec
        name = hub_id(site.constant(site.arg(position, keyword)))
        if name is not None:
            yield _row(site.node, q, name, source)  # type: ignore[arg-type]


def _mlflow(site: CallSite, q: str) -> Iterator[Hit]:
    if site.uris:
        for _node, template in site.uris:
            name = uri_name(template)
            if name is not None:
                yield _row(site.node, q, name, "models_uri")
        return
    node: cst.BaseExpression | None = None
    if q == "mlflow.register_model":
        node = site.arg(1, "name")
    elif q.endswith(".log_model"):
        node = site.arg(None, "registered_model_name")
    elif q.startswith(CLIENT + ".") and q[len(CLIENT) + 1:] in NAMED_CLIENT_METHODS:
        node = site.arg(0, "name")
    name = site.constant(node) if node is not None else None
    if isinstance(name, str) and name:
        yield _row(site.node, q, name, "mlflow_registry")


def on_string(site: StringSite) -> Iterator[Hit]:
    name = uri_name(site.template)
    if name is not None:
        yield _row(site.node, "models:/", name, "models_uri")
