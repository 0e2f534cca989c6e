"""`nncourse autograde --dask`: a small lesson 02 class graded on a two-worker LocalCluster, with one worker
killed under the endless loop's task, ends in the gradebook of a serial run and the killed task graded on
its second attempt; a task killed twice, or stopped twice at its deadline, is a recorded failure for that
student alone; `--dask local` grades; a bad address is refused with exit code 2."""
import os
import shutil
import signal
import threading
import time

import pytest

from grader.autograde.batch import autograde
from grader.autograde.sandbox import SandboxUnavailable
from grader.cli import main
from test_autograde_parallel import CLASS, LESSON, LIMITS, NOTEBOOK, gradebook_state, make_class, settled

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
cluster = pytest.importorskip("grader.autograde.cluster")

pytestmark = pytest.mark.grader

LONG = "dee_endless_loop"  # its grading takes about 15 s: a task certainly killed mid-run


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    """(course, outcomes) of the class graded one student after another without Dask, and an ungraded copy."""
    root = tmp_path_factory.mktemp("dask")
    course = make_class(root / "serial")
    shutil.copytree(course, root / "ungraded")
    try:
        outcomes = autograde(course, LESSON, limits=LIMITS, workers=1)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    return course, outcomes, root / "ungraded"


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of two single-threaded worker processes whose scheduler leaves every retry to the
    coordinator (allowed-failures 0: a task on a worker that dies ends at once in KilledWorker)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                         scheduler_kwargs={"dashboard_address": ":0"})
    with local, distributed.Client(local) as connected:
        yield connected


class WorkerKiller(threading.Thread):
    """SIGKILLs the worker process that holds `student`'s task, once for each attempt in `attempts`, as soon as
    the scheduler shows that task on a worker; `killed` lists the task keys it killed under."""

    def __init__(self, client, student, attempts):
        super().__init__(daemon=True)
        self.client, self.student, self.todo = client, student, set(attempts)
        self.killed, self.done = [], threading.Event()

    def run(self):
        while self.todo and not self.done.wait(0.05):
            for worker, keys in self.client.processing().items():
                for key in keys:
                    attempt = next((n for n in self.todo if f"-{self.student}-attempt-{n}-" in key), None)
                    if attempt is not None:
                        pid = self.client.run(os.getpid, workers=[worker])[worker]
                        os.kill(pid, signal.SIGKILL)
                        self.todo.discard(attempt)
                        self.killed.append(key)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()


@pytest.fixture(scope="module")
def on_dask(serial, client):
    course = serial[2]
    with WorkerKiller(client, LONG, [1]) as killer:
        outcomes = autograde(course, LESSON, limits=LIMITS, dask=client.scheduler.address)
    return course, outcomes, killer.killed


def test_a_class_graded_on_dask_with_a_worker_killed_writes_the_serial_gradebook(serial, on_dask):
    course, outcomes, killed = on_dask
    assert [o.status for o in outcomes] == ["graded"] * len(CLASS)
    assert [o.student for o in outcomes] == list(CLASS)
    assert len(killed) == 1 and f"-{LONG}-attempt-1-" in killed[0]
    attempts = {o.student: o.attempts for o in outcomes}
    assert attempts[LONG] == 2  # graded by the coordinator's second task, after KilledWorker
    assert {o.student: o.score for o in outcomes} == {o.student: o.score for o in serial[1]}
    assert settled(gradebook_state(course)) == settled(gradebook_state(serial[0]))
    for student in CLASS:
        assert (course / "autograded" / student / LESSON / NOTEBOOK).is_file()
    assert not list((course / ".nncourse" / "staging").glob("*/*"))


def test_a_task_killed_twice_fails_that_student_alone(on_dask, client):
    course = on_dask[0]
    before = gradebook_state(course)
    victim, other = "ben_backward_mistakes", "ada_correct"
    with WorkerKiller(client, victim, [1, 2]) as killer:
        outcomes = autograde(course, LESSON, students=[victim, other], limits=LIMITS, force=True,
                             dask=client.scheduler.address)
    assert len(killer.killed) == 2
    by_student = {o.student: o for o in outcomes}
    failed = by_student[victim]
    assert failed.status == "failed" and failed.attempts == 2
    assert failed.error.startswith("attempt 1: the Dask worker grading it died")
    assert "; attempt 2: the Dask worker grading it died" in failed.error
    assert failed.error.endswith("its grades are as they were")
    assert by_student[other].status == "graded"
    assert gradebook_state(course) == before  # the failed one's as it was, the other's graded alike
    assert (course / "autograded" / victim / LESSON / NOTEBOOK).is_file()


def learner_processes():
    """How many learner processes run on this machine (the workers' sandboxes are children of theirs)."""
    import psutil

    return sum(cluster.LEARNER_MARK in " ".join(p.info["cmdline"] or ()) for p in
               psutil.process_iter(["cmdline"]))


def test_a_task_past_its_deadline_is_stopped_and_after_two_a_recorded_failure(on_dask, client, monkeypatch):
    course = on_dask[0]
    before = gradebook_state(course)
    monkeypatch.setattr(cluster, "student_seconds", lambda job: 3)  # the endless loop's grading takes 15 s
    started = time.monotonic()
    [outcome] = autograde(course, LESSON, students=[LONG], limits=LIMITS, force=True, dask=client.scheduler.address)
    assert time.monotonic() - started < 25  # unstopped, its two attempts would take 30 s
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error.count("its grading ran past 3 s on the Dask worker") == 2
    assert gradebook_state(course) == before
    assert learner_processes() == 0


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_dask_local_grades_from_the_command_line(on_dask, capsys):
    code, out, _ = run(capsys, "autograde", LESSON, "--course-dir", on_dask[0], "--dask", "local", "--workers", "1",
                       "--student", "ada_correct", "--force")
    assert code == 0 and "1 graded; 1 at full marks; no failures recorded" in out


def test_a_bad_dask_address_is_refused_with_what_to_do(serial, capsys):
    started = time.monotonic()
    code, _, err = run(capsys, "autograde", LESSON, "--course-dir", serial[0], "--dask", "tcp://127.0.0.1:1")
    assert time.monotonic() - started < 30
    assert code == 2
    assert "no Dask scheduler answered at 'tcp://127.0.0.1:1'" in err and "`dask scheduler`" in err
    assert "--dask local" in err
