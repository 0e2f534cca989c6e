# A fresh clone needs only python3 (>= 3.10): every target below creates .venv when it is missing.
VENV := .venv
BIN := $(VENV)/bin
# torch is pinned here, on the install command, so that one tested CPU build is installed
# (a loose requirement alone resolves to the newest CUDA build and gigabytes of wheels).
TORCH := torch==2.13.0
# nbgrader starts `alembic` from PATH when it creates a gradebook.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab test bench demo release clean

# Jupyter refuses to run as root unless told; containers often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(VENV)/installed
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons $(ROOT_FLAG)

test: $(VENV)/installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/installed
	$(BIN)/python -m reference_impl.bench

demo: $(VENV)/installed
	$(BIN)/nncourse demo

release: $(VENV)/installed
	$(BIN)/nncourse release

$(VENV)/installed: pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --progress-bar off $(TORCH) -e ".[dev]"
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
