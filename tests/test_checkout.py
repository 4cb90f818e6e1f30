"""miners/rerun/checkout.py: absolute-path mappings by longest suffix, LFS pointers, WORKDIR."""

from __future__ import annotations

from pathlib import Path

from miners.rerun import checkout
from tests.conftest import write_files


def test_the_longest_matching_suffix_wins(tmp_path: Path) -> None:
    index = checkout._index(["data/train.csv", "other/data/train.csv", "train.csv"])
    assert checkout.match("/kaggle/input/other/data/train.csv", index) == ("other/data/train.csv", "", 3)
    assert checkout.match("/content/drive/MyDrive/data/train.csv", index) == ("data/train.csv", "", 2)
    assert checkout.match("/content/x/missing.csv", index) is None


def test_mappings_of_code_and_config(tmp_path: Path) -> None:
    root = write_files(tmp_path, {
        "data/raw/iris.csv": "a\n",
        "src/train.py": 'import pandas as pd\ndf = pd.read_csv("/kaggle/input/iris-ds/raw/iris.csv")\n'
                        'x = "C:/Users/me/proj/data/raw/iris.csv"\ny = "/usr/lib/python3/raw/iris.csv"\n',
        "conf/paths.yaml": "data: /content/drive/MyDrive/proj/data/raw/iris.csv\n",
        "mlruns/0/meta.yaml": "artifact_location: /Users/me/proj/data/raw\n",  # MLflow's record
    })
    found = {(m.kind, m.prefix, m.base, m.where) for m in checkout.mappings(root)}
    assert found == {
        ("posix", "/kaggle/input/iris-ds", "data", "src/train.py:2"),
        ("posix", "/content/drive/MyDrive/proj", "", "conf/paths.yaml:1"),
        ("windows", "C:/Users/me/proj", "", "src/train.py:3"),
    }  # /usr/... is a system folder: never mapped


def test_windows_links_are_made_in_the_working_directory(tmp_path: Path) -> None:
    root = write_files(tmp_path / "p", {"data/x.csv": "1\n", "t.py": 'p = "C:\\\\Users\\\\a\\\\proj\\\\data\\\\x.csv"\n'})
    maps = checkout.mappings(root)
    assert [(m.kind, m.prefix) for m in maps] == [("windows", "C:\\Users\\a\\proj")]
    done = checkout.apply_windows(maps, root, root)
    assert done == ["path C:\\Users\\a\\proj -> ./ (t.py:1)"]
    assert (root / "C:\\Users\\a\\proj\\data\\x.csv").read_text() == "1\n"  # one file name on Linux
    assert (root / "C:\\Users\\a\\proj" / "data" / "x.csv").read_text() == "1\n"  # joined with os.path.join


def test_dockerfile_workdir_maps_onto_the_root_and_lfs_pointers_are_found(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"Dockerfile": "FROM python:3.10\nWORKDIR /srv/app\nWORKDIR /code\n",
                               "big.csv": "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
                               "small.csv": "a,b\n"})
    assert checkout.dockerfile_workdirs(root) == [("/srv/app", "Dockerfile:2"), ("/code", "Dockerfile:3")]
    assert [(m.kind, m.prefix) for m in checkout.mappings(root)] == [("workdir", "/code")]  # /srv is a system folder
    assert checkout.lfs_pointers(root) == ["big.csv"]
