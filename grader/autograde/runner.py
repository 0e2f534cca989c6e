"""Grading one notebook: its code cells run in the sandbox, its test cells here, in the trusted process.

The cells run in notebook order. A code cell goes to the learner's sandboxed process
(grader.autograde.sandbox) and comes back as outputs. A test cell never enters the sandbox: its source
(the assignment's, hidden tests and all) is read with `notebooks.test_plan`, and each check it names
runs here through a SandboxCaller on the notebook's functions as they are at that point, always with
the hidden cases. Its report becomes the cell's outputs exactly as the notebook door's cell would
write them, so nbgrader's own determine_grade scores it the same: the report as a stream at full
marks, the report and the points as the result for partial credit, a CheckFailed error at zero.

A code cell the lesson's source tags "demonstration" (a training run, a plot: notebooks.
demonstration_cells) is not run at grading; its output says so, and what it would have printed is in the
learner's own notebook. No check depends on such a cell, so skipping it changes no score and spares the
class its minutes.

When the learner's process ends (a crash, os._exit, a limit) or overruns, the cells before keep their
points and every test cell from there on gets an error output with the one-line reason and scores 0.
A notebook that cannot be read at all scores 0 everywhere with its reason.

A notebook that is its own source (`nncourse check` on a notebook outside the course) has no trusted
tests: a test cell that is not made of checks then runs in the sandbox and is scored by its outputs,
as a kernel would score it.
"""
import ast
import html
import time
from dataclasses import dataclass, field

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.utils import compute_checksum, determine_grade, is_grade

from ..engine import get_check, grade
from .caller import open_caller
from .notebooks import KERNELSPEC, CourseError, Unreadable, is_test, sanitize, test_plan
from .sandbox import Limits, LearnerProcess, ProcessEnded, SandboxUnavailable

__all__ = ["GradedNotebook", "grade_notebook", "test_plans"]

MAX_TEXT = 50_000
RESOURCE_ERRORS = {"CellTimeoutError": "ran past its time limit", "MemoryError": "ran out of memory",
                   "BlockingIOError": "could not start another process (the sandbox's limit on processes)"}


@dataclass
class GradedNotebook:
    """nb: the autograded notebook (test cells hold the reports as outputs). scores: {grade_id: (points or
    None when a person grades it, max points)} for every graded cell of the assignment. comments:
    {grade_id: text or None} for its answer and task cells, the reasons attached. reasons: one line each."""

    nb: object
    scores: dict
    comments: dict
    reasons: list = field(default_factory=list)
    seconds: float = 0.0


def test_plans(sources, trusted=True):
    """{grade_id: [(exercise id, [function names])]} for the assignment's test cells. A trusted source's
    test cells must be checks (CourseError otherwise); an untrusted one's that are not get no plan."""
    plans = {}
    for grade_id, source in sources.items():
        if not is_test(source):
            continue
        try:
            plan = test_plan(source.source, f"test cell {grade_id!r}")
            for exercise_id, names in plan:
                functions = get_check(exercise_id).functions
                if len(names) != len(functions):
                    raise CourseError(f"test cell {grade_id!r}: check({exercise_id!r}, ...) takes "
                                      f"{', '.join(functions)}; the cell passes {len(names)}")
        except (CourseError, LookupError) as err:
            if trusted:
                raise CourseError(str(err)) from None
            continue
        plans[grade_id] = plan
    return plans


def grade_notebook(submission, sources, files, plans, limits=Limits(), isolated=True, skip=None):
    """Grade `submission` (a notebook from notebooks.read_submission, or the Unreadable it raised)
    against the assignment's `sources` ({grade_id: SourceCell}) with the checks of `plans` (test_plans),
    not running the ungraded code cells that `skip` ({cell id: source}, notebooks.demonstration_cells) holds
    unchanged.
    Raises SandboxUnavailable when no learner process can be started (the grader's problem, not the
    learner's: nothing is scored)."""
    started = time.perf_counter()
    if isinstance(submission, Unreadable):
        nb, reasons = _unreadable_notebook(sources, str(submission)), [(None, str(submission))]
    else:
        nb = submission
        notes, _ = sanitize(nb, sources)
        reasons = [(None, note) for note in notes] + _run(nb, sources, files, plans, limits, isolated, skip or {})
    scores, comments = _scores(nb, sources, reasons, unreadable=isinstance(submission, Unreadable))
    if reasons and not isinstance(submission, Unreadable):
        nb.cells.insert(0, new_markdown_cell("**Grading notes**\n\n" + "\n".join(
            f"- {html.escape(text)}" for _, text in reasons)))
    return GradedNotebook(nb, scores, comments, [text for _, text in reasons], time.perf_counter() - started)


