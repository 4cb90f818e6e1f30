"""The command grammar: the steps a shell line runs, or why it cannot be used.

Lines (:func:`logical_lines`) are joined at trailing backslashes; prompts (``$ ``, ``% ``,
``(env) $ ``, ``!``) are stripped; blank, comment and REPL (``>>>``, ``...``) lines dropped. A
line is split into simple commands at ``&&``, ``;``, ``||`` and ``&`` (:func:`segments`); the
commands after a pipe and redirections are dropped. ``cd dir`` (on the same line or on a line
of its own) moves the following commands of the shell; ``cd`` alone, ``cd -`` and ``cd`` to an
absolute path, ``~`` or ``$VAR`` go to the root, except into a Dockerfile's WORKDIR, which maps
to its folder (:func:`changed_dir`). ``VAR=x`` prefixes set variables for their command,
``export NAME=value`` for the following ones, unless it looks like a credential or tracking
setting (recorded as skipped). The commands of the grammar:

* ``python``/``python3`` (interpreter options dropped) with a script, or ``-m`` a module
  (``a/b.py`` or ``a/b/__main__.py`` from its cwd, the root or ``src/``); ``$NAME``/``${NAME}``
  are expanded from the variables the source set, else the command is skipped;
* ``jupyter nbconvert --execute``, ``jupyter execute``, ``papermill``: a notebook step;
* ``mlflow run <local folder> -e entry -P k=v``: the MLproject entry's ``mlflow_run`` steps
  (:func:`entry_steps`: ``-P`` values over the defaults, undeclared ones appended as ``--name
  value`` as ``mlflow run`` does; an entry named as a ``.py``/``.sh`` file runs that file);
* ``make target`` (the target's commands) and ``dvc repro``/``dvc exp run`` (the dvc.yaml
  stages), read by :mod:`.pipelines`; ``bash x.sh``/``./x.sh`` (the script's lines, from the
  caller's folder) and ``sh -c '...'``; nesting is bounded;
* setup (pip, conda, uv, poetry, git, docker, downloads, ...), ``mlflow ui/server`` and the
  other MLflow commands, tests, servers and linters (``pytest``, ``streamlit``, ``uvicorn``,
  ``flask run``, ``gunicorn``, ``mlflow models serve``, ...) are recorded as skipped;
* any other line is prose or output, and ignored.

A command is kept only if the file it executes exists in the checkout (from its cwd; a command
of an MLproject, or of a nested README, also from the root: :class:`~.model.Shell` ``anchor``);
else, and for placeholders (``<path>``, ``path/to/``, ``YOUR_...``), remote ``mlflow run`` URIs,
absolute paths and ``python -c``, it is recorded in *skipped* as ``<where> <command>: <why>``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from miners.rerun.recipes.model import Hit, Shell, Step
from miners.rerun.recipes.pipelines import dvc_stages, make_shells, read_makefile
from miners.rerun.recipes.repo import Mlproject, Repo, folder_of, join_path

PYTHON = re.compile(r"^(?:.*/)?python(?:\d(?:\.\d+)?)?$")
SETUP = frozenset({"pip", "pip3", "conda", "mamba", "micromamba", "uv", "poetry", "pipenv", "git", "docker",
                   "docker-compose", "export", "source", ".", "apt", "apt-get", "brew", "wget", "curl",
                   "virtualenv", "pyenv", "mkdir", "unzip", "tar", "kaggle", "gsutil", "aws", "az", "gcloud",
                   "conda-lock", "activate", "deactivate", "setx", "set", "tox", "nox", "pre-commit", "huggingface-cli"})
SERVING = frozenset({"pytest", "py.test", "streamlit", "uvicorn", "gunicorn", "gradio", "tensorboard", "flake8",
                     "black", "ruff", "mypy", "isort", "pylint", "coverage"})
PY_MODULE_SKIP = {"pip": "setup", "venv": "setup", "virtualenv": "setup", "ensurepip": "setup",
                  "pytest": "tests, not training", "unittest": "tests, not training",
                  "streamlit": "serving, not training", "uvicorn": "serving, not training",
                  "flask": "serving, not training", "gunicorn": "serving, not training",
                  "mlflow": "MLflow CLI, not the project's code", "http.server": "serving, not training",
                  "jupyter": "interactive notebook server", "notebook": "interactive notebook server",
                  "ipykernel": "setup", "spacy": "setup", "nltk.downloader": "setup",
                  **dict.fromkeys(("ruff", "mypy", "black", "flake8", "pylint", "coverage", "isort"), "linting or tests")}
PLACEHOLDER = re.compile(r"<[^<>\s]*[A-Za-z][^<>]*>|path/to/|/path/|\bYOUR_|\byour[_-]|\.\.\.|\bXXX\b|<\w")
NO_SHELL = {"ui": "MLflow UI, not training", "server": "MLflow server, not training",
            "models": "model serving, not training", "deployments": "model serving, not training"}
_PROMPT = re.compile(r"^\s*(?:\([^)]*\)\s*)?(?:[$%]\s+|!(?=\S))")
_SEPARATORS = frozenset({"&&", ";", "||", "&", ";;"})
_REDIRECTS = frozenset({">", ">>", "<", "2>", "&>", "2>&1", ">&"})
_CREDENTIAL = re.compile(r"TOKEN|KEY|SECRET|PASSW|USER|AUTH|CRED|^MLFLOW_|^DATABRICKS_|^AWS_|^AZURE_|^GOOGLE_")
_ASSIGN = re.compile(r"^[A-Za-z_]\w*=")
_MLFLOW_RUN_VALUE_OPTS = frozenset({"-e", "--entry-point", "-P", "--param-list", "-A", "--docker-args",
                                    "--experiment-name", "--experiment-id", "-b", "--backend", "-c",
                                    "--backend-config", "--env-manager", "--storage-dir", "--run-id",
                                    "--run-name", "-v", "--version", "--build-image-name"})


def segments(line: str) -> list[list[str]] | None:
    """The simple commands of a shell line (split at ``&&``, ``;``, ``||``, ``&``; the
    commands after a pipe and redirections are dropped); None if it does not tokenize."""
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        tokens = list(lex)
    except ValueError:
        return None
    out: list[list[str]] = [[]]
    piped = False
    skip_next = False
    for tok in tokens:
        if tok in _SEPARATORS:
            out.append([])
            piped = False
        elif piped or skip_next:
            skip_next = False
        elif tok == "|":
            piped = True
        elif tok in _REDIRECTS or tok.endswith(">"):
            skip_next = True
        elif tok in ("(", ")"):
            continue
        else:
            out[-1].append(tok)
    return [seg for seg in out if seg]


def logical_lines(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Lines joined at trailing backslashes, prompts stripped, blanks and REPL lines dropped."""
    out: list[tuple[str, str]] = []
    pending: tuple[str, str] | None = None
    for where, raw in lines:
        text = raw.rstrip()
        if pending is not None:
            where, text = pending[0], pending[1] + " " + text.strip()
            pending = None
        if text.endswith("\\"):
            pending = (where, text[:-1])
            continue
        text = _PROMPT.sub("", text).strip()
        if text and not text.startswith((">>>", "...", "#")):
            out.append((where, text))
    if pending is not None:
        out.append(pending)
    return out


