"""Run recipes (miners.rerun.recipes.candidates) on small fixture projects in git checkouts."""

from __future__ import annotations

from pathlib import Path

from miners.rerun.recipes import Recipe, Step, candidates, needs_arguments, recipe_text
from tests.conftest import git, notebook_json, write_files

LOGS = "import mlflow\nwith mlflow.start_run():\n    mlflow.log_metric('acc', 0.9)\n"
STARTS_ONLY = "import mlflow\nwith mlflow.start_run():\n    mlflow.log_param('a', 1)\n"


def project(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` into a committed git repository at ``root``."""
    write_files(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def texts(recipes: list[Recipe]) -> list[str]:
    return [recipe_text(r) for r in recipes]


def test_mlproject_entry_named_in_the_readme_ranks_first_with_its_documented_values(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "MLproject": "name: p\nentry_points:\n  tree:\n    parameters:\n      depth: {type: int, default: 3}\n"
                     "    command: python tree.py --depth {depth}\n"
                     "  knn:\n    parameters:\n      k: {type: int, default: 5}\n      w: {type: str}\n"
                     "    command: python knn.py -k {k} -w {w}\n",
        "README.md": "# p\n\n```\nmlflow run . -e knn -P w=uniform\n```\n",
        "knn.py": LOGS, "tree.py": LOGS,
    })
    recipes, _ = candidates(root)
    first = recipes[0]
    assert (first.source, first.where) == ("MLproject", "MLproject:entry knn")
    assert first.steps == (Step("mlflow_run", ("python", "knn.py", "-k", "5", "-w", "uniform"), "",
                                params=(("k", "5"), ("w", "uniform"))),)
    assert "named by README.md:4" in first.reason and "also README.md:4" in first.reason
    assert recipes[1].where == "MLproject:entry tree"  # then file order with defaults
    assert first.entry_paths == ("knn.py",)


def test_mlproject_entry_without_a_default_and_no_documented_value_is_skipped(tmp_path: Path) -> None:
    root = project(tmp_path, {"MLproject": "entry_points:\n  main:\n    parameters:\n      x: {type: float}\n"
                                           "    command: python m.py {x}\n", "m.py": LOGS})
    recipes, skipped = candidates(root)
    assert [r.source for r in recipes] == ["script"]
    assert skipped == ["MLproject:entry main: parameter 'x' has no default and no documented command gives one"]


def test_mlproject_command_that_resolves_only_from_the_root_gets_a_root_alternative(tmp_path: Path) -> None:
    root = project(tmp_path, {"deploy/MLproject": "entry_points:\n  main:\n    command: python src/train.py "
                                                  "--data data/x.csv\n",
                              "src/train.py": LOGS, "data/x.csv": "1\n"})
    recipes, _ = candidates(root)
    assert [(r.where, r.steps[0].cwd) for r in recipes[:2]] == [("deploy/MLproject:entry main", "deploy"),
                                                                ("deploy/MLproject:entry main", "")]
    assert "src/train.py, data/x.csv resolve(s) from the root, not from deploy/" in recipes[1].reason
    assert recipes[1].entry_paths == ("src/train.py",)


def test_consecutive_readme_commands_form_one_recipe_and_setup_is_recorded(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "README.md": "# x\n\n```bash\npip install -r requirements.txt\n$ python generate_data.py\n"
                     "python train.py --data data/x.csv\n```\n",
        "generate_data.py": "open('data/x.csv', 'w').write('1')\n", "train.py": LOGS,
    })
    recipes, skipped = candidates(root)
    assert recipes[0].where == "README.md:5"
    assert recipes[0].steps == (Step("python", ("python", "generate_data.py"), ""),
                                Step("python", ("python", "train.py", "--data", "data/x.csv"), ""))
    assert recipes[0].entry_paths == ("generate_data.py", "train.py")
    assert "README.md:4 pip install -r requirements.txt: setup, not run" in skipped


def test_cd_on_the_same_line_or_the_line_before_sets_the_step_folder(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "README.md": "```\ncd src && python forest.py -n 3\n```\n\n```\ncd src\nDATA=x.csv python3 -m pkg.run\n```\n",
        "src/forest.py": LOGS, "src/pkg/__init__.py": "", "src/pkg/run.py": LOGS,
    })
    recipes, _ = candidates(root)
    assert recipes[0].steps == (Step("python", ("python", "forest.py", "-n", "3"), "src"),)
    assert recipe_text(recipes[0]) == "cd src && python forest.py -n 3"
    assert recipes[1].steps == (Step("python", ("python", "-m", "pkg.run"), "src", env=(("DATA", "x.csv"),)),)
    assert recipes[1].entry_paths == ("src/pkg/run.py",)


