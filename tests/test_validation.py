"""Detector validation: the draw, the matching, the estimates and the committed labels."""

from __future__ import annotations

import csv
import hashlib
import math
import random
import re
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import binomtest

from analysis import validation as v
from analysis import validation_labels as labelling
from analysis.inference import wilson_or_nan
from analysis.validation_draw import (
    SAMPLE_COLUMNS,
    SHARES,
    allocate,
    build_frame,
    draw,
    rank,
    select,
    stratum,
)
from analysis.validation_score import match, score
from miners.scan.tables import scan
from miners.schema import TABLES
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "study" / "validation"
Z95 = 1.959963984540054


# ----------------------------------------------------------------------------- helpers


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    """A CSV of ``rows``; a published table (files, corpus, call_sites) gets every column of
    the schema, in its order, the values not given empty."""
    if path.stem in TABLES:
        columns = TABLES[path.stem].names
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def frame_of(rows: list[tuple[str, str, str]], seed: int = 2026) -> pd.DataFrame:
    """A frame from (repo, path, stratum) triples, ranked as the draw ranks them."""
    f = pd.DataFrame(
        [
            {
                "repo": r,
                "commit": "c" * 40,
                "path": p,
                "kind": "py",
                "lines": 10,
                "stratum": s,
                "rank": rank(seed, r, p),
            }
            for r, p, s in rows
        ]
    )
    return f.sort_values("rank").reset_index(drop=True)


def labels_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"repo": r, "path": p, "cell": c, "line": ln, "category": cat, "api": api, "note": ""}
            for r, p, c, ln, cat, api in rows
        ]
    )


def sites_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"repo": r, "path": p, "cell": c, "line": ln, "category": cat, "api": api, "detail": ""}
            for r, p, c, ln, cat, api in rows
        ]
    )


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p, z2 = k / n, Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return centre - half, centre + half


# ----------------------------------------------------------------------------- draw


def test_rank_is_the_sha256_of_seed_repo_path():
    assert rank(7, "a__b", "x/y.py") == hashlib.sha256(b"7:a__b:x/y.py").hexdigest()
    assert rank(7, "a__b", "x/y.py") != rank(8, "a__b", "x/y.py")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import mlflow\nmlflow.register_model(u, 'm')", "mlflow_registry"),
        ("import mlflow\nuri = 'models:/m/1'", "mlflow_registry"),
        ("import MLflow_helpers", "mlflow_other"),
        ("import mlflow\nmlflow.log_param('a', 1)", "mlflow_other"),
        ("np.random.seed(0)", "keyword"),
        ("torch.backends.cudnn.benchmark = False", "keyword"),
        ("os.environ['CUBLAS_WORKSPACE_CONFIG'] = ':4096:8'", "keyword"),
        ("torch.use_deterministic_algorithms(True)", "keyword"),
        ("requests.get('models:/x')", "keyword"),
        ("print('hello')", "residual"),
    ],
)
def test_stratum_follows_the_text_cues(text, expected):
    assert stratum(text) == expected


def test_allocation_uses_largest_remainders_and_sums_to_n():
    assert allocate(44, SHARES) == {"mlflow_registry": 11, "mlflow_other": 11, "keyword": 22}
    assert allocate(6, {"a": 0.25, "b": 0.25, "c": 0.5}) == {"a": 2, "b": 1, "c": 3}
    for n in range(0, 30):
        assert sum(allocate(n, {"a": 0.25, "b": 0.25, "c": 0.5}).values()) == n


def test_select_fills_quotas_by_rank_with_at_most_two_files_per_repository():
    rows = [
        (f"o__r{i % 5}", f"f{i}.py", s)
        for i in range(60)
        for s in [("mlflow_registry", "mlflow_other", "keyword", "residual")[i % 4]]
    ]
    frame = frame_of(rows)
    sample = select(frame, n_files=8, min_repos=4, per_repo=2)
    assert sample["repo"].value_counts().max() <= 2
    assert sample["stratum"].value_counts().to_dict() == {
        "keyword": 4,
        "mlflow_registry": 2,
        "mlflow_other": 2,
    }
    assert "residual" not in set(sample["stratum"])
    # replay the rule by hand: lowest ranks first, skipping full strata and full repositories
    quota, taken, per, expected = (
        {"mlflow_registry": 2, "mlflow_other": 2, "keyword": 4},
        {},
        {},
        set(),
    )
    for r in frame.itertuples():
        if (
            r.stratum in quota
            and per.get(r.stratum, 0) < quota[r.stratum]
            and taken.get(r.repo, 0) < 2
        ):
            expected.add(r.path)
            per[r.stratum] = per.get(r.stratum, 0) + 1
            taken[r.repo] = taken.get(r.repo, 0) + 1
    assert set(sample["path"]) == expected


