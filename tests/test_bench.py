"""`make bench` runs end to end (on the sample corpus: the numbers are not asserted, timing
assertions do not belong in tests; what is asserted is that every row is produced and the
scanner's outputs are identical across cold, warm and parallel runs)."""

from __future__ import annotations

from miners.bench import run_bench
from tests.conftest import SAMPLE


def test_bench_prints_every_row_and_identical_outputs(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for project in SAMPLE.iterdir():
        (corpus / project.name).symlink_to(project)
    assert run_bench(corpus, tmp_path / "work", repeat=1) == 0
    out = capsys.readouterr().out
    for row in ("ast.parse", "libcst.parse_module", "libcst + QualifiedNameProvider", "scanner cold, --jobs 1",
                "scanner warm (unchanged files)", "scanner cold, --jobs 2", "peak memory"):
        assert row in out
    assert "outputs byte-identical across cold/warm/jobs:  True" in out
    assert "(recall 1.0000)" in out and "missed by the textual prefilter: 0" in out
    for row in ("rerun harness cost", "bare", "harness", "overhead", "sandbox", "read_store", "env cold", "env warm"):
        assert row in out


def test_census_report_reads_the_latest_run_log_of_each_stage(tmp_path) -> None:
    import json

    from miners import runlog
    from miners.bench import census_report

    mine_logs, hist_logs = tmp_path / "logs", tmp_path / "history" / "logs"
    old = runlog.write(mine_logs, "mine", 10, 10, 0, 60.0)
    old.rename(mine_logs / "mine-20000101T000000Z.json")  # an older run
    runlog.write(mine_logs, "mine", 1065, 500, 565, 150.0)
    info = json.loads(sorted(mine_logs.glob("mine-*.json"))[-1].read_text())
    assert info["repositories_per_minute"] == 200.0 and info["max_rss_mb"]["self"] > 0
    text = census_report((mine_logs, hist_logs))
    assert " 1065 repos,   500 run,   565 restored" in text and "200.0 repos/min" in text
    assert "history  no run log" in text


def test_max_files_scans_the_same_files_the_baselines_parse(tmp_path) -> None:
    from miners.bench import _load, subset_corpus
    from miners.scan.tables import scan

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for project in SAMPLE.iterdir():
        (corpus / project.name).symlink_to(project)
    _repos, files = _load(corpus, 3)
    repos = subset_corpus(corpus, files, tmp_path / "subset")
    result_dir = tmp_path / "out"
    scan(repos, result_dir, jobs=1, cache_dir=tmp_path / "cache", progress=False)
    scanned = (result_dir / "files.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert len(files) == 3 and len(scanned) == 3  # not every file of the corpus
    assert sorted(f"{line.split(',')[0]}/{line.split(',')[1]}" for line in scanned) == sorted(
        rel for rel, _units, _size in files)