def run_shells(repo: Repo, shells: list[Shell], depth: int = 0) -> list[Hit]:
    """The steps of ``shells`` in order, each with the ``where`` of its line; unusable
    commands are recorded in ``repo.skipped``."""
    out: list[Hit] = []
    for shell in shells:
        cwd, env = shell.cwd, dict(shell.env)
        for where, text in logical_lines(shell.lines):
            if _unfilled(repo, where, text):
                continue
            for words in segments(text) or []:
                assigned = [w for w in leading_assignments(words)]
                words = words[len(assigned):]
                if not words:
                    continue
                if words[0] == "cd":
                    cwd = changed_dir(cwd, words, shell)
                    continue
                if words[0] == "export":
                    _export(repo, where, words, env)
                    continue
                step_env = {**env, **dict(a.split("=", 1) for a in assigned)}
                got = _command(repo, words, _Context(cwd, tuple(step_env.items()), shell, where), depth)
                if isinstance(got, str):
                    repo.skip(where, shlex.join(words), got)
                elif got:
                    out.extend((where, step, path) for _, step, path in got)  # nested: this line's where
    return out


def _unfilled(repo: Repo, where: str, text: str) -> bool:
    """A command of the grammar with a placeholder (``<path>``, ``path/to/``, ``YOUR_...``),
    checked before tokenizing (``<`` would read as a redirection): recorded as skipped."""
    found = PLACEHOLDER.search(text) or re.search(r"\$\{\{", text)
    head = PurePosixPath(text.split()[0]).name if text.split() else ""
    runs = PYTHON.match(head) or head in ("jupyter", "papermill", "mlflow", "make", "dvc", "bash", "sh")
    if found and runs:
        repo.skip(where, text, f"placeholder {found.group(0)!r} to fill in")
    return bool(found and runs)