def test_select_refuses_too_few_repositories():
    frame = frame_of([("o__only", f"f{i}.py", "keyword") for i in range(10)])
    with pytest.raises(ValueError, match="min_repos"):
        select(frame, n_files=4, min_repos=2)


def _toy_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """files.csv + corpus.csv + clone folders with files of every stratum and exclusion."""
    clones = tmp_path / "clones"
    files, corpus = [], []
    for i in range(12):
        repo = f"own{i}__name{i}"
        corpus.append({"full_name": f"own{i}/name{i}", "sha": f"{i:040d}", "selected": "true"})
        texts = {
            "a.py": "import mlflow\nmlflow.register_model(u, 'm')\n",
            "b.py": "import mlflow\nmlflow.log_metric('m', 1)\n",
            "c.py": "import numpy as np\nnp.random.seed(1)\n",
            "d.py": "print('x')\n",
            "long.py": "import mlflow\n" * 500,
            "broken.py": "import mlflow\n(",
            "gone.py": "import mlflow\n",
        }
        for name, text in texts.items():
            p = clones / repo / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if name != "gone.py":
                p.write_text(text)
            files.append(
                {
                    "repo": repo,
                    "path": name,
                    "kind": "py",
                    "status": "parse_error" if name == "broken.py" else "parsed",
                    "reason": "",
                    "lines": str(text.count("\n")),
                }
            )
    corpus.append({"full_name": "dropped/repo", "sha": "f" * 40, "selected": "false"})
    files.append(
        {
            "repo": "dropped__repo",
            "path": "a.py",
            "kind": "py",
            "status": "parsed",
            "reason": "",
            "lines": "1",
        }
    )
    (clones / "dropped__repo").mkdir()
    (clones / "dropped__repo" / "a.py").write_text("import mlflow\n")
    results = tmp_path / "results"
    write_csv(results / "files.csv", files, ["repo", "path", "kind", "status", "reason", "lines"])
    write_csv(results / "corpus.csv", corpus, ["full_name", "sha", "selected"])
    return results, clones


def test_frame_excludes_long_unparsed_unselected_and_missing_files(tmp_path):
    results, clones = _toy_corpus(tmp_path)
    frame = build_frame(results / "files.csv", clones, max_lines=400)
    assert set(frame["path"]) == {"a.py", "b.py", "c.py", "d.py"}
    assert "dropped__repo" not in set(frame["repo"])
    assert frame.groupby("path")["stratum"].first().to_dict() == {
        "a.py": "mlflow_registry",
        "b.py": "mlflow_other",
        "c.py": "keyword",
        "d.py": "residual",
    }
    assert set(frame["commit"]) == {f"{i:040d}" for i in range(12)}


def test_draw_is_deterministic_and_independent_of_row_order(tmp_path):
    results, clones = _toy_corpus(tmp_path)
    a = draw(results / "files.csv", clones, n_files=8, min_repos=4)
    rows = list(csv.DictReader((results / "files.csv").open()))
    random.Random(1).shuffle(rows)
    write_csv(results / "files.csv", rows, list(rows[0]))
    b = draw(results / "files.csv", clones, n_files=8, min_repos=4)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["repo", "commit", "path", "kind", "lines", "stratum", "rank"]
    assert a["stratum"].value_counts().to_dict() == {
        "keyword": 4,
        "mlflow_registry": 2,
        "mlflow_other": 2,
    }
    c = draw(results / "files.csv", clones, n_files=8, min_repos=4, seed=99)
    assert set(zip(a["repo"], a["path"], strict=True)) != set(
        zip(c["repo"], c["path"], strict=True)
    )


