"""The learner's JupyterLab (`make lab`, configured by grader/lab/) offers Validate and none of nbgrader's
instructor tools; a teacher's course directory keeps them all; notebooks are stored as JupyterLab saves them.
The same lab in a real browser is tested in tests/browser/."""
import json
import re
import sys
import urllib.error

import pytest

from browser.learner_lab import get, learner_lab
from grader.course import LESSONS, SOLUTIONS, as_jupyterlab_saves, init_course

INSTRUCTOR_PLUGINS = ["@jupyter/nbgrader:menu", "@jupyter/nbgrader:formgrader",
                      "@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment"]
# The pages behind the instructor's plugins: formgrader, assignment list, course list.
INSTRUCTOR_PAGES = ["formgrader", "assignments", "courses", "formgraders"]
NOTEBOOKS = sorted(SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb")) + sorted(LESSONS.glob("[0-9][0-9]_*/*.ipynb"))


def status_of(url):
    try:
        return get(url)[0]
    except urllib.error.HTTPError as error:
        return error.code


def page_config(lab):
    """The configuration JupyterLab hands its page: which plugins are disabled, among others."""
    _, page = get(lab.url("lab"))
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    assert match, "JupyterLab's page holds no jupyter-config-data"
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    with learner_lab(LESSONS, tmp_path_factory.mktemp("learner-lab")) as lab:
        yield lab


def test_learner_lab_has_validate_and_no_instructor_plugin(learner):
    disabled = set(page_config(learner)["disabledExtensions"])
    assert set(INSTRUCTOR_PLUGINS) <= disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled

    _, body = get(learner.url("lab/api/extensions"))
    nbgrader = {e["name"]: e for e in json.loads(body)}.get("jupyter-nbgrader")
    assert nbgrader and nbgrader["enabled"] and nbgrader["status"] == "ok", "nbgrader's lab extension is not loaded"


def test_learner_server_has_validate_and_no_instructor_extension(learner):
    from nbgrader import __version__

    _, body = get(learner.url(f"nbgrader_version?version={__version__}"))
    assert json.loads(body)["success"], "Validate's server extension does not answer"
    assert {page: status_of(learner.url(page)) for page in INSTRUCTOR_PAGES} == dict.fromkeys(INSTRUCTOR_PAGES, 404)


def test_learner_lab_prints_no_nbgrader_warning(learner):
    get(learner.url("lab"))
    assert "No nbgrader_config.py file found" not in learner.log()


def test_learner_lab_styles_locked_check_cells(learner):
    _, css = get(learner.url("custom/custom.css"))
    assert "jp-mod-readOnly" in css and "content:" in css


def test_a_teachers_course_directory_keeps_every_nbgrader_tool(tmp_path):
    course = init_course(tmp_path / "course", lessons=["01_perceptron"])
    # A teacher starts JupyterLab in the course directory with their own Jupyter configuration.
    with learner_lab(course, tmp_path / "teacher-lab", config_dir=None, cwd=course) as teacher:
        disabled = set(page_config(teacher)["disabledExtensions"])
        assert not disabled & set(INSTRUCTOR_PLUGINS)
        assert status_of(teacher.url("formgrader")) == 200
        _, body = get(teacher.url("formgrader/api/assignments"))
        assert "01_perceptron" in body, "the formgrader does not see the course's lessons"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(p.parents[2])) for p in NOTEBOOKS])
def test_notebooks_are_stored_as_jupyterlab_saves_them(path):
    text = path.read_text(encoding="utf-8")
    recorded = json.loads(text)["metadata"].get("language_info", {}).get("version")
    this_python = sys.version.split()[0]
    # The Python version is the one machine-dependent line: compare with the one stored.
    expected = as_jupyterlab_saves(text).replace(f'"version": "{this_python}"', f'"version": "{recorded}"', 1)
    fix = ("run `nncourse release`" if path.is_relative_to(LESSONS) else
           f"run python -c 'from grader.course import normalise_notebooks; normalise_notebooks([\"{path}\"])'")
    assert text == expected, f"{path} is not stored as JupyterLab saves it (JupyterLab would mark it modified): {fix}"
