"""Start JupyterLab as `make lab` does for a learner (the course's Jupyter configuration), on a free port.

Used by tests/test_lab.py (the server side) and by the browser tests. Jupyter's state (runtime files,
settings, saved workspaces) goes to a temporary folder, so a test neither reads nor writes a person's.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
LEARNER_CONFIG = REPO_ROOT / "grader" / "lab"
TOKEN = "nncourse-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=10):
    """(status, body text) of a GET; raises OSError (urllib's HTTPError included) when it fails."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


class Lab:
    """A running server: `url(path)` adds the token, `log()` is what it printed so far."""

    def __init__(self, base, log_path):
        self.base, self.log_path = base, log_path

    def url(self, path):
        separator = "&" if "?" in path else "?"
        return f"{self.base}/{path.lstrip('/')}{separator}token={TOKEN}"

    def log(self):
        return self.log_path.read_text(errors="replace")

    def shutdown_kernels(self):
        _, body = get(self.url("api/kernels"))
        for kernel in json.loads(body):
            request = urllib.request.Request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()


@contextmanager
def learner_lab(root_dir, state_dir, config_dir=LEARNER_CONFIG, cwd=None, extra_args=()):
    """Serve `root_dir` with the learner's configuration (or `config_dir`); yields a Lab, stops it after."""
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root_dir}", *extra_args]
    if os.geteuid() == 0:
        command.append("--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(state_dir / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if config_dir is None:
        env.pop("JUPYTER_CONFIG_DIR", None)
    else:
        env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    log_path = state_dir / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    lab = Lab(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(lab.url("api/status"), timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start:\n{lab.log()[-3000:]}") from None
                time.sleep(0.3)
        yield lab
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
