"""`nncourse demo`: a teacher's grading run, end to end, on bundled submissions of lesson 02.

submissions/ada_correct.py is a complete, correct lesson 02; every other file there holds only the
functions a student wrote differently from it (`student_code`). `fill_answers` pastes a student's
functions into the answer cells of the released notebook (an answer cell receives the functions it
defines), so the demo follows the lesson as it is edited. The run uses stock nbgrader commands only.
"""
import ast
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

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


def _note(notebook_path):
    """Why a submission lost everything, read from its autograded notebook."""
    if not notebook_path.is_file():
        return "not graded"
    names = {output.get("ename") for cell in nbformat.read(notebook_path, 4).cells
             for output in cell.get("outputs", []) if output.get("output_type") == "error"}
    if "KernelDied" in names:
        return "kernel died: graded 0 from that cell on"
    if "CellTimeoutError" in names:
        return "a cell ran past the time limit"
    return ""


def run_demo(keep=None, timeout=20):
    """Set up a course, release lesson 02, autograde every bundled submission, generate feedback,
    export grades.csv; returns the grade table as text."""
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
        # A submission that fails leaves the others graded; nbgrader exits 1 then, which is reported below.
        autograde = nbgrader(course, "autograde", LESSON, "--force", check=False)
        nbgrader(course, "generate_feedback", LESSON, "--force")
        nbgrader(course, "export")

        rows = []
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            for student in students:
                try:
                    submission = gradebook.find_submission(LESSON, student)
                    score, max_score = submission.score, submission.max_score
                except Exception:  # noqa: BLE001 - nbgrader raises MissingEntry for an ungraded student
                    score, max_score = float("nan"), float("nan")
                rows.append((student, score, max_score, _note(course / "autograded" / student / LESSON / NOTEBOOK)))
        lines = [f"Course in {course} (lesson {LESSON}; autograde exit {autograde.returncode})", "",
                 f"{'student':<24} {'points':>7} {'max':>5}  note", "-" * 72]
        lines += [f"{student:<24} {score:>7.1f} {max_score:>5.0f}  {note}" for student, score, max_score, note in rows]
        lines += ["", "max counts the questions graded by hand, which stay at 0 until a teacher grades them",
                  f"feedback: {course / 'feedback'}", f"grades:   {course / 'grades.csv'}"]
        return "\n".join(lines)
    finally:
        if keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
