"""`nncourse export`: the CSV and Gradescope's results.json say what the gradebook says, hidden cases'
details wait for publication, the class's plot is written, and an export with nothing to export is
refused with exit code 2."""
import csv
import json

import pytest
from nbgrader.api import Gradebook
from test_autograde_parallel import LESSON, LIMITS, make_class

from grader.autograde.batch import autograde
from grader.autograde.export import HIDDEN_NOTE, _split, mistake_names
from grader.autograde.sandbox import SandboxUnavailable
from grader.cli import main
from grader.course import init_course, nbgrader

pytestmark = pytest.mark.grader

STUDENTS = ("ada_correct", "ben_backward_mistakes", "cy_kernel_crash")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    course = make_class(root / "course", STUDENTS)
    try:
        autograde(course, LESSON, limits=LIMITS, workers=2)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    code = main(["export", LESSON, "--course-dir", str(course), "--csv", str(root / "grades.csv"),
                 "--gradescope", str(root / "gradescope")])
    assert code == 0
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        grades = {s.student.id: {g.name: (g.score, g.max_score, g.cell.cell_type) for g in s.notebooks[0].grades}
                  for s in gradebook.find_assignment(LESSON).submissions}
    return root, grades


def test_the_csv_holds_the_gradebooks_grades(exported):
    root, grades = exported
    with (root / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["student"] for row in rows] == list(STUDENTS)
    for row in rows:
        cells = grades[row["student"]]
        assert set(row) == {"student", "total", "max", *cells}
        for grade_id, (score, _, _) in cells.items():
            assert row[grade_id] == ("" if score is None else f"{score:g}")
        assert float(row["total"]) == sum(score or 0 for score, _, _ in cells.values())
        assert float(row["max"]) == sum(points for _, points, _ in cells.values())
    totals = {row["student"]: float(row["total"]) for row in rows}
    assert totals["ada_correct"] > totals["ben_backward_mistakes"] > totals["cy_kernel_crash"] > 0


def test_each_results_json_holds_the_gradebooks_grades_in_gradescopes_format(exported):
    root, grades = exported
    for student in STUDENTS:
        results = json.loads((root / "gradescope" / student / "results.json").read_text())
        cells = grades[student]
        assert results["score"] == sum(score or 0 for score, _, _ in cells.values())
        assert results["execution_time"] > 0 and isinstance(results["output"], str)
        graded = [test for test in results["tests"] if "max_score" in test]
        assert {test["name"] for test in graded} == set(cells)
        for test in results["tests"]:
            assert test["status"] in ("passed", "failed") and test["visibility"] in ("visible", "after_published")
            assert isinstance(test["output"], str)
            if test["visibility"] == "visible":
                assert "on a hidden case" not in test["output"]
        for test in graded:
            score, points, _ = cells[test["name"]]
            assert test["score"] == (score or 0) and test["max_score"] == points
            assert test["status"] == ("passed" if score == points else "failed")
    crash = json.loads((root / "gradescope" / "cy_kernel_crash" / "results.json").read_text())
    assert "kernel died" in crash["output"]
    ben = json.loads((root / "gradescope" / "ben_backward_mistakes" / "results.json").read_text())
    named = [name for test in ben["tests"] for name in mistake_names(test["output"])]
    assert named, [test["output"] for test in ben["tests"]]


def test_what_a_report_says_about_a_hidden_case_waits_for_publication():
    report = ("mlp.affine_backward: 1/3 points\n  \u2713 dx\n  \u2717 dw: 2 of 12 entries differ\n"
              "      on case seed 1: x (4, 3)\n      This looks like dw transposed: use x.T @ dout\n"
              "  \u2717 db: the sum is off\n      on a hidden case: x (7, 5) (a batch of one)\n"
              "      This looks like db summed over the wrong axis: sum over axis 0")
    visible, hidden = _split(report)
    assert visible.splitlines() == ["mlp.affine_backward: 1/3 points", "  \u2713 dx", "  \u2717 dw: 2 of 12 entries differ",
                                    "      on case seed 1: x (4, 3)",
                                    "      This looks like dw transposed: use x.T @ dout",
                                    f"  \u2717 db: {HIDDEN_NOTE}"]
    assert "batch of one" in hidden and "summed over the wrong axis" in hidden and "dw transposed" not in hidden
    assert mistake_names(report) == ["dw transposed", "db summed over the wrong axis"]


def test_the_class_plot_is_written_next_to_each_export(exported):
    root, _ = exported
    for path in (root / "grades.png", root / "gradescope" / f"{LESSON}-grades.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_an_export_with_nothing_to_export_is_refused(tmp_path, capsys):
    course = init_course(tmp_path / "course", lessons=[LESSON])
    nbgrader(course, "generate_assignment", LESSON)
    target = tmp_path / "grades.csv"
    assert main(["export", LESSON, "--course-dir", str(course), "--csv", str(target)]) == 2
    assert f"nothing of {LESSON} is graded yet: run `nncourse autograde {LESSON}` first" in capsys.readouterr().err
    assert main(["export", "99_nothing", "--course-dir", str(course), "--csv", str(target)]) == 2
    assert "no assignment '99_nothing'" in capsys.readouterr().err
    assert main(["export", LESSON, "--course-dir", str(course)]) == 2
    assert "--csv FILE, --gradescope DIR" in capsys.readouterr().err
    assert main(["export", LESSON, "--course-dir", str(tmp_path / "nowhere"), "--csv", str(target)]) == 2
    assert not target.exists()
