# The workbook's commands. Each one sets up the environment first (once: a second
# run reuses it) and works from the repository root.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KERNEL := mlops-course
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup repro test test-lessons lint lessons lab steps bench freeze clean-workspace

setup: $(STAMP)  ## create .venv with the pinned packages, the package and the Jupyter kernel

ENGINE := tools/papermill-reproducible

$(STAMP): requirements.txt pyproject.toml tools/pyproject.toml $(ENGINE)/pyproject.toml $(ENGINE)/papermill_reproducible.py
	@echo "==> [setup 1/4] virtual environment in $(VENV) ($(PYTHON))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [setup 2/4] pinned packages from requirements.txt (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar on -r requirements.txt
	@echo "==> [setup 3/4] the iris_pipeline package and the course's tools (editable), the papermill engine"
	$(BIN)/python -m pip install --quiet --no-deps -e . -e tools ./$(ENGINE)
	@echo "==> [setup 4/4] Jupyter kernel '$(KERNEL)' inside $(VENV)"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python 3 ($(KERNEL))"
	@touch $(STAMP)

repro: setup  ## run the pipeline (the project's main job)
	dvc repro

test: setup  ## run the whole test suite (what CI runs)
	python -m pytest

lint: setup  ## ruff on code and notebooks
	ruff check .

bench: setup  ## time papermill stages against plain Python (see benchmarks/README.md)
	python benchmarks/pipeline_overhead.py

freeze: setup  ## rewrite requirements.txt from the environment, keeping its header
	{ sed -n '/^#/p;/^$$/q' requirements.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -iv '^\(iris-pipeline\|papermill-reproducible\)'; } > requirements.txt.new
	mv requirements.txt.new requirements.txt

lessons: setup  ## rerun every lesson (or LESSONS="lessons/03-*.ipynb") and store its outputs
	python -m workbook.run_lessons $(LESSONS)

test-lessons: setup  ## check the lessons' stored outputs with nbval (strict)
	python -m pytest lessons

lab: setup  ## JupyterLab at the repository root; lessons open with the mlops-course kernel
	tools/lab.sh

steps: setup  ## build the course's step branches in this clone (FORCE=1 to rebuild)
	python course/build_steps.py build $(if $(FORCE),--force,)

clean-workspace:  ## remove the lessons' scratch workspaces
	rm -rf workspace
