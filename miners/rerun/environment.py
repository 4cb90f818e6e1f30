"""Build one virtual environment per project for the rerun harness.

Definition. The requirements of a project come from the first source that exists, in this
order (``env_source``):

1. ``python_env``: the ``python_env`` YAML named by the MLproject (``python``,
   ``build_dependencies``, ``dependencies``);
2. ``conda_env``: the MLproject's ``conda_env`` (or a root ``conda.yaml``/``environment.yml``):
   its ``pip:`` list as is, and conda packages mapped to PyPI names (``CONDA_TO_PIP``; packages
   with no PyPI counterpart, such as ``cudatoolkit``, are dropped and listed);
3. ``requirements``: ``requirements*.txt`` files at the root (then the entry's folder);
4. ``pyproject``: ``[project].dependencies`` or Poetry dependencies of ``pyproject.toml``, or
   literal ``install_requires`` of ``setup.py`` (read with ``ast``, never executed);
5. ``inferred``: nothing declared: the top-level imports of the repository's code mapped to
   distributions (``IMPORT_TO_DIST``), minus the standard library and the project's own modules.

``mlflow`` is added when not declared (the entry logs with it), ``setuptools<81`` (for
``pkg_resources``, which older MLflow imports and a bare environment lacks), and ``ipykernel``/``nbclient``
for a notebook entry; additions are listed. Lines that are not PyPI requirements (``-e .``,
``git+...``, local paths) are dropped and listed.

Install (``env_status``): uv (else venv + pip) into ``<env>/venv`` with the machine's Python,
a package cache shared by all projects, ``torch`` pinned to a local CPU wheel when one is
given (``wheels``). First ``strict`` (as declared); if that fails, ``relaxed``: the same names
with every version constraint dropped (``installed_relaxed``); if that fails too,
``install_failed`` with the failing requirement as named by the installer. The resolved
versions (``pip freeze``) are saved as the project's lock; their SHA-256 with the Python version
is the environment fingerprint.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from miners.files import list_candidates

CONDA_TO_PIP = {
    "pytorch": "torch", "pytorch-cpu": "torch", "py-xgboost": "xgboost", "tensorflow-gpu": "tensorflow",
    "pyyaml": "pyyaml", "scikit-learn": "scikit-learn", "matplotlib-base": "matplotlib",
    "pytorch-lightning": "pytorch-lightning", "lightning": "lightning", "opencv": "opencv-python-headless",
    "py-opencv": "opencv-python-headless", "libopencv": "", "cudatoolkit": "", "cudnn": "", "mkl": "",
    "mkl-service": "", "blas": "", "libblas": "", "cpuonly": "", "pytorch-cuda": "", "nccl": "",
    "pip": "", "python": "", "setuptools": "", "wheel": "", "_libgcc_mutex": "", "ca-certificates": "",
    "openssl": "", "libffi": "", "ncurses": "", "readline": "", "sqlite": "", "tk": "", "xz": "", "zlib": "",
    "libgcc-ng": "", "libstdcxx-ng": "", "ld_impl_linux-64": "", "certifi": "certifi", "nodejs": "",
    "r-base": "", "graphviz": "", "git": "", "libgomp": "", "intel-openmp": "", "tbb": "",
}
IMPORT_TO_DIST = {
    "sklearn": "scikit-learn", "cv2": "opencv-python-headless", "PIL": "pillow", "yaml": "pyyaml",
    "bs4": "beautifulsoup4", "skimage": "scikit-image", "dotenv": "python-dotenv", "attr": "attrs",
    "Bio": "biopython", "google.protobuf": "protobuf", "dateutil": "python-dateutil", "jwt": "pyjwt",
    "mpl_toolkits": "matplotlib", "tensorflow_hub": "tensorflow-hub", "lightning": "lightning",
    "pytorch_lightning": "pytorch-lightning", "hydra": "hydra-core", "omegaconf": "omegaconf",
    "sentence_transformers": "sentence-transformers", "docx": "python-docx", "fitz": "pymupdf",
    "magic": "python-magic", "Levenshtein": "python-levenshtein", "serial": "pyserial", "zmq": "pyzmq",
    "git": "gitpython", "IPython": "ipython", "ipywidgets": "ipywidgets", "tf_keras": "tf-keras",
    "keras": "keras", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost",
    "prefect": "prefect", "dagshub": "dagshub", "optuna": "optuna", "hyperopt": "hyperopt",
}
NOT_ON_PYPI = {"__future__", "google", "setuptools", "pkg_resources", "distutils", "_typeshed"}
TORCH_PIN = "torch==2.13.0+cpu"


@dataclass
class EnvResult:
    """One project's environment. ``seconds``: wall-clock time of the build (s)."""

    env_source: str = ""
    env_status: str = ""  # installed | installed_relaxed | install_failed | reused
    reason: str = ""
    failed_requirement: str = ""
    python_required: str = ""
    python: str = ""
    requirements: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    seconds: float = 0.0
    packages: int = 0
    fingerprint: str = ""
    lock: str = ""
    venv: str = ""

    @property
    def ok(self) -> bool:
        return self.env_status in ("installed", "installed_relaxed")


