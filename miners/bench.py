"""``make bench``: throughput of the scanner against parser baselines, from one run.

Measured on the same files (every readable candidate ``.py``/``.ipynb`` of the corpus; for
notebooks, the code cells after the IPython transformation):

* ``ast.parse`` and bare ``libcst.parse_module`` (sources preloaded in memory);
* libcst + ``QualifiedNameProvider`` (the full scope analysis);
* the scanner cold (``--jobs 1``, empty cache: listing, reading, hashing, parsing, detecting,
  writing the CSVs), warm (same cache, unchanged files), and cold with ``--jobs 2``;
* peak memory (max RSS of the scanning process and of its largest worker) for a quarter,
  half and all of the repositories;
* agreement of the scanner's name resolution with ``QualifiedNameProvider``: every call whose
  callee the full resolution maps into a watched namespace (``mlflow.*`` and the seed and
  registry tables) is looked up among the light resolver's calls at the same position
  (recall), plus the calls only the light resolver resolves (instance methods, star imports),
  and whether the textual prefilter passed every file with such a call.

Then the rerun harness's own cost per run against a bare run of the same script, and an
environment build with a cold and a warm package cache (:mod:`miners.rerun.bench`).

Throughput is files/s and MB/s of candidate file bytes; ratios are to ``libcst.parse_module``.
Each timing is the minimum of ``--repeat`` runs (the usual defence against a noisy, shared
machine, where a single run of the same work varies by 20% and more); the QualifiedNameProvider
pass runs once.
"""

from __future__ import annotations

import ast
import json
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    PositionProvider,
    QualifiedNameProvider,
    QualifiedNameSource,
)

from miners.scan.collect import Collector
from miners.scan.detectors import TRIGGERS, registry, seeds
from miners.scan.files import list_candidates
from miners.scan.names import canonical
from miners.scan.notebooks import NotebookError, read_code_cells

WATCHED = frozenset(seeds.CALLS) | frozenset(seeds.GENERATORS) | frozenset(seeds.DETERMINISM) | frozenset(registry.FLUENT)


def watched(name: str | None) -> bool:
    return bool(name) and (name.startswith("mlflow.") or name in WATCHED)  # type: ignore[union-attr]


def _load(corpus: Path, max_files: int) -> tuple[list[Path], list[tuple[str, list[str], int]]]:
    repos = sorted(p for p in corpus.iterdir() if p.is_dir())
    files: list[tuple[str, list[str], int]] = []
    for repo in repos:
        for cand in list_candidates(repo):
            if cand.skip_status:
                continue
            try:
                data = (repo / cand.path).read_bytes()
            except OSError:
                continue
            if cand.kind == "ipynb":
                try:
                    units = [c.source for c in read_code_cells(data.decode("utf-8-sig"))]
                except (NotebookError, UnicodeDecodeError):
                    continue
            else:
                try:
                    units = [data.decode("utf-8")]
                except UnicodeDecodeError:
                    continue
            files.append((f"{repo.name}/{cand.path}", units, len(data)))
    if max_files:
        files = files[:max_files]
    return repos, files


def subset_corpus(corpus: Path, files: list[tuple[str, list[str], int]], into: Path) -> list[Path]:
    """A corpus of just ``files`` (``<repo>/<path>`` under ``corpus``), copied to ``into``, so that
    the scanner rows of a ``--max-files`` bench time the very files the parser baselines parse.
    Returns its repository folders, sorted."""
    for rel, _units, _size in files:
        target = into / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / rel, target)
    return sorted(p for p in into.iterdir() if p.is_dir()) if into.is_dir() else []


def _time(fn, files) -> tuple[float, int]:
    ok = 0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, units, _ in files:
            for src in units:
                try:
                    fn(src)
                    ok += 1
                except Exception:
                    pass
    return time.perf_counter() - t0, ok


