"""Packages installed from wheels only, and the local CPU wheel of torch.

Definitions.

* ``WHEELS_ONLY``: compiled scientific packages are installed from wheels only: a version without
  a wheel for the chosen Python is not built from source (minutes of compiling, and old releases
  rarely build on a newer Python); an exact pin of such a version fails to install and is
  relaxed, recorded (:mod:`miners.rerun.install`).
* ``TORCH_PIN``: PyPI serves only CUDA builds of torch for Linux (gigabytes); a folder of local
  wheels (``--wheels``) that holds a CPU build of torch 2.13.0 pins every install's torch to it
  (:func:`pins_torch`), whatever the date, recorded. That wheel is for Python 3.11
  (:func:`torch_wheel_for_311`), so a project that needs torch runs on 3.11 when its declared
  Python admits 3.11 (:func:`miners.rerun.interpreter.torch_python`).
"""

from __future__ import annotations

from pathlib import Path

TORCH_PIN = "torch==2.13.0+cpu"
WHEELS_ONLY = ("numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "torch", "tensorflow", "xgboost",
               "lightgbm", "catboost", "pyarrow", "h5py", "numba", "llvmlite", "statsmodels", "scikit-image",
               "opencv-python", "opencv-python-headless", "grpcio", "tokenizers", "shap")


def pins_torch(wheels: Path | None) -> bool:
    """Whether the local wheels hold the torch build of ``TORCH_PIN`` (any Python)."""
    return wheels is not None and any(Path(wheels).glob("torch-2.13.0*.whl"))


def torch_wheel_for_311(wheels: Path | None) -> bool:
    """Whether the local wheels hold the torch build of ``TORCH_PIN`` for CPython 3.11."""
    return wheels is not None and any(Path(wheels).glob("torch-2.13.0*cp311*.whl"))
