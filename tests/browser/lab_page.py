"""JupyterLab in headless Chromium, seen as a learner sees it: open a notebook, run it, save it, press
Validate, read the dialog. The lab's own commands run the notebook (the ones its menus call); Validate is
clicked like a person would. Every screenshot is saved under a folder and remembered, for the report."""
import shutil
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

# The notebook open in the main area, once its kernel has started and is idle.
CURRENT_NOTEBOOK_READY = """
const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
return !!(panel && panel.context && panel.context.isReady && panel.context.path === arguments[0]
          && panel.sessionContext.session && panel.sessionContext.session.kernel
          && panel.sessionContext.kernelDisplayStatus === 'idle');
"""
RUN_COMMAND = """
const [command, done] = [arguments[0], arguments[arguments.length - 1]];
window.jupyterapp.commands.execute(command).then(result => done(String(result)), error => done('error: ' + error));
"""
SET_CELL_SOURCE = """
const [containing, source] = arguments;
const cells = Array.from(window.jupyterapp.shell.currentWidget.content.model.cells);
const matching = cells.filter(cell => cell.sharedModel.getSource().includes(containing));
matching.forEach(cell => cell.sharedModel.setSource(source));
return matching.length;
"""


def start_chromium(window="1400,1000"):
    """Debian's headless chromium through its chromium-driver (no driver download by Selenium)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        raise RuntimeError("chromium and chromedriver are missing: run tests/browser/install-chromium (make test-browser does)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window}"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_script_timeout(600)
    return browser


class LabPage:
    """One test's view of the lab: `lab` is the running server, `shots` the folder for screenshots."""

    def __init__(self, browser, lab, shots, test_name):
        self.browser, self.lab, self.shots, self.test_name = browser, lab, Path(shots), test_name
        self.screenshots = []

    def shot(self, name):
        path = self.shots / f"{self.test_name}-{len(self.screenshots) + 1:02d}-{name}.png"
        try:
            self.browser.save_screenshot(str(path))
        except WebDriverException:
            return None
        self.screenshots.append(path)
        return path

    def wait_for(self, script, *args, timeout=120, what="the page"):
        deadline = time.monotonic() + timeout
        while not self.browser.execute_script(script, *args):
            if time.monotonic() > deadline:
                self.shot("timeout")
                raise TimeoutError(f"waited {timeout} s for {what}")
            time.sleep(0.3)

    def open(self, path):
        """Load the lab with the notebook at `path` (relative to the lab's root) and wait for its kernel."""
        # ?reset starts from an empty layout: tabs of earlier tests stay closed.
        self.browser.get(self.lab.url(f"lab/tree/{path}?reset"))
        self.wait_for(CURRENT_NOTEBOOK_READY, path, what=f"{path} to open with an idle kernel")
        # The kernel's description reaches the notebook's metadata just after the kernel is idle.
        time.sleep(1.5)

    def js(self, script, *args):
        return self.browser.execute_script(script, *args)

    def command(self, name):
        """Run a JupyterLab command (what a menu item does) and wait for it to finish."""
        return self.browser.execute_async_script(RUN_COMMAND, name)

    @property
    def dirty(self):
        return self.js("return window.jupyterapp.shell.currentWidget.context.model.dirty")

    def set_cells_containing(self, text, source):
        """Replace the source of every cell holding `text`, as typing would; returns how many."""
        return self.js(SET_CELL_SOURCE, text, source)

    def run_all_and_save(self):
        """Run menu > Run All Cells, wait until the kernel is done, then File > Save."""
        self.command("notebook:run-all-cells")
        self.wait_for("return window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'",
                      timeout=300, what="the kernel to finish")
        self.command("docmanager:save")

    def scroll_to(self, css):
        element = self.browser.find_element(By.CSS_SELECTOR, css)
        self.js("arguments[0].scrollIntoView({block: 'center'})", element)
        time.sleep(0.5)
        return element

    def validate(self, timeout=180):
        """Click the notebook's Validate button and return the text of the dialog that opens."""
        self.js("return window.jupyterapp.shell.currentWidget.node.querySelector('.validate-button')").click()
        deadline = time.monotonic() + timeout
        while True:
            dialogs = self.browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-Dialog-body")
            if dialogs and dialogs[0].text.strip():
                time.sleep(0.5)
                return self.browser.find_element(By.CSS_SELECTOR, ".jp-Dialog").text
            if time.monotonic() > deadline:
                self.shot("validate-timeout")
                raise TimeoutError(f"Validate showed no dialog within {timeout} s")
            time.sleep(0.5)
