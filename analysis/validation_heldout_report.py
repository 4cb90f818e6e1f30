"""The held-out validation's outputs: agreement of the two annotators, precision and recall of the
detectors against their consensus (before and after the scanner-side adjudication), and the
repository-level validation.

Inputs, in ``study/validation/heldout/`` (see its README): ``sample.csv``, ``strata.csv``,
``labels_a.csv``, ``labels_b.csv`` (each annotator's frozen labels), ``adjudication_ab.csv``
(one row per site key where the annotators differ, :mod:`analysis.validation_heldout`),
``adjudication.csv`` (one row per disagreement of the consensus with the scanner, as in the
development sample), ``repos_sample.csv``, ``repos_a.csv``, ``repos_b.csv`` and
``repos_adjudication.csv`` and ``repos_scanner_notes.csv`` (:mod:`analysis.validation_repos`).

Outputs: tables ``validation_heldout`` (per reference, category and stratum: counts, precision
and recall with Wilson intervals, frame-weighted estimates; ``reference`` is ``consensus``, the
annotators' adjudicated labels frozen before any comparison with the scanner, or
``adjudicated``, after the scanner-side adjudication), ``validation_agreement`` (Cohen's kappa
per category), ``validation_heldout_disagreements``, ``validation_repos`` and
``validation_repos_disagreements``; the macros ``ValH...`` and ``ValR...``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import validation_heldout as heldout
from analysis import validation_repos as vrepos
from analysis.formatting import Macros, booktabs, number, percent, percent_interval
from analysis.results import read_study_table, read_table, table_path
from analysis.validation_labels import (
    ADJUDICATION_COLUMNS,
    CATEGORIES,
    KEY,
    read_adjudication,
    read_labels,
    read_sites,
)
from analysis.validation_score import disagreements, match, score

_WORDS = {"tracking": "Tracking", "seed": "Seed", "registry": "Registry", "all": "All"}
_FIELD_WORDS = {"logs_params": "Params", "logs_metrics": "Metrics", "uses_registry": "Registry",
                "uses_stages": "Stages", "uses_aliases": "Aliases", "sets_seed": "Seed",
                "seed_coverage": "Coverage"}


#: The tables written only when the held-out labels are present (:func:`present`).
TABLES = ("validation_heldout", "validation_agreement", "validation_heldout_disagreements",
          "validation_repos", "validation_repos_disagreements")


def present(heldout_dir: Path) -> bool:
    """Whether the held-out validation has both annotators' labels."""
    d = Path(heldout_dir)
    return all((d / f"{n}.csv").is_file() for n in ("sample", "labels_a", "labels_b"))


def _pct(x: float) -> str:
    return percent(x, 1, sign=False)


def _sample(d: Path) -> pd.DataFrame:
    s = read_study_table(d, "sample", heldout.SAMPLE_COLUMNS)
    s["units"] = s["units"].astype(int)
    return s


def file_level(d: Path, results_dir: Path) -> dict[str, pd.DataFrame] | None:
    """Agreement, consensus, scores and disagreements of the held-out file sample; None for a
    corpus that does not hold every held-out file (the demo's): nothing there to score."""
    sample = _sample(d)
    a = read_labels(d, sample, "labels_a")
    b = read_labels(d, sample, "labels_b")
    adj_ab = read_study_table(d, "adjudication_ab", heldout.ADJ_COLUMNS, required=False)
    adj_ab = adj_ab.assign(cell=[-1 if str(c).strip() == "" else int(c) for c in adj_ab["cell"]],
                           line=[int(x) for x in adj_ab["line"]])
    agreement = heldout.agreement(a, b, sample, CATEGORIES)
    cons = heldout.consensus(a, b, adj_ab)
    strata = read_study_table(d, "strata", heldout.STRATA_COLUMNS)
    scanned = read_table(results_dir, "files", ["repo", "path"]) if table_path(
        results_dir, "files").is_file() else pd.DataFrame(columns=["repo", "path"])
    keys = set(zip(scanned["repo"], scanned["path"], strict=True))
    if not all((r, p) in keys for r, p in zip(sample["repo"], sample["path"], strict=True)):
        return None
    v1_sample = sample[["repo", "commit", "path", "kind", "lines", "stratum", "rank"]]
    sites = read_sites(results_dir, v1_sample)
    adj = read_adjudication(d) if (d / "adjudication.csv").is_file() else pd.DataFrame(
        columns=ADJUDICATION_COLUMNS)
    adj = adj.assign(cell=[-1 if str(c).strip() == "" else int(c) for c in adj["cell"]],
                     line=[int(x) for x in adj["line"]])
    m_cons = match(cons, sites)
    final = heldout.correct(cons, m_cons, adj)
    m_final = match(final, sites)
    s_cons = score(m_cons, v1_sample, strata).assign(reference="consensus")
    s_final = score(m_final, v1_sample, strata).assign(reference="adjudicated")
    dis = disagreements(m_cons, v1_sample)
    notes = {tuple(r[k] for k in KEY): f"{r['side']}: {r['decision']}: {r['explanation']}"
             for r in adj.to_dict("records")}
    dis["note"] = [notes.get((r.repo, r.path, -1 if r.cell == "" else int(r.cell), int(r.line),
                              r.category), r.note) for r in dis.itertuples(index=False)]
    return {"agreement": agreement, "consensus": cons,
            "scores": pd.concat([s_cons, s_final], ignore_index=True),
            "disagreements": dis, "final": final, "adjudication": adj, "adjudication_ab": adj_ab}


