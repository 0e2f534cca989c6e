"""`nncourse autograde ASSIGNMENT --dask ADDRESS|local`: a class graded on a Dask distributed cluster.

Each student is one Dask task (a key per student and attempt, pure=False) that runs batch.grade_student
on a worker: it takes plain data (the job without this machine's paths, the assignment's extra files and
the student's notebooks as bytes) and returns plain data (batch.StudentGrading), because a remote worker
does not share this machine's disk. Each worker builds its own sandbox files once per run, in a
temporary folder kept by the files' content hash, and checks there that it can make a sandbox. This
process alone writes the staging folders and the gradebook, exactly as without Dask.

The grading runs in the task's own thread, so a worker must run one thread (`dask worker --nthreads 1`;
a task on a worker with more refuses): the sandbox starts each learner process with a preexec_fn, which
Python documents as unsafe where threads run, and the checks' warning filters are process-wide. With one
task thread, the worker's other threads (its event loop, its monitors) never run Python while the child
is between fork and exec: CPython holds the GIL through that preexec_fn, whose setrlimit calls take no
other lock. Dask cannot stop a running task, so the task stops itself: past its deadline (the sandbox's
start and notebook limits for each notebook, plus a margin) it kills its learner processes, whatever
they were doing, and reports that it ran out of time.

A worker that dies (KilledWorker), a task that fails or reports a failure, or one that gives no answer
long past its deadline costs one more attempt, then a recorded failure for that student alone. A lost
connection to the scheduler fails the students not yet graded; those graded stay committed. Dask's own
rescheduling after a dead worker (the scheduler's allowed-failures) comes before ours: the LocalCluster
of `--dask local` sets it to 0, so that the rule above is the whole rule.
"""
import asyncio
import contextlib
import hashlib
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from concurrent.futures import CancelledError
from dataclasses import dataclass, replace
from pathlib import Path

import dask
import psutil
from distributed import Client, LocalCluster, get_worker, wait
from distributed.scheduler import KilledWorker

from .batch import StudentGrading, grade_student, submitted_files
from .local import folder_files
from .notebooks import CourseError
from .sandbox import SandboxFiles, sandbox_problem

__all__ = ["ClusterUnavailable", "open_client", "graded_on_cluster", "grade_on_worker", "CONNECT_SECONDS"]

CONNECT_SECONDS = 5
MARGIN_SECONDS = 60  # past the sandbox's own limits, before a task calls itself late
POLL_SECONDS = 2  # how often the coordinator looks for tasks long overdue
ATTEMPTS = 2
LEARNER_MARK = "_nncourse_sandbox.learner_side"  # in the command line of every learner process (sandbox.py)
TIMEOUTS = (TimeoutError, asyncio.TimeoutError)  # one class from Python 3.11


class ClusterUnavailable(CourseError):
    """The Dask cluster asked for cannot be reached or started; the message says why and what to do."""


@contextlib.contextmanager
def open_client(address, workers):
    """A Dask client for the run: on a LocalCluster of `workers` single-threaded worker processes started
    here (address "local") and closed at the end, or on the scheduler at `address`."""
    if address == "local":
        with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": ":0"})  # no dashboard; health checks on a free port
        with cluster, Client(cluster) as client:
            yield client
        return
    if not address.strip():
        raise ClusterUnavailable("--dask needs a scheduler's address (tcp://HOST:8786) or 'local'")
    try:
        client = Client(address, timeout=CONNECT_SECONDS)
    except (OSError, ValueError, TypeError, *TIMEOUTS) as err:
        raise ClusterUnavailable(
            f"no Dask scheduler answered at {address!r} within {CONNECT_SECONDS} s ({err}). Start one with "
            "`dask scheduler` (it prints its address, tcp://HOST:8786) and workers with `dask worker "
            "tcp://HOST:8786 --nthreads 1`, then pass that address; or pass --dask local") from None
    with client:
        yield client


@dataclass(frozen=True)
class _Shipped:
    """What every task of a run takes: the job without this machine's paths, and the assignment's extra
    files as (name, bytes), hashed so that a worker builds its sandbox files once per run."""

    job: object
    assignment_files: tuple
    digest: str


def _shipped(job):
    assignment_files = tuple((path.name, path.read_bytes()) for path in
                             (folder_files(job.source_folder) if job.source_folder.is_dir() else ()))
    digest = hashlib.sha256(repr((job.isolated, assignment_files)).encode()).hexdigest()
    return _Shipped(replace(job, files=None, source_folder=None), assignment_files, digest)


def student_seconds(job):
    """The longest one student's grading may take on a worker before its task stops it."""
    return len(job.names) * (job.limits.notebook_seconds + job.limits.start_seconds) + MARGIN_SECONDS


