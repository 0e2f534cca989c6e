"""`nncourse`: help, errors and exit codes, and `check` on small notebooks that pass, fail, hang and crash."""
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.cli import main

pytestmark = pytest.mark.grader


def answer_cell(source, grade_id):
    return new_code_cell(source, metadata={"nbgrader": {"grade": False, "solution": True, "locked": False,
                                                        "grade_id": grade_id, "schema_version": 3, "task": False}})


def test_cell(source, grade_id, points):
    return new_code_cell(source, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                        "points": points, "grade_id": grade_id,
                                                        "schema_version": 3, "task": False}})


test_cell.__test__ = False  # a cell maker, not a test


def write_notebook(path, *cells):
    nb = new_notebook(cells=[new_code_cell("from grader import check\nimport numpy as np"), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["release", "--help"], ["init", "--help"],
                                  ["demo", "--help"]])
def test_every_command_has_help(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0 and "usage: nncourse" in capsys.readouterr().out


def test_bad_notebooks_are_named_with_exit_code_2(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path / "missing.ipynb")
    assert code == 2 and "missing.ipynb: no such notebook file" in err
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')
    code, _, err = run(capsys, "check", broken)
    assert code == 2 and "is not a readable Jupyter notebook" in err
    plain = write_notebook(tmp_path / "plain.ipynb", new_markdown_cell("no exercises here"))
    code, _, err = run(capsys, "check", plain)
    assert code == 2 and "has no graded cells" in err
    code, _, err = run(capsys, "release", "99_nothing")
    assert code == 2 and "no lesson 99_nothing" in err


def test_check_scores_right_and_wrong_answers_with_the_report(capsys, tmp_path):
    notebook = write_notebook(
        tmp_path / "affine.ipynb",
        answer_cell("def affine_forward(x, W, b):\n    return x @ W + b, (x, W)", "right"),
        test_cell('check("mlp.affine_forward", affine_forward)', "test_right", 1),
        answer_cell("def affine_forward(x, W, b):\n    return x @ W, (x, W)", "wrong"),
        test_cell('check("mlp.affine_forward", affine_forward)', "test_wrong", 1),
    )
    code, out, _ = run(capsys, "check", notebook, "--json")
    result = json.loads(out)
    assert code == 1
    assert (result["score"], result["max_score"]) == (1.0, 2.0)
    right, wrong = result["cells"]
    assert right["score"] == 1.0 and wrong["score"] == 0.0
    assert "bias left out" in wrong["message"]

    code, out, _ = run(capsys, "check", notebook)
    assert "FAIL test_wrong" in out and "total 1/2" in out


GRADED_CHECK = "### BEGIN HIDDEN TESTS\ncheck.include_hidden_cases()\n### END HIDDEN TESTS\n{}"


def test_each_exercise_gets_one_report_of_visible_and_hidden_cases_and_nothing_else(capfd, tmp_path):
    notebook = write_notebook(
        tmp_path / "sgd.ipynb",
        answer_cell("def sgd_step(params, grads, lr):\n    return {k: params[k] - lr * grads[k] for k in params}",
                    "right"),
        test_cell(GRADED_CHECK.format('check("mlp.sgd_step", sgd_step)'), "test_right", 1),
        answer_cell("def affine_forward(x, W, b):\n    return x @ W + b, (x, W)\n\n"
                    "def affine_backward(dout, cache):\n    x, W = cache\n"
                    "    return dout @ W.T, x.T @ dout, dout.mean(axis=0)", "partial"),
        test_cell(GRADED_CHECK.format('check("mlp.affine_backward", affine_forward, affine_backward)'),
                  "test_partial", 3),
        answer_cell("def relu_forward(x):\n    return x, x", "wrong"),
        test_cell(GRADED_CHECK.format('check("mlp.relu_forward", relu_forward)'), "test_wrong", 1),
    )
    code, out, err = run(capfd, "check", notebook, "--json")
    cells = {cell["grade_id"]: cell for cell in json.loads(out)["cells"]}
    assert code == 1 and err == ""  # no kernel log lines either
    assert [cells[c]["score"] for c in ("test_right", "test_partial", "test_wrong")] == [1, 2, 0]
    for cell in cells.values():
        assert cell["message"].count(" points") == 1, cell["message"]
        assert "Traceback" not in cell["message"] and "grader" + "/" not in cell["message"]
    assert cells["test_right"]["message"].splitlines() == ["mlp.sgd_step: 1/1 points", "  \u2713 params"]
    assert cells["test_wrong"]["message"].startswith("mlp.relu_forward: 0/1 points")

    code, out, err = run(capfd, "check", notebook)
    assert out.count("mlp.affine_backward: 2/3 points") == 1 and "FAIL test_partial  2/3" in out
    assert "[IPKernelApp]" not in out + err


def test_a_hanging_cell_and_a_dead_kernel_cost_their_cells_only(capsys, tmp_path):
    notebook = write_notebook(
        tmp_path / "hostile.ipynb",
        test_cell("while True:\n    pass", "test_hangs", 1),
        test_cell("1.0", "test_after_the_hang", 1),
        test_cell("import os\nos._exit(1)", "test_crashes", 1),
        test_cell("1.0", "test_after_the_crash", 1),
    )
    code, out, _ = run(capsys, "check", notebook, "--json", "--timeout", "3")
    cells = {cell["grade_id"]: cell for cell in json.loads(out)["cells"]}
    assert code == 1
    assert cells["test_hangs"]["score"] == 0 and "CellTimeoutError" in cells["test_hangs"]["message"]
    assert cells["test_after_the_hang"]["score"] == 1
    for grade_id in ("test_crashes", "test_after_the_crash"):
        assert cells[grade_id]["score"] == 0 and "kernel died" in cells[grade_id]["message"]


def test_init_sets_up_a_course_and_refuses_to_overwrite(capsys, tmp_path):
    course = tmp_path / "course"
    code, out, _ = run(capsys, "init", course, "--lessons", "02_mlp")
    assert code == 0 and "nbgrader autograde 02_mlp" in out
    assert (course / "source" / "02_mlp" / "mlp.ipynb").is_file()
    config = (course / "nbgrader_config.py").read_text()
    assert "gradebook.db" in config and "ClearHiddenTests" in config and "CrashSafeExecute" in config
    code, _, err = run(capsys, "init", course)
    assert code == 2 and "is not empty" in err
    code, _, err = run(capsys, "init", tmp_path / "other", "--lessons", "99_nothing")
    assert code == 2 and "no lesson 99_nothing" in err


def test_autograde_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["autograde", "--help"])
    assert exit_info.value.code == 0 and "--unsafe-no-sandbox" in capsys.readouterr().out