@dataclass(frozen=True)
class _Context:
    """Where a command runs: its ``cwd``, ``env``, the shell it belongs to, its ``where``."""

    cwd: str
    env: tuple[tuple[str, str], ...]
    shell: Shell
    where: str


def leading_assignments(words: list[str]) -> list[str]:
    out = []
    for w in words:
        if not _ASSIGN.match(w):
            break
        out.append(w)
    return out


def changed_dir(cwd: str, words: list[str], shell: Shell) -> str:
    target = words[1] if len(words) > 1 else ""
    if shell.workdir and (target == shell.workdir or target.startswith(shell.workdir + "/")):
        return join_path(shell.cwd, target[len(shell.workdir):].lstrip("/"))
    return "" if target in ("", "~", "-") or target.startswith(("/", "~", "$")) else join_path(cwd, target)


def _export(repo: Repo, where: str, words: list[str], env: dict[str, str]) -> None:
    """``export NAME=value``: kept for the following commands, unless it looks like a
    credential or tracking setting (recorded as skipped)."""
    for w in words[1:]:
        name, _, value = w.partition("=")
        if _CREDENTIAL.search(name) or not _:
            repo.skip(where, shlex.join(words), "setup (credentials or tracking settings), not run")
        else:
            env[name] = value


def _command(repo: Repo, words: list[str], ctx: _Context, depth: int) -> list[Hit] | str | None:
    """One simple command: its steps, a reason it cannot be used, or None when it is no command
    of the grammar (prose, output)."""
    head = words[0]
    name = PurePosixPath(head).name
    if PYTHON.match(head):
        return _placeholder(words) or _python(repo, words, ctx)
    if name in ("jupyter", "papermill", "ipython"):
        return _placeholder(words) or _notebook(repo, words, ctx)
    if name == "mlflow":
        return _mlflow(repo, words, ctx)
    if name in ("make", "gmake"):
        return _placeholder(words) or _make(repo, words, ctx, depth)
    if name == "dvc":
        return _dvc(repo, words, ctx, depth)
    if name in ("bash", "sh", "zsh") or (head.startswith("./") and head.endswith(".sh")):
        return _placeholder(words) or _shell_script(repo, words, ctx, depth)
    if name in SETUP:
        return "setup, not run"
    if name in SERVING or (name == "flask" and "run" in words):
        return "serving or tests, not training"
    return None


def _placeholder(words: list[str]) -> str:
    found = next((w for w in words if PLACEHOLDER.search(w) or "${{" in w), "")
    return f"placeholder {found!r} to fill in" if found else ""


def _python(repo: Repo, words: list[str], ctx: _Context) -> list[Hit] | str:
    """``python [options] script args`` or ``python -m module args`` (interpreter options dropped;
    ``$NAME``/``${NAME}`` expanded from the variables the source set, else the command is skipped)."""
    env = dict(ctx.env)
    words = [re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: env.get(m.group(1), m.group(0)), w) for w in words]
    unexpanded = next((w for w in words if "$" in w), "")
    if unexpanded:
        return f"shell expression {unexpanded!r} the source does not set"
    i = 1
    while i < len(words) and words[i].startswith("-") and words[i] not in ("-m", "-c", "-"):
        i += 2 if words[i] in ("-W", "-X") else 1
    if i >= len(words) or words[i] == "-":
        return "interactive python, no file to run"
    if words[i] == "-c":
        return "python -c runs inline code, not a project file"
    if words[i] == "-m":
        return _python_module(repo, words[i + 1:], ctx)
    script, args = words[i], tuple(words[i + 1:])
    if PurePosixPath(script).name == "setup.py":
        return "setup, not run"
    found = _locate_script(repo, script, ctx)
    if isinstance(found, str):
        return found
    rel, cwd = found
    return [(ctx.where, Step("python", ("python", script, *args), cwd, env=ctx.env), rel)]