def _agreement(files) -> dict[str, object]:
    """One pass of libcst + QualifiedNameProvider over every file: its time (the baseline,
    parse + scope analysis only) and the agreement of the light resolver with it."""
    full_total = light_hit = light_only = 0
    prefilter_misses = 0
    files_with_calls = 0
    examples: list[str] = []

    class Calls(cst.CSTVisitor):
        def __init__(self) -> None:
            self.calls: list[cst.Call] = []

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append(node)

    qnp_seconds = 0.0
    for path, units, _ in files:
        file_has = False
        for unit, src in enumerate(units):
            try:
                t0 = time.perf_counter()
                wrapper = MetadataWrapper(cst.parse_module(src))
                qn = wrapper.resolve(QualifiedNameProvider)
                qnp_seconds += time.perf_counter() - t0
                pos = wrapper.resolve(PositionProvider)
            except Exception:
                continue
            module = wrapper.module
            v = Calls()
            module.visit(v)
            full: set[tuple[int, int, str]] = set()
            for call in v.calls:
                value = qn.get(call.func, ())
                for q in (value() if callable(value) else value):
                    if q.source is QualifiedNameSource.IMPORT:
                        # ``f().m``: a method of what f returns; an API of mlflow only when f is a class
                        if any(not seg.split(".")[-1][:1].isupper() for seg in q.name.split("()")[:-1]):
                            continue
                        name = canonical(q.name.replace("().", "."))
                        if watched(name):
                            p = pos[call]
                            full.add((p.start.line, p.start.column, name))
            collector = Collector(look_for_uris=False)
            collector.add_module(module, 0)
            light: set[tuple[int, int, str]] = set()
            for raw in collector.out.calls:
                name = collector.out.bindings.resolve(raw.chain, raw.scope)
                if watched(name):
                    p = pos[raw.node]
                    light.add((p.start.line, p.start.column, name))
            full_total += len(full)
            light_hit += len(full & light)
            light_only += len(light - full)
            for miss in sorted(full - light)[:2]:
                if len(examples) < 10:
                    examples.append(f"{path}[{unit}]:{miss[0]} {miss[2]}")
            file_has = file_has or bool(full)
        if file_has:
            files_with_calls += 1
            text = "\n".join(units).lower()
            if not any(t in text for t in TRIGGERS):
                prefilter_misses += 1
    return {"qnp_seconds": qnp_seconds, "full_calls": full_total, "light_found": light_hit, "recall": light_hit / full_total if full_total else 1.0,
            "light_only": light_only, "files_with_calls": files_with_calls, "prefilter_misses": prefilter_misses,
            "missed_examples": examples}


def _scan_rss(repos: list[Path], out: Path, jobs: int) -> tuple[float, int, int]:
    """Scan in a fresh interpreter; returns (seconds, max RSS of the scanner, of its largest worker) in KiB."""
    code = (
        "import sys, resource, time, json; from pathlib import Path; from miners.scan.tables import scan;"
        "t=time.perf_counter(); scan([Path(p) for p in sys.argv[3:]], Path(sys.argv[1]), jobs=int(sys.argv[2]), progress=False);"
        "print(json.dumps([time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
        " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(out), str(jobs), *map(str, repos)],
                          capture_output=True, text=True, check=True)
    t, self_kb, child_kb = json.loads(proc.stdout.strip().splitlines()[-1])
    return t, self_kb, child_kb