def _run(nb, sources, files, plans, limits, isolated, skip):
    try:
        process = LearnerProcess(files, limits, isolated=isolated)
    except ProcessEnded as err:
        said = err.log.strip().splitlines()[-1] if err.log.strip() else err.reason
        raise SandboxUnavailable(f"the learner's process could not start: {said}") from None
    reasons, count, known = [], 0, {}
    with process:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            count += 1
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            where = f"cell {count}" + (f" ({grade_id})" if grade_id else "")
            was_alive = process.alive
            if was_alive:
                cell.execution_count = count
            if grade_id in plans:
                cell.outputs, reason = _test_cell(process, plans[grade_id], grade_id, limits, known)
            elif grade_id not in sources and _unchanged(cell, skip):
                cell.outputs, reason = [_skipped()], None
            elif was_alive:
                _forget_redefined(known, cell.source)
                cell.outputs, reason = _code_cell(process, cell.source, where, limits)
            else:
                cell.outputs, reason = ([_died(process.reason)] if is_grade(cell) else []), None
            if was_alive and not process.alive:
                reason = f"{process.reason}; every test from there on scores 0"
            if reason:
                reasons.append((index, reason))
    return reasons


def _code_cell(process, source, where, limits):
    try:
        reply = process.request({"op": "run", "source": source, "timeout": limits.cell_seconds},
                                limits.cell_seconds + limits.grace_seconds, f"running {where}")
    except ProcessEnded as ended:
        return [_died(ended.reason)], None
    reply = reply if isinstance(reply, dict) else {}
    outputs = _outputs(reply.get("outputs"))
    for output in outputs:
        if output.output_type == "error" and output.ename in RESOURCE_ERRORS:
            return outputs, f"{where} {RESOURCE_ERRORS[output.ename]} ({output.ename})"
    if type(reply.get("dropped")) is int and reply["dropped"] > 0:
        return outputs, f"{where} printed {reply['dropped']} characters more than the {MAX_TEXT} kept"
    return outputs, None


def _test_cell(process, plan, grade_id, limits, known):
    """(outputs, reason or None) of a test cell: each check's report, as the notebook door writes it.
    known: {exercise id: Result} of the checks graded so far on functions no cell has redefined since,
    which a later check's blame reuses (and this cell adds to)."""
    outputs, last, incidents = [], None, len(process.incidents)
    for exercise_id, names in dict.fromkeys((e, tuple(n)) for e, n in plan):
        if not process.alive:
            return outputs + [_died(process.reason)], None
        check = get_check(exercise_id)
        try:
            caller, missing = open_caller(process, dict(zip(check.functions, names)), limits.call_seconds)
        except ProcessEnded as ended:
            return outputs + [_died(ended.reason)], None
        if missing:
            text = f"name {missing[0]!r} is not defined"
            outputs.append(new_output("error", ename="NameError", evalue=text, traceback=[f"NameError: {text}"]))
            return outputs, (f"{grade_id}: {', '.join(missing)} not defined when the check ran (renamed, deleted, "
                             "or its cell failed)")
        result = grade(exercise_id, caller, hidden=True, known=known)
        if tuple(names) == tuple(check.functions):  # graded under the names a blame looks them up by
            known[exercise_id] = result
        if process.alive:
            try:
                process.request({"op": "forget"}, limits.grace_seconds, "freeing the check's caches")
            except ProcessEnded:
                pass
        if result.score == 0:
            outputs.append(new_output("error", ename="CheckFailed", evalue=result.message,
                                      traceback=result.message.splitlines()))
            last = None
            break
        outputs.append(new_output("stream", name="stdout", text=result.message + "\n"))
        last = result
    if last is not None and not last.passed:
        outputs.append(new_output("execute_result", data={"text/plain": repr(float(last.score))}, execution_count=None))
    new = process.incidents[incidents:]
    return outputs, (f"{grade_id}: {new[0]}" if new else None)


def _unchanged(cell, skip):
    """A demonstration cell as the lesson released it (line endings and trailing blanks aside)."""
    released = skip.get(cell.get("id"))
    return released is not None and cell.source.replace("\r\n", "\n").rstrip() == released.replace("\r\n", "\n").rstrip()


