# The workbook's commands. Each one sets up the environment first (once: a second
# run reuses it) and works from the repository root.
# The Pythons the course supports. Set-up takes the newest one found on PATH that runs
# (a pyenv shim of a version that is not selected does not), or the one named:
# make setup PYTHON=/path/to/python3.12. Any other is refused before anything is installed.
SUPPORTED_PYTHONS := 3.11, 3.12 or 3.13
IS_SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
PYTHON ?= $(firstword $(foreach p,python3.13 python3.12 python3.11 python3,$(if $(shell $(p) -c "$(IS_SUPPORTED)" 2>/dev/null && echo ok),$(p))))
VENV := .venv
BIN := $(VENV)/bin
KERNEL := mlops-course
ENGINE := tools/papermill-reproducible
UV_VERSION := 0.13.9
# What the environment is made from. The stamp is named by a hash of their content, not
# dated by their timestamps, so switching git branches back and forth (which touches
# files) reinstalls nothing; changing a pin does.
SETUP_INPUTS := requirements.txt pyproject.toml tools/pyproject.toml $(ENGINE)/pyproject.toml $(wildcard $(ENGINE)/*.py)
# cksum is POSIX (older macOS has no sha256sum).
STAMP := $(VENV)/.installed-$(shell cat $(SETUP_INPUTS) Makefile 2>/dev/null | cksum | cut -d' ' -f1)
UV := $(BIN)/uv pip install --python $(BIN)/python
# Where PYTHONDONTWRITEBYTECODE is set (many containers, this course's CI), Python writes no
# .pyc files and compiles every module from source on every import: importing scikit-learn,
# pandas and DVC took 9 s instead of 2 s. There, setup compiles the installed packages once
# (not their own test suites, a quarter of the files, which nothing here imports). Elsewhere
# Python writes each .pyc the first time a module is imported, as usual.
COMPILE := $(BIN)/python -m compileall -q -j 0 -x '/tests?/|/testing/'
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup jupyter-setup repro test test-lessons lint lessons lab steps book regen regen-check bench freeze clean-workspace

setup: $(STAMP)  ## create .venv with the pinned packages, the package and the Jupyter kernel

# uv installs the same pins as pip would, several times faster; pip (which every Python
# has) installs uv itself, so nothing else needs to be there first.
$(STAMP):
	@test -x $(BIN)/python || { test -n "$(PYTHON)" && $(PYTHON) -c "$(IS_SUPPORTED)" 2>/dev/null; } || { \
	  echo "error: the course runs on Python $(SUPPORTED_PYTHONS); $(if $(PYTHON),'$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo not a Python that runs),none was found on PATH): install one, or name it: make setup PYTHON=/path/to/python3.12" >&2; exit 1; }
	@echo "==> [setup 1/4] virtual environment in $(VENV) ($(PYTHON)) with uv $(UV_VERSION)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/uv --version 2>/dev/null | grep -q "^uv $(UV_VERSION)" || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@echo "==> [setup 2/4] pinned packages from requirements.txt"
	$(UV) -r requirements.txt
	@echo "==> [setup 3/4] the iris_pipeline package and the course's tools (editable), the papermill engine"
	$(UV) --quiet --no-deps --reinstall-package papermill-reproducible -e . -e tools ./$(ENGINE)
	@if [ -n "$$PYTHONDONTWRITEBYTECODE" ]; then \
	  echo "==> [setup 3/4] compiling the packages' bytecode once (PYTHONDONTWRITEBYTECODE is set)"; \
	  $(COMPILE) "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" >/dev/null; fi
	@echo "==> [setup 4/4] Jupyter kernel '$(KERNEL)' inside $(VENV)"
	@$(MAKE) --no-print-directory jupyter-setup ENV_PYTHON=$(BIN)/python
	@rm -f $(VENV)/.installed*
	@touch $(STAMP)

# What Jupyter needs in an environment that has the packages: the kernel the lessons name,
# the save hook (lessons and stages stay as committed), the offline page of `dvc plots show`.
# make setup runs it for .venv; binder/postBuild for Binder's own environment.
ENV_PYTHON ?= $(BIN)/python
jupyter-setup:
	$(ENV_PYTHON) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python 3 ($(KERNEL))"
	$(ENV_PYTHON) -m workbook.jupyter_save install
	$(ENV_PYTHON) -m workbook.offline_plots

repro: setup  ## run the pipeline (the project's main job)
	dvc repro

# Both cores: pytest-xdist, one test file (so one lesson's cells) per worker at a time, the
# slowest files first (their order: the root conftest.py, SLOWEST_FIRST).
PYTEST_PARALLEL := -n 2 --dist loadfile --no-loadscope-reorder

test: setup  ## run the whole test suite (what CI runs)
	python -m pytest $(PYTEST_PARALLEL)

lint: setup  ## ruff on code and notebooks
	ruff check .

bench: setup  ## time the pipeline against the original course's plain scripts (benchmarks/pipeline_overhead.py)
	python benchmarks/pipeline_overhead.py

freeze: setup  ## rewrite requirements.txt from the environment, keeping its header
	{ sed -n '/^#/p;/^$$/q' requirements.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -Eiv '^(iris-pipeline|papermill-reproducible|uv)=='; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

lessons: setup  ## rerun every lesson (or LESSONS="lessons/03-*.ipynb") and store its outputs
	python -m workbook.run_lessons $(LESSONS)

test-lessons: setup  ## check the lessons' stored outputs with nbval (strict)
	python -m pytest $(PYTEST_PARALLEL) lessons

lab: setup  ## JupyterLab at the repository root (as root too); extra arguments: make lab ARGS="--no-browser --port 8899"
	tools/lab.sh $(ARGS)

# The steps folder, a git worktree for the step branches: beside this checkout by default.
STEPS_DIR ?= ../$(notdir $(CURDIR))-steps

steps: setup  ## build the step branches and the steps folder STEPS_DIR to follow them in (FORCE=1 to rebuild)
	python course/build_steps.py build $(if $(FORCE),--force,) --steps-dir "$(STEPS_DIR)"
	python -m workbook.offline_plots --project "$(STEPS_DIR)"

# The course's pages, a static site built offline (book/build.py, Sphinx with myst-nb): the
# lessons with their stored outputs (never rerun), the step branches' READMEs, a landing page.
# The site is BOOK_DIR/html; the build's other folders sit beside it.
BOOK_DIR ?= _build/book

book: setup  ## build the course's pages, a static site, into BOOK_DIR/html (open _build/book/html/index.html)
	python book/build.py --out "$(BOOK_DIR)"

regen: setup  ## after a change: reproduce, rerun every lesson, rebuild the step branches, check for stale figures, say what changed (course/regen.py)
	python course/regen.py regen $(if $(ALLOW_DIRTY),--allow-dirty,)

regen-check: setup  ## prove the maintainer's loop: routine changes (ONLY=default-cv for one), each in a scratch clone, make regen then make test
	python course/regen.py check $(if $(ONLY),--only $(ONLY),)

clean-workspace:  ## remove the lessons' scratch workspaces
	rm -rf workspace
