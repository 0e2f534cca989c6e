"""Every lesson notebook: stored clean, the solution scores full marks and writes nothing to stderr,
the release scores zero failing only where the learner has work to do, and lessons/ is in sync. Check
cells grade visible and hidden cases in one report; training sections start from the learner's progress
and their assertions name the exercises that still fail."""
import re

import nbformat
import pytest
from nbgrader.utils import is_grade, is_solution

from grader.course import LESSONS, SOLUTIONS, stale_release_files
from grader.execution import grade_notebook

pytestmark = pytest.mark.notebooks

SOURCES = sorted(SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"))
IDS = [path.parent.name for path in SOURCES]
# What a release may raise before the learner has written anything: the exercise stubs, the checks
# that fail on them (CheckFailed) and the training asserts that fail after them.
EXPECTED_IN_RELEASE = {"NotImplementedError", "CheckFailed", "AssertionError"}
TEST_CELL = re.compile(r"### BEGIN HIDDEN TESTS\ncheck\.include_hidden_cases\(\)\n### END HIDDEN TESTS\n"
                       r"check\(\"(\w+)\.(\w+)\"(, \w+)+\)")


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


def test_the_course_has_every_lesson_of_the_syllabus():
    assert IDS == ["01_perceptron", "02_mlp", "03_backprop", "04_cnn", "05_rnn_lstm", "06_transformer", "07_gnn"]


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
        assert "BEGIN HIDDEN TESTS" not in text and "hidden=True" not in text and "include_hidden_cases" not in text
        assert "### BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text


def test_lessons_are_what_release_generates():
    assert stale_release_files() == [], "run `nncourse release` and commit lessons/"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_every_check_cell_grades_hidden_cases_in_the_same_report(source):
    for cell in nbformat.read(source, 4).cells:
        if is_grade(cell) and not is_solution(cell):
            assert TEST_CELL.fullmatch(cell.source), f"{source}: {cell.source}"
            assert type(cell.metadata.nbgrader["points"]) is int, cell.metadata.nbgrader


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_training_asserts_name_the_failing_exercises(source):
    """After the first progress cell, every assertion's message comes from lesson_progress.blame."""
    code = [cell.source for cell in nbformat.read(source, 4).cells if cell.cell_type == "code"]
    lesson = source.parent.name.split("_", 1)[1]
    first = next(i for i, text in enumerate(code) if text == f'lesson_progress = progress("{lesson}")')
    asserts = [statement for text in code[first:] for statement in re.split(r"\n(?=\s*assert )", text)
               if statement.lstrip().startswith("assert ")]
    assert asserts and all("lesson_progress.blame(" in statement for statement in asserts), asserts


def test_a_failing_training_assert_names_the_broken_exercise():
    """Lesson 02 with gradients averaged over the batch in mlp_backward, run up to its first training cell
    that needs the backward: the assertion's message names mlp.mlp_backward."""
    source = SOLUTIONS / "02_mlp" / "mlp.ipynb"
    nb = nbformat.read(source, 4)
    answer = next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "mlp_backward")
    answer.source = answer.source.replace('return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}',
                                          'return {"W1": dW1 / N, "b1": db1 / N, "W2": dW2 / N, "b2": db2 / N}')
    answer.source = answer.source.replace("    affine1_cache, relu_cache, affine2_cache = cache\n",
                                          "    affine1_cache, relu_cache, affine2_cache = cache\n    N = dscores.shape[0]\n")
    overfit = next(i for i, cell in enumerate(nb.cells) if cell.get("id") == "sanity-overfit")
    nb.cells = nb.cells[:overfit + 1]
    grade_notebook(nb, source.parent)
    messages = [output.evalue for output in nb.cells[-1].outputs if output.output_type == "error"]
    assert messages and "on 20 examples the loss should fall below 0.01" in messages[0], nb.cells[-1].outputs
    assert "mlp.mlp_backward (0/4 points)" in messages[0] and "Fix them first" in messages[0], messages[0]


# Run first in a kernel, it makes `import torch` fail as it does where torch is not installed.
HIDE_TORCH = """import sys


class HideTorch:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, HideTorch())
try:
    import torch
except ModuleNotFoundError:
    pass
else:
    raise AssertionError("torch is still importable")"""


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_solution_runs_without_torch(source):
    """A learner's install (make lab) has no torch: a lesson that compares with it runs on without it."""
    nb = nbformat.read(source, 4)
    if not any("torch" in cell.source for cell in nb.cells if cell.cell_type == "code"):
        pytest.skip("no code cell mentions torch")
    nb.cells.insert(0, nbformat.v4.new_code_cell(HIDE_TORCH))
    result = grade_notebook(nb, source.parent)
    assert errors(nb) == [], errors(nb)
    assert result["score"] == result["max_score"] > 0
