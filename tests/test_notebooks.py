"""Every lesson notebook: stored clean, the solution scores full marks and writes nothing to stderr,
the release scores zero failing only where the learner has work to do, and lessons/ is in sync."""
from pathlib import Path

import nbformat
import pytest

from grader.course import LESSONS, SOLUTIONS, stale_release_files
from grader.execution import grade_notebook

pytestmark = pytest.mark.notebooks

SOURCES = sorted(SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"))
IDS = [path.parent.name for path in SOURCES]
# What a release may raise before the learner has written anything: the exercise stubs, and the
# checks and asserts that fail on them.
EXPECTED_IN_RELEASE = {"NotImplementedError", "AssertionError"}


def release_of(source):
    return LESSONS / source.parent.name / source.name


@pytest.fixture(scope="module", params=SOURCES, ids=IDS)
def graded(request):
    """(source path, solution run, release run), each lesson executed once for all the tests below."""
    source = request.param
    solution_nb = nbformat.read(source, 4)
    solution = grade_notebook(solution_nb, source.parent)
    release_nb = nbformat.read(release_of(source), 4)
    release = grade_notebook(release_nb, release_of(source).parent, source=nbformat.read(source, 4))
    return source, (solution, solution_nb), (release, release_nb)


def errors(nb):
    return [(index, output.ename, output.evalue[:300]) for index, cell in enumerate(nb.cells)
            for output in cell.get("outputs", []) if output.output_type == "error"]


def test_the_course_has_its_first_lessons():
    assert {"01_perceptron", "02_mlp", "03_backprop"} <= set(IDS)


@pytest.mark.parametrize("path", SOURCES + [release_of(s) for s in SOURCES],
                         ids=[f"solutions/{i}" for i in IDS] + [f"lessons/{i}" for i in IDS])
def test_notebooks_are_stored_with_outputs_cleared(path):
    nb = nbformat.read(path, 4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path}: cell with outputs:\n{cell.source[:200]}"


def test_solution_runs_clean_and_earns_full_marks(graded):
    source, (solution, nb), _ = graded
    assert errors(nb) == []
    stderr = [cell.source[:80] for cell in nb.cells for output in cell.get("outputs", [])
              if output.output_type == "stream" and output.name == "stderr"]
    assert stderr == [], f"{source}: cells wrote to stderr"
    lost = [cell for cell in solution["cells"] if cell["score"] != cell["max_score"]]
    assert not lost and solution["max_score"] > 0, lost


def test_release_scores_zero_and_fails_only_on_unwritten_exercises(graded):
    source, _, (release, nb) = graded
    assert release["score"] == 0, [c for c in release["cells"] if c["score"]]
    unexpected = [error for error in errors(nb) if error[1] not in EXPECTED_IN_RELEASE]
    assert unexpected == [], f"{release_of(source)}: cells broke for another reason"


def test_release_has_every_exercise_stubbed_and_no_hidden_tests():
    for source in SOURCES:
        text = release_of(source).read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text
        assert "### BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text


def test_lessons_are_what_release_generates():
    assert stale_release_files() == [], "run `nncourse release` and commit lessons/"
