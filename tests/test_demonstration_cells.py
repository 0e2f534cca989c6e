"""Cells that only demonstrate (training runs, plots), tagged "demonstration" in a lesson's source, are
not run at grading: every solution scores the same with and without the skip, the release carries the
tags on the same cells, a learner's edited demonstration cell runs as stock autograde would run it, and
no graded cell is ever skipped."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.autograde.local import check_notebook
from grader.autograde.notebooks import DEMONSTRATION_TAG, demonstration_cells, read_submission
from grader.autograde.sandbox import SandboxUnavailable
from grader.course import LESSONS, SOLUTIONS

pytestmark = pytest.mark.grader

SOURCES = sorted(SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"))
IDS = [path.parent.name for path in SOURCES]
SKIPPED_NOTE = "not run at grading"


def checked(path, source, skip):
    try:
        return check_notebook(path, source, timeout=120, skip_demonstrations=skip)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_every_solution_scores_the_same_with_and_without_the_skip(source):
    skipped, run = checked(source, source, skip=True), checked(source, source, skip=False)
    scores = lambda result: {cell["grade_id"]: cell["score"] for cell in result["cells"]}  # noqa: E731
    assert scores(skipped) == scores(run)
    assert skipped["score"] == skipped["max_score"] > 0
    assert skipped["reasons"] == run["reasons"] == []


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_every_lesson_marks_its_demonstrations_and_its_release_keeps_them(source):
    in_source = demonstration_cells(nbformat.read(source, 4))
    released = LESSONS / source.parent.name / source.name
    assert in_source, f"{source} tags no cell {DEMONSTRATION_TAG!r}: its training runs would slow every grading"
    assert demonstration_cells(nbformat.read(released, 4)) == in_source
    # what the learner's file holds is what grading matches against: ids survive read_submission
    assert {cell.id for cell in read_submission(released).cells} >= set(in_source)


def test_a_skipped_cell_says_so_and_an_edited_one_runs(tmp_path):
    trained = "trained = 'by the lesson'\nprint('training ran')"
    source = new_notebook(cells=[
        new_code_cell("import numpy as np", id="imports"),
        new_code_cell(trained, id="training", metadata={"tags": [DEMONSTRATION_TAG]}),
        new_code_cell("print('plot drawn')", id="plot", metadata={"tags": [DEMONSTRATION_TAG]}),
        new_code_cell("print(trained)", id="after"),
    ])
    nbformat.write(source, tmp_path / "source.ipynb")
    submitted = nbformat.from_dict(source)
    submitted.cells[2].source = "print('plot drawn, and edited by the learner')"
    nbformat.write(submitted, tmp_path / "submitted.ipynb")
    try:
        from grader.autograde.runner import grade_notebook
        from grader.autograde.sandbox import Limits, SandboxFiles
        graded = grade_notebook(read_submission(tmp_path / "submitted.ipynb"), {}, SandboxFiles(tmp_path / "files"),
                                {}, Limits(cell_seconds=30), skip=demonstration_cells(source))
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    text = ["".join(o.get("text", "") or o.get("evalue", "") for o in cell.outputs) for cell in graded.nb.cells]
    assert SKIPPED_NOTE in text[1] and "training ran" not in text[1]
    assert text[2] == "plot drawn, and edited by the learner\n"
    assert "NameError" in "".join(o.get("ename", "") for o in graded.nb.cells[3].outputs)


def test_a_graded_cell_is_never_a_demonstration():
    nb = new_notebook(cells=[new_code_cell("check('mlp.relu_forward', relu_forward)", id="test", metadata={
        "tags": [DEMONSTRATION_TAG], "nbgrader": {"grade": True, "grade_id": "test_relu", "points": 1}})])
    assert demonstration_cells(nb) == {}
