"""What the rerun harness injects into a project's interpreter, and how it reads the metrics back.

Definition. Every Python process of a run (the entry, its subprocesses and a notebook's kernel)
imports a ``sitecustomize`` module from the run's ``capture/`` folder (first on ``PYTHONPATH``):

* **Tracking redirect.** ``MLFLOW_TRACKING_URI`` points at the run's own file store
  (``<run>/store``). When ``mlflow`` is imported, ``set_tracking_uri``, ``set_registry_uri``,
  ``get_tracking_uri`` and ``MlflowClient(tracking_uri=...)`` are wrapped so that any other URI
  the code asks for (``http://localhost:5000``, ``databricks``, a remote server, an environment
  variable set by the code) is replaced by the local store; ``dagshub.init`` becomes a no-op.
  Each replaced URI is appended to ``<run>/redirects.log``.
* **Network audit.** A ``sys.addaudithook`` hook (Python 3.8 and later) appends every
  ``socket.connect`` and ``socket.getaddrinfo`` whose host is not loopback (``localhost``,
  ``127.*``, ``::1``, ``0.0.0.0``, empty) to ``<run>/network.log`` (the sandbox blocks it; the
  log tells a network failure from other failures, and ``network_attempts`` counts its lines).
  The injected module is written for every Python from 3.6 on, and works with MLflow 1.x, 2.x
  and 3.x (it wraps whichever of the URI functions the installed version has).
* **Git LFS pointers.** Every file the process opens that is one of the checkout's LFS
  pointers (``MINING_LFS_POINTERS``, absolute paths in the run's copy) is appended to
  ``<run>/lfs.log``: a failed run that read a pointer ends ``lfs_pointer``.
* **Exceptions.** An uncaught exception's class, message and traceback tail go to
  ``<run>/exception.json``.
* **Forced seeds** (condition ``seeds_forced`` only, ``MINING_FORCE_SEEDS=1``, with
  ``PYTHONHASHSEED=0`` set by the harness): ``random.seed(0)`` at start; on import,
  ``numpy.random.seed(0)``, ``torch.manual_seed(0)`` with ``torch.use_deterministic_algorithms(True,
  warn_only=True)`` and cuDNN deterministic/no benchmark, ``tensorflow.random.set_seed(0)`` with
  ``enable_op_determinism()``. The project's own seeding, if any, still runs after these.

Reading back: every MLflow run in the store (all experiments, nested runs included), ordered by
start time; a metric's key is its MLflow key when the store holds one run, else
``run<i>/<key>`` with ``i`` the 1-based ordinal of the run. Each (key, step) keeps the last
logged value (by timestamp); ``is_last`` marks the value at the largest step.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

SITECUSTOMIZE = r'''
# Injected by the mlflow-mining rerun harness (miners/rerun/capture.py); not part of the project.
import os as _os
import sys as _sys

_RUN = _os.environ.get("MINING_RUN_DIR", "")
_STORE = _os.environ.get("MINING_STORE_URI", "")


def _log(name, text):
    if _RUN:
        try:
            with open(_os.path.join(_RUN, name), "a", encoding="utf-8") as fh:
                fh.write(text.replace("\n", " ") + "\n")
        except OSError:
            pass


def _is_local(host):
    return host in ("", "localhost", "::1", "0.0.0.0", "ip6-localhost") or host.startswith("127.")


_POINTERS = frozenset(p for p in _os.environ.get("MINING_LFS_POINTERS", "").split(_os.pathsep) if p)
_OPENED = set()


def _audit(event, args):
    if event == "open":
        if _POINTERS and args and isinstance(args[0], str):
            path = _os.path.abspath(args[0])
            if path in _POINTERS and path not in _OPENED:
                _OPENED.add(path)
                _log("lfs.log", path)
        return
    if event == "socket.connect":
        addr = args[1] if len(args) > 1 else None
        if isinstance(addr, tuple) and addr and isinstance(addr[0], str) and not _is_local(addr[0]):
            _log("network.log", "connect %s:%s" % (addr[0], addr[1] if len(addr) > 1 else ""))
    elif event == "socket.getaddrinfo":
        host = args[0] if args else None
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and not _is_local(host):
            _log("network.log", "resolve %s" % host)


if hasattr(_sys, "addaudithook"):  # Python 3.8+; older interpreters run without the audit
    _sys.addaudithook(_audit)

_orig_hook = _sys.excepthook


def _excepthook(kind, value, tb):
    try:
        import json
        import traceback
        if _RUN and not _os.path.exists(_os.path.join(_RUN, "exception.json")):
            with open(_os.path.join(_RUN, "exception.json"), "w", encoding="utf-8") as fh:
                json.dump({"class": kind.__name__, "module": getattr(kind, "__module__", ""),
                           "message": str(value)[:500],
                           "traceback": "".join(traceback.format_exception(kind, value, tb))[-3000:],
                           "errno": getattr(value, "errno", None)}, fh)
    except Exception:
        pass
    _orig_hook(kind, value, tb)


_sys.excepthook = _excepthook

_CALLBACKS = {}


def _after_import(name):
    def register(fn):
        _CALLBACKS.setdefault(name, []).append(fn)
        return fn
    return register


import importlib.abc as _abc
import importlib.util as _util


class _PostImport(_abc.MetaPathFinder):
    _busy = set()

    def find_spec(self, name, path=None, target=None):
        if name not in _CALLBACKS or name in self._busy:
            return None
        self._busy.add(name)
        try:
            spec = _util.find_spec(name)
        except Exception:
            spec = None
        finally:
            self._busy.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        original = spec.loader.exec_module

        def exec_module(module, _original=original, _name=name):
            _original(module)
            for fn in _CALLBACKS.get(_name, []):
                try:
                    fn(module)
                except Exception as exc:
                    _log("harness.log", "hook for %s failed: %r" % (_name, exc))

        spec.loader.exec_module = exec_module
        return spec


_sys.meta_path.insert(0, _PostImport())


def _is_ours(uri):
    return bool(_STORE) and str(uri).rstrip("/") == _STORE.rstrip("/")


@_after_import("mlflow")
def _redirect_mlflow(mlflow):
    if not _STORE:
        return
    env_uri = _os.environ.get("MLFLOW_TRACKING_URI", "")
    if env_uri and not _is_ours(env_uri):
        _log("redirects.log", "env MLFLOW_TRACKING_URI=%s" % env_uri)
        _os.environ["MLFLOW_TRACKING_URI"] = _STORE

    def make_set(orig, what):
        def set_uri(uri=None, *a, **k):
            if uri is not None and not _is_ours(uri):
                _log("redirects.log", "%s(%s)" % (what, uri))
            return orig(_STORE, *a, **k) if what == "set_tracking_uri" else None
        return set_uri

    def make_get(orig):
        def get_uri(*a, **k):
            if _os.environ.get("MLFLOW_TRACKING_URI", _STORE) != _STORE:
                _log("redirects.log", "env MLFLOW_TRACKING_URI=%s" % _os.environ["MLFLOW_TRACKING_URI"])
                _os.environ["MLFLOW_TRACKING_URI"] = _STORE
            uri = orig(*a, **k)
            if not _is_ours(uri):
                _log("redirects.log", "get_tracking_uri -> %s" % uri)
                return _STORE
            return uri
        return get_uri

    # one wrapper per original function (the same function is re-exported by several modules)
    wrappers = {}
    for mod_name in ("mlflow.tracking._tracking_service.utils", "mlflow.tracking", "mlflow"):
        mod = _sys.modules.get(mod_name)
        for attr in ("set_tracking_uri", "set_registry_uri", "get_tracking_uri"):
            orig = getattr(mod, attr, None) if mod else None
            if orig is not None and id(orig) not in wrappers:
                wrappers[id(orig)] = make_set(orig, attr) if attr.startswith("set_") else make_get(orig)
    # every module of mlflow that imported one of them by name gets the wrapper
    for mod_name, mod in list(_sys.modules.items()):
        if not (mod_name == "mlflow" or mod_name.startswith("mlflow.")) or mod is None:
            continue
        for attr in ("set_tracking_uri", "set_registry_uri", "get_tracking_uri"):
            try:
                current = mod.__dict__.get(attr)
            except Exception:
                continue
            if current is not None and id(current) in wrappers:
                try:
                    setattr(mod, attr, wrappers[id(current)])
                except Exception:
                    pass
    client = getattr(getattr(mlflow, "tracking", None), "MlflowClient", None)
    if client is not None:
        init = client.__init__

        def __init__(self, tracking_uri=None, registry_uri=None, *a, **k):
            for what, uri in (("MlflowClient(tracking_uri)", tracking_uri), ("MlflowClient(registry_uri)", registry_uri)):
                if uri is not None and not _is_ours(uri):
                    _log("redirects.log", "%s=%s" % (what, uri))
            init(self, None, None, *a, **k)

        client.__init__ = __init__


@_after_import("dagshub")
def _no_dagshub(dagshub):
    def init(*a, **k):
        _log("redirects.log", "dagshub.init(%s)" % ", ".join([repr(x) for x in a] + ["%s=%r" % kv for kv in k.items()]))
    dagshub.init = init


if _os.environ.get("MINING_FORCE_SEEDS") == "1":
    import random as _random
    _random.seed(0)

    @_after_import("numpy")
    def _seed_numpy(np):
        np.random.seed(0)

    @_after_import("torch")
    def _seed_torch(torch):
        torch.manual_seed(0)
        try:
            torch.use_deterministic_algorithms(True, warn_only=True)
        except TypeError:
            torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False

    @_after_import("tensorflow")
    def _seed_tf(tf):
        tf.random.set_seed(0)
        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:
            pass
'''

NOTEBOOK_RUNNER = r'''
"""Execute a notebook top to bottom on a real Jupyter kernel (injected by the rerun harness)."""
import json, os, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path, out = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=False,
                        resources={"metadata": {"path": os.getcwd()}})
try:
    client.execute()
    code = 0
except CellExecutionError as exc:
    run = os.environ.get("MINING_RUN_DIR", "")
    if run and not os.path.exists(os.path.join(run, "exception.json")):
        with open(os.path.join(run, "exception.json"), "w") as fh:
            json.dump({"class": exc.ename, "module": "", "message": str(exc.evalue)[:500],
                       "traceback": str(exc)[-3000:], "errno": None}, fh)
    print("%s: %s" % (exc.ename, exc.evalue), file=sys.stderr)
    code = 1
finally:
    nbformat.write(nb, out)
sys.exit(code)
'''


def install(capture_dir: Path) -> None:
    """Write the injected modules into ``capture_dir``."""
    capture_dir.mkdir(parents=True, exist_ok=True)
    (capture_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (capture_dir / "_mining_notebook.py").write_text(NOTEBOOK_RUNNER)


def store_runs(store: Path) -> tuple[list[dict[str, Any]], str]:
    """Every MLflow run of the file store ``store`` (all experiments, nested runs included),
    ordered by start time, name and id: ``({"run_id", "start_time", "params": {key: value},
    "metrics": {key: [(step, value, is_last)]}}, ...)`` and an error ('' when none). Each (key,
    step) keeps the last logged value (by timestamp)."""
    if not store.is_dir() or not any(store.iterdir()):
        return [], ""
    import logging
    import os
    import warnings

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)  # a malformed committed experiment is data, not a warning
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # newer MLflow refuses file stores otherwise
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    out: list[dict[str, Any]] = []
    note = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client = MlflowClient(tracking_uri=store.resolve().as_uri())
            runs = []
            for exp in client.search_experiments(view_type=ViewType.ALL):
                token = None
                while True:
                    page = client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL, max_results=1000,
                                              page_token=token)
                    runs.extend(page)
                    token = page.token
                    if not token:
                        break
            runs.sort(key=lambda r: (r.info.start_time or 0, r.info.run_name or "", r.info.run_id))
            for run in runs:
                metrics = {}
                for key in sorted(run.data.metrics):
                    try:
                        history = client.get_metric_history(run.info.run_id, key)
                    except Exception as exc:  # the run's own folder is malformed: its latest value
                        note = note or f"{type(exc).__name__}: {str(exc)[:300]} (latest values kept)"
                        metrics[key] = [(0, float(run.data.metrics[key]), True)]
                        continue
                    by_step: dict[int, tuple[int, float]] = {}
                    for m in history:
                        if m.step not in by_step or m.timestamp >= by_step[m.step][0]:
                            by_step[m.step] = (m.timestamp, float(m.value))
                    steps = sorted(by_step)
                    metrics[key] = [(st, by_step[st][1], st == steps[-1]) for st in steps]
                out.append({"run_id": run.info.run_id, "start_time": run.info.start_time or 0,
                            "params": dict(sorted(run.data.params.items())), "metrics": metrics})
    except Exception as exc:  # a store the project broke is data, not a crash
        return out, f"{type(exc).__name__}: {str(exc)[:300]}"
    return out, note


def read_store(store: Path) -> dict[str, Any]:
    """Params and metrics of every MLflow run in the file store ``store`` (see module docstring).

    Returns ``{"runs": n, "params": {key: value}, "metrics": {key: [(step, value, is_last)]},
    "error": ""}``."""
    runs, error = store_runs(store)
    out: dict[str, Any] = {"runs": len(runs), "params": {}, "metrics": {}, "error": error}
    for i, run in enumerate(runs, 1):
        prefix = "" if len(runs) == 1 else f"run{i}/"
        for k, v in run["params"].items():
            out["params"][prefix + k] = v
        for k, values in run["metrics"].items():
            out["metrics"][prefix + k] = values
    return out


def read_committed(root: Path) -> dict[str, Any]:
    """The runs of a committed ``mlruns/`` folder (the shallowest), read from a copy without
    artifacts. ``originals``: bare key -> last value of the latest run (by start time) that
    logged it; ``runs``: each committed run's id, params and final metric values (the value at
    its largest step), for the comparison with reruns of the same parameters."""
    dirs = sorted((p for p in Path(root).rglob("mlruns") if p.is_dir() and ".git" not in p.parts),
                  key=lambda p: (len(p.parts), p.as_posix()))
    if not dirs:
        return {"path": "", "originals": {}, "runs": [], "error": ""}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "mlruns"
        # artifacts are left out (models can be large), but their folders stay: MLflow's file
        # store does not find a run without one
        shutil.copytree(dirs[0], copy, symlinks=True,
                        ignore=lambda folder, names: names if Path(folder).name == "artifacts" else [])
        # git does not keep empty folders: a committed run without artifacts lost its folder
        for meta in copy.glob("*/*/meta.yaml"):
            (meta.parent / "artifacts").mkdir(exist_ok=True)
        runs, error = store_runs(copy)
    originals: dict[str, float] = {}
    for run in runs:  # ordered by start time: later runs overwrite
        for key, values in run["metrics"].items():
            originals[key] = next(v for _s, v, last in values if last)
    final = [{"run_id": r["run_id"], "params": r["params"],
              "metrics": {k: next(v for _s, v, last in vals if last) for k, vals in r["metrics"].items()}}
             for r in runs if r["metrics"]]
    return {"path": dirs[0].relative_to(root).as_posix(), "originals": originals, "runs": final, "error": error}
