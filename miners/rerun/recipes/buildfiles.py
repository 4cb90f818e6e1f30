"""Rules 4 to 6: recipes from the root's Makefile, dvc.yaml and Dockerfile.

4. Makefile targets whose commands (with their prerequisites, depth first, each once) run
   python: ``train``, ``run``, ``all`` first, then file order.
5. ``dvc.yaml`` stages' ``cmd`` (a string or a list) in dependency order (a stage whose
   ``deps`` include another's ``outs`` runs after it, else declared order), in their ``wdir``;
   run directly, without DVC: one recipe. Both read by :mod:`.pipelines`.
6. ``Dockerfile`` ``ENTRYPOINT`` + ``CMD`` (exec or shell form) of the last stage, read, never
   built, with its ``ENV``; the ``WORKDIR`` maps to the repository root, or to the folder
   ``COPY``'d there (the reason names the WORKDIR; absolute paths under it are the harness's to
   map).
"""

from __future__ import annotations

import shlex

from miners.rerun.recipes.model import Recipe, Shell, from_hits
from miners.rerun.recipes.pipelines import dvc_stages, make_shells, read_makefile
from miners.rerun.recipes.repo import Repo, join_path
from miners.rerun.recipes.shell import run_shells


def makefile_recipes(repo: Repo) -> list[Recipe]:
    """Rule 4: targets that run python, ``train``/``run``/``all`` first, then file order."""
    path = next((p for p in ("Makefile", "makefile", "GNUmakefile") if repo.exists(p)), "")
    if not path:
        return []
    make = read_makefile(repo.root / path, path)
    order = [t for t in ("train", "run", "all") if t in make.targets]
    order += [t for t in make.targets if t not in order and not t.startswith(".") and "%" not in t]
    out = []
    for target in order:
        hits = run_shells(repo, make_shells(make, target, "", set()))
        if hits:
            out.append(from_hits("Makefile", f"{path}:{make.targets[target][0]}", hits, f"make {target}"))
    return out


def dvc_recipes(repo: Repo) -> list[Recipe]:
    """Rule 5: the root dvc.yaml's stages in dependency order, one recipe."""
    stages = dvc_stages(repo)
    if isinstance(stages, str):
        return []
    hits = run_shells(repo, [shell for _, shell in stages])
    if not hits:
        return []
    names = [n for n, _ in stages]
    where = f"dvc.yaml:stage {names[0]}" if len(names) == 1 else f"dvc.yaml:stages {' -> '.join(names)}"
    return [from_hits("dvc.yaml", where, hits, f"dvc.yaml stages in dependency order: {', '.join(names)}")]


def dockerfile_recipes(repo: Repo) -> list[Recipe]:
    """Rule 6: the last stage's ENTRYPOINT + CMD, WORKDIR mapped to the folder copied there."""
    path = next((p.name for p in sorted(repo.root.glob("*")) if p.name.lower() == "dockerfile" and p.is_file()), "")
    if not path:
        return []
    workdir, copies, env, entry, cmd, line = "/", {}, {}, [], [], 0
    for n, op, args in _docker_lines((repo.root / path).read_text(errors="replace")):
        if op == "FROM":
            workdir, copies, env, entry, cmd = "/", {}, {}, [], []
        elif op == "WORKDIR":
            workdir = args if args.startswith("/") else f"{workdir.rstrip('/')}/{args}"
        elif op in ("COPY", "ADD"):
            parts = [a for a in args.split() if not a.startswith("--")]
            if len(parts) >= 2:
                dest = parts[-1] if parts[-1].startswith("/") else f"{workdir.rstrip('/')}/{parts[-1]}"
                copies[dest.rstrip("/").removesuffix("/.") or "/"] = parts[0]
        elif op == "ENV":
            env.update(_docker_env(args))
        elif op in ("CMD", "ENTRYPOINT"):
            got = _docker_command(args)
            value = got if isinstance(got, list) else ["sh", "-c", got]
            entry, cmd = (value, []) if op == "ENTRYPOINT" else (entry, value)
            line = n
    argv = entry + cmd
    if not argv:
        return []
    workdir = workdir.rstrip("/") or "/"
    source = copies.get(workdir, ".")
    folder = join_path("", source.strip("/") if source not in (".", "./") else "")
    text = argv[2] if argv[:2] == ["sh", "-c"] and len(argv) > 2 else shlex.join(argv)
    shell = Shell(folder, [(f"{path}:{line}", text)], env=tuple(env.items()), workdir=workdir)
    hits = run_shells(repo, [shell])
    if not hits:
        return []
    return [from_hits("Dockerfile", f"{path}:{line}", hits,
                    f"Dockerfile WORKDIR {workdir} mapped to {folder or 'the repository root'}/ "
                    f"(absolute paths under {workdir} are the harness's to map)")]


def _docker_lines(text: str) -> list[tuple[int, str, str]]:
    """``(line, INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined."""
    out: list[tuple[int, str, str]] = []
    buf, start = "", 0
    for n, line in enumerate(text.splitlines(), 1):
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        start = start or n
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        full = (buf + line).strip()
        buf = ""
        op, _, args = full.partition(" ")
        out.append((start, op.upper(), args.strip()))
        start = 0
    return out


def _docker_command(args: str) -> list[str] | str:
    """An exec-form (JSON array) or shell-form command."""
    if args.startswith("["):
        import json

        try:
            return [str(a) for a in json.loads(args)]
        except ValueError:
            return args
    return args


def _docker_env(args: str) -> dict[str, str]:
    try:
        words = shlex.split(args)
    except ValueError:
        return {}
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words if "=" in w)