def test_cli_draw_writes_the_sample_once_and_refuses_to_overwrite(tmp_path, capsys):
    results, clones = _toy_corpus(tmp_path)
    labels = tmp_path / "labels"
    argv = [
        "--draw",
        "--results",
        str(results),
        "--clones",
        str(clones),
        "--labels",
        str(labels),
        "--n-files",
        "8",
        "--min-repos",
        "4",
    ]
    assert v.main(argv) == 0
    first = (labels / "sample.csv").read_bytes()
    assert v.main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert v.main([*argv, "--force"]) == 0
    assert (labels / "sample.csv").read_bytes() == first
    design = dict(csv.reader((labels / "design.csv").open()))
    assert design["seed"] == "2026" and design["n_files"] == "8"


# ----------------------------------------------------------------------------- matching and scoring


def test_match_pairs_keys_as_multisets_and_prefers_equal_apis():
    labels = labels_frame(
        [
            ("r", "a.py", -1, 3, "tracking", "mlflow.log_param"),
            ("r", "a.py", -1, 3, "tracking", "mlflow.log_metric"),
            ("r", "a.py", -1, 5, "seed", "numpy.random.seed"),
            ("r", "n.ipynb", 2, 1, "registry", "models:/"),
        ]
    )
    sites = sites_frame(
        [
            ("r", "a.py", -1, 3, "tracking", "mlflow.log_param"),
            ("r", "a.py", -1, 5, "tracking", "mlflow.start_run"),
            ("r", "n.ipynb", 3, 1, "registry", "models:/"),
        ]
    )
    m = match(labels, sites)
    got = sorted(
        zip(
            m["line"],
            m["cell"],
            m["category"],
            m["outcome"],
            m["label_api"],
            m["scanner_api"],
            strict=True,
        )
    )
    assert got == [
        (1, 2, "registry", "FN", "models:/", ""),
        (1, 3, "registry", "FP", "", "models:/"),
        (3, -1, "tracking", "FN", "mlflow.log_metric", ""),
        (3, -1, "tracking", "TP", "mlflow.log_param", "mlflow.log_param"),
        (5, -1, "seed", "FN", "numpy.random.seed", ""),
        (5, -1, "tracking", "FP", "", "mlflow.start_run"),
    ]


def test_wilson_interval_agrees_with_scipy_and_the_formula():
    for k, n in [(0, 5), (3, 10), (8, 10), (10, 10), (92, 92), (23, 24)]:
        lo, hi = wilson_or_nan(k, n)
        ci = binomtest(k, n).proportion_ci(method="wilson")
        assert (lo, hi) == pytest.approx((ci.low, ci.high))
        assert (lo, hi) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)
    assert all(math.isnan(x) for x in wilson_or_nan(0, 0))


def test_score_gives_known_precision_recall_and_weighted_estimates():
    sample = pd.DataFrame(
        {
            "repo": ["r", "r", "s"],
            "path": ["a.py", "b.py", "c.py"],
            "stratum": ["mlflow_other", "mlflow_other", "keyword"],
        }
    )
    m = pd.DataFrame(
        [
            *[
                {
                    "repo": "r",
                    "path": "a.py",
                    "cell": -1,
                    "line": i,
                    "category": "tracking",
                    "outcome": "TP",
                }
                for i in range(8)
            ],
            {
                "repo": "r",
                "path": "b.py",
                "cell": -1,
                "line": 1,
                "category": "tracking",
                "outcome": "FP",
            },
            {
                "repo": "r",
                "path": "b.py",
                "cell": -1,
                "line": 2,
                "category": "tracking",
                "outcome": "FN",
            },
            {
                "repo": "s",
                "path": "c.py",
                "cell": -1,
                "line": 1,
                "category": "seed",
                "outcome": "TP",
            },
            {
                "repo": "s",
                "path": "c.py",
                "cell": -1,
                "line": 2,
                "category": "seed",
                "outcome": "FN",
            },
        ]
    )
    strata = pd.DataFrame(
        {
            "stratum": ["mlflow_other", "keyword"],
            "frame_files": [20, 30],
            "frame_repos": [1, 1],
            "sample_files": [2, 1],
            "sample_repos": [1, 1],
        }
    )
    t = score(m, sample, strata).set_index(["category", "stratum"])
    tr = t.loc[("tracking", "all")]
    assert (tr.tp, tr.fp, tr.fn, tr.label_sites, tr.scanner_sites) == (8, 1, 1, 9, 9)
    assert tr.precision == pytest.approx(8 / 9) and tr.recall == pytest.approx(8 / 9)
    assert (tr.precision_low, tr.precision_high) == pytest.approx(wilson_by_hand(8, 9))
    seed = t.loc[("seed", "all")]
    assert (seed.tp, seed.fn, seed.precision, seed.recall) == (1, 1, 1.0, 0.5)
    assert math.isnan(t.loc[("registry", "all")].precision)
    # weights: mlflow_other 20/2 = 10, keyword 30/1 = 30
    al = t.loc[("all", "all")]
    assert al.recall_weighted == pytest.approx(
        (10 * 8 + 30 * 1) / (10 * 8 + 30 * 1 + 10 * 1 + 30 * 1)
    )
    assert al.precision_weighted == pytest.approx((10 * 8 + 30) / (10 * 8 + 30 + 10 * 1))
    assert t.loc[("tracking", "mlflow_other")].files == 2
    assert math.isnan(t.loc[("tracking", "keyword")].recall)


