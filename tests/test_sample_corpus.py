"""Pinned findings on the bundled sample corpus (the projects under study/sample-corpus)."""

from __future__ import annotations

import pytest

from miners.csvio import read_csv
from miners.scan.tables import scan
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    scan(sorted(SAMPLE.iterdir()), out, jobs=2, progress=False)
    return {n: read_csv(out / f"{n}.csv") for n in ("call_sites", "files", "repo_features")}


def _features(tables, repo):
    return next(r for r in tables["repo_features"] if r["repo"] == repo)


def test_every_repository_has_a_row(tables):
    assert sorted(r["repo"] for r in tables["repo_features"]) == sorted(p.name for p in SAMPLE.iterdir())


@pytest.mark.parametrize(("repo", "column", "value"), [
    ("acme__churn-sklearn", "seed_coverage", "complete"),
    ("acme__churn-sklearn", "seed_logged_as_param", "true"),
    ("acme__churn-sklearn", "logs_models", "true"),
    ("acme__churn-sklearn", "tracking_sites", "6"),
    ("lab__mnist-torch", "frameworks_seeded", "numpy;python-hash;sklearn;torch"),
    ("lab__mnist-torch", "uses_client", "true"),
    ("lab__mnist-torch", "seed_sites", "5"),
    ("solo__unseeded-baseline", "sets_seed", "false"),
    ("solo__unseeded-baseline", "seed_coverage", "none"),
    ("solo__unseeded-baseline", "frameworks_used", "numpy;random;sklearn"),
    ("solo__unseeded-baseline", "uses_autolog", "true"),
    ("ops__registry-workflow", "uses_stages", "true"),
    ("ops__registry-workflow", "uses_aliases", "true"),
    ("ops__registry-workflow", "registers_models", "true"),
    ("ops__registry-workflow", "registered_model_names", "fraud-detector-v1.2.0"),
    ("ops__registry-workflow", "registry_sites", "7"),
    ("team__keras-autolog", "autolog_flavors", "keras"),
    ("team__keras-autolog", "frameworks_used", "tensorflow"),  # keras counts as tensorflow's generator
    ("team__keras-autolog", "frameworks_seeded", "numpy;random;tensorflow"),  # set_random_seed covers all three
    ("team__keras-autolog", "seed_coverage", "complete"),
    ("edu__intro-notebooks", "mlflow_files_ipynb", "2"),
    ("edu__intro-notebooks", "notebook_share", "1.0"),
    ("edu__intro-notebooks", "files_parse_error", "1"),
    ("legacy__broken-files", "files_unreadable", "2"),
    ("legacy__broken-files", "files_parse_error", "1"),
])
def test_repository_features(tables, repo, column, value):
    assert _features(tables, repo)[column] == value


def test_look_alikes_are_not_counted(tables):
    assert not [s for s in tables["call_sites"] if s["path"] == "src/utils.py"]


def test_markdown_and_bash_cells_are_never_code(tables):
    nb = [s for s in tables["call_sites"] if s["path"] == "01-tracking.ipynb"]
    assert {s["cell"] for s in nb} == {"2", "3"}
    assert ("3", "5", "mlflow.log_param") in {(s["cell"], s["line"], s["api"]) for s in nb}  # %time line magic
