"""A check's blame line reuses the result of a building block already graded in the same notebook, unless
a cell since then may have rebound its functions: the reports are those of grading the blame afresh."""
import ast

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader.autograde import runner
from grader.autograde.local import check_notebook
from grader.autograde.sandbox import SandboxUnavailable
from grader.course import LESSONS, SOLUTIONS
from grader.demo import SUBMISSIONS, fill_answers, student_code

pytestmark = pytest.mark.grader

SOURCE = SOLUTIONS / "02_mlp" / "mlp.ipynb"
BLAME = "Your affine_backward fails its own check"


def submission(tmp_path, redefine_after=None):
    """Lesson 02 with the demo's typical backward mistakes; optionally a cell after the test cell
    `redefine_after` that defines affine_backward correctly."""
    nb = fill_answers(nbformat.read(LESSONS / "02_mlp" / "mlp.ipynb", 4), student_code("ben_backward_mistakes"))
    if redefine_after:
        correct = (SUBMISSIONS / "ada_correct.py").read_text()
        definition = next(ast.get_source_segment(correct, node) for node in ast.parse(correct).body
                          if isinstance(node, ast.FunctionDef) and node.name == "affine_backward")
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == redefine_after)
        nb.cells.insert(index + 1, new_code_cell(definition))
    path = tmp_path / "mlp.ipynb"
    nbformat.write(nb, path)
    return path


def messages(path):
    try:
        result = check_notebook(path, SOURCE, timeout=60)
    except SandboxUnavailable as err:
        pytest.skip(f"no sandbox can be made on this machine: {err}")
    return {cell["grade_id"]: (cell["score"], cell["message"]) for cell in result["cells"]}


def test_reused_blames_read_as_blames_graded_afresh(tmp_path, monkeypatch):
    reused = messages(submission(tmp_path))
    assert BLAME in reused["test_mlp_backward"][1]
    monkeypatch.setattr(runner, "_forget_redefined", lambda known, source: known.clear())
    assert messages(submission(tmp_path)) == reused


def test_a_redefined_building_block_is_graded_again_for_the_blame(tmp_path):
    graded = messages(submission(tmp_path, redefine_after="test_affine_backward"))
    assert graded["test_affine_backward"][0] == 2  # its own check saw the mistaken version
    assert BLAME not in graded["test_mlp_backward"][1]  # the blame sees the version the check used


@pytest.mark.parametrize("code", ["exec('affine_backward = None')", "globals()['x'] = 1", "%time 1", "def f(:"])
def test_code_that_may_bind_out_of_sight_forgets_everything(code):
    known = {"mlp.affine_backward": object(), "mlp.relu_forward": object()}
    runner._forget_redefined(known, code)
    assert known == {}


def test_only_the_rebound_functions_are_forgotten():
    known = {"mlp.affine_backward": object(), "mlp.relu_forward": object()}
    runner._forget_redefined(known, "from mylib import relu_forward as other\nrelu_forward = other")
    assert list(known) == ["mlp.affine_backward"]