_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;#]*)(;[^#]*)?")


def requirement_line(line: str) -> str | None:
    """A PEP 508 requirement without local/VCS references, or None."""
    line = line.split(" #", 1)[0].strip()
    if not line or line.startswith(("#", "-", ".", "/", "git+", "http:", "https:", "file:")) or "@" in line:
        return None
    m = _REQ.match(line)
    if not m:
        return None
    spec = m.group(3).strip().replace(" ", "")
    if spec and not re.fullmatch(r"((==|>=|<=|~=|!=|<|>|===)[\w.*+!-]+,?)+", spec):
        return None
    return f"{m.group(1)}{m.group(2) or ''}{spec}{m.group(4) or ''}".strip()


def name_of(req: str) -> str:
    m = _REQ.match(req)
    return re.sub(r"[-_.]+", "-", m.group(1)).lower() if m else req


def _conda_dep(dep: str) -> tuple[str | None, str]:
    dep = dep.split("::", 1)[-1].strip()
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", dep)
    if not m:
        return None, dep
    name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
    pip = CONDA_TO_PIP.get(name, name)
    if not pip:
        return None, dep
    if spec.startswith("=") and not spec.startswith("=="):
        version = spec[1:].split("=")[0]
        spec = f"=={version}" + ("" if version.count(".") >= 2 else ".*")
    return requirement_line(pip + spec), dep


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(errors="replace"))
    except (yaml.YAMLError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def declared(root: Path, mlproject: str = "", entry_folder: str = "") -> tuple[str, list[str], list[str], str]:
    """``(env_source, requirements, dropped lines, python_required)`` by the order above."""
    root = Path(root)
    mlp = _read_yaml(root / mlproject) if mlproject else {}
    base = (root / mlproject).parent if mlproject else root
    reqs: list[str] = []
    dropped: list[str] = []

    def add(line: str) -> None:
        r = requirement_line(line)
        if r and name_of(r) not in ("python", "pip"):
            reqs.append(r)
        elif line.strip() and not line.strip().startswith("#"):
            dropped.append(line.strip())

    if isinstance(mlp.get("python_env"), str) and (base / mlp["python_env"]).is_file():
        env = _read_yaml(base / mlp["python_env"])
        for line in list(env.get("build_dependencies") or []) + list(env.get("dependencies") or []):
            if isinstance(line, str):
                if line.startswith("-r "):
                    for sub in _lines(base / line[3:].strip()):
                        add(sub)
                else:
                    add(line)
        return "python_env", reqs, dropped, str(env.get("python", ""))
    conda = None
    if isinstance(mlp.get("conda_env"), str) and (base / mlp["conda_env"]).is_file():
        conda = base / mlp["conda_env"]
    else:
        conda = next((root / n for n in ("conda.yaml", "conda.yml", "environment.yml", "environment.yaml")
                      if (root / n).is_file()), None)
    if conda is not None:
        env = _read_yaml(conda)
        python = ""
        for dep in env.get("dependencies") or []:
            if isinstance(dep, dict):
                for line in dep.get("pip") or []:
                    add(str(line))
            elif isinstance(dep, str):
                if re.match(r"^python\s*[=<>]", dep):
                    python = re.sub(r"^python\s*=*", "", dep).strip()
                    continue
                r, orig = _conda_dep(dep)
                if r:
                    reqs.append(r)
                elif name_of(orig) not in ("python", "pip"):
                    dropped.append(orig)
        if reqs:
            return "conda_env", reqs, dropped, python
    for folder in dict.fromkeys([root, root / entry_folder]):
        files = sorted(folder.glob("requirements*.txt"))
        if files:
            for f in files:
                if "dev" in f.name or "test" in f.name or "doc" in f.name:
                    continue
                for line in _lines(f):
                    add(line)
            if reqs:
                return "requirements", reqs, dropped, ""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(errors="replace"))
        except tomllib.TOMLDecodeError:
            data = {}
        for line in (data.get("project") or {}).get("dependencies") or []:
            add(str(line))
        poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
        python = str(poetry.get("python", "") or (data.get("project") or {}).get("requires-python", ""))
        for name, value in poetry.items():
            if name.lower() == "python":
                continue
            version = value if isinstance(value, str) else (value.get("version", "") if isinstance(value, dict) else "")
            add(name + _poetry_spec(str(version)))
        if reqs:
            return "pyproject", reqs, dropped, python
    setup = root / "setup.py"
    if setup.is_file():
        for line in _setup_requires(setup):
            add(line)
        if reqs:
            return "pyproject", reqs, dropped, ""
    return "inferred", inferred(root), dropped, ""


