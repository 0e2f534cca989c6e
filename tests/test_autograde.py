"""Door 4, `nncourse autograde`: one lesson 02 class of honest and hostile submissions, graded once.

Every attack in tests/hostile/ and every kind of notebook damage is one student, built from the same
ordinary submission (BASE: the demo's ben_backward_mistakes, which earns some points and loses
others). Each must gain nothing over BASE, cell by cell, and must leave its reason in the gradebook
and its feedback. Nothing may change for anyone else: BASE and the solution, graded first and again
last, score alike; the course's files, the gradebook's assignment and the machine stay as they were.
"""
import hashlib
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from nbgrader.api import Gradebook

from grader.autograde import batch
from grader.autograde.batch import autograde
from grader.autograde.sandbox import UID_BASE, Limits, SandboxUnavailable
from grader.course import REPO_ROOT, SOLUTIONS, init_course, nbgrader
from grader.demo import fill_answers, student_code

pytestmark = pytest.mark.grader

LESSON, NOTEBOOK = "02_mlp", "mlp.ipynb"
HOSTILE = Path(__file__).parent / "hostile"
BASE = "ben_backward_mistakes"
LIMITS = Limits(cell_seconds=10, memory_bytes=2 << 30, grace_seconds=2)
KEPT_UNTIL = "test_tanh_backward"  # the attacks that end the process run right after this test cell

# attack: (where its code goes, what it may score, a phrase of the reason recorded or None).
#   where: "answers" replaces the answers of the functions it defines; "start" is a new cell after the
#   imports; "middle" a new cell after KEPT_UNTIL.
#   scores: "same" as BASE, cell by cell; "no more" at most BASE's, cell by cell; "until" BASE's up to
#   KEPT_UNTIL and 0 after; "zero"; "lose <grade_id>" BASE's except 0 for that cell.
ATTACKS = {
    "patch_check": ("start", "same", None),
    "patch_numpy": ("start", "no more", None),  # BASE's own sigmoid uses np.abs
    "patch_grader": ("start", "no more", None),
    "patch_ipython": ("start", "same", None),
    "equal_to_anything": ("answers", "same", None),
    "import_reference": ("answers", "same", None),
    "read_secrets": ("start", "same", None),
    "write_outside": ("start", "same", None),
    "network": ("start", "same", None),
    "fork_storm": ("start", "same", "could not start another process"),
    "memory_balloon": ("start", "same", "ran out of memory"),
    "endless_loop": ("middle", "until", "ran past its time limit"),
    "sleep_in_exercise": ("answers", "same", "did not finish within"),
    "output_flood": ("start", "same", "characters more than"),
    "exit_process": ("middle", "until", "kernel died"),
    "kill_parent": ("middle", "until", "kernel died"),
}


def _edit_cells(nb, edits):
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in edits:
            cell.source = edits[grade_id]
    return nb


