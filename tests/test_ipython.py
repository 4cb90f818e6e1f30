from __future__ import annotations

import pytest

from miners.scan.ipython import cell_to_python

CASES = [
    ("%matplotlib inline\nimport mlflow", "import mlflow"),
    ("!pip install mlflow\nimport mlflow", "import mlflow"),
    ("files = !ls\nimport mlflow", "import mlflow"),
    ("model?\nimport mlflow", "import mlflow"),
    ("%time mlflow.log_metric('a', 1)", "mlflow.log_metric('a', 1)"),
    ("%timeit -n 3 -r 2 f(x)", "f(x)"),
    ("if x:\n    !ls\n    y = 1", "    y = 1"),
    ("%%time\nimport mlflow", "import mlflow"),
    ("%%capture out\nimport mlflow", "import mlflow"),
    ("%%writefile train.py\nimport mlflow", "import mlflow"),
]


@pytest.mark.parametrize(("cell", "kept"), CASES)
def test_transformed_cell_keeps_python_and_line_count(cell, kept):
    out, note = cell_to_python(cell)
    assert kept in out.split("\n")
    assert out.count("\n") == cell.count("\n")
    assert note == ""
    compile(out, "<cell>", "exec")


@pytest.mark.parametrize("magic", ["bash", "sql", "html", "writefile notes.txt", "script sh"])
def test_non_python_cell_magics_blank_the_cell(magic):
    out, note = cell_to_python(f"%%{magic}\nmlflow.log_param('a', 1)\nls")
    assert out.strip() == ""
    assert note.startswith("cell magic %%")


def test_plain_python_is_untouched():
    src = "a = '%s' % 3\nb = a if a else '!'\nprint(a)"
    assert cell_to_python(src) == (src, "")