def _poetry_spec(version: str) -> str:
    v = version.strip()
    if not v or v == "*":
        return ""
    if v[0] == "^" or v[0] == "~":
        return f">={v[1:]}"
    if v[0].isdigit():
        return f"=={v}"
    return v


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _setup_requires(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_text(errors="replace"))
    except (SyntaxError, ValueError):
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "install_requires":
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [str(v) for v in value] if isinstance(value, list | tuple) else []
    return []


def inferred(root: Path) -> list[str]:
    """Distributions for the top-level imports of the project's code (see module docstring)."""
    from miners.notebooks import read_code_cells

    modules: set[str] = set()
    local: set[str] = set()
    for cand in list_candidates(root):
        parts = cand.path.split("/")
        local.add(parts[0].removesuffix(".py"))
        local.add(parts[-1].removesuffix(".py").removesuffix(".ipynb"))
        if len(parts) > 1:
            local.update(parts[:-1])
        if cand.skip_status:
            continue
        text = (root / cand.path).read_text(errors="replace")
        if cand.kind == "ipynb":
            try:
                text = "\n".join(c.source for c in read_code_cells(text))
            except ValueError:
                continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module)
    dists = set()
    for mod in modules:
        top = mod.split(".")[0]
        if (top in sys.stdlib_module_names or top in local or top in NOT_ON_PYPI) and mod not in IMPORT_TO_DIST:
            continue
        dists.add(IMPORT_TO_DIST.get(mod) or IMPORT_TO_DIST.get(top) or top.replace("_", "-"))
    return sorted(dists)


def _installer() -> list[str] | None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    return [uv] if Path(uv).exists() else None


def base_python() -> str:
    """The machine's Python (outside any virtual environment)."""
    exe = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(exe if exe.exists() else Path(sys.base_prefix) / "bin" / "python3")


