"""Execute a notebook in a Jupyter kernel as stock nbgrader autograde does and score its graded cells,
without a gradebook: the same execution (grader.course.CrashSafeExecute, per-cell time limit, short
tracebacks) and the same scoring rule (nbgrader.utils.determine_grade).

The lessons' own tests run notebooks this way (a kernel, everything allowed). `nncourse check` grades
through door 4's isolated path instead (grader.autograde.local), with this module's loading and
messages.
"""
import time
from pathlib import Path

import nbformat
from nbgrader.utils import determine_grade, is_grade, is_solution

from .course import KERNEL_ARGUMENTS, SOLUTIONS, CrashSafeExecute

__all__ = ["NotebookError", "load_notebook", "source_for", "grade_notebook", "cell_message"]


class NotebookError(ValueError):
    """A notebook that cannot be graded: missing, malformed, or without graded cells."""


def load_notebook(path):
    """Read a notebook, with an error that says what is wrong when it is missing or malformed."""
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"{path}: no such notebook file")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # nbformat raises several kinds for bad JSON or a bad schema
        raise NotebookError(f"{path} is not a readable Jupyter notebook ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else 'malformed'}); "
                         "re-download it from lessons/ or open and save it in JupyterLab") from None
    if not any(is_grade(cell) for cell in nb.cells):
        raise NotebookError(f"{path} has no graded cells (nbgrader grade cells); pass a lesson notebook "
                         "from lessons/ or solutions/")
    return nb


def source_for(path):
    """solutions/<lesson>/<name>.ipynb for a notebook of the same lesson and name, or None."""
    path = Path(path).resolve()
    candidate = SOLUTIONS / path.parent.name / path.name
    return candidate if candidate.is_file() and candidate != path else None


def _restore_tests(nb, source):
    """Replace the notebook's test cells by the source's (matched by grade_id), as autograde does."""
    tests = {cell.metadata.nbgrader["grade_id"]: cell for cell in source.cells
             if is_grade(cell) and not is_solution(cell)}
    for index, cell in enumerate(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in tests and is_grade(cell) and not is_solution(cell):
            restored = nbformat.from_dict(tests[grade_id])
            restored.outputs = [] if restored.cell_type == "code" else restored.get("outputs")
            nb.cells[index] = restored


def cell_message(cell):
    """A graded cell's outputs as the text a table shows: printed reports, and errors by name."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            # A failed check's value is its report; any other error is named by its type.
            parts.append(output.evalue if output.ename == "CheckFailed" else f"{output.ename}: {output.evalue}")
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts).strip()


def grade_notebook(nb, cwd, timeout=120, source=None):
    """Execute `nb` in `cwd` and score it. Returns {"score", "max_score", "manual_points", "seconds", "cells"}."""
    if source is not None:
        _restore_tests(nb, source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    started = time.perf_counter()
    executor = CrashSafeExecute(timeout=timeout, extra_arguments=KERNEL_ARGUMENTS)
    executor.preprocess(nb, {"metadata": {"path": str(cwd)}})
    seconds = time.perf_counter() - started

    cells, manual = [], 0.0
    for cell in nb.cells:
        if not is_grade(cell):
            continue
        if is_solution(cell) or cell.cell_type != "code":
            manual += float(cell.metadata.nbgrader["points"])
            continue
        score, max_score = determine_grade(cell)
        cells.append({"grade_id": cell.metadata.nbgrader["grade_id"], "score": float(score),
                      "max_score": float(max_score), "message": cell_message(cell)})
    return {"score": sum(c["score"] for c in cells), "max_score": sum(c["max_score"] for c in cells),
            "manual_points": manual, "seconds": seconds, "cells": cells}
