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
