"""seed — code that fixes a source of randomness.

Operational definition. A site is a ``seed`` row when it is one of:

1. a call that resolves to a seeding function in :data:`CALLS` (``random.seed``,
   ``numpy.random.seed``, ``torch.manual_seed``, ``tensorflow.random.set_seed``,
   ``keras.utils.set_random_seed``, Lightning's ``seed_everything``,
   ``transformers.set_seed``, ...) with its seed argument present and not the literal
   ``None`` (``random.seed()`` reseeds from the operating system and is not seed setting);
2. a call that builds a seeded generator (:data:`GENERATORS`: ``numpy.random.default_rng``,
   ``numpy.random.RandomState``, ``numpy.random.SeedSequence``, bit generators such as
   ``numpy.random.PCG64``, ``random.Random``, ``jax.random.PRNGKey``/``key``,
   ``tensorflow.random.Generator.from_seed``, ``torch.Generator().manual_seed``) with a seed
   that is not ``None``; a generator created without a seed is not seed setting;
3. a call that switches on deterministic algorithms (:data:`DETERMINISM`:
   ``torch.use_deterministic_algorithms(True)``,
   ``tensorflow.config.experimental.enable_op_determinism()``,
   ``transformers.enable_full_determinism``), or the assignment
   ``torch.backends.cudnn.deterministic = True`` / ``torch.backends.cudnn.benchmark = False``;
4. setting one of the environment variables in :data:`ENV` (``PYTHONHASHSEED``,
   ``TF_DETERMINISTIC_OPS``, ``TF_CUDNN_DETERMINISTIC``, ``CUBLAS_WORKSPACE_CONFIG``) through
   ``os.environ[K] = v``, ``os.environ.setdefault(K, v)`` or ``os.putenv(K, v)``;
5. a ``random_state=``, ``seed=`` or ``random_seed=`` keyword whose value is not the literal
   ``None``, in any call: the project's own functions and unresolved methods included
   (``train_test_split(X, random_state=SEED)``, a Hugging Face ``dataset.train_test_split(seed=42)``,
   Spark's ``df.randomSplit([0.8, 0.2], seed=7)``, ``optuna.samplers.TPESampler(seed=1)``,
   ``train(seed=42)``, ``params = dict(random_state=42)``): a seed passed by name fixes some
   randomness, wherever it goes (a configuration dict built this way is passed on to what it
   seeds). The one exception is a call that resolves into a hashing package
   (:data:`HASH_PACKAGES`: ``mmh3``, ``xxhash``, ...), whose ``seed`` keyword seeds a hash, not
   a random generator.

``detail`` carries ``framework`` (which random number generator the site fixes: random,
numpy, torch, tensorflow, jax, or the package of a ``random_state`` call such as sklearn),
``covers`` (the frameworks a convenience function seeds, e.g. Lightning's
``seed_everything`` covers random, numpy and torch), and the literal ``value`` (or
``expr:<code>`` when the value is an expression).

Frameworks a file *uses for randomness* (for seed coverage in ``repo_features.csv``):
``random`` and ``torch``, ``tensorflow``/``keras`` and ``jax`` when imported; ``numpy`` when a
call resolves into ``numpy.random``; ``sklearn`` when imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from miners.scan.detail import detail
from miners.scan.detectors.base import (
    NOT_LITERAL,
    AssignSite,
    CallSite,
    Example,
    Hit,
    literal,
    value_text,
)

CATEGORY = "seed"


@dataclass(frozen=True, slots=True)
class Seeder:
    framework: str
    covers: tuple[str, ...] = ()
    arg: int | None = 0  # position of the seed argument; None: no seed argument
    kw: str | None = "seed"


_TORCH = Seeder("torch")
_TF = Seeder("tensorflow")
_LIGHTNING = Seeder("torch", ("random", "numpy", "torch"))
_HF = Seeder("torch", ("random", "numpy", "torch", "tensorflow"))
_KERAS = Seeder("tensorflow", ("random", "numpy", "tensorflow"))

#: Global seeding functions.
CALLS: dict[str, Seeder] = {
    "random.seed": Seeder("random", kw="a"),
    "numpy.random.seed": Seeder("numpy", ("numpy", "sklearn")),
    "torch.manual_seed": _TORCH,
    "torch.random.manual_seed": _TORCH,
    "torch.cuda.manual_seed": _TORCH,
    "torch.cuda.manual_seed_all": _TORCH,
    "torch.Generator.manual_seed": _TORCH,
    "tensorflow.random.set_seed": _TF,
    "tensorflow.set_random_seed": _TF,
    "tensorflow.compat.v1.set_random_seed": _TF,
    "tensorflow.compat.v1.random.set_random_seed": _TF,
    "tensorflow.keras.utils.set_random_seed": _KERAS,
    "keras.utils.set_random_seed": _KERAS,
    "keras.src.utils.set_random_seed": _KERAS,
    "pytorch_lightning.seed_everything": _LIGHTNING,
    "pytorch_lightning.utilities.seed.seed_everything": _LIGHTNING,
    "lightning.seed_everything": _LIGHTNING,
    "lightning.pytorch.seed_everything": _LIGHTNING,
    "lightning.fabric.seed_everything": _LIGHTNING,
    "lightning_fabric.utilities.seed.seed_everything": _LIGHTNING,
    "transformers.set_seed": _HF,
    "transformers.trainer_utils.set_seed": _HF,
    "accelerate.utils.set_seed": _HF,
}

#: Constructors of seeded generators (a seed argument is required to count).
GENERATORS: dict[str, Seeder] = {
    "random.Random": Seeder("random", kw="x"),
    "numpy.random.default_rng": Seeder("numpy"),
    "numpy.random.RandomState": Seeder("numpy"),
    "numpy.random.SeedSequence": Seeder("numpy", kw="entropy"),
    "numpy.random.PCG64": Seeder("numpy"),
    "numpy.random.PCG64DXSM": Seeder("numpy"),
    "numpy.random.MT19937": Seeder("numpy"),
    "numpy.random.Philox": Seeder("numpy"),
    "numpy.random.SFC64": Seeder("numpy"),
    "jax.random.PRNGKey": Seeder("jax"),
    "jax.random.key": Seeder("jax"),
    "tensorflow.random.Generator.from_seed": Seeder("tensorflow"),
    "tensorflow.random.experimental.Generator.from_seed": Seeder("tensorflow"),
}

#: Calls that turn on deterministic algorithms: name -> (framework, required first argument).
DETERMINISM: dict[str, tuple[str, bool | None]] = {
    "torch.use_deterministic_algorithms": ("torch", True),
    "torch.set_deterministic": ("torch", True),
    "tensorflow.config.experimental.enable_op_determinism": ("tensorflow", None),
    "tensorflow.config.enable_op_determinism": ("tensorflow", None),
    "keras.config.enable_op_determinism": ("tensorflow", None),
    "transformers.enable_full_determinism": ("torch", None),
}

#: Attribute assignments that make execution deterministic: name -> (framework, value).
ASSIGNMENTS: dict[str, tuple[str, bool]] = {
    "torch.backends.cudnn.deterministic": ("torch", True),
    "torch.backends.cudnn.benchmark": ("torch", False),
}

#: Environment variables that fix randomness or force determinism -> framework.
ENV: dict[str, str] = {
    "PYTHONHASHSEED": "python-hash",
    "TF_DETERMINISTIC_OPS": "tensorflow",
    "TF_CUDNN_DETERMINISTIC": "tensorflow",
    "CUBLAS_WORKSPACE_CONFIG": "torch",
}

#: Classes whose instances are tracked through assignments: constructor -> instance type.
CONSTRUCTORS: dict[str, str] = {
    "torch.Generator": "torch.Generator",
    "numpy.random.default_rng": "numpy.random.Generator",
    "numpy.random.RandomState": "numpy.random.RandomState",
    "random.Random": "random.Random",
}

#: Other import paths of the same functions.
ALIASES: dict[str, str] = {
    "tensorflow.random.set_random_seed": "tensorflow.compat.v1.set_random_seed",
    "tf_keras.utils.set_random_seed": "keras.utils.set_random_seed",
}

#: Top-level packages whose import means the file uses that framework's random numbers.
RANDOM_FRAMEWORKS: dict[str, str] = {
    "random": "random", "torch": "torch", "tensorflow": "tensorflow", "keras": "tensorflow",
    "tf_keras": "tensorflow", "jax": "jax", "sklearn": "sklearn",
    "pytorch_lightning": "torch", "lightning": "torch",
}

KEYWORD_SEEDS = ("random_state", "random_seed", "seed")
#: Packages whose ``seed`` keyword seeds a hash function: never a seed row.
HASH_PACKAGES = frozenset({"mmh3", "xxhash", "murmurhash", "farmhash", "cityhash", "pyhash", "hashlib", "zlib",
                           "crc32c", "metrohash", "spookyhash", "sklearn.utils.murmurhash3_32"})
#: Packages whose keyword seeds name the ``framework`` of the row (any other resolved package is
#: ``other``; an unresolved callee, such as the project's own function, ``unresolved``).
KEYWORD_SEED_PACKAGES = frozenset({
    "xgboost", "lightgbm", "catboost", "sklearn", "numpy", "scipy", "pandas", "tensorflow",
    "keras", "torch", "jax", "optuna", "hyperopt", "transformers", "datasets", "gensim",
    "statsmodels", "imblearn", "umap", "hdbscan", "surprise", "prophet", "pycaret", "h2o",
    "autogluon", "flaml", "sentence_transformers", "torchvision", "ray", "skopt", "tpot",
    "networkx",
})

DETECTS = [
    Example("import random\nrandom.seed(42)", "random.seed", "framework=random;value=42"),
    Example("import numpy as np\nnp.random.seed(0)", "numpy.random.seed", "framework=numpy;covers=numpy,sklearn;value=0"),
    Example("from numpy.random import default_rng\nrng = default_rng(7)", "numpy.random.default_rng", "framework=numpy;value=7"),
    Example("import numpy as np\nrs = np.random.RandomState(seed=SEED)", "numpy.random.RandomState", "framework=numpy;value=expr:SEED"),
    Example("import torch\ntorch.manual_seed(1)\ntorch.cuda.manual_seed_all(1)", "torch.manual_seed", "framework=torch;value=1"),
    Example("import torch\ntorch.backends.cudnn.deterministic = True", "torch.backends.cudnn.deterministic", "framework=torch;value=True"),
    Example("import torch\ntorch.backends.cudnn.benchmark = False", "torch.backends.cudnn.benchmark", "framework=torch;value=False"),
    Example("import torch\ntorch.use_deterministic_algorithms(True)", "torch.use_deterministic_algorithms", "framework=torch"),
    Example("import tensorflow as tf\ntf.random.set_seed(3)", "tensorflow.random.set_seed", "framework=tensorflow;value=3"),
    Example("import tensorflow as tf\ntf.compat.v1.set_random_seed(3)", "tensorflow.compat.v1.set_random_seed"),
    Example("import tensorflow as tf\ntf.keras.utils.set_random_seed(3)", "tensorflow.keras.utils.set_random_seed", "framework=tensorflow;covers=random,numpy,tensorflow"),
    Example("import tensorflow as tf\ntf.config.experimental.enable_op_determinism()", "tensorflow.config.experimental.enable_op_determinism"),
    Example("import jax\nkey = jax.random.PRNGKey(0)", "jax.random.PRNGKey", "framework=jax;value=0"),
    Example("from pytorch_lightning import seed_everything\nseed_everything(42)", "pytorch_lightning.seed_everything", "framework=torch;covers=random,numpy,torch"),
    Example("import lightning as L\nL.seed_everything(42, workers=True)", "lightning.seed_everything"),
    Example("from transformers import set_seed\nset_seed(1)", "transformers.set_seed"),
    Example("import os\nos.environ['PYTHONHASHSEED'] = '0'", "os.environ[PYTHONHASHSEED]", "framework=python-hash;value='0'"),
    Example("import os\nos.environ.setdefault('PYTHONHASHSEED', str(SEED))", "os.environ[PYTHONHASHSEED]", "framework=python-hash"),
    Example("from sklearn.ensemble import RandomForestClassifier\nm = RandomForestClassifier(random_state=42)",
            "sklearn.ensemble.RandomForestClassifier", "framework=sklearn;keyword=random_state;value=42"),
    Example("X_tr, X_te = train_test_split(X, random_state=SEED)", "train_test_split", "framework=unresolved;keyword=random_state;value=expr:SEED"),
    Example("import xgboost as xgb\nm = xgb.XGBClassifier(seed=1)", "xgboost.XGBClassifier", "framework=xgboost;keyword=seed;value=1"),
    Example("import networkx as nx\npos = nx.spring_layout(g, seed=42)", "networkx.spring_layout",
            "framework=networkx;keyword=seed;value=42"),
    Example("import torch\ng = torch.Generator()\ng.manual_seed(0)", "torch.Generator.manual_seed", "framework=torch;value=0"),
    Example("import numpy as np\n%time np.random.seed(1)", "numpy.random.seed", notebook=True),
    Example("from datasets import load_dataset\nds = load_dataset('imdb')['train']\nsplits = ds.train_test_split(test_size=0.1, seed=42)",
            "ds.train_test_split", "framework=unresolved;keyword=seed;value=42"),
    Example("train, test = df.randomSplit([0.8, 0.2], seed=7)", "df.randomSplit", "framework=unresolved;keyword=seed;value=7"),
    Example("import optuna\nsampler = optuna.samplers.TPESampler(seed=SEED)", "optuna.samplers.TPESampler",
            "framework=optuna;keyword=seed;value=expr:SEED"),
    Example("def train(seed):\n    pass\ntrain(seed=42)", "train", "framework=unresolved;keyword=seed;value=42"),
    Example("params = dict(n_estimators=100, seed=SEED)", "dict", "framework=unresolved;keyword=seed;value=expr:SEED"),
    Example("import pyspark.sql.functions as F\ndf = df.withColumn('r', F.rand(seed=3))", "pyspark.sql.functions.rand",
            "framework=other;keyword=seed;value=3"),
]

IGNORES = [
    "import random\nrandom.seed()",
    "import numpy as np\nnp.random.seed(None)",
    "import numpy as np\nrng = np.random.default_rng()",
    "import numpy as np\nx = np.random.rand(3)",
    "import torch\ntorch.backends.cudnn.benchmark = True",
    "import torch\ntorch.use_deterministic_algorithms(False)",
    "m = RandomForestClassifier(random_state=None)",
    "def train(seed):\n    pass\ntrain(seed=None)",
    "import mmh3\nh = mmh3.hash('key', seed=42)",
    "import xxhash\nh = xxhash.xxh64(b'data', seed=0)",
    "d = {'seed': 42}",
    "def seed(x): pass\nseed(1)",
    "x = 'random.seed(42)'",
    "# np.random.seed(0)\n",
    "import os\nos.environ['HOME'] = '/tmp'",
]


def _value(site: CallSite | AssignSite, node: object) -> str:
    return value_text(site.code_for, node)  # type: ignore[arg-type]


def on_call(site: CallSite) -> Iterator[Hit]:
    q = site.qname
    if q is not None:
        spec = CALLS.get(q) or GENERATORS.get(q)
        if spec is not None:
            node = site.arg(spec.arg, spec.kw)
            if node is not None and literal(node) is not None:
                yield Hit(CATEGORY, q, detail(framework=spec.framework, covers=",".join(spec.covers),
                                              value=_value(site, node)), site.node)
            return
        if q in DETERMINISM:
            framework, required = DETERMINISM[q]
            if required is None or literal(site.arg(0, "mode")) is required:
                yield Hit(CATEGORY, q, detail(framework=framework), site.node)
            return
        if q in ("os.environ.setdefault", "os.putenv"):
            key = literal(site.arg(0, "key"))
            if isinstance(key, str) and key in ENV:
                value = site.arg(1, "value")
                yield Hit(CATEGORY, f"os.environ[{key}]", detail(
                    framework=ENV[key], value=_value(site, value) if value is not None else None), site.node)
            return
    for name in KEYWORD_SEEDS:
        node = site.keywords().get(name) if site.node.args else None
        if node is None or literal(node) is None:
            continue
        root = q.split(".")[0] if q else None
        if q is not None and (root in HASH_PACKAGES or q in HASH_PACKAGES):
            return
        framework = "unresolved" if root is None else root if root in KEYWORD_SEED_PACKAGES else "other"
        yield Hit(CATEGORY, q or site.spelled, detail(
            framework=framework, keyword=name, value=_value(site, node)), site.node)
        return


def on_assign(site: AssignSite) -> Iterator[Hit]:
    if site.qname in ASSIGNMENTS:
        framework, wanted = ASSIGNMENTS[site.qname]
        if literal(site.value) is wanted:
            yield Hit(CATEGORY, site.qname, detail(framework=framework, value=str(wanted)), site.node)
        return
    if site.qname.startswith("os.environ[") and site.qname[11:-1] in ENV:
        value = literal(site.value)
        if value is not None or value is NOT_LITERAL:
            yield Hit(CATEGORY, site.qname, detail(
                framework=ENV[site.qname[11:-1]], value=_value(site, site.value)), site.node)
