"""Every DETECTS / IGNORES example of every detector family is one test (Fixit style)."""

from __future__ import annotations

import pytest

from miners.scan.analyze import analyze
from miners.scan.detectors import FAMILIES, TRIGGERS, modelref
from tests.conftest import notebook_json


def _cases(kind: str):
    for family in FAMILIES:
        examples = family.DETECTS if kind == "detects" else family.IGNORES
        for i, ex in enumerate(examples):
            yield pytest.param(family, ex, id=f"{family.CATEGORY}-{i}")


def _sites(code: str, notebook: bool):
    if notebook:
        result = analyze("ipynb", notebook_json(("code", code)).encode())
    else:
        result = analyze("py", code.encode())
    assert result.status == "parsed", result.reason
    return result.sites


@pytest.mark.parametrize(("family", "example"), list(_cases("detects")))
def test_detects(family, example):
    sites = _sites(example.code, example.notebook)
    rows = [s for s in sites if s.category == family.CATEGORY]
    matching = [s for s in rows if s.api == example.api and s.detail.startswith(example.detail or "")]
    assert matching, f"expected {family.CATEGORY} row api={example.api} detail^={example.detail}; got {rows}"


@pytest.mark.parametrize(("family", "code"), list(_cases("ignores")))
def test_ignores(family, code):
    rows = [s for s in _sites(code, False) if s.category == family.CATEGORY]
    assert rows == [], f"expected no {family.CATEGORY} row, got {rows}"


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.CATEGORY)
def test_family_is_declarative_and_documented(family):
    assert family.__doc__ and "Operational definition" in family.__doc__
    assert len(family.DETECTS) >= 5 and len(family.IGNORES) >= 5


def test_every_example_contains_a_prefilter_trigger():
    """The textual prefilter must never hide a detection: every positive example trips it."""
    for family in FAMILIES:
        for ex in family.DETECTS:
            assert any(t in ex.code.lower() for t in TRIGGERS), ex.code


def test_call_in_two_categories_gives_two_rows():
    sites = _sites("import mlflow\nmlflow.sklearn.log_model(m, 'model', registered_model_name='churn')", False)
    assert sorted((s.category, s.api) for s in sites) == [
        ("model_ref", "mlflow.sklearn.log_model"), ("registry", "mlflow.sklearn.log_model"),
        ("tracking", "mlflow.sklearn.log_model")]


def test_uri_call_is_registry_and_model_ref_not_tracking_and_uri_not_double_counted():
    sites = _sites("import mlflow\nm = mlflow.pyfunc.load_model('models:/churn/Production')", False)
    assert [(s.category, s.api, s.detail) for s in sites] == [
        ("model_ref", "mlflow.pyfunc.load_model", "model=churn;source=models_uri;version=none"),
        ("registry", "mlflow.pyfunc.load_model", "kind=uri;uri_kind=stage;stage=Production")]


def test_uri_inside_non_mlflow_call_is_a_string_row():
    sites = _sites("requests.get('models:/churn/2')", False)
    assert [(s.category, s.api, s.detail) for s in sites] == [
        ("model_ref", "models:/", "model=churn;source=models_uri;version=none"),
        ("registry", "models:/", "kind=uri;uri_kind=version")]


def test_positions_are_line_and_column_of_the_call():
    code = "import mlflow\n\n\nclass T:\n    def f(self):\n        x = (1,\n             mlflow.log_metric('a', 1))\n"
    sites = _sites(code, False)
    assert [(s.line, s.col) for s in sites] == [(7, 13)]


def test_notebook_cell_index_counts_markdown_and_lines_are_per_cell():
    nb = notebook_json(("markdown", "mlflow.log_param('md', 1)"), ("code", "import mlflow"),
                       ("markdown", "text"), ("code", "x = 1\n\nmlflow.log_param('lr', 1)"))
    sites = analyze("ipynb", nb.encode()).sites
    assert [(s.cell, s.line, s.col, s.api) for s in sites] == [(3, 3, 0, "mlflow.log_param")]


TRICKY = [
    "import mlflow\n@mlflow.trace\ndef f(x=mlflow.active_run()) -> mlflow.get_run(1):\n    return mlflow.log_metric('a', 1) if x else mlflow.log_metric('b', 2)\n",
    "import mlflow\ntry:\n    pass\nexcept mlflow.exceptions.MlflowException(mlflow.log_param('e', 1)) as e:\n    mlflow.log_param('h', 1)\n",
    "import mlflow\nd = {mlflow.log_param('k', 1): [mlflow.log_metric(m, 1) for m in mlflow.search_runs()]}\n",
    "import mlflow\nx = 'é' + str(mlflow.log_metric('ü', 1)); mlflow.set_tag('t', 1)\n",
    "import numpy as np\nf(np.random.seed(1))(np.random.seed(2))\nclass A(np.random.RandomState(3)):\n    pass\n",
]


@pytest.mark.parametrize("code", TRICKY)
def test_fast_positions_match_position_provider(code, monkeypatch):
    from miners.scan import analyze as analyze_module

    fast = analyze("py", code.encode()).sites
    monkeypatch.setattr(analyze_module, "_ast_call_positions", lambda *a: None)
    slow = analyze("py", code.encode()).sites
    assert fast == slow and fast


def test_fast_positions_match_position_provider_on_the_sample_corpus(monkeypatch):
    from miners.scan import analyze as analyze_module
    from tests.conftest import SAMPLE

    files = [p for p in SAMPLE.rglob("*") if p.suffix in (".py", ".ipynb")]
    fast = {p: analyze(p.suffix[1:], p.read_bytes()).sites for p in files}
    monkeypatch.setattr(analyze_module, "_ast_call_positions", lambda *a: None)
    slow = {p: analyze(p.suffix[1:], p.read_bytes()).sites for p in files}
    assert fast == slow
    assert sum(len(v) for v in fast.values()) > 40


@pytest.mark.parametrize(("name", "pattern"), [
    ("bert-base-uncased", "none"), ("gpt2", "none"), ("Qwen/Qwen2.5-0.5B", "none"), ("org/v2-model", "vX"),
    ("sentence-transformers/all-MiniLM-L6-v2", "vX"), ("BAAI/bge-large-en-v1.5", "vX.Y"),
    ("meta-llama/Llama-3.1-8B", "vX.Y"), ("runwayml/stable-diffusion-v1-5", "vX-Y"), ("google/t5-v1_1-base", "vX-Y"),
    ("churn-1.2.0", "vX.Y.Z"), ("m-v10.0.1-rc", "vX.Y.Z"), ("org/model-2024-01-15", "date"), ("m_202312", "date"),
    ("v2.3/model", "none"), ("model-1.3b", "none"), ("V3", "vX"), ("llama-2-7b", "none"),
])
def test_version_patterns_of_model_names(name: str, pattern: str) -> None:
    """The documented rule of miners.scan.detectors.modelref, one case per branch and boundary."""
    assert modelref.version_pattern(name) == pattern