def _labels_dir(tmp_path: Path, label_rows: list[dict]) -> tuple[Path, Path]:
    labels = tmp_path / "labels"
    sample = [
        {
            "repo": "o__r",
            "commit": "c" * 40,
            "path": "a.py",
            "kind": "py",
            "lines": "9",
            "stratum": "mlflow_other",
            "rank": "0",
        },
        {
            "repo": "o__r",
            "commit": "c" * 40,
            "path": "nb.ipynb",
            "kind": "ipynb",
            "lines": "9",
            "stratum": "keyword",
            "rank": "1",
        },
    ]
    write_csv(labels / "sample.csv", sample, SAMPLE_COLUMNS)
    write_csv(labels / "labels.csv", label_rows, labelling.LABEL_COLUMNS)
    results = tmp_path / "results"
    write_csv(
        results / "call_sites.csv",
        [
            {
                "repo": "o__r",
                "path": "a.py",
                "cell": "",
                "line": "2",
                "col": "0",
                "category": "tracking",
                "api": "mlflow.log_param",
                "detail": "kind=param",
            },
            {
                "repo": "o__r",
                "path": "nb.ipynb",
                "cell": "4",
                "line": "1",
                "col": "0",
                "category": "seed",
                "api": "numpy.random.seed",
                "detail": "framework=numpy",
            },
            {
                "repo": "o__other",
                "path": "z.py",
                "cell": "",
                "line": "1",
                "col": "0",
                "category": "seed",
                "api": "random.seed",
                "detail": "",
            },
        ],
        ["repo", "path", "cell", "line", "col", "category", "api", "detail"],
    )
    return labels, results


def test_validate_with_an_empty_labels_file_counts_every_scanner_row_as_fp(tmp_path):
    labels, results = _labels_dir(tmp_path, [])
    table = v.validate(labels, results, tmp_path / "tables", tmp_path / "gen")
    pooled = table[table["stratum"] == "all"].set_index("category")
    assert pooled.loc["all", ["tp", "fp", "fn"]].tolist() == [
        0,
        2,
        0,
    ]  # o__other/z.py is not sampled
    assert pooled.loc["all", "precision"] == 0.0 and math.isnan(pooled.loc["all", "recall"])
    tex = (tmp_path / "gen" / "validation.tex").read_text()
    assert (
        "\\newcommand{\\ValAllRecall}{n/a}" in tex and "\\newcommand{\\ValAllPrecision}{0.0}" in tex
    )
    dis = pd.read_csv(
        tmp_path / "tables" / "validation_disagreements.csv", dtype=str, keep_default_na=False
    )
    assert sorted(dis["outcome"]) == ["FP", "FP"] and set(dis["api"]) == {
        "mlflow.log_param",
        "numpy.random.seed",
    }
    assert dis.set_index("path").loc["a.py", "cell"] == ""


