"""The corpus behind RQ1-RQ4: the mining funnel (``funnel.csv``) as macros and the paper's
funnel table, and the numbers that describe the sample: its seed and size, near-duplicate
families, course work, commit dates, the files scanned and the call sites found.

Definitions: every funnel stage's repositories (macros ``Funnel<Stage>``, :data:`FUNNEL_STAGES`)
and the repositories dropped for each reason, summed over the stages (``FunnelDrop<Reason>``,
:data:`FUNNEL_DROPS`); the share of scanned repositories with MLflow calls; the share of
analysed repositories in a named template family, guessed to be course work, or with weak
frame evidence (Wilson 95% intervals); the parse-error share of the readable files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from analysis.formatting import NA, Macros, booktabs, count, macro_name, number, percent, tex_escape
from analysis.inference import ALPHA, share, wilson_or_nan
from analysis.measures import STAGE
from analysis.repo_table import ALIASES_RELEASE, STAGES_DEPRECATED, STAGES_DEPRECATED_RELEASE
from analysis.results import as_bool, as_number
from miners.schema.vocab import CATEGORIES, PINNED_SHARE

#: funnel stages of ``funnel.csv`` and their macro stems
FUNNEL_STAGES = {"found": "Found", "eligible": "Eligible", "sampled": "Sampled", "cloned": "Cloned",
                 "selected": "Selected", "scanned": "Scanned", "with MLflow calls": "MLflow"}
#: funnel drop reasons (the text before the colon in ``funnel.csv``) and their macro stems
FUNNEL_DROPS = {"not drawn by the seeded sample": "NotDrawn", "not_found": "CloneNotFound",
                "near_duplicate_of": "NearDuplicate", "no_python": "NoPython", "empty": "Empty",
                "no tracking or registry call site": "NoCalls", "snapshot_pending": "SnapshotPending",
                "mlflow_source": "MlflowSource"}


def funnel(funnel: pd.DataFrame, macros: Macros) -> str:
    """The funnel's macros, and the paper's funnel table (stage, repositories, dropped,
    reasons)."""
    by_stage = {r["stage"]: r for _, r in funnel.iterrows()}
    for stage, stem in FUNNEL_STAGES.items():
        row = by_stage.get(stage)
        macros.count("Funnel" + stem, int(row["repositories"]) if row is not None else None)
    reasons: dict[str, int] = {}
    for _, row in funnel.iterrows():
        for part in str(row["drop_reasons"]).split(";"):
            if ":" in part:
                key, _, n = part.rpartition(":")
                digits = re.sub(r"\D", "", n)
                if digits:
                    reasons[key.strip()] = reasons.get(key.strip(), 0) + int(digits)
    for reason, stem in FUNNEL_DROPS.items():
        macros.count("FunnelDrop" + stem, reasons.get(reason, 0) if len(funnel) else None)
    mlflow = by_stage.get("with MLflow calls")
    scanned = by_stage.get("scanned")
    if mlflow is not None and scanned is not None and int(scanned["repositories"]):
        macros.raw("FunnelMLflowPct", percent(int(mlflow["repositories"])
                                              / int(scanned["repositories"])))
    else:
        macros.raw("FunnelMLflowPct", NA)
    rows = []
    for _, r in funnel.sort_values("step", key=lambda s: as_number(s)).iterrows():
        text = re.sub(r"\d+", lambda d: f"{int(d.group()):,}", str(r["drop_reasons"]))
        rows.append([tex_escape(r["stage"]), count(int(r["repositories"])),
                     count(int(r["dropped"])) if str(r["dropped"]).strip() else "",
                     tex_escape(text.replace("_", " "))])
    return booktabs(["Stage", "Repos", "Dropped", "Reasons"], "@{}lrrp{3.2cm}@{}", rows,
                    stage=STAGE)


def corpus_macros(data: Mapping[str, pd.DataFrame], provenance: Mapping[str, str],
                  df: pd.DataFrame, macros: Macros) -> None:
    """The macros describing the sample, the corpus, the scanned files and the call sites, and
    the study's fixed settings (alpha, the pinned threshold, the MLflow releases)."""
    macros.raw("SampleSeed", provenance["seed"] or NA)
    macros.raw("SampleSize", count(int(provenance["size"])) if provenance["size"].isdigit()
               else NA)
    macros.raw("DuplicateJaccard", provenance["jaccard"] or NA)
    macros.raw("PinnedThreshold", percent(PINNED_SHARE, 0))
    macros.raw("StagesDeprecatedRelease", ".".join(map(str, STAGES_DEPRECATED_RELEASE)))
    macros.raw("AliasesRelease", ".".join(map(str, ALIASES_RELEASE)))
    macros.raw("Alpha", number(ALPHA, 2))
    corpus = data["corpus"]
    sampled = corpus[as_bool(corpus["sampled"])]
    sizes = as_number(sampled["cluster_size"])
    families = sampled.loc[sizes > 1, "cluster"].replace("", None).dropna().nunique()
    macros.count("NearDupFamilies", int(families) if len(corpus) else None)
    macros.count("NearDupLargest", int(sizes.max()) if sizes.notna().any() else None)
    m = df["mlflow"]
    n = int(m.sum())
    has_frame = "frame_kind_guess" in df.columns
    strength = df.get("frame_evidence_strength", pd.Series("", index=df.index))
    for stem, mask in (("CorpusInFamily", df["in_family"]),
                       ("CorpusCourse", df["kind"] == "course"),
                       ("CorpusWeak", strength == "weak")):
        k = int((m & mask).sum())
        if has_frame:
            macros.prevalence(stem, k, n, share(k, n), *wilson_or_nan(k, n))
        else:
            macros.prevalence(stem, 0, 0, share(0, 0), *wilson_or_nan(0, 0))
    years = df.loc[m & df["has_date"], "commit_year"]
    macros.raw("CommitFirstYear", str(int(years.min())) if len(years) else NA)
    macros.raw("CommitLastYear", str(int(years.max())) if len(years) else NA)
    dates = pd.to_datetime(df.loc[m & df["has_date"], "commit_date"], utc=True, format="ISO8601")
    macros.raw("CommitMedianYear", str(int(dates.sort_values().iloc[len(dates) // 2].year))
               if len(dates) else NA)
    macros.raw("StagesDeprecatedDate", STAGES_DEPRECATED)
    macros.count("Analysed", n)
    macros.count("Selected", len(df))
    files = data["files"]
    status = files["status"]
    folders = data.get("skipped_folders")
    in_folders = (int(pd.to_numeric(folders["py_files"]).sum() + pd.to_numeric(folders["ipynb_files"]).sum())
                  if folders is not None and len(folders) else 0)
    macros.count("FilesCandidate", len(files) + in_folders)
    macros.count("FilesSkippedInFolders", in_folders)
    for name, value in (("Parsed", "parsed"), ("ParseError", "parse_error"),
                        ("Unreadable", "unreadable"), ("Skipped", "skipped")):
        macros.count("Files" + name, int((status == value).sum()) + (in_folders if value == "skipped" else 0))
    parsed = files[status == "parsed"]
    macros.count("FilesParsedPy", int((parsed["kind"] == "py").sum()))
    macros.count("FilesParsedIpynb", int((parsed["kind"] == "ipynb").sum()))
    readable = int(status.isin(("parsed", "parse_error")).sum())
    macros.raw("FilesParseErrorPct", percent(share(int((status == "parse_error").sum()), readable))
               if readable else NA)
    sites = data["call_sites"]
    for cat in CATEGORIES:
        macros.count("Sites" + macro_name(cat), int((sites["category"] == cat).sum()))
    macros.count("SitesAll", len(sites))
