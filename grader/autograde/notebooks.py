"""Reading a submitted notebook without trusting it, and putting its graded cells back as the
assignment has them.

`read_submission` turns a file into a clean nbformat 4 notebook (only each cell's type, id, source and
nbgrader metadata are kept) or says in one line why it cannot (missing, not a regular file, empty,
not UTF-8, not JSON, another notebook format, not a notebook). `sanitize` does what stock
autograde's sanitizing preprocessors do (ClearOutput, DeduplicateIds, OverwriteCells), without ever
aborting: every cell the assignment knows takes the assignment's nbgrader metadata (the learner's is
only read for its grade_id), a locked cell that was edited gets its source back, a copied cell's
second copy loses its metadata, and the graded cells that are missing are listed. `test_plan` reads
a test cell of the source: the checks it runs. `demonstration_cells` reads which cells of the source
only demonstrate (tagged "demonstration"): the grader skips them where the learner left them as released.
"""
import ast
import json
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell
from nbgrader.utils import compute_checksum

__all__ = ["SourceCell", "Unreadable", "CourseError", "read_submission", "source_cells_from_notebook",
           "source_cells_from_gradebook", "sanitize", "test_plan", "is_test", "demonstration_cells",
           "DEMONSTRATION_TAG", "MAX_NOTEBOOK_BYTES"]

MAX_NOTEBOOK_BYTES = 50 << 20
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
DEMONSTRATION_TAG = "demonstration"
CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # nbformat 4.5's rule for a cell id


@dataclass(frozen=True)
class SourceCell:
    """A cell of the assignment's source notebook that nbgrader tracks by grade_id."""

    grade_id: str
    cell_type: str
    source: str
    locked: bool
    grade: bool
    solution: bool
    task: bool
    points: float
    checksum: str

    def metadata(self):
        """The nbgrader metadata a submitted copy of this cell is graded with."""
        meta = {"grade": self.grade, "solution": self.solution, "locked": self.locked, "task": self.task,
                "grade_id": self.grade_id, "schema_version": 3, "checksum": self.checksum}
        if self.grade or self.task:
            meta["points"] = self.points
        return meta


def is_test(source_cell):
    """A test cell: graded by its outputs (a graded code cell that is not an answer)."""
    return source_cell.grade and not source_cell.solution and source_cell.cell_type == "code"


class Unreadable(ValueError):
    """A submission that cannot be read as a notebook; the message is the one-line reason."""


class CourseError(ValueError):
    """The assignment itself cannot be graded this way (the teacher's to fix); the message says why."""


def read_submission(path):
    """The submitted notebook as a clean nbformat 4 NotebookNode; Unreadable with the reason otherwise."""
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise Unreadable(f"{path.name} was not submitted") from None
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(f"{path.name} is not a plain file (a link or a folder); submit the notebook itself")
    if info.st_size == 0:
        raise Unreadable(f"{path.name} is empty")
    if info.st_size > MAX_NOTEBOOK_BYTES:
        raise Unreadable(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB; clear its outputs and submit again")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Unreadable(f"{path.name} is not UTF-8 text (byte {err.start} is not); open and save it in JupyterLab") from None
    try:
        raw = json.loads(text)
    except RecursionError:
        raise Unreadable(f"{path.name} is not a notebook (JSON nested too deep)") from None
    except ValueError as err:
        raise Unreadable(f"{path.name} is not valid JSON (line {getattr(err, 'lineno', '?')}): it was cut short or "
                         "edited by hand; re-download the assignment and paste your answers in") from None
    if isinstance(raw, dict) and raw.get("nbformat") not in (4, None):
        version = raw["nbformat"] if type(raw["nbformat"]) is int else "unknown"
        raise Unreadable(f"{path.name} is in notebook format {version}, not 4; open it in JupyterLab, save it, and "
                         "submit that")
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise Unreadable(f"{path.name} is JSON but not a Jupyter notebook (it has no list of cells)")
    cells = []
    for number, cell in enumerate(raw["cells"], 1):
        clean = _clean_cell(cell)
        if clean is None:
            raise Unreadable(f"{path.name}: cell {number} is malformed (no cell type or source); re-download the "
                             "assignment and paste your answers in")
        cells.append(clean)
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})


def _clean_cell(cell):
    if not isinstance(cell, dict):
        return None
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    nbgrader_meta = metadata.get("nbgrader")
    kept = {"nbgrader": dict(nbgrader_meta)} if isinstance(nbgrader_meta, dict) else {}
    make = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}.get(cell.get("cell_type"))
    if make is None or not isinstance(source, str):
        return None
    clean = make(source, metadata=kept)
    if isinstance(cell.get("id"), str) and CELL_ID.fullmatch(cell["id"]):
        clean.id = cell["id"]  # what a skipped demonstration cell is known by
    return clean


def demonstration_cells(nb):
    """{id: source} of the source notebook's code cells that only demonstrate (a training run, a plot):
    tagged "demonstration" and not graded. Grading skips a submitted cell with one of these ids and this
    source, as released; a learner who edited such a cell gets it run, as stock autograde would. The
    lesson's author tags only cells no check depends on, and a test holds every solution to the same
    score with and without the skip."""
    return {cell.get("id"): cell.source for cell in nb.cells
            if cell.cell_type == "code" and DEMONSTRATION_TAG in cell.metadata.get("tags", ())
            and "grade_id" not in cell.metadata.get("nbgrader", {}) and cell.get("id")}


