"""Writing one submission to nbgrader's gradebook: every grade, comment and flag of it, or none.

Stock autograde commits after each cell. Here one submission is one transaction on nbgrader's own
models (through nbgrader.api.Gradebook's session): the student, the submission and its rows when they
are new, the timestamp, each cell's auto score, each answer's comment. An interrupted run leaves
every grade as it was or as it should be. The rules are SaveAutoGrades': the auto score is replaced,
a score a person gave is never touched, and a cell needs manual grading when it has a manual score
or no auto score. A notebook with reasons recorded is flagged for the teacher in formgrader.
"""
from nbgrader.api import Comment, Grade, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook
from nbgrader.utils import parse_utc

__all__ = ["record_submission"]


def record_submission(gradebook, assignment, student, timestamp, notebooks):
    """Write `notebooks` ({notebook name: runner.GradedNotebook}) as `student`'s submission of
    `assignment` (timestamp: a datetime or None) in one transaction."""
    db = gradebook.db
    try:
        person = db.get(Student, student)
        if person is None:
            person = Student(id=student)
            db.add(person)
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            submission = _new_submission(gradebook, assignment, person)
        if timestamp is not None:
            submission.timestamp = parse_utc(timestamp)
        for submitted in submission.notebooks:
            graded = notebooks[submitted.name]
            for grade in submitted.grades:
                if grade.name in graded.scores:
                    grade.auto_score = graded.scores[grade.name][0]
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
            for comment in submitted.comments:
                comment.auto_comment = graded.comments.get(comment.name)
            if graded.reasons:
                submitted.flagged = True
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _new_submission(gradebook, assignment, person):
    """The rows nbgrader's add_submission makes, flushed (so that each grade knows its cell) but not committed."""
    with gradebook.db.no_autoflush:
        return _build_submission(gradebook, assignment, person)


def _build_submission(gradebook, assignment, person):
    submission = SubmittedAssignment(assignment=gradebook.find_assignment(assignment), student=person)
    for notebook in submission.assignment.notebooks:
        submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
        for cell in notebook.grade_cells:
            Grade(cell_id=cell.id, notebook=submitted)
        for cell in notebook.solution_cells:
            Comment(cell_id=cell.id, notebook=submitted)
        for cell in notebook.task_cells:
            Comment(cell_id=cell.id, notebook=submitted)
            Grade(cell_id=cell.id, notebook=submitted)
    gradebook.db.add(submission)
    gradebook.db.flush()
    gradebook.db.expire(submission)
    return submission