def _rename_affine_forward(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "affine_forward":
            cell.source = cell.source.replace("def affine_forward(", "def affine_fwd(")
    return nb


def _copy_cell(nb, grade_id):
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    copy = nbformat.from_dict(nb.cells[index])
    copy.id = f"copy-of-{copy.id}"
    nb.cells.insert(index + 1, copy)
    return nb


def _strip_metadata(nb):
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


def _text(nb):
    return nbformat.writes(nb).encode()


# damage: (the submitted file's bytes from BASE's notebook, what it may score, a phrase of the reason)
DAMAGE = {
    "invalid_json": (lambda nb: _text(nb)[:5000], "zero", "not valid JSON"),
    "nbformat_3": (lambda nb: nbformat.writes(nbformat.convert(nb, 3)).encode(), "zero", "notebook format 3"),
    "not_utf8": (lambda nb: nbformat.writes(nb).encode("utf-16"), "zero", "not UTF-8"),
    "empty": (lambda nb: b"", "zero", "is empty"),
    "deleted_cell": (lambda nb: _text(nbformat.from_dict({**nb, "cells": [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_relu_forward"]})),
        "lose test_relu_forward", "missing"),
    "duplicated_cell": (lambda nb: _text(_copy_cell(nb, "test_affine_forward")), "same", "appears twice"),
    "edited_locked_cells": (lambda nb: _text(_edit_cells(nb, {
        "test_affine_backward": "3.0", "test_sigmoid_backward": "check = lambda *args: 1.0\ncheck()\n1.0"})),
        "same", "had been edited"),
    "renamed_function": (lambda nb: _text(_rename_affine_forward(nb)), "no more", "not defined"),
    "metadata_removed": (lambda nb: _text(_strip_metadata(nb)), "zero", "missing"),
}


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def stop(self):
        self.running = False
        self.thread.join()
        self.server.close()


def _files(root):
    """{relative path: sha256} of the course's files that grading must not touch."""
    skip = ("autograded", "feedback", ".nncourse", "gradebook.db", "grades.csv")
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.relative_to(root).parts[0] not in skip}


def _assignment_rows(gradebook):
    """What generate_assignment stored (the source cells, hidden tests and all): grading must not change it."""
    notebook = gradebook.find_notebook("mlp", LESSON)
    return sorted((cell.name, cell.source, cell.checksum) for cell in notebook.source_cells)


def _grades(course):
    """{student: ({grade_id: auto score}, all comments as one text)}."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        result = {}
        for submission in gradebook.find_assignment(LESSON).submissions:
            notebook = submission.notebooks[0]
            result[submission.student.id] = ({g.name: g.auto_score for g in notebook.grades if g.cell.cell_type == "code"},
                                             " ".join(c.auto_comment or "" for c in notebook.comments))
        return result


def _sandbox_processes():
    return [e.name for e in os.scandir("/proc") if e.name.isdigit() and _uid(e) >= UID_BASE]


def _uid(entry):
    try:
        return entry.stat().st_uid
    except OSError:
        return -1


@dataclass
class GradedClass:
    course: Path
    outcomes: dict
    grades: dict
    files_before: dict
    files_after: dict
    assignment_before: list
    assignment_after: list
    connections: int
    outside: Path


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("door4")
    course = init_course(root / "course", lessons=[LESSON], timeout=10)
    nbgrader(course, "generate_assignment", LESSON)
    released = nbformat.read(course / "release" / LESSON / NOTEBOOK, 4)
    base = fill_answers(nbformat.from_dict(released), student_code(BASE))
    solution = nbformat.read(SOLUTIONS / LESSON / NOTEBOOK, 4)
    outside = root / "outside"
    outside.mkdir()
    listener = Listener()
    values = {"{COURSE}": str(course), "{REPO}": str(REPO_ROOT), "{PORT}": str(listener.port),
              "{MARKER_DIR}": str(outside)}
    files = {name: _text(nb) for name, nb in
             {"aa_base": base, "aa_solution": solution, "zz_base": base, "zz_solution": solution}.items()}
    for name, (where, _, _) in ATTACKS.items():
        code = (HOSTILE / f"{name}.py").read_text()
        for key, value in values.items():
            code = code.replace(key, value)
        files[f"attack_{name}"] = _text(_with_attack(nbformat.from_dict(base), code, where))
    for name, (damage, _, _) in DAMAGE.items():
        files[f"damage_{name}"] = damage(nbformat.from_dict(base))
    for student, data in files.items():
        (course / "submitted" / student / LESSON).mkdir(parents=True)
        (course / "submitted" / student / LESSON / NOTEBOOK).write_bytes(data)
    link = course / "submitted" / "damage_link_to_gradebook" / LESSON
    link.mkdir(parents=True)
    (link / NOTEBOOK).symlink_to(course / "gradebook.db")

    files_before = _files(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assignment_before = _assignment_rows(gradebook)
    try:
        outcomes = {o.student: o for o in autograde(course, LESSON, limits=LIMITS)}
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    finally:
        listener.stop()
    files_after = _files(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assignment_after = _assignment_rows(gradebook)
    nbgrader(course, "generate_feedback", LESSON)
    return GradedClass(course, outcomes, _grades(course), files_before, files_after, assignment_before,
                       assignment_after, listener.connections, outside)


def _with_attack(nb, code, where):
    if where == "answers":
        return fill_answers(nb, student_code(BASE) + "\n\n" + code)
    if where == "start":
        index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code") + 1
    else:
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == KEPT_UNTIL) + 1
    nb.cells.insert(index, new_code_cell(code))
    return nb


def _order(course):
    nb = nbformat.read(course / "source" / LESSON / NOTEBOOK, 4)
    return [c.metadata.nbgrader["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
            and not c.metadata.nbgrader.get("solution")]


def test_every_submission_is_graded_and_honest_ones_score_alike_first_and_last(graded_class):
    outcomes, grades = graded_class.outcomes, graded_class.grades
    assert {o.status for o in outcomes.values()} == {"graded"}, {s: o.error for s, o in outcomes.items() if o.error}
    assert len(outcomes) == 4 + len(ATTACKS) + len(DAMAGE) + 1
    assert grades["aa_base"][0] == grades["zz_base"][0]
    assert grades["aa_solution"][0] == grades["zz_solution"][0]
    solution = grades["aa_solution"][0]
    assert all(solution[grade_id] > 0 for grade_id in _order(graded_class.course)), solution
    base = sum(grades["aa_base"][0].values())
    assert 0 < base < sum(solution.values())


@pytest.mark.parametrize("name", [f"attack_{a}" for a in ATTACKS] + [f"damage_{d}" for d in DAMAGE]
                         + ["damage_link_to_gradebook"])
def test_an_attack_or_damage_gains_nothing_and_its_reason_is_recorded(graded_class, name):
    kind, attack = name.split("_", 1)
    _, scores, reason = (ATTACKS[attack] if kind == "attack" else
                         DAMAGE.get(attack, (None, "zero", "not a plain file")))
    base = graded_class.grades["aa_base"][0]
    got, comments = graded_class.grades[name]
    assert all(got[g] <= base[g] for g in base), {g: (got[g], base[g]) for g in base if got[g] > base[g]}
    order = _order(graded_class.course)
    if scores == "same":
        assert got == base
    elif scores == "zero":
        assert set(got.values()) == {0.0}
    elif scores == "until":
        kept = order[:order.index(KEPT_UNTIL) + 1]
        assert {g: got[g] for g in kept} == {g: base[g] for g in kept} and sum(base[g] for g in kept) > 0
        assert all(got[g] == 0 for g in order if g not in kept)
    elif scores.startswith("lose "):
        lost = scores.split()[1]
        assert got[lost] == 0 and {g: s for g, s in got.items() if g != lost} == {
            g: s for g, s in base.items() if g != lost}
    if reason:
        assert reason in comments, comments
        feedback = (graded_class.course / "feedback" / name / LESSON / "mlp.html").read_text()
        assert reason in feedback.replace("&#39;", "'")


def test_nothing_outside_the_submissions_changed(graded_class):
    assert graded_class.files_after == graded_class.files_before
    assert graded_class.assignment_after == graded_class.assignment_before
    assert list(graded_class.outside.iterdir()) == []
    assert not Path("/root/written-by-a-learner").exists()
    assert not (Path.home() / ".ipython" / "profile_default" / "startup" / "00-zero-the-class.py").exists()
    assert graded_class.connections == 0
    assert _sandbox_processes() == []


def _outputs_text(path):
    nb = nbformat.read(path, 4)
    return "".join(str(output) for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)


def test_no_secret_reaches_a_learner(graded_class):
    secrets = ("include_hidden_cases()", "HIDDEN TESTS", "BEGIN SOLUTION", "SQLite format")
    for student in (s for s in graded_class.grades if "solution" not in s):  # a solution holds its own text
        feedback = (graded_class.course / "feedback" / student / LESSON / "mlp.html").read_text()
        assert not [s for s in secrets if s in feedback], student
    for name in ("attack_read_secrets", "attack_write_outside", "attack_import_reference"):
        outputs = _outputs_text(graded_class.course / "autograded" / name / LESSON / NOTEBOOK)
        assert not [s for s in secrets if s in outputs], name
    read = _outputs_text(graded_class.course / "autograded" / "attack_read_secrets" / LESSON / NOTEBOOK)
    assert "nothing found" in read
    written = _outputs_text(graded_class.course / "autograded" / "attack_write_outside" / LESSON / NOTEBOOK)
    assert "wrote {}".format(graded_class.course) not in written and "blocked:" in written


def test_a_flood_of_output_stays_small(graded_class):
    autograded = graded_class.course / "autograded"
    base = (autograded / "aa_base" / LESSON / NOTEBOOK).stat().st_size
    assert (autograded / "attack_output_flood" / LESSON / NOTEBOOK).stat().st_size < base + 200_000
    feedback = graded_class.course / "feedback"
    assert (feedback / "attack_output_flood" / LESSON / "mlp.html").stat().st_size < \
        (feedback / "aa_base" / LESSON / "mlp.html").stat().st_size + 400_000


def test_a_second_run_grades_only_what_is_new(graded_class):
    course = graded_class.course
    assert {o.status for o in autograde(course, LESSON, limits=LIMITS)} == {"skipped"}
    assert _grades(course) == graded_class.grades
    timestamp = course / "submitted" / "aa_base" / LESSON / "timestamp.txt"
    timestamp.write_text("2030-01-01 00:00:00.000000 UTC")
    (course / "autograded" / "aa_base" / LESSON / "timestamp.txt").write_text("2029-01-01 00:00:00.000000 UTC")
    outcomes = {o.student: o.status for o in autograde(course, LESSON, limits=LIMITS)}
    assert outcomes["aa_base"] == "graded" and set(outcomes.values()) == {"graded", "skipped"}
    assert list(outcomes.values()).count("graded") == 1
    assert _grades(course) == graded_class.grades


class HalfWritten:
    """A graded notebook whose scores are wrong (-1) and whose comments are never reached: Ctrl-C."""

    def __init__(self, graded):
        self.scores = {grade_id: (-1.0, points) for grade_id, (_, points) in graded.scores.items()}

    @property
    def comments(self):
        raise KeyboardInterrupt


def test_an_interrupted_run_leaves_every_grade_as_it_was(graded_class, monkeypatch):
    course = graded_class.course
    written = batch.record_submission

    def interrupted(gradebook, assignment, student, timestamp, notebooks):
        written(gradebook, assignment, student, timestamp, {name: HalfWritten(nb) for name, nb in notebooks.items()})

    monkeypatch.setattr(batch, "record_submission", interrupted)
    with pytest.raises(KeyboardInterrupt):
        autograde(course, LESSON, students=["zz_base"], force=True, limits=LIMITS)
    assert _grades(course) == graded_class.grades
    assert not (course / "autograded" / "zz_base" / LESSON).exists()
    monkeypatch.setattr(batch, "record_submission", written)
    outcomes = autograde(course, LESSON, limits=LIMITS)
    assert [o.student for o in outcomes if o.status == "graded"] == ["zz_base"]
    assert _grades(course) == graded_class.grades


def test_without_a_sandbox_grading_is_refused_unless_unsafe_is_asked_for(graded_class, monkeypatch):
    course = graded_class.course
    monkeypatch.setattr("grader.autograde.batch.find_bwrap", lambda: None)
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        autograde(course, LESSON, students=["aa_base"], force=True, limits=LIMITS)
    outcomes = autograde(course, LESSON, students=["aa_base"], force=True, isolated=False, limits=LIMITS)
    assert [o.status for o in outcomes] == ["graded"]
    assert _grades(course)["aa_base"] == graded_class.grades["aa_base"]