def source_cells_from_notebook(nb):
    """{grade_id: SourceCell} of a source notebook (solutions/...), in notebook order."""
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")):
            cells[meta["grade_id"]] = SourceCell(
                meta["grade_id"], cell.cell_type, cell.source, bool(meta.get("locked")), bool(meta.get("grade")),
                bool(meta.get("solution")), bool(meta.get("task")), float(meta.get("points", 0)), compute_checksum(cell))
    return cells


def source_cells_from_gradebook(gradebook, notebook, assignment, order=()):
    """{grade_id: SourceCell} as `nbgrader generate_assignment` stored them (what stock autograde uses),
    in the order of `order` (grade_ids as the source notebook has them; the gradebook keeps no order)."""
    record = gradebook.find_notebook(notebook, assignment)
    points = {cell.name: float(cell.max_score) for cell in list(record.grade_cells) + list(record.task_cells)}
    solutions = {cell.name for cell in record.solution_cells}
    tasks = {cell.name for cell in record.task_cells}
    grades = {cell.name for cell in record.grade_cells}
    position = {grade_id: index for index, grade_id in enumerate(order)}
    return {cell.name: SourceCell(cell.name, cell.cell_type, cell.source, bool(cell.locked), cell.name in grades,
                                  cell.name in solutions, cell.name in tasks, points.get(cell.name, 0.0), cell.checksum)
            for cell in sorted(record.source_cells, key=lambda c: (position.get(c.name, len(position)), c.id))}


def sanitize(nb, sources):
    """Put the graded cells back as the assignment has them, in place. Returns the notes, one line each,
    for what was found: copied, edited locked, unknown and missing cells."""
    seen, edited, unknown, copied = set(), [], [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not isinstance(grade_id, str) or grade_id not in sources:
            if grade_id is not None:
                unknown.append(grade_id)
            cell.metadata.pop("nbgrader", None)
            continue
        if grade_id in seen:
            copied.append(grade_id)
            cell.metadata.pop("nbgrader", None)
            continue
        seen.add(grade_id)
        source = sources[grade_id]
        if cell.cell_type != source.cell_type:
            nb.cells[index] = cell = _as_type(cell, source.cell_type)
        cell.metadata["nbgrader"] = source.metadata()
        if source.locked and cell.source != source.source:
            if cell.source != released_source(source):
                edited.append(grade_id)
            cell.source = source.source
    missing = [grade_id for grade_id, source in sources.items() if grade_id not in seen and (source.grade or source.task)]
    notes = []
    if copied:
        notes.append(f"{_cells(copied)} appear{'s' if len(copied) == 1 else ''} twice (a copied cell?): only the "
                     "first copy is graded, a later copy runs as ordinary code")
    if edited:
        notes.append(f"locked {_cells(edited)} had been edited: graded as the assignment has "
                     f"{'it' if len(edited) == 1 else 'them'}")
    if unknown:  # their ids are the learner's text: counted, not quoted
        notes.append(f"{len(unknown)} cell{'s' if len(unknown) > 1 else ''} with nbgrader ids the assignment does "
                     "not know: run as ordinary code")
    if missing:
        notes.append(f"graded {_cells(missing)} {'is' if len(missing) == 1 else 'are'} missing (deleted, or the "
                     f"nbgrader metadata removed): {'it scores' if len(missing) == 1 else 'they score'} 0")
    return notes, missing


def released_source(source):
    """The cell's source as the learners received it: without the lines from BEGIN HIDDEN TESTS to
    END HIDDEN TESTS, markers included (nbgrader's ClearHiddenTests rule)."""
    kept, hidden = [], False
    for line in source.source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _cells(grade_ids):
    shown = ", ".join(repr(g) for g in grade_ids[:5]) + (f" and {len(grade_ids) - 5} more" if len(grade_ids) > 5 else "")
    return f"cell{'s' if len(grade_ids) > 1 else ''} {shown}"


def _as_type(cell, cell_type):
    make = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}[cell_type]
    return make(cell.source, metadata=cell.metadata)


def test_plan(source_text, where="a test cell"):
    """[(exercise id, [names of the notebook's functions])] that a test cell's source runs, in order.

    A test cell may hold only `check.include_hidden_cases()` and `check("<id>", name, ...)` calls
    (optionally with hidden=True/False, which changes nothing: grading always includes the hidden
    cases). CourseError names the first statement that is anything else."""
    try:
        tree = ast.parse(source_text)
    except SyntaxError as err:
        raise CourseError(f"{where} is not valid Python (line {err.lineno})") from None
    plan = []
    for statement in tree.body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "include_hidden_cases"
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "check" and not call.args
                and not call.keywords):
            continue
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check" and call.args
                and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                and all(isinstance(arg, ast.Name) for arg in call.args[1:])
                and all(k.arg == "hidden" and isinstance(k.value, ast.Constant) for k in call.keywords)):
            plan.append((call.args[0].value, [arg.id for arg in call.args[1:]]))
            continue
        raise CourseError(f"{where}, line {statement.lineno}, is not a check: a test cell graded in the sandbox may "
                          'hold only check("<exercise id>", function, ...) and check.include_hidden_cases()')
    if not plan:
        raise CourseError(f"{where} calls no check")
    return plan