def run_bench(corpus: Path, work: Path, max_files: int = 0, skip_qnp: bool = False, repeat: int = 2,
              rerun: bool = True) -> int:
    from miners import UsageError
    from miners.scan.tables import scan

    if not corpus.is_dir():
        raise UsageError(f"bench corpus folder not found: {corpus} (give a folder of repository work trees, e.g. data/clones)")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    repos, files = _load(corpus, max_files)
    n = len(files)
    mb = sum(f[2] for f in files) / 1e6
    print(f"corpus: {len(repos)} repositories, {n} readable .py/.ipynb files, {mb:.1f} MB", flush=True)
    rows: list[tuple[str, float]] = []
    t_ast = min(_time(ast.parse, files)[0] for _ in range(repeat))
    rows.append(("ast.parse", t_ast))
    t_cst = min(_time(cst.parse_module, files)[0] for _ in range(repeat))
    rows.append(("libcst.parse_module", t_cst))
    agree: dict[str, object] = {}
    if not skip_qnp:
        agree = _agreement(files)
        t_qnp = float(agree["qnp_seconds"])  # type: ignore[arg-type]
        rows.append(("libcst + QualifiedNameProvider", t_qnp))
    if max_files:
        repos = subset_corpus(corpus, files, work / "subset")
        print(f"(--max-files given: every row covers the same {n} files, copied to {work / 'subset'})")
    def best(name: str, jobs: int, warm: bool = False):
        runs = []
        for i in range(repeat):
            cache = work / f"cache-{name}-{i}"
            if warm:  # fill the cache, then time the rescan
                scan(repos, work / f"fill-{name}-{i}", jobs=2, cache_dir=cache, progress=False)
            runs.append(scan(repos, work / f"{name}-{i}", jobs=jobs, cache_dir=cache, progress=False))
        return min(runs, key=lambda r: r.seconds)

    s1 = best("cold1", 1)
    rows.append(("scanner cold, --jobs 1", s1.seconds))
    s_warm = best("warm1", 1, warm=True)
    rows.append(("scanner warm (unchanged files), --jobs 1", s_warm.seconds))
    s2 = best("cold2", 2)
    rows.append(("scanner cold, --jobs 2", s2.seconds))
    # the baseline again, after the scanner runs: the ratios use the better of all its runs
    t_cst_after = min(_time(cst.parse_module, files)[0] for _ in range(repeat))
    rows.insert(2, ("libcst.parse_module (again, after)", t_cst_after))
    t_cst = min(t_cst, t_cst_after)
    print(f"\n{'method':45s} {'seconds':>9s} {'files/s':>9s} {'MB/s':>7s} {'x libcst.parse':>15s}  (min of {repeat} runs each)")
    for name, secs in rows:
        print(f"{name:45s} {secs:9.2f} {n / secs:9.1f} {mb / secs:7.2f} {t_cst / secs:15.2f}")
    print("\nratios from this run:")
    print(f"  libcst.parse_module / ast.parse time:          {t_cst / t_ast:6.1f}x")
    if not skip_qnp:
        print(f"  libcst + QualifiedNameProvider / ast.parse:    {t_qnp / t_ast:6.1f}x")
    print(f"  scanner cold (jobs 1) speed vs bare libcst:    {t_cst / s1.seconds:6.2f}x  (target >= 1.0)")
    print(f"  warm rescan cost / cold scan cost:             {100 * s_warm.seconds / s1.seconds:6.1f}%  (target <= 5%)")
    print(f"  --jobs 2 speed-up over --jobs 1:               {s1.seconds / s2.seconds:6.2f}x  (target >= 1.7)")
    same = all((work / "cold1-0" / f).read_bytes() == (work / d / f).read_bytes()
               for d in ("warm1-0", "cold2-0", f"cold1-{repeat - 1}") for f in ("call_sites.csv", "files.csv", "repo_features.csv"))
    print(f"  outputs byte-identical across cold/warm/jobs:  {same}")
    print("\npeak memory (KiB max RSS) by number of repositories:")
    for k in (max(1, len(repos) // 4), max(1, len(repos) // 2), len(repos)):
        t, self_kb, child_kb = _scan_rss(repos[:k], work / f"mem{k}", 1)
        print(f"  {k:5d} repos: scanner {self_kb:8d}  largest worker {child_kb:8d}  ({t:.1f} s)")
    if agree:
        print("\nname resolution vs QualifiedNameProvider (calls into mlflow.* and the seed/registry tables):")
        print(f"  calls resolved by QualifiedNameProvider: {agree['full_calls']}; also found by the scanner's resolver: "
              f"{agree['light_found']} (recall {agree['recall']:.4f}); resolved only by the scanner (instances, star imports): {agree['light_only']}")
        print(f"  files with such calls: {agree['files_with_calls']}; of them missed by the textual prefilter: {agree['prefilter_misses']}")
        for ex in agree["missed_examples"]:
            print(f"    missed: {ex}")
    if rerun:
        from miners.rerun import bench as rerun_bench

        print()
        print(rerun_bench.render(rerun_bench.overhead(work / "rerun", repeat=max(repeat, 3))), end="")
    print(census_report(), end="")
    print(f"\npython {sys.version.split()[0]}, libcst {cst.__version__ if hasattr(cst, '__version__') else '?'}; "
          f"max RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KiB")
    return 0


def census_report(logs: tuple[Path, ...] = (Path("data/logs"), Path("data/history/logs"))) -> str:
    """The latest ``make mine`` and ``make history`` run logs (:mod:`miners.runlog`) of this
    machine, side by side: repositories, how many ran and were restored, wall time,
    repositories per minute (target >= 100 for the mine), peak memory. Snapshot fetches are
    not part of either (the fetch tool runs outside the pipeline); their time is reported in
    the census notes."""
    from miners import runlog

    lines = ["\ncensus runs (latest run log of each stage on this machine; fetches not included):"]
    found = False
    for folder, stage in ((logs[0], "mine"), (logs[1], "history")):
        info = runlog.latest(folder, stage)
        if info is None:
            lines.append(f"  {stage:8s} no run log in {folder}")
            continue
        found = True
        rate = info.get("repositories_per_minute")
        rss = info.get("max_rss_mb", {})
        lines.append(f"  {stage:8s} {info['repositories']:5d} repos, {info['done']:5d} run, {info['restored']:5d} restored, "
                     f"{info['seconds']:8.1f} s, {rate if rate is not None else 'n/a':>7} repos/min"
                     f"{'  (target >= 100)' if stage == 'mine' else ''}; peak RSS {rss.get('self', 0):.0f} MiB, "
                     f"largest child {rss.get('largest_child', 0):.0f} MiB ({info.get('finished_at', '')})")
    if not found:
        lines.append("  (run `make mine` and `make history` first)")
    return "\n".join(lines) + "\n"