def test_ci_run_block_steps_are_a_recipe_in_their_working_directory(tmp_path: Path) -> None:
    root = project(tmp_path, {
        ".github/workflows/ci.yml": "on: push\njobs:\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - uses: actions/checkout@v4\n      - run: pip install .\n"
                                    "      - name: train\n        working-directory: ml\n        run: |\n"
                                    "          python prep.py\n          python fit.py --epochs 1\n"
                                    "      - run: pytest -q\n",
        "ml/prep.py": "print('prep')\n", "ml/fit.py": LOGS,
    })
    recipes, skipped = candidates(root)
    assert (recipes[0].source, recipes[0].where) == (".github/workflows/ci.yml", ".github/workflows/ci.yml:11")
    assert recipe_text(recipes[0]) == "cd ml && python prep.py && python fit.py --epochs 1"
    assert ".github/workflows/ci.yml:7 pip install .: setup, not run" in skipped
    assert ".github/workflows/ci.yml:13 pytest -q: serving or tests, not training" in skipped


def test_makefile_train_target_follows_its_prerequisites(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "Makefile": "PY ?= python3\n\n.PHONY: data train\nlint:\n\truff check .\n"
                    "data:\n\t$(PY) prep.py\ntrain: data\n\t@$(PY) fit.py --seed 1\n",
        "prep.py": "print('prep')\n", "fit.py": LOGS,
    })
    recipes, _ = candidates(root)
    make = [r for r in recipes if r.source == "Makefile"]
    assert make[0].where == "Makefile:8"
    assert [s.argv for s in make[0].steps] == [("python", "prep.py"), ("python", "fit.py", "--seed", "1")]
    readme_make = project(tmp_path / "m", {"README.md": "    make train\n", "Makefile": "train:\n\tpython fit.py\n",
                                           "fit.py": LOGS})
    first = candidates(readme_make)[0][0]
    assert (first.source, first.steps) == ("README.md", (Step("python", ("python", "fit.py"), ""),))


def test_dvc_stages_declared_in_reverse_run_in_dependency_order(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py data/clean.csv\n    deps:\n      - data/clean.csv\n"
                    "      - train.py\n    metrics:\n      - m.json\n"
                    "  prepare:\n    wdir: src\n    cmd:\n      - python prepare.py\n    outs:\n      - ../data/clean.csv\n",
        "train.py": LOGS, "src/prepare.py": "print(1)\n",
    })
    recipes, _ = candidates(root)
    dvc = next(r for r in recipes if r.source == "dvc.yaml")
    assert dvc.where == "dvc.yaml:stages prepare -> train"
    assert dvc.steps == (Step("python", ("python", "prepare.py"), "src"),
                         Step("python", ("python", "train.py", "data/clean.csv"), ""))


def test_dockerfile_cmd_runs_in_the_folder_its_workdir_maps_to(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "Dockerfile": "FROM python:3.11\nWORKDIR /app\nCOPY app/ /app/\nENV MODE=fast\nRUN pip install mlflow\n"
                      'CMD ["python", "train.py"]\n',
        "app/train.py": LOGS,
    })
    recipes, _ = candidates(root)
    docker = recipes[0]
    assert (docker.source, docker.where) == ("Dockerfile", "Dockerfile:6")
    assert docker.steps == (Step("python", ("python", "train.py"), "app", env=(("MODE", "fast"),)),)
    assert "WORKDIR /app" in docker.reason
    flat = project(tmp_path / "flat", {"Dockerfile": "FROM python\nWORKDIR /app\nCOPY . .\n"
                                                     "ENTRYPOINT python /app/train.py\n", "train.py": LOGS})
    assert candidates(flat)[0][0].steps == (Step("python", ("python", "/app/train.py"), ""),)


def test_script_that_needs_arguments_ranks_after_one_that_needs_none(tmp_path: Path) -> None:
    needy = "import argparse\nimport mlflow\np = argparse.ArgumentParser()\np.add_argument('--data', required=True)\n" \
            "args = p.parse_args()\nmlflow.log_metric('a', 1)\n"
    root = project(tmp_path, {"a_train.py": needy, "b_eval.py": LOGS})
    recipes, _ = candidates(root)
    assert [r.where for r in recipes] == ["b_eval.py", "a_train.py"]
    assert "needs arguments --data" in recipes[1].reason


def test_needs_arguments_reads_argparse_and_click() -> None:
    source = ("import argparse, click\np = argparse.ArgumentParser()\np.add_argument('input')\n"
              "p.add_argument('out', nargs='?')\np.add_argument('-d', '--data', required=True)\n"
              "p.add_argument('--lr', default=0.1)\n@click.command()\n@click.option('--epochs', required=True)\n"
              "@click.argument('cfg')\n@click.argument('extra', nargs=-1)\ndef main(epochs, cfg, extra):\n    pass\n")
    assert needs_arguments(source) == ["input", "--data", "--epochs", "cfg"]
    assert needs_arguments("def broken(:\n") == []


