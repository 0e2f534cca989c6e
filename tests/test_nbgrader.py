"""End to end with stock nbgrader on a course set up by `nncourse init`: one autograde run over a
class whose submissions are right, blank, noisy, wrong and crashing; then feedback and export."""
import csv
import shutil

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


@pytest.fixture(scope="module")
def graded_both_ways(graded_course, tmp_path_factory):
    """The same class graded again by `nncourse autograde`, in a copy of the course made before stock grading's
    outputs (autograded/, feedback/) existed."""
    from grader.autograde.batch import autograde
    from grader.autograde.sandbox import SandboxUnavailable

    course, _, _ = graded_course
    copy = tmp_path_factory.mktemp("door4") / "course"
    shutil.copytree(course, copy, ignore=shutil.ignore_patterns("autograded", "feedback", "grades.csv"))
    try:
        outcomes = autograde(copy, LESSON)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    return course, copy, outcomes


def _cell_scores(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {submission.student.id: {grade.name: grade.auto_score for grade in submission.notebooks[0].grades}
                for submission in gradebook.find_assignment(LESSON).submissions}


def test_nncourse_autograde_gives_every_submission_stock_autogrades_scores(graded_both_ways):
    stock, sandboxed, outcomes = graded_both_ways
    assert {outcome.status for outcome in outcomes} == {"graded"}
    assert _cell_scores(sandboxed) == _cell_scores(stock)
    nbgrader(sandboxed, "export")
    with open(sandboxed / "grades.csv") as f:
        assert {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)} == \
            {student: sum(s or 0 for s in cells.values()) for student, cells in _cell_scores(stock).items()}