def test_validate_scores_labels_and_writes_every_output(tmp_path):
    rows = [
        {
            "repo": "o__r",
            "commit": "c" * 40,
            "path": "a.py",
            "cell": "",
            "line": "2",
            "category": "tracking",
            "api": "mlflow.log_param",
            "note": "",
        },
        {
            "repo": "o__r",
            "commit": "c" * 40,
            "path": "nb.ipynb",
            "cell": "4",
            "line": "1",
            "category": "seed",
            "api": "numpy.random.seed",
            "note": "",
        },
        {
            "repo": "o__r",
            "commit": "c" * 40,
            "path": "nb.ipynb",
            "cell": "5",
            "line": "3",
            "category": "registry",
            "api": "models:/",
            "note": "missed",
        },
    ]
    labels, results = _labels_dir(tmp_path, rows)
    assert (
        v.main(
            [
                "--labels",
                str(labels),
                "--results",
                str(results),
                "--tables",
                str(tmp_path / "t"),
                "--generated",
                str(tmp_path / "g"),
            ]
        )
        == 0
    )
    t = pd.read_csv(tmp_path / "t" / "validation.csv")
    pooled = t[t["stratum"] == "all"].set_index("category")
    assert pooled.loc["all", ["tp", "fp", "fn"]].tolist() == [2, 0, 1]
    assert pooled.loc["registry", "recall"] == 0.0
    tex = (tmp_path / "g" / "validation.tex").read_text()
    assert tex.startswith("% Generated by python -m analysis validate; do not edit.")
    names = re.findall(r"\\newcommand\{\\([^}]*)\}", tex)
    assert (
        names
        and all(re.fullmatch(r"[A-Za-z]+", n) for n in names)
        and len(names) == len(set(names))
    )
    assert "\\newcommand{\\ValAllRecall}{66.7}" in tex and "\\newcommand{\\ValFiles}{2}" in tex
    assert "\\newcommand{\\ValDrawSeed}{n/a}" in tex  # no design.csv: defined, not missing
    table = (tmp_path / "g" / "validation_table.tex").read_text()
    assert "\\toprule" in table and "registry & 0 & 0 & 1 & n/a & n/a & 0.0 & 0.0--79.3" in table


def test_validate_without_any_sample_writes_na_outputs(tmp_path):
    results = tmp_path / "results"
    write_csv(
        results / "call_sites.csv",
        [],
        ["repo", "path", "cell", "line", "col", "category", "api", "detail"],
    )
    table = v.validate(tmp_path / "nolabels", results, tmp_path / "t", tmp_path / "g")
    assert table["tp"].sum() == 0 and table["precision"].isna().all()
    assert "\\newcommand{\\ValFiles}{0}" in (tmp_path / "g" / "validation.tex").read_text()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"path": "elsewhere.py"}, "outside sample.csv"),
        ({"category": "logging"}, "unknown category"),
        ({"line": "0"}, "1-based"),
        ({"cell": "x"}, "integers"),
    ],
)
def test_bad_labels_are_clear_errors(tmp_path, row, message):
    base = {
        "repo": "o__r",
        "commit": "c" * 40,
        "path": "a.py",
        "cell": "",
        "line": "2",
        "category": "tracking",
        "api": "mlflow.log_param",
        "note": "",
    }
    labels, results = _labels_dir(tmp_path, [base | row])
    with pytest.raises(labelling.ValidationError, match=message):
        v.validate(labels, results, tmp_path / "t", tmp_path / "g")
    assert (
        v.main(
            [
                "--labels",
                str(labels),
                "--results",
                str(results),
                "--tables",
                str(tmp_path / "t"),
                "--generated",
                str(tmp_path / "g"),
            ]
        )
        == 2
    )


# ----------------------------------------------------------------------------- demo corpus