def given(prefix: Path) -> EnvResult:
    """An existing environment used for every project (``--python-env``: trying a project by
    hand, or tests): nothing is installed; ``env_source`` is ``given``."""
    vpy = Path(prefix) / "bin" / "python"
    freeze = subprocess.run([vpy, "-m", "pip", "freeze"], capture_output=True, text=True, check=False).stdout
    version = subprocess.run([vpy, "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True, check=False).stdout.strip()
    return EnvResult(env_source="given", env_status="installed", python=version, venv=str(Path(prefix).resolve()),
                     packages=sum(1 for line in freeze.splitlines() if line and not line.startswith("#")),
                     fingerprint=hashlib.sha256(f"python {version}\n{freeze}".encode()).hexdigest()[:16], lock=freeze)


def build(root: Path, env_dir: Path, cache_dir: Path | None, entry_kind: str = "script", mlproject: str = "",
          entry_folder: str = "", wheels: Path | None = None, timeout: float = 1800.0) -> EnvResult:
    """Build (or reuse) the environment of the checkout ``root`` in ``env_dir``; ``cache_dir``
    None uses the installer's own shared cache."""
    env_dir = Path(env_dir)
    record = env_dir / "env.json"
    if record.exists():
        data = json.loads(record.read_text())
        return EnvResult(**data)
    started = time.monotonic()
    source, reqs, dropped, python_required = declared(Path(root), mlproject, entry_folder)
    names = {name_of(r) for r in reqs}
    added = []
    if not names & {"mlflow", "mlflow-skinny"}:
        added.append("mlflow")
    if "setuptools" not in names:
        added.append("setuptools<81")  # pkg_resources, which older MLflow and many projects import
    if entry_kind == "notebook":
        added += [n for n in ("ipykernel", "nbclient", "nbformat") if n not in names]
    result = EnvResult(env_source=source, requirements=reqs, dropped=dropped, added=added,
                       python_required=python_required)
    venv = env_dir / "venv"
    result.venv = str(venv.resolve())
    if venv.exists():
        shutil.rmtree(venv)
    env_dir.mkdir(parents=True, exist_ok=True)
    python = base_python()
    uv = _installer()
    environ = {**os.environ, "UV_NO_PROGRESS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if cache_dir is not None:
        environ.update(UV_CACHE_DIR=str(cache_dir), PIP_CACHE_DIR=str(Path(cache_dir) / "pip"))
    environ.pop("GITHUB_TOKEN", None)
    environ.pop("VIRTUAL_ENV", None)
    create = [*uv, "venv", "-q", "--seed", "--python", python, str(venv)] if uv else [python, "-m", "venv", str(venv)]
    proc = subprocess.run(create, capture_output=True, text=True, env=environ, check=False)
    if proc.returncode != 0:
        result.env_status, result.reason = "install_failed", "could not create the virtual environment: " + _tail(proc.stderr)
        return _finish(result, record, started)
    vpy = str(venv / "bin" / "python")
    result.python = subprocess.run([vpy, "-c", "import platform; print(platform.python_version())"],
                                   capture_output=True, text=True, check=False).stdout.strip()
    overrides = env_dir / "overrides.txt"
    pins = [TORCH_PIN] if wheels and any(Path(wheels).glob("torch-2.13.0*.whl")) else []
    overrides.write_text("".join(p + "\n" for p in pins))
    attempts = [("installed", reqs + added), ("installed_relaxed", sorted({_unpinned(r) for r in reqs}) + added)]
    first_error = ""
    for status, lines in attempts:
        (env_dir / "requirements.in").write_text("".join(line + "\n" for line in lines))
        if uv:
            cmd = [*uv, "pip", "install", "-q", "--python", vpy, "-r", str(env_dir / "requirements.in")]
            if pins:
                cmd += ["--override", str(overrides), "--find-links", str(wheels)]
        else:
            cmd = [vpy, "-m", "pip", "install", "-q", "-r", str(env_dir / "requirements.in")]
            if pins:
                cmd += ["--find-links", str(wheels)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=timeout, check=False)
            err = proc.stderr
            code = proc.returncode
        except subprocess.TimeoutExpired:
            err, code = f"the install took longer than {timeout:.0f} s", -1
        if code == 0:
            result.env_status = status
            break
        if not first_error:
            first_error = err
            result.failed_requirement = failing_requirement(err, lines)
        if status == "installed" and [_unpinned(r) for r in reqs] == reqs:
            break  # nothing to relax: the relaxed attempt would be the same
    if not result.env_status:
        result.env_status = "install_failed"
        result.reason = _tail(first_error)
        if python_required and not python_required.startswith(result.python[:4]):
            result.reason = f"the project asks for Python {python_required}, this machine has {result.python}; " + result.reason
        return _finish(result, record, started)
    if result.env_status == "installed_relaxed":
        result.reason = "the declared versions did not install (" + (result.failed_requirement or "see log") + \
                        "); installed without version constraints"
    freeze = subprocess.run([*uv, "pip", "freeze", "--python", vpy] if uv else [vpy, "-m", "pip", "freeze"],
                            capture_output=True, text=True, env=environ, check=False).stdout
    result.lock = freeze
    result.packages = sum(1 for line in freeze.splitlines() if line and not line.startswith("#"))
    result.fingerprint = hashlib.sha256(f"python {result.python}\n{freeze}".encode()).hexdigest()[:16]
    return _finish(result, record, started)


def _unpinned(req: str) -> str:
    m = _REQ.match(req)
    return f"{m.group(1)}{m.group(2) or ''}" if m else req


def failing_requirement(stderr: str, lines: list[str]) -> str:
    """The requirement the installer's error names (uv's or pip's wording), else ''."""
    patterns = [r"Because (?:there is no version of |only |all versions of )?([A-Za-z0-9][\w.\-\[\]]*)",
                r"Failed to (?:build|download|prepare distributions?)\s*`?([A-Za-z0-9][\w.\-]*)",
                r"No solution found.*?\n.*?([A-Za-z0-9][\w.\-]*)[<>=!~]",
                r"Could not find a version that satisfies the requirement ([^\s]+)",
                r"Failed building wheel for ([^\s]+)", r"([A-Za-z0-9][\w.\-]*) was not found in the package registry"]
    names = {name_of(line) for line in lines}
    for pat in patterns:
        for m in re.finditer(pat, stderr, re.S):
            cand = name_of(m.group(1).strip("`'\""))
            if cand in names:
                return next(line for line in lines if name_of(line) == cand)
    return ""


def _tail(text: str, n: int = 600) -> str:
    text = " ".join(text.split())
    return text[-n:]


def _finish(result: EnvResult, record: Path, started: float) -> EnvResult:
    result.seconds = round(time.monotonic() - started, 1)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(result), sort_keys=True, indent=1))
    os.replace(tmp, record)
    return result
