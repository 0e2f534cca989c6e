"""A learner's JupyterLab in a real browser: every lesson opens unmodified and saves unchanged, every
solution runs clean, Validate reports failing checks without the grader's traceback, and none of
nbgrader's instructor tools is there. The tests read the lab as a learner does, not the checks' wording."""
import difflib
import json
import sys

import nbformat
import pytest

from grader.course import LESSONS, SOLUTIONS

pytestmark = pytest.mark.browser

LESSON_NOTEBOOKS = sorted(p.relative_to(LESSONS.parent) for p in LESSONS.glob("[0-9][0-9]_*/*.ipynb"))
SOLUTION_NOTEBOOKS = sorted(p.relative_to(SOLUTIONS.parent) for p in SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"))
LOCKED_CELL = ".jp-CodeCell:has(.cm-editor.jp-mod-readOnly)"
INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                      "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment"]
# A learner's first answer to lesson 01, with the classic mistake: np.sign gives 0 on the boundary.
SIGN_MISTAKE = "import numpy as np\n\n\ndef perceptron_predict(X, w, b):\n    return np.sign(X @ w + b).astype(int)\n"
GRADER_TRACEBACK = ("Traceback (most recent call last)", "grader/", "site-packages", 'File "')


def as_saved_here(text):
    """The stored notebook with this machine's Python version, the one line a kernel here writes differently."""
    recorded = json.loads(text)["metadata"].get("language_info", {}).get("version")
    return text.replace(f'"version": "{recorded}"', f'"version": "{sys.version.split()[0]}"', 1) if recorded else text


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=[p.parent.name for p in LESSON_NOTEBOOKS])
def test_a_lesson_opens_unmodified_with_its_check_cells_marked_and_saves_unchanged(page, lab_root, path):
    stored_text = (lab_root / path).read_text(encoding="utf-8")  # the lab serves a copy of lessons/
    page.open(path.as_posix())
    locked = page.scroll_to(LOCKED_CELL)
    page.shot("opened")
    modified_on_opening = page.dirty

    label = page.js("return getComputedStyle(arguments[0].querySelector('.jp-InputArea-editor'), '::after').content",
                    locked)
    assert "locked" in label, f"a locked check cell carries no visible label (its ::after content is {label})"
    stored = nbformat.reads(stored_text, 4)
    assert {cell.metadata.get("editable") for cell in stored.cells if cell.metadata.get("nbgrader", {}).get("grade")
            and cell.cell_type == "code"} == {False}, "nbgrader's release left a check cell editable"

    page.command("docmanager:save")
    saved = (lab_root / path).read_text(encoding="utf-8").splitlines()
    expected = as_saved_here(stored_text).splitlines()
    rewritten = [line for line in difflib.unified_diff(expected, saved, lineterm="", n=0)
                 if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert rewritten == [], f"opening and saving the lesson unchanged rewrote it (run `nncourse release`): {rewritten[:20]}"
    assert not modified_on_opening, "JupyterLab marks the lesson modified as soon as it opens"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=[p.parent.name for p in SOLUTION_NOTEBOOKS])
def test_every_cell_of_a_solution_runs_without_error(page, lab_root, path):
    page.open(path.as_posix())
    page.run_all_and_save()
    page.shot("ran")
    nb = nbformat.read(lab_root / path, 4)
    problems = [(index, output.get("ename") or output.get("name"), (output.get("evalue") or output.get("text"))[:300])
                for index, cell in enumerate(nb.cells) for output in cell.get("outputs", [])
                if output.output_type == "error" or (output.output_type == "stream" and output.name == "stderr")]
    assert problems == [], f"{path}: cells with an error or stderr output (cell index, name, text)"
    not_run = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.execution_count is None]
    assert not_run == [], f"{path}: Run All left these cells unrun"


def test_validate_reports_the_failing_checks_and_no_grader_traceback(page, lab):
    page.open("lessons/01_perceptron/perceptron.ipynb")
    assert page.set_cells_containing("def perceptron_predict", SIGN_MISTAKE) == 1
    dialog = page.validate()
    page.shot("validate-dialog")

    assert "Validation Results" in dialog and "failed" in dialog, dialog[:2000]
    assert "Success" not in dialog, dialog[:2000]
    # Every exercise fails (one written wrong, the others not written): each check cell is named.
    for exercise in ("perceptron_predict", "perceptron_update", "perceptron_train"):
        assert f'check("perceptron.{exercise}"' in dialog, f"Validate does not report the {exercise} check"
    leaked = [marker for marker in GRADER_TRACEBACK if marker in dialog]
    assert leaked == [], f"Validate's dialog shows a traceback ({leaked}):\n{dialog[:3000]}"
    assert "No nbgrader_config.py file found" not in lab.log()


def test_the_learner_has_validate_and_none_of_the_instructors_tools(page):
    page.open("lessons/02_mlp/mlp.ipynb")
    page.shot("lab")
    menus = page.js("return [...document.querySelectorAll('.lm-MenuBar-itemLabel')].map(label => label.textContent)")
    assert "File" in menus and not [menu for menu in menus if "grader" in menu.lower()], menus
    present = page.js("return arguments[0].filter(id => window.jupyterapp.hasPlugin(id))", INSTRUCTOR_PLUGINS)
    assert present == [], f"instructor plugins loaded in the learner's lab: {present}"
    sidebar = page.js("return [...document.querySelectorAll('.lm-TabBar-tab')].map(tab => tab.title || tab.textContent)")
    assert not [tab for tab in sidebar if "assignment" in tab.lower()], sidebar
    assert page.js("return window.jupyterapp.isPluginActivated('@jupyter/nbgrader:validate-assignment')")
    validate = page.js("return window.jupyterapp.shell.currentWidget.node.querySelector('.validate-button')")
    assert validate is not None and validate.is_displayed() and "Validate" in validate.text
