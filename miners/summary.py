"""``python -m miners summary OUT_DIR``: print what a scan found, in absolute counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from miners.csvio import read_csv

_FLAGS = [
    ("uses_mlflow", "use MLflow (tracking or registry call)"),
    ("logs_params", "log params"),
    ("logs_metrics", "log metrics"),
    ("logs_artifacts", "log artifacts"),
    ("logs_models", "log models"),
    ("logs_tags", "set tags"),
    ("logs_datasets", "log datasets"),
    ("uses_autolog", "use autolog"),
    ("uses_client", "use MlflowClient"),
    ("uses_registry", "use the model registry"),
    ("registers_models", "register models"),
    ("uses_stages", "use registry stages"),
    ("uses_aliases", "use registry aliases"),
    ("sets_seed", "set a seed"),
    ("seed_logged_as_param", "log the seed as a param"),
]


def summarize(out_dir: Path) -> str:
    out_dir = Path(out_dir)
    for name in ("repo_features.csv", "files.csv", "call_sites.csv"):
        if not (out_dir / name).exists():
            raise FileNotFoundError(f"{out_dir / name} not found: run `python -m miners scan ... --out {out_dir}` first")
    repos = read_csv(out_dir / "repo_features.csv")
    files = read_csv(out_dir / "files.csv")
    sites = read_csv(out_dir / "call_sites.csv")
    n = len(repos)
    lines = [f"{n} repositories, {len(files)} candidate files, {len(sites)} call sites", ""]
    if (out_dir / "funnel.csv").exists():
        lines.append("funnel (repositories):")
        for row in read_csv(out_dir / "funnel.csv"):
            reasons = f"  ({row['drop_reasons']})" if row["drop_reasons"] else ""
            lines.append(f"  {row['step']}. {row['stage']:20s} {row['repositories']:>6s}   dropped {row['dropped']:>5s}{reasons}")
    status = Counter((f["kind"], f["status"]) for f in files)
    lines.append("files by kind and status:")
    for (kind, st), c in sorted(status.items()):
        lines.append(f"  {kind:6s} {st:12s} {c:7d}")
    lines.append("call sites by category:")
    for cat, c in sorted(Counter(s["category"] for s in sites).items()):
        lines.append(f"  {cat:19s} {c:7d}")
    lines.append("repositories that ...:")
    for col, label in _FLAGS:
        c = sum(1 for r in repos if r[col] == "true")
        lines.append(f"  {label:40s} {c:5d} of {n}")
    lines.append("seed coverage of the random frameworks used:")
    for k, c in sorted(Counter(r["seed_coverage"] for r in repos).items()):
        lines.append(f"  {k:40s} {c:5d}")
    lines.append("most frequent APIs:")
    for api, c in Counter(s["api"] for s in sites).most_common(10):
        lines.append(f"  {api:60s} {c:6d}")
    return "\n".join(lines) + "\n"
