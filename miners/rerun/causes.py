"""Why a project does not run: one root-cause class per attempted project that never ran.

Definitions.

* **Outcome of an attempted project** (:class:`~miners.rerun.vocab.Outcome`), from its probe
  (run 1 as written) and its other runs as written: ``not_cloned`` (the pinned commit could not
  be checked out), ``metrics`` (a run logged metrics that count), ``ran_no_metrics`` (a run
  exited 0 without a metric: it runs, but the harness's recipe does not reach the tracking
  code), ``did_not_run`` (no run exited 0).
* **Root cause** (:class:`~miners.rerun.vocab.RootCause`) of a project that did not run: the
  first rule of :data:`RULES` that matches its probe (status, exception class, reason and the
  tail of its standard error), in this order: ``needs_gpu``, ``needs_credentials_or_server``,
  ``needs_download``, ``data_not_in_repository``, ``environment_unresolvable``,
  ``harness_limitation``, ``broken_as_committed``; a probe no rule matches is
  ``broken_as_committed`` (the project's own code failed). The classes follow the reading of the
  projects (``study/rerun-readings``): a project *needs* a download, a GPU, credentials or a
  server, or data that is not committed; it is *broken as committed*; its environment cannot be
  built (*unresolvable*: no installable set of packages, or a package the imports need that the
  environment lacks); or the harness could not run it (*harness limitation*: nothing found to
  run, the command-line arguments the project requires, the project's own modules not found from
  where it was run, the time or memory limit, a tool that needs the git checkout the harness's
  copy is not, or the harness's own error). Data not in the repository includes state a crashed
  run needed from outside it: a DVC-tracked file never pulled (``dvc pull``) or a model the
  authors registered in their own tracking server (``Registered Model ... not found``). The
  rules were checked one by one against the reading's classes (``rq5_ceiling.csv``,
  ``agreement``).
* **Evidence**: the probe's status and exception, the last frame of the traceback that lies in
  the project's own files (``path:line``), and the last line of its standard error.
* **Drift** (``latest_env``): for a project whose probe failed for its environment, whether the
  packages of the protocol's fixed recent date made it run (``latest_status``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from miners.rerun.vocab import METRIC_STATUSES, Outcome, RootCause, RunStatus


@dataclass(frozen=True)
class Rule:
    """A root cause when the probe's status is in ``statuses`` (empty: any) and, when
    ``pattern`` is set, the pattern occurs in its exception, reason or standard error."""

    cause: RootCause
    statuses: frozenset[str]
    pattern: re.Pattern[str] | None = None

    def matches(self, status: str, text: str) -> bool:
        return (not self.statuses or status in self.statuses) and (self.pattern is None or bool(self.pattern.search(text)))


_ANY_FAILURE = frozenset({RunStatus.CRASHED, RunStatus.NETWORK_BLOCKED, RunStatus.DATA_MISSING,
                          RunStatus.IMPORT_ERROR, RunStatus.VERSION_CONFLICT, RunStatus.MISSING_MODULE,
                          RunStatus.TIMEOUT})
GPU = re.compile(r"CUDA|cudnn|NVIDIA driver|nvidia-smi|no CUDA GPUs|torch\.cuda|device='cuda'|"
                 r"Torch not compiled with CUDA|cuda:0|GPU device", re.I)
SERVER = re.compile(r"api[_ ]?key|OPENAI_API|HF_TOKEN|credential|NoCredentialsError|Unable to locate credentials|"
                    r"Authentication|Unauthorized|\b401\b|\b403\b|access token|password|dagshub|"
                    r"localhost|127\.0\.0\.1|0\.0\.0\.0|Connection refused|psycopg|OperationalError|pymongo|"
                    r"redis|kafka|SparkContext|JAVA_HOME|boto|azure|google\.auth|getenv|os\.environ|"
                    r"KeyError: '[A-Z][A-Z0-9_]{2,}'", re.I)
DOWNLOAD = re.compile(r"download|urlopen|urlretrieve|huggingface|hf_hub|kaggle|fetch_openml|load_dataset|"
                      r"nltk\.|torchvision\.datasets|tensorflow_datasets|tfds|gdown|wget|HTTPSConnectionPool|"
                      r"Max retries exceeded|requests\.get|https?://", re.I)
HARNESS = re.compile(r"MemoryError|Cannot allocate memory|harness error|SIGKILL|arguments are required|"
                     r"unrecognized arguments|invalid choice|is not a git repository|SCMError", re.I)
#: State a crashed run needed that lies outside the repository: a DVC-tracked file never pulled,
#: or a model the authors registered in their own tracking server's registry.
ABSENT_STATE = re.compile(r"dvc pull|Registered Model with name=\S+ not found|"
                          r"RESOURCE_DOES_NOT_EXIST: Registered Model", re.I)

#: The rules, first match wins (module docstring).
RULES: tuple[Rule, ...] = (
    Rule(RootCause.NEEDS_GPU, _ANY_FAILURE, GPU),
    Rule(RootCause.NEEDS_CREDENTIALS_OR_SERVER, frozenset({RunStatus.NETWORK_BLOCKED}), SERVER),
    Rule(RootCause.NEEDS_DOWNLOAD, frozenset({RunStatus.NETWORK_BLOCKED})),
    Rule(RootCause.NEEDS_CREDENTIALS_OR_SERVER, frozenset({RunStatus.CRASHED}), SERVER),
    Rule(RootCause.NEEDS_DOWNLOAD, frozenset({RunStatus.CRASHED}), DOWNLOAD),
    Rule(RootCause.DATA_NOT_IN_REPOSITORY, frozenset({RunStatus.DATA_MISSING, RunStatus.LFS_POINTER})),
    Rule(RootCause.DATA_NOT_IN_REPOSITORY, frozenset({RunStatus.CRASHED}), ABSENT_STATE),
    Rule(RootCause.ENVIRONMENT_UNRESOLVABLE, frozenset({RunStatus.INSTALL_FAILED, RunStatus.MISSING_MODULE,
                                                       RunStatus.VERSION_CONFLICT, RunStatus.IMPORT_ERROR})),
    Rule(RootCause.HARNESS_LIMITATION, frozenset({RunStatus.ENTRY_NOT_FOUND, RunStatus.IMPORT_PATH,
                                                 RunStatus.TIMEOUT})),
    Rule(RootCause.HARNESS_LIMITATION, frozenset(), HARNESS),
)

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_SYSTEM = ("/site-packages/", "/lib/python", "<frozen", "<string>", "/dist-packages/", "/capture", "sitecustomize")


def cause(status: str, text: str) -> RootCause:
    """The root cause of a probe with ``status`` whose exception, reason and stderr are ``text``."""
    for rule in RULES:
        if rule.matches(status, text):
            return rule.cause
    return RootCause.BROKEN_AS_COMMITTED


def project_frame(stderr: str) -> str:
    """The last traceback frame in the project's own files, as ``path:line`` (path relative to the
    run folder where it can be), else ''."""
    frames = [(p, n) for p, n in _FRAME.findall(stderr) if not any(s in p for s in _SYSTEM)]
    if not frames:
        return ""
    path, line = frames[-1]
    m = re.search(r"/runs/[^/]+/[^/]+/\d+/(?:project/|work/)?(.*)$", path)
    return f"{m.group(1) if m else path}:{line}"


def outcome(rows: list[dict[str, Any]]) -> Outcome:
    """The outcome of a project from its ``as_written`` run rows (module docstring)."""
    if any(r["status"] in METRIC_STATUSES for r in rows):
        return Outcome.METRICS
    if any(str(r.get("exit_code")) == "0" for r in rows):
        return Outcome.RAN_NO_METRICS
    return Outcome.DID_NOT_RUN


def classify_projects(sample: list[dict[str, Any]], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per attempted project (``rerun_causes.csv``): its outcome, and for a project that
    did not run its root cause with the evidence and what ``latest_env`` did."""
    by = {}
    for r in runs:
        by.setdefault((r["repo"], r["condition"]), []).append(r)
    out = []
    for s in sample:
        repo = s["repo"]
        written = sorted(by.get((repo, "as_written"), []), key=lambda r: int(r["run"]))
        latest = sorted(by.get((repo, "latest_env"), []), key=lambda r: int(r["run"]))
        row = {"repo": repo, "full_name": s["full_name"], "picked_by": s.get("picked_by", ""),
               "probe_status": "", "outcome": "", "cause": "", "exception": "", "where": "", "evidence": "",
               "latest_status": latest[0]["status"] if latest else "",
               "latest_metrics": any(r["status"] in METRIC_STATUSES for r in latest)}
        if s.get("clone_status", "cloned") not in ("cloned", "reused") or not written:
            row.update(outcome=Outcome.NOT_CLONED if s.get("clone_status") not in ("cloned", "reused")
                       else Outcome.DID_NOT_RUN, evidence=s.get("harness_error", "")[:300],
                       cause="" if s.get("clone_status") not in ("cloned", "reused") else RootCause.HARNESS_LIMITATION)
            out.append(row)
            continue
        probe = written[0]
        row.update(probe_status=probe["status"], outcome=outcome(written), exception=probe.get("exception", ""))
        if row["outcome"] == Outcome.DID_NOT_RUN:
            stderr = probe.get("stderr_tail", "")
            text = " ".join([probe.get("exception", ""), probe.get("reason", ""), stderr])
            last = stderr.strip()[-200:]
            row.update(cause=cause(probe["status"], text), where=project_frame(stderr),
                       evidence=f"{probe['status']}: {probe.get('reason', '')[:200]}" + (f" | {last}" if last else ""))
        out.append(row)
    return out
