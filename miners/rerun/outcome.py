"""The status of a finished run: what its exit, output and logs say happened.

Definition. The **status of a run** (:class:`~miners.rerun.vocab.RunStatus`), first match wins:
``entry_not_found`` (no recipe) and ``install_failed`` (the environment did not build) are set
before a run (:mod:`miners.rerun.harness`); for a run that was executed (:func:`classify`):
``timeout`` (killed at the limit; metrics logged before are kept); ``ok`` (exit 0 and at least
one metric); ``no_metrics`` (exit 0, no metric); ``crashed_after_metrics`` (killed by a signal,
or failed, after logging at least one metric: the metrics are kept and count); ``crashed``
(killed by a signal); ``network_blocked`` (failed after trying to reach a non-loopback host,
or with a connection or name-resolution error); ``missing_module`` (``No module named x`` for a
module that is not part of the project: a package the environment lacks); ``import_path`` (the
missing module is the project's own, or a relative import failed: how the code is put on the
path); ``version_conflict`` (``cannot import name X from`` an installed package, or a binary
incompatibility: the package is there in another version); ``import_error`` (any other
``ImportError``); ``lfs_pointer`` (the run opened a Git LFS pointer file of the checkout, then
failed); ``data_missing`` (``FileNotFoundError`` or errno 2); ``crashed`` (any other failure).
``exception`` names the uncaught exception's class (else the last exception line of stderr, or
the exit code), or the signal.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from miners.rerun import sandbox
from miners.rerun.vocab import RunStatus

NETWORK_ERRORS = re.compile(r"ConnectionError|ConnectionRefused|NewConnectionError|MaxRetryError|"
                            r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
                            r"nodename nor servname|getaddrinfo failed|URLError|gaierror|RemoteDisconnected|"
                            r"Failed to establish a new connection|ProxyError|SSLError|socket\.timeout", re.I)
EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Failure|Warning|Stop)\w*)(?::|$)", re.M)
BINARY = re.compile(r"numpy\.dtype size changed|numpy\.core\.multiarray failed to import|_ARRAY_API not found|"
                    r"compiled using NumPy 1\.x|module compiled against (?:API|ABI) version", re.I)


def classify(outcome: sandbox.Outcome, exc: dict[str, Any] | None, network: list[str], metrics: int,
             local_modules: set[str] = frozenset(), lfs_pointers: list[str] = ()) -> tuple[RunStatus, str, str]:
    """``(status, exception, reason)`` of a finished run (module docstring): ``exc`` the uncaught
    exception the capture recorded, ``network`` the hosts it tried, ``metrics`` how many it
    logged, ``local_modules`` the project's own module names, ``lfs_pointers`` the Git LFS
    pointer files it opened."""
    if outcome.timed_out:
        return RunStatus.TIMEOUT, "", (f"killed after the {outcome.seconds:.0f} s limit"
                                       + (f", after logging {metrics} metric(s)" if metrics else ""))
    if outcome.exit_code == 0:
        return (RunStatus.OK, "", "") if metrics else (RunStatus.NO_METRICS, "", "exited 0 but logged no metric")
    stderr = outcome.stderr_tail
    cls = (exc or {}).get("class") or ""
    if not cls:
        found = EXC_LINE.findall(stderr)
        cls = found[-1].split(".")[-1] if found else ""
    message = (exc or {}).get("message") or _last_line(stderr) or _last_line(outcome.stdout_tail)
    if outcome.exit_code is not None and outcome.exit_code < 0:
        num = -outcome.exit_code
        name = signal.Signals(num).name if num in signal.Signals._value2member_map_ else str(num)
        status = RunStatus.CRASHED_AFTER_METRICS if metrics else RunStatus.CRASHED
        return status, name, f"killed by {name}" + (" (memory limit?)" if name == "SIGKILL" else "")
    if metrics:
        return RunStatus.CRASHED_AFTER_METRICS, cls or f"exit code {outcome.exit_code}", \
            f"failed after logging {metrics} metric(s): {message}"
    if network and (NETWORK_ERRORS.search(cls) or NETWORK_ERRORS.search(stderr) or "Connection" in cls):
        return RunStatus.NETWORK_BLOCKED, cls, f"tried {network[0]}{' and more' if len(network) > 1 else ''}: {message}"
    if NETWORK_ERRORS.search(cls) or (not cls and NETWORK_ERRORS.search(stderr)):
        return RunStatus.NETWORK_BLOCKED, cls, message
    if cls in ("ModuleNotFoundError", "ImportError") or BINARY.search(stderr):
        return _import_status(cls, message, stderr, local_modules), cls or "ImportError", message
    if lfs_pointers:
        return RunStatus.LFS_POINTER, cls, (f"read {lfs_pointers[0]}, a Git LFS pointer whose content is not in the "
                                            f"repository, then failed: {message}")
    if cls == "FileNotFoundError" or (exc or {}).get("errno") == 2 or "No such file or directory" in message:
        return RunStatus.DATA_MISSING, cls or "FileNotFoundError", message
    return RunStatus.CRASHED, cls or f"exit code {outcome.exit_code}", message


def _import_status(cls: str, message: str, stderr: str, local_modules: set[str]) -> RunStatus:
    if BINARY.search(stderr) or BINARY.search(message):
        return RunStatus.VERSION_CONFLICT
    if "relative import" in message:
        return RunStatus.IMPORT_PATH
    module = _module_of(message)
    top = module.split(".")[0]
    if top and top in local_modules:
        return RunStatus.IMPORT_PATH
    if cls == "ModuleNotFoundError" or "No module named" in message:
        return RunStatus.MISSING_MODULE
    if "cannot import name" in message:
        return RunStatus.VERSION_CONFLICT
    return RunStatus.IMPORT_ERROR


def _module_of(message: str) -> str:
    m = re.search(r"No module named '([^']+)'", message) or re.search(r"cannot import name '[^']+' from '([^']+)'",
                                                                        message)
    return m.group(1) if m else ""


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""
