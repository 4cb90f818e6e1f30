"""Command line: ``python -m miners <command>``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from miners import MINER_VERSION, UsageError


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value}")
    return n


def _read_repo_list(path: Path) -> list[tuple[str, str | None]]:
    if not path.exists():
        raise UsageError(f"repository list not found: {path}")
    text = path.read_text()
    first = text.splitlines()[0] if text.strip() else ""
    if "," in first and "repo" in first.split(","):
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(text)))
        return [(r["repo"].strip(), (r.get("sha") or "").strip() or None) for r in rows if r.get("repo")]
    return [(ln.strip(), None) for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m miners", description="Mine repositories that use MLflow.")
    parser.add_argument("--version", action="version", version=f"mlflow-mining miners {MINER_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("scan", help="scan repository work trees for tracking, seed and registry call sites")
    p.add_argument("repos", nargs="+", type=Path, metavar="REPO_DIR", help="checked-out repositories; the id is the folder name (owner__name)")
    p.add_argument("--out", type=Path, required=True, help="output folder for call_sites.csv, files.csv, repo_features.csv")
    p.add_argument("--jobs", type=_positive, default=1, help="parser processes (default 1)")
    p.add_argument("--cache-dir", type=Path, default=None, help="per-file result cache (content hash + miner version)")
    p.add_argument("--max-py-bytes", type=_positive, default=5_000_000, help="skip .py files larger than this (default 5 MB)")
    p.add_argument("--max-ipynb-bytes", type=_positive, default=50_000_000, help="skip notebooks larger than this (default 50 MB)")
    p.add_argument("--timeout-per-file", type=float, default=120.0, help="seconds a parser may spend on one file (default 120)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("clone", help="clone repositories at pinned commits (only the files the miners read)")
    p.add_argument("--repos-file", type=Path, required=True, help="a CSV with a repo (owner/name) column and optional sha column, or a text file of owner/name lines")
    p.add_argument("--out", type=Path, default=Path("data/clones"), help="folder for the clones (default data/clones)")
    p.add_argument("--status", type=Path, default=Path("data/clone_status.csv"), help="status table (default data/clone_status.csv)")
    p.add_argument("--url-template", default="https://github.com/{owner}/{name}.git", help="clone URL; {owner} {name} {full_name}; e.g. file:///mirrors/{owner}+{name}/repo")
    p.add_argument("--jobs", type=_positive, default=4)
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per repository (default 600)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("discover", help="search GitHub (topics and queries of the protocol) into data/raw/discovery")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"))
    p.add_argument("--api-url", default="https://api.github.com", help="GitHub API base URL (GitHub Enterprise, or a recorded-response server in tests)")
    p.add_argument("--raw-dir", type=Path, default=Path("data/raw/discovery"))
    p.add_argument("--corpus", type=Path, default=Path("data/corpus-discovered.csv"), help="normalised output")
    p.add_argument("--normalise-only", action="store_true", help="only turn the raw files into the corpus CSV")

    p = sub.add_parser("frame", help="build study/frame.csv from the list the frame was assembled into (study/frame.md)")
    p.add_argument("--from", dest="source", type=Path, required=True,
                   help="the candidates CSV (repo, evidence_strength, evidence, kind_guess, has_mlproject, "
                        "runnable_guess, cluster)")
    p.add_argument("--out", type=Path, default=Path("study/frame.csv"))

    p = sub.add_parser("mine", help="corpus -> sample -> clone -> scan -> results/ (resumable; local pool or Dask)")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"))
    p.add_argument("--frame", type=Path, default=None, help="a fixed sampling frame instead of API discovery (default: the protocol's)")
    p.add_argument("--work", type=Path, default=Path("data"), help="working folder: clones, task records, cache, logs")
    p.add_argument("--results", type=Path, default=Path("results"))
    p.add_argument("--jobs", type=_positive, default=None, help="repositories in parallel (default: the protocol's scan.jobs)")
    p.add_argument("--scheduler", default=None, help="run the tasks on a Dask cluster, e.g. tcp://10.0.0.1:8786")
    p.add_argument("--url-template", default=None, help="clone URL template (default: the protocol's), e.g. file:///mirrors/{owner}+{name}/repo")
    p.add_argument("--repin", action="store_true", help="ignore the SHAs pinned in results/corpus.csv and take the current default-branch heads")
    p.add_argument("--snapshots", type=Path, default=None, help="CSV full_name,status,head,reason of the repositories whose snapshot was looked up: only those are cloned, the rest are 'snapshot_pending' (a census in chunks)")
    p.add_argument("--records", type=Path, default=None, help="committed records to resume from and write to (default: RESULTS/records)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("snapshots", help="the census's snapshot list: the next repositories to fetch, or merge fetch results (study/snapshots.csv)")
    p.add_argument("action", choices=("next", "add"), help="next: print the next pending repositories in rank order; add: merge fetch results")
    p.add_argument("--from", dest="files", nargs="+", type=Path, default=[], help="add: fetch result CSVs (full_name,status,path,head,reason)")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"))
    p.add_argument("--snapshots", type=Path, default=Path("study/snapshots.csv"))
    p.add_argument("--count", type=_positive, default=500, help="next: how many (default 500, one session's fetches)")
    p.add_argument("--out", type=Path, default=None, help="next: write the list here too")

    p = sub.add_parser("demo-mirrors", help="serve study/sample-corpus as bare git repositories for the demo")
    p.add_argument("sample", type=Path, nargs="?", default=Path("study/sample-corpus"))
    p.add_argument("--out", type=Path, default=Path("data/demo"))

    p = sub.add_parser("practices", help="repository practices: data, model and environment versioning, CI, traceability")
    p.add_argument("repos", nargs="+", type=Path, metavar="REPO_DIR")
    p.add_argument("--out", type=Path, required=True, help="output folder for repo_practices.csv")
    p.add_argument("--features", type=Path, default=None, help="repo_features.csv of a scan of the same repositories (for the measures that need call sites)")

    p = sub.add_parser("history", help="walk each cloned repository's history (PyDriller) -> repo_history.csv, history_events.csv")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"))
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"), help="corpus.csv of a mine (cloned repositories, pinned SHAs)")
    p.add_argument("--url-template", default=None, help="clone URL template (default: the protocol's), e.g. file:///mirrors/{owner}+{name}/repo")
    p.add_argument("--work", type=Path, default=Path("data/history"), help="clones with history, per-repository records, the parse cache")
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--jobs", type=_positive, default=2, help="parser processes")
    p.add_argument("--repos", default="", help="comma-separated owner/name: walk only these (the tables still cover every record)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("summary", help="print what a scan found, in counts")
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="the --out folder of a scan")

    p = sub.add_parser("codebook", help="render the codebook from the detectors' docstrings")
    p.add_argument("--format", choices=["markdown", "latex"], default="markdown")
    p.add_argument("--out", type=Path, default=None, help="write to this file instead of standard output")

    p = sub.add_parser("rerun", help="re-execute sampled projects K times per condition in a sandbox; variance of their metrics")
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"), help="mined corpus (results/corpus.csv)")
    p.add_argument("--features", type=Path, default=None, help="repo_features.csv (default: next to --corpus)")
    p.add_argument("--clones", type=Path, default=Path("data/clones"), help="folder of the mined checkouts")
    p.add_argument("--sample", type=int, default=40, help="repositories drawn by the seeded stratified sample (0: none)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the sample (default 2026, the protocol's)")
    p.add_argument("--repos", default="", help="owner/name,... to rerun as well (picked_by=explicit)")
    p.add_argument("--project-dirs", type=Path, nargs="*", default=None,
                   help="local project folders instead of the corpus (repository id = folder name)")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"),
                   help="the study protocol; its [rerun] section gives the defaults of --runs, --timeout, "
                        "--max-recipes and --latest-date")
    p.add_argument("--runs", type=_positive, default=None, help="runs per condition (default: the protocol's)")
    p.add_argument("--timeout", type=float, default=None, help="wall-clock limit per run in seconds (default: the protocol's)")
    p.add_argument("--max-recipes", type=_positive, default=None, help="recipes tried on the first run (default: the protocol's)")
    p.add_argument("--latest-date", default=None, help="YYYY-MM-DD of the latest_env condition (default: the protocol's)")
    p.add_argument("--conditions", default="as_written,seeds_forced",
                   help="comma-separated registered conditions (miners/rerun/conditions.py): as_written, "
                        "seeds_forced, latest_env")
    p.add_argument("--jobs", type=_positive, default=1, help="projects run in parallel (default 1)")
    p.add_argument("--memory-mb", type=_positive, default=12288, help="address-space limit per run, MiB")
    p.add_argument("--threads", type=_positive, default=1, help="threads of numeric libraries (OMP etc.)")
    p.add_argument("--wheels", type=Path, default=Path("/opt/wheels"), help="folder of local wheels (CPU torch)")
    p.add_argument("--work", type=Path, default=Path("data/rerun"), help="records, environments and run folders")
    p.add_argument("--out", type=Path, default=Path("results"), help="where the CSVs go")
    p.add_argument("--no-skip", action="store_true", help="execute every run even after a failure that repeats")
    p.add_argument("--cache", type=Path, default=None, help="package cache shared by the projects (default: uv's own)")
    p.add_argument("--python-env", type=Path, default=None,
                   help="use this existing environment (a venv prefix) for every project instead of building one")
    p.add_argument("--unsafe-no-sandbox", action="store_true", help="run untrusted code without a sandbox")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("rerun-study", help="the reproducibility study: the census's seeded queue, probed then repeated in "
                                            "three conditions, resumable from results/records/rerun (make rerun)")
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"), help="the census (results/corpus.csv)")
    p.add_argument("--protocol", type=Path, default=Path("study/protocol.toml"),
                   help="its [rerun] section gives runs, timeout, max_recipes, latest_date and target_judged")
    p.add_argument("--url-template", default=None, help="clone URL template (default: the protocol's), "
                                                        "e.g. file:///work/.mirror/{owner}+{name}/repo")
    p.add_argument("--seed", type=int, default=2026, help="seed of the order (default 2026, the protocol's)")
    p.add_argument("--work", type=Path, default=Path("data/rerun-study"), help="clones, envs, runs and work records")
    p.add_argument("--cache", type=Path, default=Path("data/rerun-cache"), help="package cache shared by the projects")
    p.add_argument("--records", type=Path, default=Path("results/records"), help="committed records (read and written)")
    p.add_argument("--out", type=Path, default=Path("results"), help="where the CSVs go")
    p.add_argument("--max-hours", type=float, default=0.0, help="start no project after this many hours (0: no limit)")
    p.add_argument("--max-projects", type=int, default=0, help="attempt at most this many new projects (0: no limit)")
    p.add_argument("--target-judged", type=int, default=None, help="default: the protocol's [rerun] target_judged")
    p.add_argument("--jobs", type=_positive, default=1, help="projects at a time on this machine")
    p.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler: run the projects there")
    p.add_argument("--runs", type=_positive, default=None)
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--memory-mb", type=_positive, default=12288)
    p.add_argument("--wheels", type=Path, default=Path("/opt/wheels"))
    p.add_argument("--python-env", type=Path, default=None, help="one existing environment for every project (tests)")
    p.add_argument("--min-free-gb", type=float, default=15.0,
                   help="below this much free disk (GB) empty the package cache between projects, and stop if "
                        "that is not enough (0: no guard; default 15)")
    p.add_argument("--publish-only", action="store_true", help="attempt nothing: publish the committed records")
    p.add_argument("--unsafe-no-sandbox", action="store_true")

    p = sub.add_parser("rerun-mirrors", help="the next pending projects of the study's queue: the mirrors a chunk needs")
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"))
    p.add_argument("--records", type=Path, default=Path("results/records"))
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--next", type=int, default=100, help="how many (default 100)")
    p.add_argument("--missing", default=None, metavar="URL_TEMPLATE",
                   help="list only those whose file:// mirror under this template is absent")

    p = sub.add_parser("rerun-order", help="the seeded rerun order: eligible projects by rank, one per template family")
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"), help="mined corpus (results/corpus.csv)")
    p.add_argument("--features", type=Path, default=None, help="repo_features.csv (default: next to --corpus)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the order (default 2026, the protocol's)")
    p.add_argument("--exclude", type=Path, nargs="*", default=[],
                   help="CSVs with a full_name column of projects to leave out (e.g. results/rerun_sample.csv)")
    p.add_argument("--first", type=int, default=0, help="only the first N (0: all)")
    p.add_argument("--out", type=Path, default=None, help="write the CSV here instead of standard output")

    p = sub.add_parser("rerun-check", help="the harness's first runs against a reading of the projects")
    p.add_argument("--readings", type=Path, default=Path("study/rerun-readings/first30.csv"))
    p.add_argument("--reruns", type=Path, required=True, help="reruns.csv of a rerun of the read projects")
    p.add_argument("--out", type=Path, default=None, help="write the joined table here (CSV)")

    p = sub.add_parser("rerun-subset", help="frame and corpus rows of the projects of a rerun order, to re-mine them")
    p.add_argument("names", type=Path, help="a CSV with a full_name column (study/rerun-readings/order.csv)")
    p.add_argument("--corpus", type=Path, default=Path("results/corpus.csv"))
    p.add_argument("--frame", type=Path, default=Path("study/frame.csv"))
    p.add_argument("--out", type=Path, required=True, help="folder: frame.csv and results/corpus.csv go there")

    p = sub.add_parser("bench", help="scanner throughput against ast and libcst baselines")
    p.add_argument("corpus", type=Path, help="a folder of repository work trees (each subfolder is one repository)")
    p.add_argument("--max-files", type=int, default=0, help="use at most this many files for the parser baselines (0: all)")
    p.add_argument("--work", type=Path, default=Path("data/bench"), help="scratch folder for outputs and caches")
    p.add_argument("--skip-qnp", action="store_true", help="skip the slow QualifiedNameProvider baseline")
    p.add_argument("--skip-rerun", action="store_true", help="skip the rerun harness's cost measurement")
    p.add_argument("--repeat", type=_positive, default=2, help="runs per timing; the minimum is reported (default 2)")
    return parser


def _rerun(args: argparse.Namespace) -> int:
    from miners.protocol import Rerun, load
    from miners.rerun import conditions as registry
    from miners.rerun.config import Config
    from miners.rerun.harness import rerun
    from miners.rerun.publish import publish
    from miners.rerun.sampling import local_projects, sample

    try:
        conditions = registry.parse(args.conditions)
    except ValueError as exc:
        raise UsageError(f"--conditions: {exc}") from None
    settings = load(args.protocol).rerun if args.protocol.exists() else Rerun()
    try:
        if args.project_dirs:
            projects = local_projects(args.project_dirs)
        else:
            features = args.features or args.corpus.parent / "repo_features.csv"
            for f in (args.corpus, features):
                if not f.exists():
                    raise UsageError(f"{f} not found: run `make mine` first, or give --project-dirs")
            explicit = [n.strip() for n in args.repos.split(",") if n.strip()]
            projects = sample(args.corpus, features, args.clones, args.sample, args.seed, explicit)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    missing = [p.repo for p in projects if not p.root.is_dir()]
    if missing:
        raise UsageError(f"{len(missing)} checkout(s) missing under {args.clones} (e.g. {missing[0]}): run `make mine` first")
    cfg = Config(work=args.work.resolve(), runs=args.runs or settings.runs, conditions=conditions,
                 timeout=args.timeout or settings.timeout_seconds,
                 max_recipes=args.max_recipes or settings.max_recipes,
                 latest_date=args.latest_date or settings.latest_date,
                 memory_mb=args.memory_mb, threads=args.threads, jobs=args.jobs,
                 wheels=args.wheels if args.wheels.is_dir() else None, skip_repeating=not args.no_skip,
                 unsafe_no_sandbox=args.unsafe_no_sandbox, cache=args.cache, python_env=args.python_env)
    from miners.rerun.sandbox import NoSandbox

    try:
        rerun(projects, cfg, progress=not args.no_progress)
    except NoSandbox as exc:
        raise UsageError(str(exc)) from None
    drawn = ({"project_dirs": [str(d) for d in args.project_dirs]} if args.project_dirs else
              {"corpus": str(args.corpus), "size": args.sample, "seed": args.seed, "explicit": args.repos,
               "strata": "sets_seed (seed|noseed) x script|notebook", "rank": "sha256('<seed>:<owner/name>') (miners.corpus.sample.rank)"})
    _print_funnel(publish(projects, cfg, args.out, drawn))
    return 0


def _print_funnel(rows: list[dict]) -> None:
    """The rerun funnel, one line per (condition, stage)."""
    for row in rows:
        print(f"{row['condition']:13s} {row['step']}. {row['stage']:15s} {row['repositories']:4d}  "
              f"dropped {row['dropped']:4d}  {row['drop_reasons']}")


def _study_queue(corpus: Path, seed: int) -> list:
    from miners.rerun.study import queue

    features, practices = corpus.parent / "repo_features.csv", corpus.parent / "repo_practices.csv"
    for f in (corpus, features, practices):
        if not f.exists():
            raise UsageError(f"{f} not found: run `make mine` first (the study draws from the census)")
    return queue(corpus, features, practices, seed)


def _local_path(template: str, full_name: str) -> Path | None:
    from miners.corpus.clone_stage import url_for

    url = url_for(template, full_name)
    return Path(url.removeprefix("file://")) if url.startswith("file://") else None


def _rerun_study(args: argparse.Namespace) -> int:
    from miners.corpus.clone_stage import url_for
    from miners.protocol import Rerun, load
    from miners.rerun import study
    from miners.rerun.config import Config
    from miners.rerun.publish import publish_study
    from miners.rerun.sandbox import NoSandbox

    proto = load(args.protocol) if args.protocol.exists() else None
    settings = proto.rerun if proto else Rerun()
    template = args.url_template or (proto.clone.url_template if proto else "https://github.com/{owner}/{name}.git")
    items = _study_queue(args.corpus, args.seed)
    cfg = Config(work=args.work.resolve(), runs=args.runs or settings.runs, conditions=study.ALL,
                 timeout=args.timeout or settings.timeout_seconds, max_recipes=settings.max_recipes,
                 latest_date=settings.latest_date, memory_mb=args.memory_mb, jobs=args.jobs,
                 wheels=args.wheels.resolve() if args.wheels.is_dir() else None,
                 unsafe_no_sandbox=args.unsafe_no_sandbox, cache=args.cache.resolve(),
                 python_env=args.python_env.resolve() if args.python_env else None)
    target = settings.target_judged if args.target_judged is None else args.target_judged

    def available(name: str) -> bool:
        local = _local_path(template, name)
        return local is None or local.exists()

    if not args.publish_only:
        from miners.rerun.publish import harness_version

        limit = args.max_projects
        started = {"n": 0}

        def gate(name: str) -> bool:
            if limit and started["n"] >= limit:
                return False
            ok = available(name)
            started["n"] += ok
            return ok

        try:
            prog = study.chunk(items, cfg, args.records, lambda n: url_for(template, n), harness=harness_version(),
                               max_hours=args.max_hours, target_judged=target, scheduler=args.scheduler,
                               available=gate, min_free_gb=args.min_free_gb)
        except NoSandbox as exc:
            raise UsageError(str(exc)) from None
        print(f"chunk: {prog.done_now} project(s) attempted now; {prog.attempted} attempted, "
              f"{prog.judged}/{target} judged in all; {prog.pending_here} could not be cloned or run here (pending)",
              file=sys.stderr)
    rows = publish_study(items, cfg, args.records, args.out, {"seed": args.seed, "corpus": str(args.corpus),
                                                               "target_judged": target, "plan": study.PLAN})
    _print_funnel(rows)
    return 0


def _rerun_mirrors(args: argparse.Namespace) -> int:
    from miners.rerun import study

    items = study.pending(_study_queue(args.corpus, args.seed), args.records)
    if args.missing:
        items = [q for q in items if not (_local_path(args.missing, q.full_name) or Path("/")).exists()]
    for q in items[: args.next]:
        print(q.full_name)
    return 0


def _rerun_order(args: argparse.Namespace) -> int:
    from miners.csvio import read_csv, write_csv
    from miners.rerun.sampling import order
    features = args.features or args.corpus.parent / "repo_features.csv"
    for f in (args.corpus, features, *args.exclude):
        if not f.exists():
            raise UsageError(f"{f} not found: run `make mine` first")
    exclude = {r["full_name"] for f in args.exclude for r in read_csv(f)}
    rows = order(args.corpus, features, args.seed, exclude, args.first)
    columns = ["position", "full_name", "commit", "commit_date", "rank", "stratum", "family"]
    if args.out:
        write_csv(args.out, columns, rows, sort_key=["rank"])
    else:
        for r in rows:
            print(f"{r['position']:>4} {r['full_name']} {r['commit'][:12]} {r['stratum']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "scan":
            from miners.scan.files import Limits
            from miners.scan.tables import scan

            summary = scan(args.repos, args.out, jobs=args.jobs, cache_dir=args.cache_dir,
                           limits=Limits(args.max_py_bytes, args.max_ipynb_bytes),
                           progress=not args.no_progress, timeout_per_file=args.timeout_per_file)
            print(summary.as_text())
            return 0
        if args.command == "clone":
            from miners.corpus.clone_stage import clone_many, write_status

            repos = _read_repo_list(args.repos_file)
            results = clone_many(repos, args.out, args.url_template, args.jobs, args.timeout, not args.no_progress)
            write_status(args.status, results)
            counts: dict[str, int] = {}
            for r in results:
                counts[r.status] = counts.get(r.status, 0) + 1
            print(f"{len(results)} repositories: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            return 0
        if args.command in ("discover", "mine"):
            from miners.protocol import ProtocolError, load

            try:
                protocol = load(args.protocol)
            except ProtocolError as exc:
                raise UsageError(str(exc)) from None
        if args.command == "discover":
            from miners.corpus.discover import discover, normalise

            if not args.normalise_only:
                d = protocol.discover
                path = discover(d.topics, d.queries, args.raw_dir, args.api_url, d.created_from, d.created_to,
                                d.seconds_between_requests)
                print(f"raw responses appended to {path}")
            n = normalise(args.raw_dir, args.corpus)
            print(f"{n} repositories in {args.corpus}")
            return 0
        if args.command == "frame":
            from miners.corpus.frame import build_frame

            if not args.source.exists():
                raise UsageError(f"candidates CSV not found: {args.source} (give --from; study/frame.md says what it holds)")
            print(f"{build_frame(args.source, args.out)} repositories in {args.out}")
            return 0
        if args.command == "mine":
            from miners.mine import mine

            try:
                funnel = mine(protocol, args.work, args.results, args.frame, args.jobs or protocol.scan.jobs,
                              args.scheduler, args.url_template, not args.no_progress, args.repin,
                              args.snapshots, args.records)
            except (FileNotFoundError, ValueError) as exc:
                raise UsageError(str(exc)) from None
            for row in funnel:
                print(f"{row['step']}. {row['stage']:20s} {row['repositories']:6d}  dropped {row['dropped']:6d}  {row['drop_reasons']}")
            return 0
        if args.command == "snapshots":
            from miners import snapshots
            from miners.protocol import load as load_protocol

            protocol = load_protocol(args.protocol)
            if args.action == "next":
                frame = Path(protocol.discover.frame)
                if not frame.exists():
                    raise UsageError(f"the protocol's frame {frame} is missing (make frame)")
                names = snapshots.pending(frame, args.snapshots, protocol.sample.seed)[:args.count]
                print(snapshots.write_list(names, args.out), end="")
                return 0
            if not args.files:
                raise UsageError("snapshots add needs the fetch result CSVs to merge: --from FILE...")
            try:
                counts = snapshots.merge(args.snapshots, args.files)
            except snapshots.SnapshotError as exc:
                raise UsageError(str(exc)) from None
            print(f"{args.snapshots}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            return 0
        if args.command == "demo-mirrors":
            from miners.corpus.demo import build

            print(f"sample corpus served as git repositories; frame: {build(args.sample, args.out)}")
            return 0
        if args.command == "practices":
            from miners.csvio import read_csv, write_csv
            from miners.practices.repo_practices import PRACTICE_COLUMNS, repo_practices
            from miners.scan.tables import repo_ids

            feats = {r["repo"]: r for r in read_csv(args.features)} if args.features else {}
            rows = [repo_practices(rid, path, feats.get(rid)) for rid, path in repo_ids(args.repos)]
            n = write_csv(args.out / "repo_practices.csv", PRACTICE_COLUMNS, rows, sort_key=["repo"])
            print(f"{n} repositories in {args.out / 'repo_practices.csv'}")
            return 0
        if args.command == "history":
            from miners.history.tables import history
            from miners.protocol import load
            from miners.scan.files import Limits

            if not args.corpus.exists():
                raise UsageError(f"{args.corpus} not found: run `make mine` first")
            import time

            from miners import runlog

            protocol = load(args.protocol)
            started, wall = time.monotonic(), time.time()
            from miners.committed import StaleRecordsError

            try:
                counts = history(args.corpus, args.url_template or protocol.clone.url_template, args.work,
                                 args.out, args.jobs, Limits(protocol.scan.max_py_bytes, protocol.scan.max_ipynb_bytes),
                                 protocol.scan.timeout_per_file, progress=not args.no_progress,
                                 only=[n.strip() for n in args.repos.split(",") if n.strip()])
            except StaleRecordsError as exc:
                raise UsageError(str(exc)) from None
            # walked or restored in this run: the records it wrote
            written = sum(1 for p in (args.work / "records").glob("*.json") if p.stat().st_mtime >= wall)
            runlog.write(args.work / "logs", "history", sum(counts.values()), written, 0, time.monotonic() - started)
            return 0
        if args.command == "summary":
            from miners.summary import summarize

            try:
                sys.stdout.write(summarize(args.out))
            except FileNotFoundError as exc:
                raise UsageError(str(exc)) from None
            return 0
        if args.command == "rerun":
            return _rerun(args)
        if args.command == "rerun-study":
            return _rerun_study(args)
        if args.command == "rerun-mirrors":
            return _rerun_mirrors(args)
        if args.command == "rerun-order":
            return _rerun_order(args)
        if args.command == "rerun-subset":
            from miners.rerun import readings

            print(f"{readings.subset(args.names, args.corpus, args.frame, args.out)} repositories -> {args.out}")
            return 0
        if args.command == "rerun-check":
            from miners.rerun import readings

            for f in (args.readings, args.reruns):
                if not f.exists():
                    raise UsageError(f"{f} not found")
            rows = readings.check(args.readings, args.reruns)
            if args.out:
                readings.write(rows, args.out)
            print(readings.summary(rows), end="")
            return 0
        if args.command == "codebook":
            from miners.codebook import render

            text = render(args.format)
            if args.out:
                from miners.csvio import atomic_write_bytes

                atomic_write_bytes(args.out, text.encode())
            else:
                sys.stdout.write(text)
            return 0
        if args.command == "bench":
            from miners.bench import run_bench

            return run_bench(args.corpus, args.work, max_files=args.max_files, skip_qnp=args.skip_qnp, repeat=args.repeat,
                             rerun=not args.skip_rerun)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2
