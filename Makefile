# A fresh clone needs only python3 (>= 3.10): every target below creates .venv when it is missing.
VENV := .venv
BIN := $(VENV)/bin
# torch is pinned here, on the install command, so that one tested CPU build is installed
# (a loose requirement alone resolves to the newest CUDA build and gigabytes of wheels).
TORCH := torch==2.13.0
PIP := $(BIN)/python -m pip install --quiet --progress-bar off
# nbgrader starts `alembic` from PATH when it creates a gradebook.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab test test-browser bench demo release clean

# Jupyter refuses to run as root unless told; containers often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

# The learner's JupyterLab: Validate and none of nbgrader's instructor tools (see grader/lab/).
lab: $(VENV)/installed
	@echo "Starting JupyterLab on lessons/ (stop it with Ctrl+C) ..."
	JUPYTER_CONFIG_DIR=$(CURDIR)/grader/lab $(BIN)/jupyter lab --ServerApp.root_dir=lessons $(ROOT_FLAG)

test: $(VENV)/installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Headless Chromium drives the learner's JupyterLab; Debian's chromium is installed when missing.
test-browser: $(VENV)/installed-dev
	tests/browser/install-chromium
	$(BIN)/python -m pytest -m browser tests/browser $(PYTEST_ARGS)

bench: $(VENV)/installed-dev
	$(BIN)/python -m reference_impl.bench

demo: $(VENV)/installed
	$(BIN)/nncourse demo

release: $(VENV)/installed
	$(BIN)/nncourse release

# What the lessons use: NumPy, matplotlib, scikit-learn, JupyterLab and nbgrader; no torch.
$(VENV)/installed: pyproject.toml
	@test -x $(BIN)/python || { echo "Creating the course's Python environment in $(VENV) ..."; python3 -m venv $(VENV); }
	@echo "Installing what the lessons need into $(VENV): NumPy, matplotlib, scikit-learn, JupyterLab, nbgrader."
	@echo "The first time this takes a minute or two (it downloads JupyterLab, SciPy and more); later runs start at once ..."
	$(PIP) -e .
	@touch $@
	@echo "Installed."

# The tests also compare the reference with torch, and drive a browser.
$(VENV)/installed-dev: $(VENV)/installed
	@echo "Installing torch (CPU build, $(TORCH)) and the test tools into $(VENV) ..."
	$(PIP) $(TORCH) -e ".[torch,dev]"
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
