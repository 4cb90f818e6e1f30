"""Repository-level features aggregated from a repository's files and call sites.

Each column of ``repo_features.csv`` is defined here (and rendered into the codebook):

* ``files_*``: candidate files by kind and by status (see ``files.csv``);
* ``tracking_sites``, ``seed_sites``, ``registry_sites``, ``model_ref_sites``: rows of
  ``call_sites.csv`` of each category;
* ``uses_mlflow``: at least one tracking or registry row;
* ``logs_params`` / ``logs_metrics`` / ``logs_artifacts`` / ``logs_models`` / ``logs_tags`` /
  ``logs_datasets``: an explicit tracking call of that kind (``log_batch`` counts as params
  and metrics); ``uses_autolog``: any ``autolog`` call (``autolog_flavors`` lists flavors,
  ``generic`` for ``mlflow.autolog``); ``uses_client``: constructs an ``MlflowClient``;
* ``uses_registry``: any registry row; ``registers_models``: ``register_model``,
  ``create_model_version`` or ``log_model(registered_model_name=...)``; ``uses_stages``: a
  stage transition, a stage look-up or a ``models:/name/<stage>`` URI; ``uses_aliases``: an
  alias method or a ``models:/name@alias`` URI; ``registered_model_names``: literal names;
* ``frameworks_used``: frameworks the files use for randomness (see ``seed``);
  ``frameworks_seeded``: frameworks a seed row fixes (its ``framework`` and ``covers``);
  ``seed_coverage``: ``complete`` when every used framework among random, numpy, torch,
  tensorflow, jax and sklearn is seeded, ``partial`` when some are, ``none`` when none is,
  ``no_random_framework`` when none is used;
* ``sets_seed``: at least one seed row; ``seed_logged_as_param``: a logged param key (from
  ``log_param`` or a ``log_params`` dict literal) contains ``seed`` or ``random_state``;
* ``mlflow_files_py`` / ``mlflow_files_ipynb``: files with at least one tracking or registry
  row; ``notebook_share``: the share of those files that are notebooks (empty when none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from miners.scan.detail import parse_detail
from miners.scan.records import ScannedFile
from miners.schema import names
from miners.schema.ids import full_name
from miners.schema.vocab import CATEGORIES, FRAMEWORKS

FEATURE_COLUMNS = names("repo_features")
_SEED_KEY = re.compile(r"seed|random_state", re.IGNORECASE)


def uses_stage(detail: Mapping[str, str]) -> bool:
    """A registry row's ``detail`` (parsed) shows a registry stage: a stage transition, a stage
    look-up or a ``models:/<name>/<stage>`` URI (``uses_stages``)."""
    return bool(detail.get("stage")) or detail.get("uri_kind") == "stage" or detail.get("kind") == "stage_transition"


def uses_alias(detail: Mapping[str, str]) -> bool:
    """A registry row's ``detail`` (parsed) shows an alias: an alias method or a
    ``models:/<name>@<alias>`` URI (``uses_aliases``)."""
    return detail.get("kind") == "alias" or detail.get("uri_kind") == "alias"


def repo_features(repo: str, files: Sequence[ScannedFile]) -> dict[str, Any]:
    """One row of ``repo_features.csv`` (column -> value) from a repository's scanned files."""
    status_count = {s: 0 for s in ("parsed", "parse_error", "unreadable", "skipped")}
    used: set[str] = set()
    for f in files:
        status_count[f.status] = status_count.get(f.status, 0) + 1
        used.update(f.frameworks)
    kinds: dict[str, set[str]] = {}
    flavors: set[str] = set()
    names: set[str] = set()
    seeded: set[str] = set()
    mlflow_files: dict[str, str] = {}
    counts = dict.fromkeys(CATEGORIES, 0)
    seed_logged = False
    stages = aliases = registers = client = False
    for path, s in ((f.path, s) for f in files for s in f.sites):
        cat = s.category
        counts[cat] += 1
        d = parse_detail(s.detail)
        if cat in ("tracking", "registry"):
            mlflow_files[path] = "ipynb" if path.endswith(".ipynb") else "py"
        if cat == "tracking":
            kind = d.get("kind", "other")
            kinds.setdefault(kind, set()).add(s.api)
            if kind == "autolog":
                flavors.add(d.get("flavor", "generic"))
            if kind == "client":
                client = True
            if kind == "param" and any(_SEED_KEY.search(k) for k in (d.get("key", ""), d.get("keys", "")) if k):
                seed_logged = True
        elif cat == "registry":
            kind = d.get("kind", "")
            if kind == "register":
                registers = True
            stages = stages or uses_stage(d)
            aliases = aliases or uses_alias(d)
            if d.get("name"):
                names.add(d["name"])
        elif cat == "seed":
            fw = d.get("framework", "")
            if fw:
                seeded.add(fw)
            seeded.update(x for x in d.get("covers", "").split(",") if x)
    relevant = used & set(FRAMEWORKS)
    if not relevant:
        coverage = "no_random_framework"
    elif relevant <= seeded:
        coverage = "complete"
    elif relevant & seeded:
        coverage = "partial"
    else:
        coverage = "none"
    n_nb = sum(1 for k in mlflow_files.values() if k == "ipynb")
    n_py = len(mlflow_files) - n_nb
    return {
        "repo": repo,
        "full_name": full_name(repo),
        "files_py": sum(1 for f in files if f.kind == "py"),
        "files_ipynb": sum(1 for f in files if f.kind == "ipynb"),
        "files_parsed": status_count["parsed"],
        "files_parse_error": status_count["parse_error"],
        "files_unreadable": status_count["unreadable"],
        "files_skipped": status_count["skipped"],
        "lines_parsed": sum(f.lines or 0 for f in files if f.status == "parsed"),
        "tracking_sites": counts["tracking"],
        "seed_sites": counts["seed"],
        "registry_sites": counts["registry"],
        "model_ref_sites": counts["model_ref"],
        "uses_mlflow": counts["tracking"] + counts["registry"] > 0,
        "logs_params": "param" in kinds or "batch" in kinds,
        "logs_metrics": "metric" in kinds or "batch" in kinds,
        "logs_artifacts": "artifact" in kinds,
        "logs_models": "model" in kinds,
        "logs_tags": "tag" in kinds,
        "logs_datasets": "dataset" in kinds,
        "uses_autolog": "autolog" in kinds,
        "autolog_flavors": ";".join(sorted(flavors)),
        "uses_client": client,
        "uses_registry": counts["registry"] > 0,
        "registers_models": registers,
        "uses_stages": stages,
        "uses_aliases": aliases,
        "registered_model_names": ";".join(sorted(names)),
        "sets_seed": counts["seed"] > 0,
        "frameworks_used": ";".join(sorted(used)),
        "frameworks_seeded": ";".join(sorted(seeded)),
        "seed_coverage": coverage,
        "seed_logged_as_param": seed_logged,
        "mlflow_files_py": n_py,
        "mlflow_files_ipynb": n_nb,
        "notebook_share": round(n_nb / len(mlflow_files), 4) if mlflow_files else None,
    }
