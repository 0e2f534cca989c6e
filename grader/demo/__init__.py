"""`nncourse demo`: a teacher's grading run, end to end, on bundled submissions of lesson 02.

submissions/ada_correct.py is a complete, correct lesson 02; every other file there holds only the
functions a student wrote differently from it (`student_code`). `fill_answers` pastes a student's
functions into the answer cells of the released notebook (an answer cell receives the functions it
defines), so the demo follows the lesson as it is edited. The run grades with `nncourse autograde`
(each notebook in a sandbox) and uses stock nbgrader for the rest: generate_assignment,
generate_feedback and export.
"""
import ast
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from ..autograde.batch import autograde
from ..course import init_course, nbgrader

__all__ = ["SUBMISSIONS", "student_code", "fill_answers", "run_demo"]

SUBMISSIONS = Path(__file__).parent / "submissions"
LESSON, NOTEBOOK = "02_mlp", "mlp.ipynb"


def student_code(student):
    """The student's whole lesson 02: the correct code with the student's own functions in its place."""
    correct = (SUBMISSIONS / "ada_correct.py").read_text()
    own = (SUBMISSIONS / f"{student}.py").read_text()
    return correct if student == "ada_correct" else correct + "\n\n" + own


def fill_answers(nb, code):
    """Replace the body of each answer cell by the same-named functions of `code` (a module's text),
    with the module's imports on top; cells whose functions `code` lacks are left as released."""
    module = ast.parse(code)
    imports = list(dict.fromkeys(ast.get_source_segment(code, node) for node in module.body
                                 if isinstance(node, (ast.Import, ast.ImportFrom))))
    # A later definition of a name replaces an earlier one, as it would when the module runs.
    functions = {node.name: ast.get_source_segment(code, node) for node in module.body
                 if isinstance(node, ast.FunctionDef)}
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_solution(cell):
            continue
        names = [node.name for node in ast.parse(cell.source).body if isinstance(node, ast.FunctionDef)]
        if names and all(name in functions for name in names):
            cell.source = "\n".join(imports + [""] + [functions[name] + "\n" for name in names])
    return nb


def run_demo(keep=None, timeout=20, isolated=True):
    """Set up a course, release lesson 02, grade every bundled submission with `nncourse autograde`,
    generate feedback, export grades.csv; returns the grade table, with the reasons recorded, as text.
    Raises grader.autograde.sandbox.SandboxUnavailable where no sandbox can be made (unless isolated=False)."""
    from nbgrader.api import Gradebook

    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="nncourse-demo-"))
    try:
        course = init_course(workdir / "course", lessons=[LESSON], timeout=timeout, force=keep is not None)
        nbgrader(course, "generate_assignment", LESSON, "--force")
        released = nbformat.read(course / "release" / LESSON / NOTEBOOK, 4)
        students = sorted(path.stem for path in SUBMISSIONS.glob("*.py"))
        for student in students:
            nb = fill_answers(nbformat.from_dict(released), student_code(student))
            target = course / "submitted" / student / LESSON
            target.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target / NOTEBOOK)
        outcomes = {outcome.student: outcome for outcome in autograde(course, LESSON, force=True, isolated=isolated)}
        nbgrader(course, "generate_feedback", LESSON, "--force")
        nbgrader(course, "export")

        lines = [f"Course in {course} (lesson {LESSON}, graded by nncourse autograde)", "",
                 f"{'student':<24} {'points':>7} {'max':>5}  {'seconds':>7}  reasons recorded", "-" * 78]
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student in students:
                submission = gradebook.find_submission(LESSON, student)
                outcome = outcomes[student]
                reasons = outcome.reasons or [outcome.error or ""]
                lines.append(f"{student:<24} {submission.score:>7.1f} {submission.max_score:>5.0f}  "
                             f"{outcome.seconds:>7.1f}  {reasons[0]}")
                lines += [f"{'':<50}{reason}" for reason in reasons[1:]]
        lines += ["", "max counts the questions graded by hand, which stay at 0 until a teacher grades them",
                  f"feedback: {course / 'feedback'}", f"grades:   {course / 'grades.csv'}"]
        return "\n".join(lines)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