def repo_level(d: Path, results_dir: Path) -> dict[str, pd.DataFrame] | None:
    """Scores of the repository-level validation, or None when its labels are absent."""
    if not all((d / f"{n}.csv").is_file() for n in ("repos_sample", "repos_a", "repos_b")):
        return None
    sample = read_study_table(d, "repos_sample", vrepos.SAMPLE_COLUMNS)
    a = vrepos.normalise(read_study_table(d, "repos_a", vrepos.ANNOTATION_COLUMNS), "repos_a.csv")
    b = vrepos.normalise(read_study_table(d, "repos_b", vrepos.ANNOTATION_COLUMNS), "repos_b.csv")
    adj = read_study_table(d, "repos_adjudication", vrepos.ADJ_COLUMNS, required=False)
    cons = vrepos.consensus(a, b, adj)
    if not table_path(results_dir, "repo_features").is_file():
        return None
    features = read_table(results_dir, "repo_features", ["repo", *vrepos.FIELDS])
    if not set(sample["repo"]) <= set(features["repo"]):
        return None  # another corpus (the demo's)
    scanner = vrepos.scanner_values(features, sorted(cons["repo"]))
    return {"scores": vrepos.score(a, b, cons, scanner),
            "disagreements": vrepos.disagreements(
                cons, scanner, read_study_table(d, "repos_scanner_notes", vrepos.NOTE_COLUMNS,
                                                required=False)), "adjudication": adj,
            "sample": sample}