def test_demo_corpus_draw_and_validation_with_the_real_scanner(tmp_path):
    """The bundled sample corpus, scanned for real: its own rows as labels give 100%, and an
    empty label file gives precision 0 and recall n/a; nothing crashes on the tiny corpus."""
    repos = sorted(p for p in SAMPLE.iterdir() if p.is_dir())
    results = tmp_path / "results"
    scan(repos, results, jobs=1, progress=False)
    write_csv(
        results / "corpus.csv",
        [
            {"full_name": p.name.replace("__", "/", 1), "sha": "0" * 40, "selected": "true"}
            for p in repos
        ],
        ["full_name", "sha", "selected"],
    )
    labels = tmp_path / "labels"
    sample = v.run_draw(
        results,
        SAMPLE,
        labels,
        n_files=8,
        min_repos=2,
        seed=2026,
        max_lines=400,
        per_repo=2,
        force=False,
    )
    assert 0 < len(sample) <= 8 and sample["repo"].value_counts().max() <= 2
    sites = labelling.read_sites(results, sample)
    own = sites.assign(commit="0" * 40, note="", cell=["" if c < 0 else c for c in sites["cell"]])
    write_csv(labels / "labels.csv", own[labelling.LABEL_COLUMNS].to_dict("records"), labelling.LABEL_COLUMNS)
    table = v.validate(labels, results, tmp_path / "t", tmp_path / "g").set_index(
        ["category", "stratum"]
    )
    assert (
        len(sites) > 0
        and table.loc[("all", "all"), "fp"] == 0
        and table.loc[("all", "all"), "fn"] == 0
    )
    assert table.loc[("all", "all"), "recall"] == 1.0
    write_csv(labels / "labels.csv", [], labelling.LABEL_COLUMNS)
    table = v.validate(labels, results, tmp_path / "t", tmp_path / "g").set_index(
        ["category", "stratum"]
    )
    assert table.loc[("all", "all"), "precision"] == 0.0 and math.isnan(
        table.loc[("all", "all"), "recall"]
    )


# ----------------------------------------------------------------------------- committed labels


def _committed(name: str) -> pd.DataFrame:
    return pd.read_csv(COMMITTED / name, dtype=str, keep_default_na=False)


def test_committed_sample_follows_the_design():
    sample, design = _committed("sample.csv"), dict(csv.reader((COMMITTED / "design.csv").open()))
    assert len(sample) >= 40 and sample["repo"].nunique() >= 20
    assert sample["repo"].value_counts().max() <= int(design["per_repo"])
    assert (sample["lines"].astype(int) <= int(design["max_lines"])).all()
    assert all(r.rank == rank(int(design["seed"]), r.repo, r.path) for r in sample.itertuples())
    assert not sample.duplicated(["repo", "path"]).any()
    assert set(sample["kind"]) <= {"py", "ipynb"}
    assert (sample.groupby("repo")["commit"].nunique() == 1).all()
    strata = _committed("strata.csv").set_index("stratum")
    counts = sample["stratum"].value_counts()
    for s in strata.index:
        assert int(strata.loc[s, "sample_files"]) == int(counts.get(s, 0))


def test_committed_labels_are_consistent_with_the_sample():
    sample, labels = _committed("sample.csv"), _committed("labels.csv")
    files = {(r.repo, r.path): r for r in sample.itertuples()}
    assert len(labels) > 0
    for r in labels.itertuples():
        assert (r.repo, r.path) in files, f"label outside the sample: {r.repo}/{r.path}"
        s = files[(r.repo, r.path)]
        assert r.commit == s.commit
        assert (r.cell == "") == (s.kind == "py"), f"cell must be empty exactly for .py files: {r}"
        assert int(r.line) >= 1 and r.category in labelling.CATEGORIES
    labelling.read_labels(COMMITTED, labelling.read_sample(COMMITTED))  # the scorer's own checks pass too


def test_every_change_to_the_blind_labels_is_adjudicated():
    blind, final = _committed("labels_blind.csv"), _committed("labels.csv")
    adj = labelling.read_adjudication(COMMITTED)
    key = ["repo", "path", "cell", "line", "category"]
    diff = blind.merge(final, how="outer", indicator=True).query("_merge != 'both'")
    changed = {tuple(r) for r in diff[key].values}
    adjudicated = {tuple(r) for r in adj[adj["side"] == "label"][key].values}
    assert changed <= adjudicated


def test_labels_of_files_another_corpus_never_scanned_are_left_out(tmp_path: Path) -> None:
    """Validating the committed labels against results that do not contain their files (the
    demo corpus) gives an empty validation, not a recall of 0."""
    results = tmp_path / "results"
    results.mkdir()
    (results / "files.csv").write_text("repo,path,kind,status,reason,lines,bytes,code_cells,parser,sha256,frameworks\n"
                                       "someone__else,a.py,py,parsed,,1,1,,ast,x,\n")
    (results / "call_sites.csv").write_text("repo,path,cell,line,col,category,api,detail\n")
    table = v.validate(Path("study/validation"), results, tmp_path / "t", tmp_path / "g").set_index(
        ["category", "stratum"])
    assert table.loc[("all", "all"), "label_sites"] == 0
    assert pd.isna(table.loc[("all", "all"), "recall"])