def graded_on_cluster(client, job, todo):
    """(paths, StudentGrading) for each student of `todo`, as each finishes on the cluster of `client`, each
    with at most ATTEMPTS attempts."""
    shipped, seconds, run = _shipped(job), student_seconds(job), uuid.uuid4().hex[:8]
    address = client.scheduler.address
    overdue_after = 2 * seconds + MARGIN_SECONDS  # a worker may hold a second task queued behind its running one
    pending, attempts, failures, seen_processing = {}, {}, {}, {}

    def submit(paths):
        attempts[paths.student] = attempt = attempts.get(paths.student, 0) + 1
        try:
            submitted = submitted_files(paths.submitted, job.names)
        except OSError as err:
            return StudentGrading(error=str(err), attempts=attempt)
        future = client.submit(grade_on_worker, shipped, submitted, seconds, pure=False,
                               key=f"nncourse-grade-{paths.student}-attempt-{attempt}-{run}")
        pending[future] = paths
        return None

    def failed(paths, what):
        """The StudentGrading that records the attempts' failures, or None when one attempt is left."""
        failures.setdefault(paths.student, []).append(what)
        if attempts[paths.student] < ATTEMPTS:
            return submit(paths)
        said = "; ".join(f"attempt {n}: {text}" for n, text in enumerate(failures[paths.student], 1))
        return StudentGrading(error=f"{said}; its grades are as they were", attempts=attempts[paths.student])

    try:
        for paths in todo:
            unread = submit(paths)
            if unread:
                yield paths, unread
        while pending:
            try:
                done = wait(list(pending), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED").done
            except TIMEOUTS:
                done = ()
            for future in done:
                paths = pending.pop(future)
                try:
                    grading = future.result()
                except CancelledError:
                    if client.status != "running":  # the client cancels every future when the scheduler is gone
                        pending[future] = paths
                        break
                    grading = failed(paths, "its Dask task was cancelled on the cluster")
                except Exception as err:  # noqa: BLE001 - any failure of one task costs that student an attempt
                    grading = failed(paths, _in_words(err))
                else:
                    grading = failed(paths, grading.error) if grading.error else replace(
                        grading, attempts=attempts[paths.student])
                if grading is not None:
                    yield paths, grading
            if client.status != "running":
                break
            for future in _overdue(client, pending, seen_processing, overdue_after):
                paths = pending.pop(future)
                future.cancel()
                grading = failed(paths, f"its task gave no answer within {overdue_after:g} s on its Dask worker")
                if grading is not None:
                    yield paths, grading
        lost = (f"the connection to the Dask scheduler {address} was lost before it was graded; "
                "its grades are as they were")
        for paths in pending.values():
            yield paths, StudentGrading(error=lost, attempts=attempts[paths.student])
    finally:
        if client.status == "running":
            client.cancel(list(pending))


def _overdue(client, pending, seen_processing, overdue_after):
    """The futures of `pending` that a worker has held for longer than overdue_after seconds."""
    try:
        processing = {key for keys in client.processing().values() for key in keys}
    except (OSError, *TIMEOUTS):
        return []  # the connection itself: the next wait shows it
    now = time.monotonic()
    late = []
    for future in pending:
        if future.key in processing:
            if now - seen_processing.setdefault(future.key, now) > overdue_after:
                late.append(future)
    return late


def _in_words(err):
    """A failed task's exception as a teacher reads it."""
    if isinstance(err, KilledWorker):
        return "the Dask worker grading it died (killed, out of memory, or its machine lost)"
    if isinstance(err, OSError):
        return f"the connection to its Dask worker failed ({type(err).__name__}: {err})"
    if isinstance(err, TIMEOUTS):
        return f"its Dask task timed out ({err})"
    return f"its Dask task failed ({type(err).__name__}: {err})"


def grade_on_worker(shipped, submitted, seconds):
    """The Dask task: one student's notebooks graded on this worker, in this thread, within `seconds`."""
    worker = get_worker()
    if worker.state.nthreads != 1:
        return StudentGrading(error=f"the Dask worker {worker.address} runs {worker.state.nthreads} threads; start "
                                    "grading workers with `dask worker ... --nthreads 1`")
    files, problem = _sandbox_files(shipped)
    if problem:
        return StudentGrading(error=f"the Dask worker {worker.address} cannot make a sandbox: {problem}")
    with _Deadline(seconds) as deadline:
        grading = grade_student(replace(shipped.job, files=files), submitted)
    if deadline.passed:
        return StudentGrading(error=f"its grading ran past {seconds:g} s on the Dask worker {worker.address} and was "
                                    "stopped", seconds=grading.seconds)
    return grading


_built = {}  # {digest: (SandboxFiles, problem or None)} in this worker process: the latest run's only


def _sandbox_files(shipped):
    """This worker's sandbox files for the run of `shipped`, and why no sandbox can be made here (or None)."""
    if shipped.digest not in _built:
        for files, _ in _built.values():
            shutil.rmtree(files.root.parent, ignore_errors=True)
        _built.clear()
        folder = Path(tempfile.mkdtemp(prefix="nncourse-dask-files-"))
        given = folder / "assignment"
        given.mkdir()
        for name, data in shipped.assignment_files:
            (given / name).write_bytes(data)
        files = SandboxFiles(folder / "sandbox", sorted(given.iterdir()))
        _built[shipped.digest] = (files, sandbox_problem(files) if shipped.job.isolated else None)
    return _built[shipped.digest]


class _Deadline:
    """Once `seconds` have passed, kills this process's learner processes (and every one started after) until
    the block ends, so that a grading past its time returns at once; `passed` says whether it did."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.passed = False
        self._ended = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="nncourse-deadline")

    def __enter__(self):
        self._watcher.start()
        return self

    def __exit__(self, *exc):
        self._ended.set()
        self._watcher.join()

    def _watch(self):
        if self._ended.wait(self.seconds):
            return
        self.passed = True
        while True:
            _kill_learner_processes()
            if self._ended.wait(0.2):
                return


def _kill_learner_processes():
    """Kill every learner process this process started (each leads its own process group, as sandbox.py starts it)."""
    for child in psutil.Process().children():
        try:
            if LEARNER_MARK in " ".join(child.cmdline()):
                os.killpg(child.pid, signal.SIGKILL)
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
