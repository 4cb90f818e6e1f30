"""python -m analysis stats: the statistics of RQ1-RQ4 and the paper's macros, end to end."""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import stats
from analysis.inference import wilson
from analysis.repo_table import REQUIRED
from miners.schema import TABLES

ROOT = Path(__file__).resolve().parents[1]
DEMO_RESULTS = ROOT / "data" / "demo" / "results"


# --------------------------------------------------------------------------- end to end


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """A CSV of ``rows``; a published table gets every column of the schema, in its order (the
    values not given empty), then any other of ``columns`` (the frame's ``frame_*``)."""
    if path.stem in TABLES:
        declared = TABLES[path.stem].names
        columns = [*declared, *(c for c in columns if c not in declared)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


FEATURE_DEFAULTS = {c: "false" for c in REQUIRED["repo_features"]}
FEATURE_DEFAULTS.update({"autolog_flavors": "", "registered_model_names": "",
                         "frameworks_used": "", "frameworks_seeded": "",
                         "seed_coverage": "no_random_framework", "mlflow_files_py": "1",
                         "mlflow_files_ipynb": "0", "notebook_share": "0.0",
                         "tracking_sites": "1", "seed_sites": "0", "registry_sites": "0"})
PRACTICE_DEFAULTS = {c: "false" for c in REQUIRED["repo_practices"]}
PRACTICE_DEFAULTS.update({"dvc_files": "0", "lfs_patterns": "", "data_files": "0",
                          "model_files": "0", "mlruns_dirs": "0", "mlruns_runs": "0",
                          "deps_declared": "0", "pinned_share": "", "mlflow_pin": "absent",
                          "mlflow_spec": "", "mlproject_env": "", "lock_files": "", "tags": "0", "semver_tags": "0",
                          "versioned_model_names": "0", "ci_systems": "", "monitoring": "",
                          "traceability": "3", "traceability_points": "code;metrics;randomness",
                          "maturity": "0"})


def make_results(folder: Path) -> Path:
    """Four selected repositories, three of them with MLflow calls."""
    folder.mkdir(parents=True)
    repos = [
        {"repo": "a__one", "full_name": "a/one", "uses_mlflow": "true", "logs_params": "true",
         "logs_metrics": "true", "sets_seed": "true", "frameworks_used": "numpy;sklearn",
         "frameworks_seeded": "numpy;sklearn", "seed_coverage": "complete",
         "seed_logged_as_param": "true", "uses_registry": "true", "registers_models": "true",
         "uses_stages": "true", "registered_model_names": "model_v2"},
        {"repo": "b__two", "full_name": "b/two", "uses_mlflow": "true", "logs_params": "true",
         "uses_autolog": "true", "autolog_flavors": "sklearn", "frameworks_used": "torch",
         "seed_coverage": "none", "mlflow_files_py": "0", "mlflow_files_ipynb": "2",
         "notebook_share": "1.0"},
        {"repo": "c__three", "full_name": "c/three", "uses_mlflow": "true",
         "uses_autolog": "true", "autolog_flavors": "generic;sklearn", "sets_seed": "true",
         "frameworks_used": "sklearn", "frameworks_seeded": "sklearn",
         "seed_coverage": "complete", "uses_registry": "true", "uses_aliases": "true"},
        {"repo": "d__four", "full_name": "d/four", "uses_mlflow": "false",
         "mlflow_files_py": "0", "tracking_sites": "0"},
    ]
    cols = list(REQUIRED["repo_features"])
    _write(folder / "repo_features.csv", cols, [{**FEATURE_DEFAULTS, **r} for r in repos])
    practices = [
        {"repo": "a__one", "dvc_dir": "true", "tags": "2", "semver_tags": "2",
         "versioned_model_names": "1", "traceability": "7", "maturity": "2",
         "ci_systems": "github_actions", "deps_declared": "4", "pinned_share": "1.0"},
        {"repo": "b__two", "traceability": "2"},
        {"repo": "c__three", "traceability": "5", "maturity": "1", "ci_systems": "jenkins"},
        {"repo": "d__four", "traceability": "0"},
    ]
    _write(folder / "repo_practices.csv", list(REQUIRED["repo_practices"]),
           [{**PRACTICE_DEFAULTS, **r} for r in practices])
    _write(folder / "funnel.csv", list(REQUIRED["funnel"]), [
        {"step": "1", "stage": "found", "repositories": "10", "dropped": "0"},
        {"step": "3", "stage": "sampled", "repositories": "5", "dropped": "5",
         "drop_reasons": "not drawn by the seeded sample: 5"},
        {"step": "4", "stage": "cloned", "repositories": "4", "dropped": "1",
         "drop_reasons": "not_found: 1"},
        {"step": "7", "stage": "with MLflow calls", "repositories": "3", "dropped": "1",
         "drop_reasons": "no tracking or registry call site: 1"},
    ])
    _write(folder / "corpus.csv", ["full_name", "sampled", "selected", "commit_date", "cluster",
                                   "cluster_size", "frame_kind_guess", "frame_cluster"], [
        {"full_name": "a/one", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2024-05-01T10:00:00+02:00", "frame_kind_guess": "project"},
        {"full_name": "b/two", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2021-01-01T00:00:00+00:00", "frame_kind_guess": "course",
         "frame_cluster": "Some course"},
        {"full_name": "c/three", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2023-01-01T00:00:00+00:00", "frame_kind_guess": "tutorial"},
        {"full_name": "d/four", "sampled": "true", "selected": "true", "cluster_size": "1",
         "commit_date": "2025-01-01T00:00:00+00:00"},
    ])
    _write(folder / "call_sites.csv", ["repo", "path", "category", "api", "detail"], [
        {"repo": "a__one", "path": "train.py", "category": "seed", "api": "numpy.random.seed",
         "detail": "framework=numpy;covers=numpy,sklearn;value=42"},
        {"repo": "a__one", "path": "train.py", "category": "seed",
         "api": "sklearn.model_selection.train_test_split",
         "detail": "framework=sklearn;keyword=random_state;value=7"},
        {"repo": "c__three", "path": "svc.py", "category": "seed", "api": "sklearn.svm.SVC",
         "detail": "framework=sklearn;keyword=random_state;value=42"},
        {"repo": "a__one", "path": "train.py", "category": "tracking", "api": "mlflow.log_param",
         "detail": ""},
    ])
    _write(folder / "files.csv", ["repo", "path", "kind", "status"], [
        {"repo": "a__one", "path": "train.py", "kind": "py", "status": "parsed"},
        {"repo": "b__two", "path": "nb.ipynb", "kind": "ipynb", "status": "parsed"},
        {"repo": "b__two", "path": "old.py", "kind": "py", "status": "parse_error"},
        {"repo": "c__three", "path": "svc.py", "kind": "py", "status": "parsed"},
    ])
    (folder / "provenance.json").write_text('{"sample": {"seed": 2026}}', encoding="utf-8")
    return folder


def macros_of(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("% Generated by python -m analysis stats; do not edit.\n")
    found = re.findall(r"^\\newcommand\{\\([^}]*)\}\{(.*)\}$", text, flags=re.M)
    assert len(found) == text.count("\\newcommand")
    return dict(found)


def run(results: Path, out: Path) -> tuple[int, Path, Path]:
    tables, generated = out / "tables", out / "generated"
    code = stats.main(["--results", str(results), "--tables", str(tables),
                       "--generated", str(generated)])
    return code, tables, generated


def test_command_end_to_end(tmp_path):
    code, tables, generated = run(make_results(tmp_path / "results"), tmp_path / "out")
    assert code == 0
    m = macros_of(generated / "stats.tex")
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in m)
    # RQ1 over the three repositories with MLflow calls, not the four selected
    assert (m["RQOneParamsCount"], m["RQOneParamsTotal"], m["RQOneParamsPct"]) == (
        "2", "3", "66.7\\%")
    low, high = wilson(2, 3)
    assert m["RQOneParamsCI"] == f"[{100 * low:.1f}\\%, {100 * high:.1f}\\%]"
    assert m["RQOneAutologOnlyCount"] == "1"  # c: autolog, no explicit params or metrics
    assert m["RQOneNotebookOnlyCount"] == "1" and m["RQOneScriptOnlyCount"] == "2"
    assert m["RQOneAutologTopFlavor"] == "sklearn" and m["RQOneAutologTopFlavorCount"] == "2"
    # RQ2: coverage over users of a random framework, seed-as-param among seeders
    assert (m["RQTwoCoverageCompleteCount"], m["RQTwoCoverageCompleteTotal"]) == ("2", "3")
    assert (m["RQTwoSeedParamSeedersCount"], m["RQTwoSeedParamSeedersTotal"]) == ("1", "2")
    assert m["RQTwoExplicitSeedCount"] == "1" and m["RQTwoKeywordOnlyCount"] == "1"
    assert (m["RQTwoTorchSeededCount"], m["RQTwoTorchSeededTotal"]) == ("0", "1")
    assert m["RQTwoJaxSeededPct"] == "n/a"  # nobody uses jax: n = 0
    assert m["RQTwoTopSeedValue"] == "42"
    assert (m["RQTwoTopSeedSitesCount"], m["RQTwoTopSeedSitesTotal"]) == ("2", "3")
    assert (m["RQTwoTopSeedReposCount"], m["RQTwoTopSeedReposTotal"]) == ("2", "2")
    # RQ3: stages and aliases among registry users; dates in UTC against the deprecation
    assert (m["RQThreeStagesCount"], m["RQThreeStagesTotal"]) == ("1", "2")
    assert (m["RQThreeStagesAfterCount"], m["RQThreeStagesAfterTotal"]) == ("1", "1")
    assert (m["RQThreeVersionedNamesCount"], m["RQThreeVersionedNamesTotal"]) == ("1", "1")
    assert m["RQThreeTagsAllSemverCount"] == "1"
    # RQ4 and the funnel
    assert m["RQFourMaturityTwoCount"] == "1" and m["RQFourTraceMedian"] == "5"
    assert m["RQFourDepsAllPinnedCount"] == "1" and m["RQFourDepsAllPinnedTotal"] == "1"
    assert m["FunnelFound"] == "10" and m["FunnelMLflow"] == "3"
    assert m["FunnelDropCloneNotFound"] == "1" and m["FunnelDropNearDuplicate"] == "0"
    assert m["FunnelEligible"] == "n/a"  # a stage the funnel does not have
    assert m["SampleSeed"] == "2026" and m["FilesParseError"] == "1"
    assert m["CorpusInFamilyCount"] == "1" and m["CorpusCourseCount"] == "1"
    assert m["RQThreeKindProjectStagesPct"] == "100.0\\%"  # a/one, the only project
    assert m["RQThreeKindCourseStagesPct"] == "0.0\\%" and m["RQThreeKindResearchRepos"] == "0"
    assert m["PinnedThreshold"] == "80\\%"
    # tests: every one has all its macros
    for name in ("RQTwoTestSeedNotebook", "RQThreeTestStagesPeriod", "RQFourTestTraceMaturity"):
        for suffix in ("N", "Stat", "P", "Q", "Effect", "EffectCI", "Counts"):
            assert name + suffix in m
    # every documented table is written with exactly its documented columns
    for name, doc in stats.table_docs().items():
        assert doc["description"] and all(doc["fields"].values()), name
        with (tables / f"{name}.csv").open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == list(doc["fields"]), name
    written = sorted(p.stem for p in tables.glob("*.csv"))
    assert written == sorted(stats.table_docs())
    rq1 = pd.read_csv(tables / "rq1_tracking.csv").set_index("measure")
    assert rq1.loc["Params", "k"] == 2 and rq1.loc["Params", "n"] == 3
    assert (tables / "rq1_tracking.csv").read_text().count("0.6667,")  # 4 decimals
    for tex in generated.glob("*.tex"):
        text = tex.read_text(encoding="utf-8")
        assert text.startswith("% Generated by python -m analysis stats; do not edit.")
        if tex.name != "stats.tex":
            assert "\\toprule" in text and "\\bottomrule" in text


def test_the_tables_the_figures_draw(tmp_path):
    """Computed once here, so the figure notebooks only draw them; floats written exactly."""
    code, tables, _ = run(make_results(tmp_path / "results"), tmp_path / "out")
    assert code == 0

    def read(name: str) -> list[dict[str, str]]:
        with (tables / f"{name}.csv").open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    loc = {(r["location"], r["column"]): r for r in read("rq1_by_location")}
    assert {(r["location"], r["n"]) for r in loc.values()} == {
        ("all", "3"), ("scripts_only", "2"), ("in_notebooks", "1")}  # b/two calls it in a notebook
    params = loc[("all", "logs_params")]
    assert (params["k"], params["share"]) == ("2", repr(2 / 3))  # exact, not 0.6667
    assert (params["ci_low"], params["ci_high"]) == tuple(repr(x) for x in wilson(2, 3))
    assert loc[("in_notebooks", "uses_registry")]["k"] == "0"
    assert [(r["coverage"], r["repositories"], r["analysed"]) for r in read("rq2_coverage")] == [
        ("complete", "2", "3"), ("partial", "0", "3"), ("none", "1", "3"),
        ("no_random_framework", "0", "3")]
    # a/one's commit 2024-05-01T10:00+02:00 is in the first half of 2024 (UTC); d/four has no
    # MLflow call
    assert [tuple(r.values()) for r in read("rq3_by_half_year")] == [
        ("2021-01-01", "1", "0", "0", "0"), ("2023-01-01", "1", "0", "0", "1"),
        ("2024-01-01", "1", "1", "1", "0")]
    scores = read("rq4_scores_analysed")  # the analysed repositories only: not d/four (0 points)
    trace = [r for r in scores if r["score"] == "traceability"]
    assert [r["value"] for r in trace] == [str(v) for v in range(8)]
    assert {r["median"] for r in trace} == {"5"} and trace[7]["repositories"] == "1"
    assert trace[0]["repositories"] == "0"  # d/four's 0 is not counted
    assert {(r["n"], r["median"]) for r in scores if r["score"] == "maturity"} == {("3", "1")}
    points = {r["point"]: (r["repositories"], r["n"]) for r in read("rq4_points_analysed")}
    assert points["code"] == ("3", "3") and points["data"] == ("0", "3")



def test_every_macro_is_written_whatever_the_input(tmp_path):
    _, _, full = run(make_results(tmp_path / "results"), tmp_path / "full")
    empty = tmp_path / "empty"
    empty.mkdir()
    _write(empty / "repo_features.csv", list(REQUIRED["repo_features"]), [])
    code, tables, generated = run(empty, tmp_path / "none")
    assert code == 0
    m_empty = macros_of(generated / "stats.tex")
    assert set(m_empty) == set(macros_of(full / "stats.tex"))
    assert m_empty["RQOneParamsPct"] == "n/a" and m_empty["RQOneParamsTotal"] == "0"
    assert m_empty["RQTwoTestSeedNotebookP"] == "$p$ n/a"
    assert pd.read_csv(tables / "rq1_tracking.csv")["n"].eq(0).all()


def test_output_is_deterministic(tmp_path):
    results = make_results(tmp_path / "results")
    assert run(results, tmp_path / "one")[0] == 0
    assert run(results, tmp_path / "two")[0] == 0
    files1 = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    files2 = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*.*"))
    assert files1 == files2 and files1
    for rel in files1:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert stats.main(["--results", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    results = make_results(tmp_path / "results")
    argv = ["--results", str(results), "--generated", str(tmp_path / "g")]
    (results / "funnel.csv").write_text("step,stage\n")
    assert stats.main(argv) == 2
    assert "funnel.csv lacks the column(s) repositories" in capsys.readouterr().err
    # the published schema: no undeclared column
    (results / "funnel.csv").write_text("step,stage,repositories,dropped,drop_reasons,note\n")
    assert stats.main(argv) == 2
    err = capsys.readouterr().err
    assert "column(s) note are not in the schema" in err and "make mine" in err


def ci() -> bool:
    """True under CI (``CI`` set to anything but empty, 0 or false, as CI services and .ci/run do)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("", False), ("0", False), ("false", False), ("False", False), ("no", False),
    ("true", True), ("1", True), ("yes", True),
])
def test_ci_is_read_from_the_ci_variable(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert ci() is expected


def test_demo_results(tmp_path):
    """The statistics on the real demo (``make demo``: the sample corpus mined and re-run).
    .ci/run builds the demo before ``make test``, so under CI missing demo results fail."""
    if not (DEMO_RESULTS / "repo_features.csv").exists():
        missing = (f"demo results not built ({DEMO_RESULTS.relative_to(ROOT)}/repo_features.csv is missing): "
                   "run `make demo`, then this test")
        if ci():
            pytest.fail(f"{missing}; under CI the demo must be built before the tests (.ci/run)", pytrace=False)
        pytest.skip(missing)
    code, tables, generated = run(DEMO_RESULTS, tmp_path / "demo")
    assert code == 0
    m = macros_of(generated / "stats.tex")
    features = pd.read_csv(DEMO_RESULTS / "repo_features.csv", dtype=str, keep_default_na=False)
    assert m["Selected"] == str(len(features))
    assert m["Analysed"] == str(int((features["uses_mlflow"] == "true").sum()))
    assert (tables / "rq1_tracking.csv").exists() and (generated / "funnel.tex").exists()


def test_model_names_count_distinct_names_and_pairs_per_source():
    """RQ3's model-names table on known rows: distinct names per source, (repository, name)
    pairs, the versioned share with its Wilson interval, and only analysed repositories."""
    from analysis.formatting import Macros
    from analysis.rq3 import model_names

    def ref(repo: str, model: str, source: str, version: str) -> dict[str, str]:
        return {"repo": repo, "category": "model_ref", "api": "x",
                "detail": f"model={model};source={source};version={version}"}

    sites = pd.DataFrame([
        ref("a__x", "bert-base-uncased", "hf_from_pretrained", "none"),
        ref("a__x", "bert-base-uncased", "hf_from_pretrained", "none"),  # same pair twice
        ref("b__y", "bert-base-uncased", "hf_from_pretrained", "none"),  # same name, other repo
        ref("b__y", "BAAI/bge-large-en-v1.5", "hf_from_pretrained", "vX.Y"),
        ref("b__y", "all-MiniLM-L6-v2", "sentence_transformers", "vX"),
        ref("a__x", "churn_v2", "mlflow_registry", "vX"),
        ref("a__x", "churn_v2", "models_uri", "vX"),
        ref("c__z", "ignored-v1", "hf_hub", "vX"),  # not analysed
        {"repo": "a__x", "category": "seed", "api": "random.seed", "detail": "value=1"},
    ])
    df = pd.DataFrame({"repo": ["a__x", "b__y", "c__z"], "mlflow": [True, True, False]})
    macros = Macros("stats")
    table = model_names(sites, df, macros).set_index("source")
    hf = table.loc["Hugging Face"]
    assert (hf["repositories"], hf["pairs"], hf["names"], hf["versioned"]) == (2, 4, 3, 2)
    assert hf["pairs_versioned"] == 2 and hf["pattern_none"] == 1 and hf["pattern_vX.Y"] == 1
    assert (hf["ci_low"], hf["ci_high"]) == pytest.approx(wilson(2, 3))
    assert table.loc["hf_hub", "names"] == 0 and math.isnan(table.loc["hf_hub", "versioned_share"])
    assert table.loc["MLflow registry", "names"] == 1 and table.loc["all", "names"] == 4
    assert table.loc["all", "versioned"] == 3
    assert macros.values["RQThreeModelNamesHuggingFaceNames"] == "3"
    assert macros.values["RQThreeModelNamesAllVersionedPct"] == "75.0\\%"
