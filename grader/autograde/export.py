"""`nncourse export ASSIGNMENT`: an assignment's grades for a spreadsheet, for Gradescope, and as a picture.

Every score comes from nbgrader's gradebook (nbgrader.api.Gradebook: a person's manual score where
there is one, else the auto score), never from a learner's file. The reports (which parts failed, on
which case, and the "This looks like ..." line naming the mistake) are read from the test cells of the
autograded notebooks, whose outputs the trusted side wrote (a learner's own cells are never read); the
time each submission took from its grading log.

    --csv FILE         one row per student: one column per graded cell, the total and the maximum
    --gradescope DIR   DIR/<student>/results.json in Gradescope's autograder format: score,
                       execution_time, output (the points and the grading notes), and one test per graded cell with
                       name, score, max_score, status, output and visibility. What a report says about a
                       hidden case goes into a test of its own with visibility "after_published"; the
                       visible test says only that a hidden case failed.
Next to each, a PNG: the class's points per exercise and the named mistakes most often made.
"""
import csv
import json
import re
from collections import Counter
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .batch import _order, _read_source, load_course
from .notebooks import CourseError
from .progress import log_path

__all__ = ["ExportError", "export", "class_grades", "mistake_names"]

HIDDEN_NOTE = "failed on a hidden case (its details are shown once the grades are published)"
_FAILED_PART = re.compile(r"^  \u2717 (?P<part>[^:]+):")
_LOOKS_LIKE = re.compile(r"This looks like (?P<name>.+?): ")


class ExportError(ValueError):
    """Nothing to export (no such assignment, nothing graded yet); the message says what to run first."""


def class_grades(course_dir, assignment):
    """(cells, rows, course root, CourseDirectory): cells [(notebook, grade_id, max points, autograded)] in
    notebook order; rows [{"student", "scores": {(notebook, grade_id): points or None (not graded yet)},
    "total", "max", "comments"}] by student."""
    try:
        coursedir, _ = load_course(course_dir)
    except CourseError as err:
        raise ExportError(str(err)) from None
    source_folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            record = gradebook.find_assignment(assignment)
        except MissingEntry:
            raise ExportError(f"the gradebook has no assignment {assignment!r}: run `nbgrader generate_assignment "
                              f"{assignment}` and `nncourse autograde {assignment}` first") from None
        cells = []
        for notebook in record.notebooks:
            position = {g: i for i, g in enumerate(_order(_read_source(source_folder / f"{notebook.name}.ipynb")))}
            for cell in sorted(notebook.grade_cells, key=lambda c: (position.get(c.name, len(position)), c.id)):
                autograded = cell.cell_type == "code" and cell.name not in {s.name for s in notebook.solution_cells}
                cells.append((notebook.name, cell.name, float(cell.max_score), autograded))
        rows = []
        for submission in sorted(record.submissions, key=lambda s: s.student.id):
            scores, comments = {}, []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    graded = grade.manual_score is not None or grade.auto_score is not None
                    scores[(notebook.name, grade.name)] = float(grade.score) if graded else None
                comments += [c.auto_comment for c in notebook.comments if c.auto_comment]
            rows.append({"student": submission.student.id, "scores": scores,
                         "total": sum(s for s in scores.values() if s is not None),
                         "max": sum(points for _, _, points, _ in cells), "comments": comments})
    if not rows:
        raise ExportError(f"nothing of {assignment} is graded yet: run `nncourse autograde {assignment}` first")
    return cells, rows, Path(coursedir.root), coursedir


def export(course_dir, assignment, csv_path=None, gradescope_dir=None):
    """Write the exports asked for and a PNG next to each; returns the paths written."""
    cells, rows, root, coursedir = class_grades(course_dir, assignment)
    reports = {row["student"]: _reports(coursedir, assignment, row["student"], cells) for row in rows}
    written = []
    if csv_path is not None:
        written.append(write_csv(Path(csv_path), cells, rows))
        written.append(plot(Path(csv_path).with_suffix(".png"), assignment, cells, rows, reports))
    if gradescope_dir is not None:
        folder = Path(gradescope_dir)
        for row in rows:
            written.append(write_results(folder, row, cells, reports[row["student"]],
                                         _seconds(log_path(root, assignment, row["student"]))))
        written.append(plot(folder / f"{assignment}-grades.png", assignment, cells, rows, reports))
    return written


def write_csv(path, cells, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    several = len({notebook for notebook, _, _, _ in cells}) > 1
    names = [f"{notebook}.{grade_id}" if several else grade_id for notebook, grade_id, _, _ in cells]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *names, "total", "max"])
        for row in rows:
            values = [row["scores"].get((notebook, grade_id)) for notebook, grade_id, _, _ in cells]
            writer.writerow([row["student"], *("" if v is None else f"{v:g}" for v in values),
                             f"{row['total']:g}", f"{row['max']:g}"])
    return path


