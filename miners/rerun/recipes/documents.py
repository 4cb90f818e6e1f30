"""Rules 2 and 3: recipes from README and docs code blocks and from CI workflows.

2. Commands in README code blocks: the root ``README*`` (``.md``, ``.rst``, ...), then
   ``docs/**/*.md``/``.rst``, then the README of each folder holding a tracking script, whose
   commands start in that folder (and may name a script from the root). Blocks are fenced (not
   of a non-shell language such as ``python`` or ``yaml``), indented (Markdown: after a blank
   line; rst: after a ``::`` line) or ``$ `` prompt lines. The runnable commands of one block
   form one recipe, in order (grammar: :mod:`.shell`).
3. CI workflows (``.github/workflows/*.yml``): each job's ``run:`` steps (one-line or
   ``run: |``) in order, one recipe per job, same grammar, ``working-directory`` honoured (the
   step's, else the job's or the workflow's ``defaults``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from miners.rerun.recipes.model import Block, Recipe, Shell, from_hits
from miners.rerun.recipes.repo import TEST_FILE, Repo, folder_of, join_path
from miners.rerun.recipes.shell import run_shells

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*\{?\.?([\w+-]*)")
_NOT_SHELL = frozenset({"python", "py", "python3", "ipython", "pycon", "yaml", "yml", "json", "toml", "ini",
                        "cfg", "r", "sql", "html", "javascript", "js", "dockerfile", "xml", "csv", "diff"})
_PROMPT_LINE = re.compile(r"^\s*(?:\([^)]*\)\s*)?\$\s+\S")


def readme_blocks(repo: Repo) -> list[Block]:
    out = []
    for page, folder in _doc_pages(repo):
        text = (repo.root / page).read_text(errors="replace")
        for block in _doc_blocks(text, page.lower().endswith(".rst")):
            lines = [(f"{page}:{n}", t) for n, t in block]
            out.append(Block(page, "readme", [Shell(folder, lines, "switch" if folder else "strict")]))
    return out


def _doc_pages(repo: Repo) -> list[tuple[str, str]]:
    """``(page, folder its commands start in)``: root READMEs, ``docs/**/*.md``, then the
    README of each folder holding a tracking script."""
    def readmes(folder: str) -> list[str]:
        base = repo.root / folder if folder else repo.root
        return sorted(join_path(folder, p.name) for p in base.glob("*") if p.is_file()
                      and re.match(r"readme[\w.-]*\.(md|markdown|rst|txt)$|readme$", p.name, re.I))

    pages = [(p, "") for p in readmes("")]
    docs = repo.root / "docs"
    if docs.is_dir():
        pages += [(p.relative_to(repo.root).as_posix(), "") for p in sorted(docs.rglob("*"))
                  if p.suffix.lower() in (".md", ".rst") and p.is_file()]
    folders = sorted({folder_of(p) for p, c in repo.code.items() if c.kind == "py" and folder_of(p)
                      and not TEST_FILE.search(p) and repo.facts(p)[1]})
    pages += [(p, f) for f in folders for p in readmes(f)]
    return list(dict.fromkeys(pages))


def _doc_blocks(text: str, rst: bool) -> list[list[tuple[int, str]]]:
    """Code blocks of a Markdown or reStructuredText page as ``(line, text)`` lists: fenced
    blocks (not of a non-shell language), indented blocks (Markdown: after a blank line; rst:
    after a ``::`` line) and lone ``$ `` prompt lines."""
    blocks: list[list[tuple[int, str]]] = []
    fence, lang, cur = "", "", []  # type: ignore[var-annotated]
    indented: list[tuple[int, str]] = []
    prev_blank, literal = True, False
    for n, line in enumerate(text.splitlines(), 1):
        if fence:
            if line.strip().startswith(fence):
                if lang not in _NOT_SHELL:
                    blocks.append(cur)
                fence = ""
            else:
                cur.append((n, line))
            continue
        opened = _FENCE.match(line)
        is_indented = line.startswith(("    ", "\t")) or (rst and literal and line.startswith(" "))
        if indented and not (is_indented or not line.strip()):
            blocks.append(indented)
            indented, literal = [], False
        if opened:
            fence, lang, cur = opened.group(1), opened.group(2).lower(), []
        elif is_indented and line.strip() and (indented or prev_blank) and (not rst or literal):
            indented.append((n, line))
        elif _PROMPT_LINE.match(line):
            blocks.append([(n, line)])
        if rst and line.rstrip().endswith("::"):
            literal = True
        prev_blank = not line.strip()
    if indented:
        blocks.append(indented)
    return blocks


def ci_blocks(repo: Repo) -> list[Block]:
    """Each job of ``.github/workflows/*.yml``: its ``run:`` steps in order, one shell each."""
    base = repo.root / ".github" / "workflows"
    files = sorted(p for p in base.glob("*") if p.suffix in (".yml", ".yaml")) if base.is_dir() else []
    out = []
    for path in files:
        rel = path.relative_to(repo.root).as_posix()
        text = path.read_text(errors="replace")
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            repo.skip(rel, "", "malformed YAML")
            continue
        jobs = data.get("jobs") if isinstance(data, dict) else None
        top = _working_directory(data)
        cursor = [0]
        for job in (jobs or {}).values() if isinstance(jobs, dict) else []:
            if not isinstance(job, dict):
                continue
            wd = _working_directory(job) or top
            shells = [_ci_shell(rel, text, step, wd, cursor) for step in job.get("steps") or []
                      if isinstance(step, dict) and isinstance(step.get("run"), str)]
            if shells:
                out.append(Block(rel, "ci", shells))
    return out


def _working_directory(spec: Any) -> str:
    run = ((spec.get("defaults") or {}).get("run") or {}) if isinstance(spec, dict) else {}
    return str(run.get("working-directory") or "") if isinstance(run, dict) else ""


def _ci_shell(rel: str, text: str, step: dict[str, Any], wd: str, cursor: list[int]) -> Shell:
    """A ``run:`` step as a shell, each line numbered where it stands in the workflow file."""
    lines = step["run"].splitlines()
    file_lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    at = next((i for i in range(cursor[0], len(file_lines)) if first and first in file_lines[i]), cursor[0])
    cursor[0] = at + 1
    offset = next((i for i, ln in enumerate(lines) if ln.strip()), 0)
    numbered = [(f"{rel}:{at + 1 + i - offset}", ln) for i, ln in enumerate(lines)]
    folder = str(step.get("working-directory") or wd or "")
    return Shell(join_path("", folder) if folder and not folder.startswith(("/", "$")) else "", numbered)


def block_recipes(repo: Repo, blocks: list[Block]) -> list[Recipe]:
    """One recipe per block that has at least one usable step."""
    out = []
    for block in blocks:
        hits = run_shells(repo, block.shells)
        if hits:
            what = "commands" if len(hits) > 1 else "command"
            label = {"readme": "documented", "ci": "CI workflow"}[block.kind]
            out.append(from_hits(block.source, hits[0][0], hits, f"{label} {what} ({len(hits)} step(s))"))
    return out
