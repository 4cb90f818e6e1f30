"""RQ3 Registry: who registers models, whether projects use registry stages or aliases, and
whether they still use stages after their deprecation (MLflow 2.9), judged by the date of the
pinned commit; version information in registered model names and git tags.

Measures (over the analysed repositories or, for stages and aliases, their registry users;
:mod:`analysis.repo_table`): registry use, registering, stages, aliases and their combinations,
stage use after the deprecation, versioned names, semantic-version tags; registry use per
project kind, per year and per half-year of the pinned commit (figure 04); the version
patterns of the model names the projects use (``model_ref`` call sites: Hugging Face ids,
registered model names, ``models:/`` URIs), per source. Tests: stages and aliases
after vs before the deprecation (Fisher), registering by project kind (chi-square). Tables:
:data:`TABLE_DOCS`. Macros: ``RQThree...``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.formatting import Macros, booktabs, count, macro_name, percent, percent_interval
from analysis.inference import chi_square, share, wilson_or_nan
from analysis.measures import (
    PREVALENCE_FIELDS,
    STAGE,
    TEST_FIELDS,
    Measure,
    Test,
    fisher_groups,
    prevalence_table,
    prevalence_tex,
)
from analysis.repo_table import KINDS
from analysis.results import as_bool
from miners.scan.detail import parse_detail

RQ = "3"

MEASURES = [
    Measure(RQ, "Registry", "uses_registry", "analysed", "uses the model registry"),
    Measure(RQ, "Registers", "registers_models", "analysed", "registers models"),
    Measure(RQ, "Stages", "uses_stages", "registry_users", "uses registry stages"),
    Measure(RQ, "Aliases", "uses_aliases", "registry_users", "uses registry aliases"),
    Measure(RQ, "StagesAndAliases", "stages_and_aliases", "registry_users", "uses stages and "
            "aliases"),
    Measure(RQ, "StagesOnly", "stages_only", "registry_users", "uses stages but no aliases"),
    Measure(RQ, "AliasesOnly", "aliases_only", "registry_users", "uses aliases but no stages"),
    Measure(RQ, "Neither", "neither_stages_nor_aliases", "registry_users", "uses neither"),
    Measure(RQ, "StagesAfter", "after_deprecation", "stage_users", "stage users whose pinned "
            "commit is on/after the deprecation"),
    Measure(RQ, "StagesAfterAliases", "uses_aliases", "stage_users_after", "also uses aliases, "
            "among stage users after the deprecation"),
    Measure(RQ, "StagesPinnedDeprecating", "mlflow_pin_deprecating", "stage_users_pinned",
            "pins an MLflow release >= 2.9 exactly, among stage users pinning mlflow exactly"),
    Measure(RQ, "CommitsAfter", "after_deprecation", "dated", "pinned commit on/after the "
            "deprecation"),
    Measure(RQ, "NamesLiteral", "names_literal", "analysed", "has a literal registered model "
            "name"),
    Measure(RQ, "VersionedNames", "versioned_names", "named_registrants", "a registered model "
            "name carries a version (v2, 1.2.0)"),
    Measure(RQ, "Tagged", "has_tags", "analysed", "has git tags"),
    Measure(RQ, "SemverAny", "semver_tags_any", "analysed", "has a semantic-version tag"),
    Measure(RQ, "TagsAllSemver", "tags_all_semver", "tagged", "all tags are semantic versions"),
    Measure(RQ, "TagsFreeform", "tags_freeform_only", "tagged", "only free-form tags"),
    Measure(RQ, "TagsMixed", "tags_mixed", "tagged", "semantic-version and free-form tags"),
]

#: What figure 04 counts per half-year (columns of repo_features).
HALF_YEAR_COLUMNS = ("registers_models", "uses_stages", "uses_aliases")

#: Groups of model-name sources (miners.scan.detectors.modelref.SOURCES) in the model-names
#: table: group -> its sources, in the table's order.
NAME_GROUPS: dict[str, tuple[str, ...]] = {
    "Hugging Face": ("hf_from_pretrained", "hf_pipeline", "hf_hub", "sentence_transformers"),
    "MLflow registry": ("mlflow_registry", "models_uri"),
}
#: The version patterns of a model name (miners.scan.detectors.modelref.VERSION_PATTERNS).
VERSION_PATTERNS = ("vX.Y.Z", "date", "vX.Y", "vX-Y", "vX", "none")

#: Tables the figures draw (written exactly).
FIGURE_TABLES = ("rq3_by_half_year",)

TABLE_DOCS: dict[str, dict[str, Any]] = {
    "rq3_registry": {"description": "RQ3: model-registry use, stages vs aliases, use of stages "
                     "after their deprecation, version information in registered model names "
                     "and git tags.", "fields": PREVALENCE_FIELDS},
    "rq3_by_kind": {"description": "RQ3: registry use by project kind (the frame's kind_guess).",
                    "fields": {"kind": "project kind guessed by the sampling frame (unknown: "
                                       "no frame column)",
                               "repositories": "analysed repositories of this kind",
                               "uses_registry": "of them using the registry",
                               "uses_registry_share": "uses_registry / repositories",
                               "registers_models": "of them registering models",
                               "registers_models_share": "registers_models / repositories",
                               "uses_stages": "of them using registry stages",
                               "uses_stages_share": "uses_stages / repositories",
                               "uses_aliases": "of them using registry aliases",
                               "uses_aliases_share": "uses_aliases / repositories"}},
    "rq3_by_year": {"description": "RQ3: registry, stage and alias use by the year of the "
                    "pinned commit (UTC).",
                    "fields": {"year": "year of the pinned commit",
                               "repositories": "analysed repositories",
                               "registry_users": "of them using the registry",
                               "registry_share": "registry_users / repositories",
                               "stage_users": "registry users using stages",
                               "stage_share": "stage_users / registry_users",
                               "alias_users": "registry users using aliases",
                               "alias_share": "alias_users / registry_users"}},
    "rq3_tests": {"description": "RQ3 hypothesis tests.", "fields": TEST_FIELDS},
    "rq3_model_names": {
        "description": "RQ3: the model names the analysed repositories use (model_ref call sites) "
                       "and whether each carries a version pattern (vX.Y.Z, date, vX.Y, vX-Y, vX; "
                       "the rule of the codebook, category model_ref), per source, per group of "
                       "sources and overall. A name is counted once per source (distinct names); "
                       "a (repository, name) pair once per repository.",
        "fields": {
            "source": "a source of model_ref (hf_from_pretrained, hf_pipeline, hf_hub, "
                      "sentence_transformers, mlflow_registry, models_uri), a group (Hugging Face, "
                      "MLflow registry) or all",
            "repositories": {"type": "integer", "description": "analysed repositories with a "
                             "name from this source"},
            "pairs": {"type": "integer", "description": "distinct (repository, name) pairs"},
            "pairs_versioned": {"type": "integer", "description": "of the pairs, names with a "
                                "version pattern"},
            "pairs_versioned_share": "pairs_versioned / pairs",
            "names": {"type": "integer", "description": "distinct names"},
            "versioned": {"type": "integer", "description": "distinct names with a version pattern"},
            "versioned_share": "versioned / names",
            "ci_low": "Wilson 95% interval of versioned_share, lower bound",
            "ci_high": "Wilson 95% interval of versioned_share, upper bound",
            **{f"pattern_{p}": {"type": "integer", "description": f"distinct names whose version "
                                f"pattern is {p}"} for p in VERSION_PATTERNS},
        },
    },
    "rq3_by_half_year": {
        "description": "RQ3: analysed repositories with a pinned commit date, per half-year of "
                       "that date (UTC), and how many of them register models, use registry "
                       "stages and use aliases (figure 04).",
        "fields": {
            "half_year": {"type": "date", "description": "first day of the half-year "
                          "(January 1 or July 1)"},
            "repositories": {"type": "integer", "description": "analysed repositories whose "
                             "pinned commit falls in the half-year"},
            "registers_models": {"type": "integer", "description": "of them registering models"},
            "uses_stages": {"type": "integer", "description": "of them using registry stages"},
            "uses_aliases": {"type": "integer", "description": "of them using registry aliases"},
        },
    },
}

LABELS = [("Registry", "Uses the registry"), ("Registers", "Registers models"),
          ("Stages", "Stages$^b$"), ("Aliases", "Aliases$^b$"),
          ("StagesOnly", "Stages, no aliases$^b$"),
          ("AliasesOnly", "Aliases, no stages$^b$"),
          ("StagesAfter", "Stage users after deprecation$^c$"),
          ("VersionedNames", "Version in model name$^d$"), ("Tagged", "Git tags"),
          ("SemverAny", "Semantic-version tags")]
GROUPS = {"Registry": "Registry", "Tagged": "Release tags"}


def tests(df: pd.DataFrame) -> list[Test]:
    """Stages and aliases after vs before the deprecation (Fisher); registering by kind."""
    m, reg = df["mlflow"], df["_registry_users"]
    after, before = df["after_deprecation"], df["before_deprecation"]
    out = []
    r, c = fisher_groups(reg, after, before, as_bool(df["uses_stages"]))
    out.append(Test(RQ, "StagesPeriod", "uses stages: commit after vs before the deprecation",
                    "registry_users", "after", "before", r, c))
    r, c = fisher_groups(reg, after, before, as_bool(df["uses_aliases"]))
    out.append(Test(RQ, "AliasesPeriod", "uses aliases: commit after vs before the deprecation",
                    "registry_users", "after", "before", r, c))
    registers = as_bool(df["registers_models"])
    table = [[int((m & (df["kind"] == k) & registers).sum()),
              int((m & (df["kind"] == k) & ~registers).sum())] for k in KINDS]
    out.append(Test(RQ, "RegistersKind", "registers models x project kind (frame kind_guess)",
                    "analysed", "kinds", "", chi_square(table),
                    "; ".join(f"{k} {t[0]}/{sum(t)}" for k, t in zip(KINDS, table, strict=True))))
    return out


def tables(df: pd.DataFrame, data: Mapping[str, pd.DataFrame],
           macros: Macros) -> dict[str, pd.DataFrame]:
    """The RQ3 tables (but its tests'), and their macros."""
    return {"rq3_registry": prevalence_table(df, MEASURES, macros),
            "rq3_by_kind": by_kind(df, macros),
            "rq3_by_year": by_year(df),
            "rq3_by_half_year": by_half_year(df),
            "rq3_model_names": model_names(data["call_sites"], df, macros)}


def latex(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    return {"rq3_registry": prevalence_tex(tables["rq3_registry"], LABELS, GROUPS),
            "rq3_model_names": model_names_tex(tables["rq3_model_names"])}


def model_names(sites: pd.DataFrame, df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Version patterns of the model names of the analysed repositories' ``model_ref`` rows,
    per source, per group of sources and overall (:data:`TABLE_DOCS`); macros
    ``RQThreeModelNames<Group>`` + ``Names``, ``Pairs``, ``Repos`` and the prevalence of versioned
    names (``...VersionedPct``, ``Low``, ``High``, ``CI``) for the groups and ``All``."""
    analysed = set(df.loc[df["mlflow"], "repo"])
    refs = sites[(sites["category"] == "model_ref") & sites["repo"].isin(analysed)]
    fields = refs["detail"].map(parse_detail)
    refs = pd.DataFrame({"repo": refs["repo"], "model": fields.map(lambda d: d.get("model", "")),
                         "source": fields.map(lambda d: d.get("source", "")),
                         "version": fields.map(lambda d: d.get("version", "none"))})
    refs = refs[refs["model"] != ""]
    sources = [s for group in NAME_GROUPS.values() for s in group]
    scopes: list[tuple[str, tuple[str, ...]]] = [(s, (s,)) for s in NAME_GROUPS["Hugging Face"]]
    scopes.append(("Hugging Face", NAME_GROUPS["Hugging Face"]))
    scopes += [(s, (s,)) for s in NAME_GROUPS["MLflow registry"]]
    scopes += [("MLflow registry", NAME_GROUPS["MLflow registry"]), ("all", tuple(sources))]
    rows = []
    for label, group in scopes:
        part = refs[refs["source"].isin(group)]
        names = part.drop_duplicates("model")
        pairs = part.drop_duplicates(["repo", "model"])
        k, n = int((names["version"] != "none").sum()), len(names)
        kp, np_ = int((pairs["version"] != "none").sum()), len(pairs)
        low, high = wilson_or_nan(k, n)
        row: dict[str, Any] = {"source": label, "repositories": int(part["repo"].nunique()),
                               "pairs": np_, "pairs_versioned": kp, "pairs_versioned_share": share(kp, np_),
                               "names": n, "versioned": k, "versioned_share": share(k, n),
                               "ci_low": low, "ci_high": high}
        row.update({f"pattern_{p}": int((names["version"] == p).sum()) for p in VERSION_PATTERNS})
        rows.append(row)
        if label in (*NAME_GROUPS, "all"):
            stem = "RQThreeModelNames" + macro_name(label)
            macros.count(stem + "Names", n)
            macros.count(stem + "Pairs", np_)
            macros.count(stem + "Repos", row["repositories"])
            macros.prevalence(stem + "Versioned", k, n, row["versioned_share"], low, high)
            macros.raw(stem + "UnversionedPct", percent(share(n - k, n)))
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq3_model_names"]["fields"]))


#: Row labels of the model-names table.
SOURCE_LABELS = {"hf_from_pretrained": r"\texttt{from\_pretrained}", "hf_pipeline": r"\texttt{pipeline(model=)}",
                 "hf_hub": "Hub downloads", "sentence_transformers": "Sentence Transformers",
                 "Hugging Face": r"\emph{Hugging Face, all}", "mlflow_registry": "Registered names",
                 "models_uri": r"\texttt{models:/} URIs", "MLflow registry": r"\emph{MLflow registry, all}",
                 "all": r"\emph{All sources}"}


def model_names_tex(table: pd.DataFrame) -> str:
    """The model-names table: per source, repositories, distinct names, the share with a
    version pattern (Wilson 95%), and the distinct names per pattern."""
    shown = ("vX.Y.Z", "date", "vX.Y", "vX-Y", "vX")
    rows = [[SOURCE_LABELS.get(r["source"], r["source"]), count(r["repositories"]), count(r["names"]),
             percent(r["versioned_share"]), percent_interval(r["ci_low"], r["ci_high"]),
             *(count(r[f"pattern_{p}"]) for p in shown)] for r in table.to_dict("records")]
    header = ["Source", "Repos", "Names", "Versioned", r"95\% CI", *(rf"\texttt{{{p}}}" for p in shown)]
    return booktabs(header, "l" + "r" * (len(header) - 1), rows, stage=STAGE,
                    midrule_before=[i for i, r in enumerate(table["source"]) if r in ("mlflow_registry", "all")])


def by_kind(df: pd.DataFrame, macros: Macros) -> pd.DataFrame:
    """Registry use per project kind; macros ``RQThreeKind<Kind>Repos`` and ``...RegistryPct``,
    ``...StagesPct``, ``...AliasesPct`` (shares of the repositories of that kind)."""
    m = df["mlflow"]
    rows = []
    for kind in (*KINDS, ""):
        pop = m & (df["kind"] == kind)
        n = int(pop.sum())
        if kind == "" and n == 0:
            continue
        row: dict[str, Any] = {"kind": kind or "unknown", "repositories": n}
        for col in ("uses_registry", "registers_models", "uses_stages", "uses_aliases"):
            k = int((pop & as_bool(df[col])).sum())
            row[col] = k
            row[f"{col}_share"] = share(k, n)
        rows.append(row)
        if kind:
            stem = "RQThreeKind" + macro_name(kind)
            macros.count(stem + "Repos", n)
            for col, name in (("uses_registry", "Registry"), ("uses_stages", "Stages"),
                              ("uses_aliases", "Aliases")):
                macros.raw(stem + name + "Pct", percent(row[f"{col}_share"] if n else None))
    return pd.DataFrame(rows)


def by_year(df: pd.DataFrame) -> pd.DataFrame:
    """Registry use, and stage and alias use among registry users, per year of the pinned
    commit."""
    m = df["mlflow"] & df["has_date"]
    rows = []
    for year in sorted(int(y) for y in df.loc[m, "commit_year"].dropna().unique()):
        pop = m & (df["commit_year"] == year)
        reg = pop & as_bool(df["uses_registry"])
        n, nr = int(pop.sum()), int(reg.sum())
        st = int((reg & as_bool(df["uses_stages"])).sum())
        al = int((reg & as_bool(df["uses_aliases"])).sum())
        rows.append({"year": year, "repositories": n, "registry_users": nr,
                     "registry_share": share(nr, n), "stage_users": st,
                     "stage_share": share(st, nr), "alias_users": al,
                     "alias_share": share(al, nr)})
    return pd.DataFrame(rows, columns=["year", "repositories", "registry_users", "registry_share",
                                       "stage_users", "stage_share", "alias_users", "alias_share"])


def by_half_year(df: pd.DataFrame) -> pd.DataFrame:
    """Dated analysed repositories per half-year of the pinned commit (UTC), with the counts of
    :data:`HALF_YEAR_COLUMNS`; half-years without a repository are left out."""
    dated = df[df["mlflow"] & df["has_date"]]
    half = pd.Series([f"{t.year:04d}-{'01' if t.month <= 6 else '07'}-01"
                      for t in dated["commit_time"]], index=dated.index, dtype=object)
    rows = []
    for start in sorted(set(half)):
        in_half = dated[half == start]
        rows.append({"half_year": start, "repositories": len(in_half),
                     **{c: int(as_bool(in_half[c]).sum()) for c in HALF_YEAR_COLUMNS}})
    return pd.DataFrame(rows, columns=list(TABLE_DOCS["rq3_by_half_year"]["fields"]))
