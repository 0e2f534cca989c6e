"""End to end with stock nbgrader on a course set up by `nncourse init`: one autograde run over a
class whose submissions are right, blank, noisy, wrong and crashing; then feedback and export."""
import csv

import nbformat
import pytest

from grader.course import SOLUTIONS, init_course, nbgrader
from grader.demo import fill_answers, student_code

pytestmark = pytest.mark.grader

LESSON, NOTEBOOK = "02_mlp", "mlp.ipynb"
# Correct code whose sigmoid overflows (a RuntimeWarning on stderr) for large |x|: still full marks.
NAIVE_SIGMOID = ("    e = np.exp(-np.abs(x))\n    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))\n",
                 "    s = 1 / (1 + np.exp(-x))\n")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = init_course(tmp_path_factory.mktemp("nbgrader") / "course", lessons=[LESSON], timeout=30)
    nbgrader(course, "generate_assignment", LESSON)
    released = nbformat.read(course / "release" / LESSON / NOTEBOOK, 4)
    correct = student_code("ada_correct")
    assert NAIVE_SIGMOID[0] in correct
    submissions = {
        "solution": nbformat.read(SOLUTIONS / LESSON / NOTEBOOK, 4),
        "blank": nbformat.from_dict(released),
        "noisy": fill_answers(nbformat.from_dict(released), correct.replace(*NAIVE_SIGMOID)),
        "buggy": fill_answers(nbformat.from_dict(released), student_code("ben_backward_mistakes")),
        "crash": fill_answers(nbformat.from_dict(released), student_code("cy_kernel_crash")),
    }
    for student, nb in submissions.items():
        (course / "submitted" / student / LESSON).mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / student / LESSON / NOTEBOOK)
    autograde = nbgrader(course, "autograde", LESSON, check=False)
    nbgrader(course, "generate_feedback", LESSON)
    nbgrader(course, "export")
    with open(course / "grades.csv") as f:
        grades = {row["student_id"]: row for row in csv.DictReader(f)}
    return course, autograde, grades


def auto_points():
    nb = nbformat.read(SOLUTIONS / LESSON / NOTEBOOK, 4)
    return sum(cell.metadata.nbgrader["points"] for cell in nb.cells
               if cell.metadata.get("nbgrader", {}).get("grade") and not cell.metadata.nbgrader.get("solution"))


def test_every_submission_is_graded_and_none_is_lost(graded_course):
    course, autograde, grades = graded_course
    assert autograde.returncode == 0, autograde.stderr[-2000:]
    assert set(grades) == {"solution", "blank", "noisy", "buggy", "crash"}
    for student in grades:
        assert (course / "autograded" / student / LESSON / NOTEBOOK).is_file()
        assert (course / "feedback" / student / LESSON / "mlp.html").is_file()


def test_scores_order_the_class(graded_course):
    _, _, grades = graded_course
    score = {student: float(row["score"]) for student, row in grades.items()}
    full = auto_points()
    assert score["solution"] == score["noisy"] == full  # a NumPy warning zeroes nothing
    assert score["blank"] == 0
    assert 0 < score["buggy"] < full
    assert score["crash"] < score["buggy"]


def test_a_crashed_kernel_is_recorded_with_the_reason(graded_course):
    course, _, _ = graded_course
    feedback = (course / "feedback" / "crash" / LESSON / "mlp.html").read_text()
    assert "KernelDied" in feedback and "kernel died" in feedback


def test_feedback_names_mistakes_and_never_shows_hidden_tests(graded_course):
    course, _, _ = graded_course
    for student in ("solution", "blank", "buggy"):
        feedback = (course / "feedback" / student / LESSON / "mlp.html").read_text()
        assert "include_hidden_cases" not in feedback and "hidden=True" not in feedback
        assert "HIDDEN TESTS" not in feedback
    buggy = (course / "feedback" / "buggy" / LESSON / "mlp.html").read_text()
    assert "averaged over the batch" in buggy and "mask left out" in buggy