def _skipped():
    return new_output("stream", name="stdout", text=(
        "(not run at grading: this cell only demonstrates, and no check depends on it)\n"))


def _forget_redefined(known, source):
    """Drop from `known` the results whose functions the code about to run may rebind. Bindings are read
    from the code's syntax; code that could bind names out of sight of it (exec, globals(), ...) or that
    does not parse drops everything. Learner code that hides a rebinding only misleads its own blame line."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        known.clear()
        return
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.Name) and node.id in _BINDS_OUT_OF_SIGHT:
            known.clear()
            return
    for exercise_id in [e for e in known if bound & set(get_check(e).functions)]:
        del known[exercise_id]


_BINDS_OUT_OF_SIGHT = {"exec", "eval", "globals", "locals", "vars", "setattr", "__import__", "get_ipython",
                       "__builtins__", "sys", "importlib"}


def _died(reason):
    text = f"{reason}: this cell and every one after it score 0"
    return new_output("error", ename="KernelDied", evalue=text, traceback=[f"KernelDied: {text}"])


def _outputs(items):
    """nbformat outputs from what the learner's process sent: only the kinds it may send, text capped."""
    outputs = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = item.get("output_type")
        if kind == "stream" and item.get("name") in ("stdout", "stderr") and isinstance(item.get("text"), str):
            outputs.append(new_output("stream", name=item["name"], text=item["text"][:MAX_TEXT]))
        elif kind in ("execute_result", "display_data") and isinstance(item.get("text"), str):
            extra = {"execution_count": None} if kind == "execute_result" else {}
            outputs.append(new_output(kind, data={"text/plain": item["text"][:MAX_TEXT]}, **extra))
        elif kind == "error" and all(isinstance(item.get(k), str) for k in ("ename", "evalue")):
            lines = item.get("traceback") if isinstance(item.get("traceback"), list) else []
            outputs.append(new_output("error", ename=item["ename"][:200], evalue=item["evalue"][:MAX_TEXT],
                                      traceback=[str(line)[:MAX_TEXT] for line in lines[:40]]))
    return outputs[:200]


def _unreadable_notebook(sources, reason):
    """What the feedback shows for a notebook that could not be read: the reason, and each graded cell
    of the assignment scoring 0 with it (answer cells empty)."""
    cells = [new_markdown_cell(f"**This notebook could not be graded:** {html.escape(reason)}. Every graded cell "
                               "scores 0.")]
    for source in sources.values():
        if not (source.grade or source.task):
            continue
        text = source.source if is_test(source) else ""
        cell = (new_code_cell if source.cell_type == "code" else new_markdown_cell)(text, metadata={
            "nbgrader": source.metadata()})
        if is_test(source):
            cell.outputs = [new_output("error", ename="NotGraded", evalue=reason, traceback=[f"NotGraded: {reason}"])]
        cells.append(cell)
    return new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})


def _scores(nb, sources, reasons, unreadable):
    cells = {cell.metadata["nbgrader"]["grade_id"]: (index, cell) for index, cell in enumerate(nb.cells)
             if "grade_id" in cell.metadata.get("nbgrader", {})}
    scores, comments = {}, {}
    for grade_id, source in sources.items():
        index, cell = cells.get(grade_id, (None, None))
        if source.grade:
            present = cell is not None and not unreadable
            scores[grade_id] = (determine_grade(cell)[0] if present else 0.0, source.points)
        elif source.task:
            scores[grade_id] = (None, source.points)
        if source.solution or source.task:
            unanswered = cell is not None and not source.task and compute_checksum(cell) == source.checksum
            comments[grade_id] = "No response." if unanswered and not unreadable else None
    answers = [grade_id for grade_id in comments if grade_id in cells]
    for index, text in reasons:
        anchor = _anchor(answers, cells, index) or next(iter(comments), None)
        if anchor is not None:
            comments[anchor] = f"{comments[anchor]} {text}" if comments[anchor] else text
    return scores, comments


def _anchor(answers, cells, index):
    """The answer cell a reason is shown at: the last one at or before the cell it is about."""
    if index is None:
        return answers[0] if answers else None
    before = [grade_id for grade_id in answers if cells[grade_id][0] <= index]
    return before[-1] if before else (answers[0] if answers else None)
