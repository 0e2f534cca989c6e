"""`make lab` serves JupyterLab with the nbgrader extension: start it headless, ask, stop it."""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.fixture
def lab(tmp_path):
    port, token = free_port(), "nncourse-test"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--ServerApp.token={token}", f"--ServerApp.root_dir={ROOT / 'lessons'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_lab_answers_with_the_nbgrader_extension_enabled(lab):
    base, token = lab
    status, page = get(f"{base}/lab?token={token}")
    assert status == 200 and "jupyter-config-data" in page

    status, body = get(f"{base}/lab/api/extensions?token={token}")
    extensions = {e["name"]: e for e in json.loads(body)}
    nbgrader = extensions.get("jupyter-nbgrader") or extensions.get("@jupyter/nbgrader")
    assert nbgrader is not None, f"nbgrader lab extension missing; found {sorted(extensions)}"
    assert nbgrader["enabled"] and nbgrader["status"] == "ok"
