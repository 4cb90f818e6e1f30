# mlflow-mining — every stage of the study is a target. `make` (or `make help`) lists them.
# The first run bootstraps .venv by itself (python3 >= 3.11 and the package registry needed).

SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock 2>/dev/null | sha1sum | cut -c1-12)
SAMPLE := study/sample-corpus
DEMO_OUT := data/demo
JOBS ?= 2
FRAME_SOURCE ?= ../shared/corpus/candidates.csv
BENCH_CORPUS ?= data/bench-corpus

.PHONY: help venv demo test identical lint codebook bench lock clean frame discover mine history rerun rerun-mirrors rerun-order rerun-check analysis validate figures paper datapackage study browse

help: ## list the targets (this text)
	@echo "mlflow-mining: make <target>"
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}'
	@if [ -x $(PY) ]; then echo; echo "python -m analysis <stage> (analysis/stages.py; make analysis runs those of all):"; \
		$(PY) -m analysis --help 2>&1 | sed -n '/^Stages/,$$p' | tail -n +2; fi

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "python3 >= 3.11 is needed (set PYTHON=/path/to/python3.11)")'
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check uv 2>/dev/null || true
	@if [ -x $(VENV)/bin/uv ]; then \
		$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock && \
		$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e . ; \
	else \
		$(PY) -m pip install -q -r requirements.lock && $(PY) -m pip install -q --no-deps -e . ; \
	fi
	@rm -f $(VENV)/.installed-*; touch $@
	@echo "virtual environment ready: $(VENV)"

venv: $(STAMP) ## build the virtual environment (.venv) from requirements.lock

demo: $(STAMP) ## the whole study on the bundled offline sample corpus: mine, rerun, analysis, figures, demo PDF (data/demo/)
	$(PY) -m miners demo-mirrors $(SAMPLE) --out $(DEMO_OUT)
	$(PY) -m miners mine --protocol study/protocol.toml --frame $(DEMO_OUT)/frame.csv --work $(DEMO_OUT)/work \
		--results $(DEMO_OUT)/results --jobs $(JOBS) --repin \
		--url-template 'file://$(CURDIR)/$(DEMO_OUT)/mirrors/{owner}+{name}.git'
	$(PY) -m miners summary $(DEMO_OUT)/results
	$(PY) -m miners rerun --corpus $(DEMO_OUT)/results/corpus.csv --clones $(DEMO_OUT)/work/clones --sample 100 \
		--runs 2 --timeout 300 --jobs $(JOBS) --work $(DEMO_OUT)/rerun --out $(DEMO_OUT)/results --no-progress
	$(MAKE) --no-print-directory study RESULTS=$(DEMO_OUT)/results PAPER=$(DEMO_OUT)/paper
	@if command -v latexmk >/dev/null; then $(MAKE) --no-print-directory paper PAPER=$(DEMO_OUT)/paper \
		&& echo "demo paper: $(DEMO_OUT)/paper/main.pdf"; \
	else echo "demo: latexmk is missing, so no demo PDF (TeX Live: see 'make help' paper)"; fi

frame: $(STAMP) ## rebuild study/frame.csv from the list the frame was assembled into (FRAME_SOURCE=...; see study/frame.md)
	$(PY) -m miners frame --from $(FRAME_SOURCE) --out study/frame.csv

discover: $(STAMP) ## search GitHub for the protocol's topics (needs GITHUB_TOKEN; API_URL=... for another API)
	$(PY) -m miners discover --protocol study/protocol.toml $(if $(API_URL),--api-url $(API_URL))

mine: $(STAMP) ## frame/discovery -> sample -> clone -> scan -> results/ (URL_TEMPLATE=file:///mirrors/{owner}+{name}/repo, SCHEDULER=tcp://...)
	$(PY) -m miners mine --protocol study/protocol.toml --work data --results results --jobs $(JOBS) \
		--snapshots study/snapshots.csv \
		$(if $(URL_TEMPLATE),--url-template '$(URL_TEMPLATE)') $(if $(SCHEDULER),--scheduler $(SCHEDULER))

rerun: $(STAMP) ## the reproducibility study, in chunks: the census's seeded queue, probed then repeated in 3 conditions; resumes from results/records/rerun (MAX_HOURS=, JOBS=, SCHEDULER=tcp://..., URL_TEMPLATE=...)
	$(PY) -m miners rerun-study --corpus results/corpus.csv --records results/records --out results \
		--work data/rerun-study --cache data/rerun-cache --jobs $(JOBS) --max-hours $(or $(MAX_HOURS),0) \
		$(if $(URL_TEMPLATE),--url-template '$(URL_TEMPLATE)') $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(RERUN_ARGS)

rerun-mirrors: $(STAMP) ## the next N=100 projects the study has not attempted: the mirrors the next chunk needs (MISSING=URL_TEMPLATE lists only absent ones)
	@$(PY) -m miners rerun-mirrors --next $(or $(N),100) $(if $(MISSING),--missing '$(MISSING)')