def macros(m: Macros, files: dict[str, pd.DataFrame], repos: dict[str, pd.DataFrame] | None,
           sample: pd.DataFrame, heldout_repos: str = "n/a") -> None:
    """Add the ``ValH...`` and ``ValR...`` macros."""
    m.raw("ValHHeldoutRepos", heldout_repos)
    m.count("ValHFiles", len(sample), grouping=False)
    m.count("ValHRepos", sample["repo"].nunique(), grouping=False)
    m.count("ValHNotebooks", int((sample["kind"] == "ipynb").sum()), grouping=False)
    m.count("ValHLongFiles", int((sample["stratum"] == "long").sum()), grouping=False)
    m.count("ValHUnits", int(pd.to_numeric(sample["units"]).sum()), grouping=True)
    m.count("ValHAdjudicatedAB", len(files.get("adjudication_ab", [])), grouping=False)
    for r in files["agreement"].itertuples(index=False):
        c = _WORDS[r.category]
        m.raw(f"ValHKappa{c}", number(r.kappa_line, 2))
        m.raw(f"ValHKappa{c}CI", f"[{number(r.kappa_line_low, 2)}, {number(r.kappa_line_high, 2)}]")
        m.raw(f"ValHKappaFile{c}", number(r.kappa_file, 2))
        m.raw(f"ValHAgreePos{c}", _pct(r.positive_agreement))
        m.count(f"ValHSitesA{c}", r.a_sites, grouping=False)
        m.count(f"ValHSitesB{c}", r.b_sites, grouping=False)
    sc = files["scores"]
    for ref, word in (("consensus", "Cons"), ("adjudicated", "")):
        for r in sc[(sc["reference"] == ref) & (sc["stratum"] == "all")].itertuples(index=False):
            c = _WORDS[r.category]
            for name, k in (("TP", r.tp), ("FP", r.fp), ("FN", r.fn), ("Labels", r.label_sites)):
                m.count(f"ValH{word}{c}{name}", k, grouping=False)
            for name in ("precision", "recall", "precision_weighted", "recall_weighted"):
                camel = "".join(p.capitalize() for p in name.split("_"))
                m.raw(f"ValH{word}{c}{camel}", _pct(getattr(r, name)))
            m.raw(f"ValH{word}{c}PrecisionCI",
                  percent_interval(r.precision_low, r.precision_high, sign=False, brackets=True))
            m.raw(f"ValH{word}{c}RecallCI",
                  percent_interval(r.recall_low, r.recall_high, sign=False, brackets=True))
    adj = files["adjudication"]
    m.count("ValHAdjudicated", len(adj), grouping=False)
    m.count("ValHAdjLabelSide", int((adj["side"] == "label").sum()), grouping=False)
    m.count("ValHAdjScannerSide", int((adj["side"] == "scanner").sum()), grouping=False)
    if repos is None:
        # no repository-level labels: every macro the paper uses is still defined
        for name in ("ValRRepos", "ValRAdjudicated", "ValRScannerDisagreements"):
            m.raw(name, "n/a")
        for f in _FIELD_WORDS.values():
            for suffix in ("Kappa", "Accuracy", "AccuracyCI", "Agree", "Positives", "Precision",
                           "Recall"):
                m.raw(f"ValR{f}{suffix}", "n/a")
        return
    rs = repos["scores"]
    m.count("ValRRepos", int(rs["repos"].iloc[0]) if len(rs) else 0, grouping=False)
    m.count("ValRAdjudicated", len(repos["adjudication"]), grouping=False)
    m.count("ValRScannerDisagreements", len(repos["disagreements"]), grouping=False)
    for r in rs.itertuples(index=False):
        f = _FIELD_WORDS[r.field]
        m.raw(f"ValR{f}Kappa", number(r.ab_kappa, 2))
        m.raw(f"ValR{f}Accuracy", _pct(r.accuracy))
        m.raw(f"ValR{f}AccuracyCI",
              percent_interval(r.accuracy_low, r.accuracy_high, sign=False, brackets=True))
        m.count(f"ValR{f}Agree", r.scanner_agree, grouping=False)
        boolean = r.field in vrepos.BOOL_FIELDS
        m.raw(f"ValR{f}Positives", str(int(r.tp + r.fn)) if boolean else "n/a")
        m.raw(f"ValR{f}Precision", _pct(r.precision) if boolean else "n/a")
        m.raw(f"ValR{f}Recall", _pct(r.recall) if boolean else "n/a")


def table_tex(files: dict[str, pd.DataFrame], repos: dict[str, pd.DataFrame] | None) -> str:
    """One compact table: per category, kappa (line level) of the annotators, then precision and
    recall (after adjudication) with Wilson intervals; below, per repository-level field, the
    annotators' kappa and the scanner's accuracy."""
    ag = files["agreement"].set_index("category")
    sc = files["scores"]
    sc = sc[(sc["reference"] == "adjudicated") & (sc["stratum"] == "all")].set_index("category")
    rows = []
    for cat in (*CATEGORIES, "all"):
        r, k = sc.loc[cat] if cat in sc.index else None, ag.loc[cat]
        rows.append(["All" if cat == "all" else cat, number(k.kappa_line, 2),
                     f"{_pct(r.precision)} {percent_interval(r.precision_low, r.precision_high, sign=False, brackets=True)}"
                     if r is not None else "n/a",
                     f"{_pct(r.recall)} {percent_interval(r.recall_low, r.recall_high, sign=False, brackets=True)}"
                     if r is not None else "n/a"])
    head = ["Sites & $\\kappa$ & Precision (\\%) & Recall (\\%) \\\\"]
    body = booktabs(["Sites", "kappa", "Precision", "Recall"], "@{}lrll@{}", rows,
                    stage="validate", head=head)
    if repos is None:
        return body
    rrows = [[r.field.replace("_", "\\_"), number(r.ab_kappa, 2),
              f"{_pct(r.accuracy)} {percent_interval(r.accuracy_low, r.accuracy_high, sign=False, brackets=True)}"]
             for r in repos["scores"].itertuples(index=False)]
    rhead = ["Repository field & $\\kappa$ & Scanner accuracy (\\%) \\\\"]
    return body + "\n\\smallskip\n" + booktabs(["Field", "kappa", "Accuracy"], "@{}lrl@{}",
                                                rrows, stage="validate", head=rhead)
