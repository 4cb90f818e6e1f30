"""The project's foundation: dependency lists in step, Make self-documenting, codebook current."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml

from miners.codebook import render
from tests.conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]} | {_name(r) for r in project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted


def test_make_help_lists_every_target_with_a_description():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    targets = set(re.findall(r"^([a-zA-Z_-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    documented = set(re.findall(r"^([a-zA-Z_-]+):.*?## ", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert {"demo", "test", "help", "bench", "codebook"} <= documented
    assert targets - {"help"} <= documented | {t for t in targets if t.startswith("$")}
    for t in documented:
        assert t in out


def test_readme_opens_with_demo_and_test():
    head = (ROOT / "README.md").read_text().split("\n## ")[0]
    assert head.index("make demo") < head.index("make test")


def test_committed_codebook_is_current():
    committed = (ROOT / "study" / "codebook.md").read_text()
    strip = lambda t: re.sub(r"\(miner [^)]*\)", "", t)  # noqa: E731 - the version digest changes with any source edit
    assert strip(committed) == strip(render("markdown")), "run `make codebook`"
    for category in ("tracking", "seed", "registry"):
        assert f"Category `{category}`" in committed


def test_codebook_latex_has_one_section_per_category():
    tex = render("latex")
    for category in ("tracking", "seed", "registry"):
        assert tex.count(f"\\subsubsection*{{Category {category}}}") == 1
    assert tex.count("\\begin{enumerate}") == tex.count("\\end{enumerate}") >= 2


def test_packages_run_as_modules():
    for pkg in ("miners", "analysis"):
        proc = subprocess.run([sys.executable, "-m", pkg, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_miner_version_digests_the_mined_rooms_only(tmp_path):
    import shutil

    import miners

    root = tmp_path / "miners"
    shutil.copytree(ROOT / "miners", root, ignore=shutil.ignore_patterns("__pycache__"))
    assert f"{miners.__version__}+{miners.source_digest(ROOT / 'miners')}" == miners.MINER_VERSION
    before = miners.source_digest(root)
    for outside in ("cli.py", "mine.py", "csvio.py", "rerun/harness.py", "rerun/conditions.py"):
        with open(root / outside, "a") as fh:
            fh.write("# an edit outside the mined rooms\n")
    assert miners.source_digest(root) == before
    for inside in ("scan/detectors/seeds.py", "corpus/clone.py", "practices/envspec/pinning.py", "schema/ids.py"):
        with open(root / inside, "a") as fh:
            fh.write("# a comment inside a mined room\n")
        assert miners.source_digest(root) == before, inside  # documentation only
        with open(root / inside, "a") as fh:
            fh.write("_EDITED = 1\n")
        assert miners.source_digest(root) != before, inside
        before = miners.source_digest(root)
    seeds = root / "scan/detectors/seeds.py"
    text = seeds.read_text()
    seeds.write_text(text.replace('"""seed — code that fixes', '"""seed — code, reworded, that fixes', 1))
    assert seeds.read_text() != text and miners.source_digest(root) == before  # a docstring edit
    seeds.write_text(text.replace('"random_state", "random_seed", "seed"', '"random_state", "seed"', 1))
    assert miners.source_digest(root) != before  # a detector's table


def test_codebook_prints_what_a_seeding_function_also_covers():
    """seed_coverage counts the frameworks a seeding function covers; the codebook must say so
    (the held-out validation found a difference that rested on this unprinted rule)."""
    text = render("markdown")
    assert "| `numpy.random.seed` | numpy; also covers sklearn |" in text
    assert "| `torch.manual_seed` | torch |" in text