def _locate_script(repo: Repo, script: str, ctx: _Context) -> tuple[str, str] | str:
    """``(root-relative path, cwd of the step)`` of a script, or why it is not usable."""
    shell = ctx.shell
    mapped = script
    if shell.workdir and script.startswith(shell.workdir.rstrip("/") + "/"):
        mapped = script[len(shell.workdir.rstrip("/")) + 1:]
        rel = join_path(shell.cwd, mapped)
    elif script.startswith("/"):
        return f"{script} is an absolute path outside the repository"
    else:
        rel = join_path(ctx.cwd, mapped)
    if repo.exists(rel):
        return rel, ctx.cwd
    if shell.anchor in ("keep", "switch") and repo.exists(join_path("", mapped)):
        return join_path("", mapped), (ctx.cwd if shell.anchor == "keep" else "")
    return f"{rel} is not in the repository"


def _python_module(repo: Repo, words: list[str], ctx: _Context) -> list[Hit] | str:
    if not words:
        return "python -m without a module"
    module, args = words[0], tuple(words[1:])
    why = PY_MODULE_SKIP.get(module) or PY_MODULE_SKIP.get(module.split(".")[0])
    if why:
        return why
    rel = repo.module_file(module, ctx.cwd, main=True)
    if not rel:
        path = module.replace(".", "/")
        return f"module {module} is not in the repository ({path}.py or {path}/__main__.py)"
    return [(ctx.where, Step("python", ("python", "-m", module, *args), ctx.cwd, env=ctx.env), rel)]


def _notebook(repo: Repo, words: list[str], ctx: _Context) -> list[Hit] | str:
    """``jupyter nbconvert --execute x.ipynb``, ``jupyter execute x.ipynb``, ``papermill x.ipynb
    out.ipynb``: a notebook step in the notebook's folder."""
    name = PurePosixPath(words[0]).name
    executes = name == "papermill" or "--execute" in words or (len(words) > 1 and words[1] == "execute")
    if not executes:
        return "interactive Jupyter, no notebook executed"
    notebook = next((w for w in words[1:] if w.endswith(".ipynb")), "")
    if not notebook:
        return "no .ipynb named"
    rel = join_path(ctx.cwd, notebook)
    if not repo.exists(rel):
        return f"{rel} is not in the repository"
    return [(ctx.where, Step("notebook", (PurePosixPath(rel).name,), folder_of(rel), env=ctx.env), rel)]


def _mlflow(repo: Repo, words: list[str], ctx: _Context) -> list[Hit] | str:
    """``mlflow run <local folder> -e entry -P k=v``: the MLproject entry's steps."""
    sub = words[1] if len(words) > 1 else ""
    if sub != "run":
        return NO_SHELL.get(sub, "MLflow CLI setup, not run")
    parsed = mlflow_run_args(words)
    if isinstance(parsed, str):
        return parsed
    uri, name, overrides = parsed
    mlproject = repo.mlproject_in(join_path(ctx.cwd, uri))
    if not isinstance(mlproject, Mlproject):
        return mlproject or f"no MLproject in {join_path(ctx.cwd, uri) or 'the repository root'}"
    got = entry_steps(repo, mlproject, name, overrides)
    return got if isinstance(got, str) else got[0]


def mlflow_run_args(words: list[str]) -> tuple[str, str, dict[str, str]] | str:
    """``(uri, entry point, -P values)`` of an ``mlflow run`` command, or why it is unusable."""
    uri, name, overrides = "", "main", {}
    i = 2
    while i < len(words):
        word, value = words[i], words[i + 1] if i + 1 < len(words) else ""
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
            i -= 1
        if word in ("-e", "--entry-point"):
            name = value
        elif word in ("-P", "--param-list"):
            key, _, val = value.partition("=")
            overrides[key] = val
        if word in _MLFLOW_RUN_VALUE_OPTS:
            i += 2
            continue
        if not word.startswith("-") and not uri:
            uri = word
        i += 1
    if not uri:
        return "mlflow run without a project URI"
    if "://" in uri or uri.startswith(("git@", "github.com", "/")):
        return f"remote project URI {uri}, not this checkout"
    found = _placeholder([uri, name, *overrides.values()])
    return found or (uri, name, overrides)