READ := data/first30
rerun-check: $(STAMP) ## re-mine the read projects (study/rerun-readings/order.csv) from URL_TEMPLATE, run each once as written, compare with the reading
	$(PY) -m miners rerun-subset study/rerun-readings/order.csv --out $(READ)
	$(PY) -m miners mine --protocol study/protocol.toml --frame $(READ)/frame.csv --work $(READ)/work \
		--results $(READ)/results --jobs $(JOBS) $(if $(URL_TEMPLATE),--url-template '$(URL_TEMPLATE)')
	$(PY) -m miners rerun --corpus $(READ)/results/corpus.csv --clones $(READ)/work/clones --sample 0 \
		--repos "$$(tail -n +2 study/rerun-readings/order.csv | cut -d, -f2 | paste -sd, -)" --runs 1 \
		--conditions as_written --work $(READ)/rerun --cache data/rerun-cache --out $(READ)/rerun-results --jobs $(JOBS)
	$(PY) -m miners rerun-check --reruns $(READ)/rerun-results/reruns.csv --out study/rerun-readings/harness-check.csv

history: $(STAMP) ## walk each cloned repository's history with PyDriller -> results/repo_history.csv, history_events.csv, branch_heads.csv (URL_TEMPLATE=...; resumable)
	$(PY) -m miners history --work data/history --out results --jobs $(JOBS) \
		$(if $(URL_TEMPLATE),--url-template '$(URL_TEMPLATE)')

rerun-order: $(STAMP) ## the seeded rerun order (one per template family, none already re-executed) -> study/rerun-readings/order.csv
	$(PY) -m miners rerun-order --exclude results/rerun_sample.csv --first 30 --out study/rerun-readings/order.csv

RESULTS ?= results
PAPER ?= paper

analysis: $(STAMP) ## results/*.csv -> results/tables/*.csv, paper/generated/*.tex (every number of the paper), results/datapackage.json: the stages stats, rq5, rq6, validate, datapackage (python -m analysis --help)
	$(PY) -m miners codebook --out study/codebook.md
	$(PY) -m miners codebook --format latex --out $(PAPER)/generated/codebook.tex
	$(PY) -m analysis all --results $(RESULTS) --tables $(RESULTS)/tables --generated $(PAPER)/generated --labels study/validation

validate: $(STAMP) ## precision and recall of the detectors against the blind labels (made by a language model) in study/validation/
	$(PY) -m analysis validate --labels study/validation --results $(RESULTS) --tables $(RESULTS)/tables --generated $(PAPER)/generated

figures: $(STAMP) ## execute notebooks/NN-*.ipynb headlessly -> paper/figures/*.pdf and *.png
	$(PY) -m analysis figures --results $(RESULTS) --notebooks notebooks --out $(PAPER)/figures

datapackage: $(STAMP) ## results/datapackage.json (Frictionless) and its validation
	$(PY) -m analysis datapackage --results $(RESULTS)

PORT ?= 8001
browse: $(STAMP) ## results/ -> data/results.db (sqlite-utils) served read-only by Datasette on 127.0.0.1, port 8001 (PORT=...)
	$(PY) -m analysis browse --results $(RESULTS) --db data/results.db --serve --port $(PORT)

study: analysis figures ## analysis + figures (RESULTS=..., PAPER=... to build elsewhere, e.g. the demo)
	@if [ "$(PAPER)" != "paper" ]; then mkdir -p $(PAPER) && cp -r paper/main.tex paper/refs.bib paper/sections $(PAPER)/; fi

paper: ## build paper/main.pdf with latexmk (TeX Live: apt-get install --no-install-recommends texlive-latex-recommended texlive-publishers texlive-fonts-recommended latexmk)
	@command -v latexmk >/dev/null || { echo "latexmk is missing: apt-get install --no-install-recommends texlive-latex-recommended texlive-publishers texlive-fonts-recommended latexmk"; exit 2; }
	cd $(PAPER) && latexmk -pdf -interaction=nonstopmode -halt-on-error -quiet main.tex

TEST_JOBS ?= auto
test: $(STAMP) ## run the test suite (offline, in parallel: TEST_JOBS=auto, 0 for one process) and the linter
	$(PY) -m ruff check miners analysis tests
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadscope --durations=8

identical: $(STAMP) ## prove a refactor changes no output: the demo corpus mines to tests/fixtures/demo-mined.sha256, and tables, macros and figures rebuild from results/ to the committed bytes
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PY) -m miners demo-mirrors $(SAMPLE) --out $$tmp/demo >/dev/null && \
	$(PY) -m miners mine --protocol study/protocol.toml --frame $$tmp/demo/frame.csv --work $$tmp/demo/work \
		--results $$tmp/demo/results --jobs $(JOBS) --repin --no-progress \
		--url-template "file://$$tmp/demo/mirrors/{owner}+{name}.git" >/dev/null && \
	(cd $$tmp/demo/results && sha256sum --check --quiet $(CURDIR)/tests/fixtures/demo-mined.sha256) && \
	echo "identical: the demo corpus mines to the committed digests"
	$(MAKE) --no-print-directory analysis figures >/dev/null
	git diff --stat --exit-code -- results paper/generated paper/figures study/codebook.md
	@echo "identical: tables, macros and figures rebuild to the committed bytes"

lint: $(STAMP) ## ruff
	$(PY) -m ruff check miners analysis tests

codebook: $(STAMP) ## regenerate study/codebook.md from the detectors' docstrings
	$(PY) -m miners codebook --out study/codebook.md

bench: $(STAMP) ## throughput of the scanner vs ast / libcst baselines (BENCH_CORPUS=folder of repos)
	$(PY) -m miners bench $(BENCH_CORPUS) --work data/bench

lock: $(VENV) ## re-resolve requirements.lock from pyproject.toml (needs the registry)
	$(VENV)/bin/uv pip compile --universal --extra dev -q -o requirements.lock pyproject.toml

clean: ## remove generated data (data/), keep .venv
	rm -rf data/demo data/bench data/cache