def test_check_grades_in_a_sandbox_so_a_notebook_that_fools_itself_fools_no_one(capsys, tmp_path):
    notebook = write_notebook(
        tmp_path / "fooling.ipynb",
        answer_cell("def affine_forward(x, W, b):\n    return x @ W, (x, W)", "wrong"),
        new_code_cell("check = lambda *args, **kwargs: None\nnp.allclose = lambda *args, **kwargs: True\n"
                      "import reference_impl.mlp"),
        test_cell('check("mlp.affine_forward", affine_forward)', "test_wrong", 1),
    )
    code, out, _ = run(capsys, "check", notebook, "--json")
    result = json.loads(out)
    assert code == 1 and result["score"] == 0
    assert "bias left out" in result["cells"][0]["message"]


def test_check_and_autograde_refuse_to_grade_without_a_sandbox_unless_told(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("grader.autograde.local.find_bwrap", lambda: None)
    monkeypatch.setattr("grader.autograde.batch.find_bwrap", lambda: None)
    notebook = write_notebook(
        tmp_path / "affine.ipynb",
        answer_cell("def affine_forward(x, W, b):\n    return x @ W + b, (x, W)", "right"),
        test_cell('check("mlp.affine_forward", affine_forward)', "test_right", 1),
    )
    code, _, err = run(capsys, "check", notebook)
    assert code == 2 and "bubblewrap" in err and "--unsafe-no-sandbox" in err
    code, out, _ = run(capsys, "check", notebook, "--json", "--unsafe-no-sandbox")
    assert code == 0 and json.loads(out)["score"] == 1
    code, _, err = run(capsys, "autograde", "02_mlp", "--course-dir", tmp_path)
    assert code == 2 and "refusing to grade" in err and "--unsafe-no-sandbox" in err
