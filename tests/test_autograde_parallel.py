"""`nncourse autograde --workers N`: a small lesson 02 class with a kernel crash and an endless loop,
graded one student at a time and two at once, must end in the same gradebook; an interrupted
parallel run leaves each grade as it was or as it should be; the bar, the summary and the logs count
what happened; bad input is refused with exit code 2."""
import io
import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader.autograde import batch
from grader.autograde.batch import autograde
from grader.autograde.progress import ClassProgress, log_path, summary
from grader.autograde.sandbox import Limits, SandboxUnavailable
from grader.cli import main
from grader.course import init_course, nbgrader
from grader.demo import fill_answers, student_code

pytestmark = pytest.mark.grader

LESSON, NOTEBOOK = "02_mlp", "mlp.ipynb"
LIMITS = Limits(cell_seconds=30, memory_bytes=2 << 30, grace_seconds=2)  # a loaded machine slows training cells
CLASS = ("ada_correct", "ben_backward_mistakes", "cy_kernel_crash", "dee_endless_loop")


def make_class(root, students=CLASS):
    """A course with `students`' lesson 02 submissions (the demo's), the assignment generated."""
    course = init_course(root, lessons=[LESSON], timeout=10)
    nbgrader(course, "generate_assignment", LESSON)
    released = nbformat.read(course / "release" / LESSON / NOTEBOOK, 4)
    for student in students:
        folder = course / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        nbformat.write(fill_answers(nbformat.from_dict(released), student_code(student)), folder / NOTEBOOK)
    return course


def gradebook_state(course):
    """{student: ({grade_id: auto score}, {grade_id: auto comment}, flagged)}: all the autograder writes."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {submission.student.id: ({g.name: g.auto_score for g in submission.notebooks[0].grades},
                                        {c.name: c.auto_comment for c in submission.notebooks[0].comments},
                                        submission.notebooks[0].flagged)
                for submission in gradebook.find_assignment(LESSON).submissions}


def settled(state):
    """The gradebook state without the endless loop's comments: they name the limits that stopped it, and
    which one fires first (a cell's or a call's) depends on the machine's load, not on the workers."""
    return {student: (scores, flagged) if student == "dee_endless_loop" else (scores, comments, flagged)
            for student, (scores, comments, flagged) in state.items()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    serial = make_class(root / "serial")
    parallel = root / "parallel"
    shutil.copytree(serial, parallel)
    stream = io.StringIO()
    progress = ClassProgress(stream, enabled=True)
    try:
        serial_outcomes = autograde(serial, LESSON, limits=LIMITS, workers=1)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    parallel_outcomes = autograde(parallel, LESSON, limits=LIMITS, workers=2, started=progress.start,
                                  report=progress.update)
    progress.close()
    return {"serial": serial, "parallel": parallel, "serial_outcomes": serial_outcomes,
            "parallel_outcomes": parallel_outcomes, "bar": stream.getvalue()}


def test_two_workers_write_the_gradebook_one_worker_writes(graded):
    assert [o.status for o in graded["parallel_outcomes"]] == ["graded"] * len(CLASS)
    assert [o.student for o in graded["parallel_outcomes"]] == list(CLASS)
    serial, parallel = gradebook_state(graded["serial"]), gradebook_state(graded["parallel"])
    assert {s: (scores, flagged) for s, (scores, _, flagged) in parallel.items()} == \
        {s: (scores, flagged) for s, (scores, _, flagged) in serial.items()}
    assert settled(parallel) == settled(serial)
    scores = {o.student: o.score for o in graded["parallel_outcomes"]}
    assert scores == {o.student: o.score for o in graded["serial_outcomes"]}
    assert scores["ada_correct"] > scores["ben_backward_mistakes"] > 0
    for student in CLASS:
        assert (graded["parallel"] / "autograded" / student / LESSON / NOTEBOOK).is_file()
    assert not list((graded["parallel"] / ".nncourse" / "staging").glob("*"))


def test_the_summary_bar_and_logs_count_what_happened(graded):
    line = summary(graded["parallel_outcomes"])
    assert line.startswith("4 graded; 1 at full marks; failures: ")
    assert "1 timed out" in line and "1 kernel died" in line
    assert "graded 2, failed 2, remaining 0" in graded["bar"] and "4/4" in graded["bar"]
    crash = log_path(graded["parallel"], LESSON, "cy_kernel_crash").read_text()
    assert "status: graded" in crash and "failure: kernel died" in crash and "reason: " in crash
    assert "seconds in mlp: " in crash
    correct = log_path(graded["parallel"], LESSON, "ada_correct").read_text()
    assert "failure:" not in correct and "reason:" not in correct


def test_an_interrupted_parallel_run_leaves_every_grade_as_it_was_or_as_it_should_be(graded, monkeypatch):
    course = graded["parallel"]
    before = gradebook_state(course)
    written, committed = batch.record_submission, []

    def interrupted(gradebook, assignment, student, timestamp, notebooks):
        if committed:  # the second student's commit: Ctrl-C after the old autograded folder is gone
            raise KeyboardInterrupt
        written(gradebook, assignment, student, timestamp, notebooks)
        committed.append(student)

    monkeypatch.setattr(batch, "record_submission", interrupted)
    with pytest.raises(KeyboardInterrupt):
        autograde(course, LESSON, force=True, limits=LIMITS, workers=2)
    assert settled(gradebook_state(course)) == settled(before)  # the committed one's is as it should be: the same
    missing = [s for s in CLASS if not (course / "autograded" / s / LESSON / NOTEBOOK).is_file()]
    assert len(missing) == 1 and missing[0] not in committed
    monkeypatch.setattr(batch, "record_submission", written)
    outcomes = autograde(course, LESSON, limits=LIMITS, workers=2)
    assert [o.student for o in outcomes if o.status == "graded"] == missing
    assert settled(gradebook_state(course)) == settled(before)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_grades_with_workers_and_says_what_is_wrong(graded, capsys):
    code, out, err = run(capsys, "autograde", LESSON, "--course-dir", graded["parallel"], "--workers", "2")
    assert code == 0 and "0 graded; 0 at full marks; 4 skipped" in out
    assert err == ""  # not a terminal: no bar
    code, _, err = run(capsys, "autograde", LESSON, "--course-dir", graded["parallel"], "--workers", "0")
    assert code == 2 and "--workers must be 1 or more" in err
    code, _, err = run(capsys, "autograde", "99_nothing", "--course-dir", graded["parallel"])
    assert code == 2 and "no assignment '99_nothing'" in err
    code, _, err = run(capsys, "autograde", LESSON, "--course-dir", graded["parallel"], "--student", "nobody")
    assert code == 2 and "no submission of 02_mlp from nobody" in err