def _make(repo: Repo, words: list[str], ctx: _Context, depth: int) -> list[Hit] | str:
    """``make [target...]``: the Makefile's target commands with their prerequisites."""
    if depth > 3:
        return "nested too deeply"
    path = next((p for p in ("Makefile", "makefile", "GNUmakefile") if repo.exists(join_path(ctx.cwd, p))), "")
    if not path:
        return f"no Makefile in {ctx.cwd or 'the repository root'}"
    make = read_makefile(repo.root / join_path(ctx.cwd, path), join_path(ctx.cwd, path))
    targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w] or [make.default]
    shells: list[Shell] = []
    seen: set[str] = set()
    for target in targets:
        if target not in make.targets:
            return f"no target {target!r} in {join_path(ctx.cwd, path)}"
        shells.extend(make_shells(make, target, ctx.cwd, seen))
    return run_shells(repo, shells, depth + 1)


def _dvc(repo: Repo, words: list[str], ctx: _Context, depth: int) -> list[Hit] | str:
    """``dvc repro`` / ``dvc exp run``: the dvc.yaml stages in dependency order, without DVC."""
    sub = " ".join(words[1:3])
    if not (sub.startswith("repro") or sub.startswith("exp run")):
        return "DVC data setup, not run"
    stages = dvc_stages(repo, ctx.cwd)
    if isinstance(stages, str):
        return stages
    return run_shells(repo, [shell for _, shell in stages], depth + 1)


def _shell_script(repo: Repo, words: list[str], ctx: _Context, depth: int) -> list[Hit] | str | None:
    """``bash x.sh`` / ``./x.sh`` (its lines, from the caller's folder), ``sh -c '...'``."""
    if depth > 3:
        return "nested too deeply"
    args = words[1:] if PurePosixPath(words[0]).name in ("bash", "sh", "zsh") else words
    args = [a for a in args if not (a.startswith("-") and a != "-c")]
    if args[:1] == ["-c"] and len(args) > 1:
        lines = [(ctx.where, args[1])]
    elif args and args[0].endswith(".sh"):
        rel = join_path(ctx.cwd, args[0])
        if not repo.exists(rel):
            return f"{rel} is not in the repository"
        text = (repo.root / rel).read_text(errors="replace")
        lines = [(f"{rel}:{n}", t) for n, t in enumerate(text.splitlines(), 1)]
    else:
        return None
    return run_shells(repo, [Shell(ctx.cwd, lines, ctx.shell.anchor, ctx.env, ctx.shell.workdir)], depth + 1)


def entry_steps(repo: Repo, mp: Mlproject, name: str,
                 overrides: dict[str, str]) -> tuple[list[Hit], dict[str, str]] | str:
    """The ``mlflow_run`` steps of entry ``name`` with ``overrides`` (``-P``) over the defaults,
    and the parameter values; or why it cannot run. Undeclared ``-P`` values are appended as
    ``--name value``, as ``mlflow run`` does; an entry named as a ``.py``/``.sh`` file runs it."""
    if name in mp.points:
        command, declared = mp.points[name]
    elif name.endswith((".py", ".sh")) and repo.exists(join_path(mp.folder, name)):
        command, declared = ("python " if name.endswith(".py") else "bash ") + name, ()
    else:
        return f"entry point {name!r} is not in {mp.path}"
    if not command.strip():
        return f"entry point {name!r} has no command"
    values: dict[str, str] = {}
    for pname, default in declared:
        value = overrides.get(pname, default)
        if value is None:
            return f"parameter {pname!r} has no default and no documented command gives one"
        values[pname] = value
    extra = {k: v for k, v in overrides.items() if k not in values}
    try:
        filled = re.sub(r"\{(\w+)\}", lambda m: shlex.quote(values[m.group(1)]), command)
    except KeyError as exc:
        return f"entry point {name!r} uses undeclared parameter {exc.args[0]!r}"
    filled = filled.strip() + "".join(f" --{k} {shlex.quote(v)}" for k, v in extra.items())
    where = f"{mp.path}:entry {name}"
    shell = Shell(mp.folder, [(where, line) for line in filled.splitlines()], anchor="keep")
    hits = run_shells(repo, [shell])
    if not hits:
        return "its command runs no python file of the repository"
    params = tuple(sorted({**values, **extra}.items()))
    return [(w, replace(s, kind="mlflow_run", params=params) if s.kind == "python" else s, p)
            for w, s, p in hits], {**values, **extra}