def write_results(folder, row, cells, reports, seconds):
    """DIR/<student>/results.json for one student."""
    tests = []
    for notebook, grade_id, points, autograded in cells:
        score = row["scores"].get((notebook, grade_id))
        visible, hidden = _split(reports.get((notebook, grade_id), ""))
        if not autograded and score is None:
            visible = "graded by hand: not graded yet"
        tests.append({"name": grade_id, "score": score or 0.0, "max_score": points,
                      "status": "passed" if score == points else "failed", "output": visible,
                      "visibility": "visible"})
        if hidden:
            tests.append({"name": f"{grade_id}: hidden cases", "status": "failed", "output": hidden,
                          "visibility": "after_published"})
    summary = f"{row['total']:g} of {row['max']:g} points"
    results = {"score": row["total"], "output": "\n".join([summary, *row["comments"]]),
               "visibility": "visible", "tests": tests}
    if seconds is not None:
        results["execution_time"] = seconds
    path = folder / row["student"] / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
    return path


def _split(report):
    """(visible text, hidden text) of a check's report: a failed part whose case is hidden moves, with its
    diagnosis, to the hidden text and leaves a one-line note in the visible one."""
    visible, hidden, block = [], [], None
    for line in report.splitlines():
        failed = _FAILED_PART.match(line)
        if failed:
            block = [line]
            visible.append(block)
        elif block is not None and line.startswith("      "):
            block.append(line)
        else:
            block = None
            visible.append([line])
    shown = []
    for lines in visible:
        if len(lines) > 1 and lines[1].strip().startswith("on a hidden case"):
            shown.append(f"  \u2717 {_FAILED_PART.match(lines[0])['part']}: {HIDDEN_NOTE}")
            hidden.extend(lines)
        else:
            shown.extend(lines)
    return "\n".join(shown), "\n".join(hidden)


def _reports(coursedir, assignment, student, cells):
    """{(notebook, grade_id): report text} of the test cells of a student's autograded notebooks."""
    tests = {(notebook, grade_id) for notebook, grade_id, _, autograded in cells if autograded}
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    reports = {}
    for notebook in {notebook for notebook, _ in tests}:
        try:
            nb = nbformat.read(folder / f"{notebook}.ipynb", 4)
        except (OSError, ValueError):
            continue
        for cell in nb.cells:
            key = (notebook, cell.metadata.get("nbgrader", {}).get("grade_id"))
            if key in tests and key not in reports:
                reports[key] = "\n".join(_output_text(output) for output in cell.get("outputs", [])).strip()
    return reports


def _output_text(output):
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    return ""


def mistake_names(report):
    """The mistakes a report names ("This looks like <name>: <fix>"), in order."""
    return [match["name"] for match in _LOOKS_LIKE.finditer(report)]


def _seconds(path):
    try:
        for line in path.read_text().splitlines():
            if line.startswith("seconds: "):
                return float(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def plot(path, assignment, cells, rows, reports, top=8):
    """A PNG: per autograded exercise, how many students got each share of its points; and the named
    mistakes most often made across the class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    exercises = [(notebook, grade_id, points) for notebook, grade_id, points, autograded in cells if autograded]
    mistakes = Counter(name for report in reports.values() for text in report.values()
                       for name in dict.fromkeys(mistake_names(text)))
    figure, (shares, common) = plt.subplots(1, 2, figsize=(13, max(3.0, 0.35 * len(exercises) + 1.5)),
                                            gridspec_kw={"width_ratios": [3, 2]})
    labels, full, partial, zero = [], [], [], []
    for notebook, grade_id, points in exercises:
        got = [row["scores"].get((notebook, grade_id)) or 0.0 for row in rows]
        labels.append(grade_id)
        full.append(sum(1 for g in got if g == points))
        zero.append(sum(1 for g in got if g == 0))
        partial.append(len(got) - full[-1] - zero[-1])
    positions = range(len(labels))
    shares.barh(positions, full, color="tab:green", label="full marks")
    shares.barh(positions, partial, left=full, color="tab:orange", label="some points")
    shares.barh(positions, zero, left=[f + p for f, p in zip(full, partial)], color="tab:red", label="no points")
    shares.set_yticks(list(positions), labels)
    shares.invert_yaxis()
    shares.set_xlabel("students")
    shares.set_title(f"{assignment}: points per exercise ({len(rows)} students)")
    shares.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 if len(exercises) < 8 else -0.09), ncol=3,
                  fontsize="small", frameon=False)
    named = mistakes.most_common(top)
    if named:
        common.barh(range(len(named)), [count for _, count in named], height=0.6, color="tab:purple")
        common.xaxis.set_major_locator(MaxNLocator(integer=True))
        common.set_yticks(range(len(named)), [_wrap(name) for name, _ in named], fontsize="small")
        common.invert_yaxis()
        common.set_xlabel("students whose report names it")
        common.set_ylim(len(named) - 0.5 if len(named) > 3 else 3.5, -0.5)
    else:
        common.text(0.5, 0.5, "no named mistake in the reports", ha="center", va="center")
        common.set_axis_off()
    common.set_title("most common named mistakes")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _wrap(text, width=38):
    words, lines = text.split(), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word) + 1 > width:
            lines.append(word)
        else:
            lines[-1] = f"{lines[-1]} {word}".strip()
    return "\n".join(lines[:3])
