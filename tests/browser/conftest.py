"""The browser tests' set-up: the learner's JupyterLab (as `make lab` configures it) serving copies of
lessons/ and solutions/, one headless Chromium, and screenshots named in the report of a failing test."""
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from grader.course import LESSONS, SOLUTIONS
from lab_page import LabPage, start_chromium
from learner_lab import learner_lab

# Set when the first browser test starts: a `make test` run that deselects them all prints nothing.
RUN = {}


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    """Copies of lessons/ and solutions/: running and saving them in the lab leaves the checkout alone."""
    root = tmp_path_factory.mktemp("lab-root")
    for folder in (LESSONS, SOLUTIONS):
        shutil.copytree(folder, root / folder.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


@pytest.fixture(scope="session")
def lab(lab_root, tmp_path_factory):
    # The page's app object lets the tests call the commands that the lab's menus call.
    with learner_lab(lab_root, tmp_path_factory.mktemp("lab-state"),
                     extra_args=["--LabApp.expose_app_in_browser=True"]) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    chromium = start_chromium()
    yield chromium
    chromium.quit()


@pytest.fixture(scope="session")
def shots():
    """The folder for every screenshot of the run."""
    RUN.update(started=time.monotonic(), shots=Path(tempfile.mkdtemp(prefix="nncourse-browser-")))
    return RUN["shots"]


@pytest.fixture
def page(shots, browser, lab, request):
    view = LabPage(browser, lab, shots, request.node.name.replace("/", "_").replace("[", "-").rstrip("]"))
    yield view
    # Each test starts with no kernel running: two cores do not carry several lessons at once.
    lab.shutdown_kernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    view = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and view is not None:
        view.shot("failure")
        report.sections.append(("screenshots", "\n".join(map(str, view.screenshots))))


def pytest_terminal_summary(terminalreporter):
    if RUN:
        terminalreporter.write_line(f"browser tests: {time.monotonic() - RUN['started']:.0f} s, "
                                    f"screenshots in {RUN['shots']}")
