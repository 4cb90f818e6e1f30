"""Environments the author's tools recorded: the exact versions a lock file resolved (``uv.lock``,
``poetry.lock``, ``Pipfile.lock``), and the environment MLflow saved next to a committed model.
"""

from __future__ import annotations

from pathlib import Path

from miners.practices.envspec.read import normalise_name, toml_mapping, yaml_mapping


def read_uv_lock(path: Path) -> list[str]:
    """``name==version`` of the packages a ``uv.lock`` resolved that the project's own packages
    need at run time (``dependencies`` followed from the editable/virtual project packages; their
    ``dev-dependencies`` and optional groups are not followed); every package when no project
    package is marked."""
    packages = [p for p in toml_mapping(path).get("package") or [] if isinstance(p, dict) and p.get("name")]
    by_name = {normalise_name(p["name"]): p for p in packages}
    local = [n for n, p in by_name.items()
             if set(p.get("source") or {}) & {"editable", "virtual", "directory"}]
    keep = set(by_name) - set(local)
    if local:
        keep, todo = set(), list(local)
        while todo:
            for dep in by_name.get(todo.pop(), {}).get("dependencies") or []:
                name = normalise_name(str(dep.get("name", ""))) if isinstance(dep, dict) else ""
                if name in by_name and name not in keep and name not in local:
                    keep.add(name)
                    todo.append(name)
    return sorted(f"{n}=={by_name[n]['version']}" for n in keep if by_name[n].get("version"))


def read_poetry_lock(path: Path) -> list[str]:
    """``name==version`` of a ``poetry.lock``'s packages, except ``category = "dev"`` ones."""
    packages = toml_mapping(path).get("package") or []
    return sorted(f"{normalise_name(p['name'])}=={p['version']}" for p in packages
                  if isinstance(p, dict) and p.get("name") and p.get("version") and p.get("category") != "dev")


def read_pipfile_lock(path: Path) -> list[str]:
    """``name==version`` (with its markers) of a ``Pipfile.lock``'s ``default`` section; the
    ``develop`` section is left out."""
    import json

    try:
        data = json.loads(path.read_text(errors="replace"))
    except (OSError, ValueError):
        return []
    out = []
    for name, info in ((data.get("default") or {}) if isinstance(data, dict) else {}).items():
        if isinstance(info, dict) and str(info.get("version", "")).startswith("=="):
            marker = f"; {info['markers']}" if info.get("markers") else ""
            out.append(f"{normalise_name(name)}{info['version']}{marker}")
    return sorted(out)


LOCK_READERS = (("uv.lock", read_uv_lock), ("poetry.lock", read_poetry_lock), ("Pipfile.lock", read_pipfile_lock))


def _run_start(mlmodel: Path) -> float:
    """The start time (ms) of the run that logged a model (its run folder's ``meta.yaml``), else
    the model's ``utc_time_created``, else 0."""
    for folder in mlmodel.parents:
        value = yaml_mapping(folder / "meta.yaml").get("start_time")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    created = str(yaml_mapping(mlmodel).get("utc_time_created") or "")
    try:
        from datetime import UTC, datetime

        return datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp() * 1000
    except ValueError:
        return 0.0


def mlruns_model_env(root: Path) -> tuple[str, Path | None]:
    """The environment MLflow wrote next to the newest committed model (an ``MLmodel`` under a
    ``mlruns/`` or ``mlartifacts/`` folder, not in ``.trash``; newest by its run's start time,
    then path): ``('requirements', requirements.txt)``, else ``('python_env', python_env.yaml)``,
    else ``('conda_env', conda.yaml)``; ``('', None)`` when there is none."""
    models = [m for m in root.rglob("MLmodel") if m.is_file()
              and {"mlruns", "mlartifacts"} & set(m.relative_to(root).parts) and ".trash" not in m.parts]
    for model in sorted(models, key=lambda m: (_run_start(m), m.as_posix()), reverse=True):
        for kind, name in (("requirements", "requirements.txt"), ("python_env", "python_env.yaml"),
                           ("conda_env", "conda.yaml")):
            if (model.parent / name).is_file():
                return kind, model.parent / name
    return "", None