def test_a_module_of_tracking_functions_never_beats_the_script_that_runs_it(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "mltrack/decorators.py": "import functools\nimport mlflow\n\ndef tracked(f):\n    @functools.wraps(f)\n"
                                 "    def inner(*a):\n        with mlflow.start_run():\n            r = f(*a)\n"
                                 "            mlflow.log_metric('r', r)\n        return r\n    return inner\n",
        "mltrack/__init__.py": "",
        "examples/example.py": "from mltrack.decorators import tracked\n\n@tracked\ndef f(x):\n    return x\n\n"
                               "if __name__ == '__main__':\n    f(2)\n",
    })
    recipes, _ = candidates(root)
    assert [r.where for r in recipes] == ["examples/example.py", "mltrack/decorators.py"]
    assert "drives mltrack/decorators.py" in recipes[0].reason
    assert "only definitions" in recipes[1].reason


def test_root_driver_ranks_over_a_module_demo_main(tmp_path: Path) -> None:
    module = "import mlflow\ndef fit():\n    mlflow.log_metric('a', 1)\nif __name__ == '__main__':\n    fit()\n"
    root = project(tmp_path, {"pkg/model.py": module, "pipeline.py": "from pkg.model import fit\nfit()\n"})
    recipes, _ = candidates(root)
    assert [r.where for r in recipes] == ["pipeline.py", "pkg/model.py"]
    assert "demo" in recipes[1].reason


def test_metric_logging_script_is_preferred_over_a_start_run_only_script(tmp_path: Path) -> None:
    root = project(tmp_path, {"a_main.py": STARTS_ONLY + "if __name__ == '__main__':\n    pass\n", "z/score.py": LOGS})
    recipes, _ = candidates(root)
    assert [r.where for r in recipes] == ["z/score.py", "a_main.py"]
    assert "only starts runs" in recipes[1].reason


def test_placeholder_missing_file_and_serving_commands_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "README.md": "```sh\npython train.py --data <path>\npython train.py --data path/to/file.csv\n"
                     "python app.py\nmlflow run https://github.com/o/r\nstreamlit run ui.py\nmlflow ui\n```\n",
        "train.py": LOGS,
    })
    recipes, skipped = candidates(root)
    assert [r.source for r in recipes] == ["script"]
    assert skipped == [
        "README.md:2 python train.py --data <path>: placeholder '<path>' to fill in",
        "README.md:3 python train.py --data path/to/file.csv: placeholder 'path/to/' to fill in",
        "README.md:4 python app.py: app.py is not in the repository",
        "README.md:5 mlflow run https://github.com/o/r: remote project URI https://github.com/o/r, not this checkout",
        "README.md:6 streamlit run ui.py: serving or tests, not training",
        "README.md:7 mlflow ui: MLflow UI, not training",
    ]


def test_notebook_runs_in_its_own_folder_and_untracked_recipes_rank_last(tmp_path: Path) -> None:
    nb = notebook_json(("code", "import mlflow\nmlflow.autolog()\n"))
    root = project(tmp_path, {"notebooks/m.ipynb": nb, "README.md": "```\npython hello.py\n"
                              "jupyter nbconvert --to notebook --execute notebooks/m.ipynb\n```\n\n"
                              "```\npython hello.py\n```\n", "hello.py": "print('hi')\n"})
    recipes, _ = candidates(root)
    assert [r.where for r in recipes] == ["README.md:2", "notebooks/m.ipynb", "README.md:7"]
    assert recipes[0].steps[1] == Step("notebook", ("m.ipynb",), "notebooks")
    assert recipes[1].steps == (Step("notebook", ("m.ipynb",), "notebooks"),)
    assert "no file whose import closure makes an MLflow tracking call" in recipes[2].reason
    assert recipe_text(recipes[1]) == "cd notebooks && jupyter nbconvert --to notebook --execute m.ipynb"


def test_exported_variables_are_expanded_and_unset_ones_make_the_command_unusable(tmp_path: Path) -> None:
    root = project(tmp_path, {"README.md": "```\nexport DATA_DIR=data\npython train.py --data $DATA_DIR/x.csv\n```\n\n"
                                           "```\npython train.py --out ${OUT}/m\nexport MLFLOW_TRACKING_TOKEN=abc\n```\n",
                              "train.py": LOGS})
    recipes, skipped = candidates(root)
    assert recipes[0].steps == (Step("python", ("python", "train.py", "--data", "data/x.csv"), "",
                                     env=(("DATA_DIR", "data"),)),)
    assert skipped == ["README.md:7 python train.py --out '${OUT}/m': shell expression '${OUT}/m' the source does not set",
                       "README.md:8 export MLFLOW_TRACKING_TOKEN=abc: setup (credentials or tracking settings), not run"]
