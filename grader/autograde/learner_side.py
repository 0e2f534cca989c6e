"""The learner's side of door 4: the program that runs inside the sandbox, one per notebook.

It runs the notebook's code cells in an IPython InteractiveShell (magics, last-expression display and
tracebacks as a kernel has them, without a kernel) and calls the learner's functions for the trusted
grader's checks through grader.calling.LocalCaller, with the same guards as in a notebook (time limit,
exceptions, results of the wrong type, inputs changed in place). It never sees a test cell, a reference
answer or the gradebook: the trusted process sends code to run and plain inputs, and gets back printed
text and plain results (grader.autograde.wire). Nothing it answers decides anything by itself.

The sandbox holds the standard library, numpy, matplotlib and IPython, this package, and copies of
grader.calling, grader.harness and grader.compare (plain-data code: no checks, no answers).

Requests, each a dict with "op", answered in order:
    run     {"source", "timeout"}                 -> {"outputs": [output, ...]}   one code cell
    caller  {"functions": {check's name: notebook's name}, "time_limit"}
                                                  -> {"caller": id} or {"missing": [notebook names]}
    call    {"caller", "name", "args", "kwargs", "returns", "adapter"}
                                                  -> {"result": value} or {"error": {...}}, and "warnings"
    forget  {}                                    -> {}   drops every caller and the caches it holds
An output is {"output_type": "stream", "name", "text"}, {"output_type": "execute_result" or
"display_data", "text"} or {"output_type": "error", "ename", "evalue", "traceback": [lines]}.
"""
import io
import json
import os
import shutil
import signal
import sys

__all__ = ["main"]

MAX_CELL_OUTPUT = 50_000  # characters a cell's outputs keep; the rest is counted, not kept


class CellTimeoutError(BaseException):
    """Raised in the learner's code when a cell runs past its time limit; a BaseException so that
    `except Exception` does not swallow it (nbclient's error of the same name, as the kernel shows it)."""


class CellOutputs:
    """The outputs of the cell being run, at most MAX_CELL_OUTPUT characters of text in all."""

    def __init__(self):
        self.items = []
        self.room = MAX_CELL_OUTPUT
        self.dropped = 0

    def text(self, text):
        kept = text[:max(self.room, 0)]
        self.dropped += len(text) - len(kept)
        self.room -= len(kept)
        return kept

    def stream(self, name, text):
        text = self.text(text)
        if not text:
            return
        last = self.items[-1] if self.items else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def add(self, output):
        self.items.append(output)

    def finish(self):
        if self.dropped:
            self.items.append({"output_type": "stream", "name": "stdout",
                               "text": f"\n[{self.dropped} more characters of output were not kept]\n"})
        return self.items


class CapturedStream(io.TextIOBase):
    """sys.stdout or sys.stderr while a cell runs: what is written goes to the cell's outputs."""

    def __init__(self, name, current):
        self.name = name
        self.current = current  # a one-item list holding the CellOutputs of the running cell

    def writable(self):
        return True

    def write(self, text):
        if self.current[0] is not None:
            self.current[0].stream(self.name, str(text))
        return len(text)


def make_shell(current):
    """An InteractiveShell whose results, displays and tracebacks become outputs of the running cell."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    def record(output):
        cell = current[0]
        if cell is not None:
            if "text" in output:
                output["text"] = cell.text(output["text"])
            cell.add(output)

    class RecordingDisplayHook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            record({"output_type": "execute_result", "text": str(format_dict.get("text/plain", ""))})

        def finish_displayhook(self):
            pass

    class RecordingDisplayPublisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
            record({"output_type": "display_data", "text": str(data.get("text/plain", ""))})

    class LearnerShell(InteractiveShell):
        displayhook_class = RecordingDisplayHook
        display_pub_class = RecordingDisplayPublisher

        def _showtraceback(self, etype, evalue, stb):
            record({"output_type": "error", "ename": getattr(etype, "__name__", str(etype)),
                    "evalue": str(evalue), "traceback": [str(line) for line in stb][-40:]})

    config = Config()
    config.HistoryManager.enabled = False  # no history database, no saving thread
    config.InteractiveShell.colors = "nocolor"
    return LearnerShell.instance(config=config)


def run_cell(shell, current, source, timeout):
    current[0] = CellOutputs()

    def interrupt(signum, frame):
        raise CellTimeoutError(f"A cell timed out while it was being executed, after {timeout:g} seconds.")

    signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, timeout, 0.1)  # again every 0.1 s, in case the first is caught
    try:
        shell.run_cell(source, store_history=False)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _close_figures()
    cell, current[0] = current[0], None
    return {"outputs": cell.finish(), "dropped": cell.dropped}


def defer_pyplot():
    """Make `import matplotlib.pyplot` load pyplot only when the code first uses it. Grading skips the cells
    that plot, so most notebooks import pyplot and never draw: its import was a third of what grading a
    correct lesson 02 cost. (The matplotlib package itself still loads at the import: Python reads its
    __path__ to find pyplot.)"""
    import importlib.abc
    import importlib.machinery
    import importlib.util

    class DeferredPyplot(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != "matplotlib.pyplot":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and spec.loader is not None:
                spec.loader = importlib.util.LazyLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, DeferredPyplot())


def _close_figures():
    """A kernel's inline backend closes every figure after its cell; so do we, to keep memory flat."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and type(pyplot) is type(sys):  # loaded: a deferred pyplot not yet used has no figures
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001 - the learner's code may have broken pyplot; that is its cell's problem
            pass


def open_caller(shell, callers, request):
    from grader.calling import LocalCaller

    namespace = shell.user_ns
    names = request["functions"]
    missing = [name for name in names.values() if name not in namespace]
    if missing:
        return {"missing": missing}
    caller = LocalCaller({label: namespace[name] for label, name in names.items()},
                         time_limit=request["time_limit"], namespace={})
    callers.append(caller)
    return {"caller": len(callers) - 1}


def call(callers, request):
    from grader.calling import LearnerError

    caller = callers[request["caller"]]
    try:
        result = caller.call(request["name"], *request["args"], returns=request["returns"],
                             adapter=request["adapter"], **request["kwargs"])
        reply = {"result": result}
    except LearnerError as err:
        reply = {"error": {"message": err.message, "kind": err.kind, "stop": err.stop}}
    reply["warnings"] = [str(text)[:500] for text in caller.warnings[:20]]
    return reply


def serve(channel, shell, current):
    from .wire import WireError

    callers = []
    while True:
        request = channel.receive()
        op = request["op"]
        if op == "run":
            reply = run_cell(shell, current, request["source"], request["timeout"])
        elif op == "caller":
            reply = open_caller(shell, callers, request)
        elif op == "call":
            reply = call(callers, request)
        elif op == "forget":
            callers.clear()
            reply = {}
        else:
            raise ValueError(f"unknown request {op!r}")
        try:
            channel.send(reply)
        except WireError as err:
            channel.send({"error": {"message": f"{request.get('name', 'your code')} returned a value the grader "
                                               f"cannot take: {err}", "kind": "return", "stop": False},
                          "warnings": reply.get("warnings", [])})


def drop_privileges(uid):
    """In the sandbox, run as its own unprivileged user (the limit on processes binds every user but
    root). uid None: no sandbox, the grader's own user (the teacher asked for unsafe grading)."""
    if uid is None:
        return
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if os.getuid() == 0:
        raise SystemExit("nncourse sandbox: refusing to run the learner's code as root")


def prepare_environment(config):
    """Matplotlib draws off-screen and finds its font list ready; the working directory is the scratch."""
    os.makedirs(config["cwd"], exist_ok=True)
    shutil.copytree(config["assignment"], config["cwd"], dirs_exist_ok=True)
    os.chdir(config["cwd"])
    cache = config.get("matplotlib_cache")
    if cache and os.path.isdir(cache):
        target = os.environ["MPLCONFIGDIR"]
        os.makedirs(target, exist_ok=True)
        for name in os.listdir(cache):
            shutil.copy(os.path.join(cache, name), target)


def main(config_text):
    config = json.loads(config_text)
    drop_privileges(config["uid"])
    from .wire import Channel

    channel = Channel(config["read_fd"], config["write_fd"])
    prepare_environment(config)
    defer_pyplot()
    current = [None]
    sys.stdout = CapturedStream("stdout", current)
    sys.stderr = CapturedStream("stderr", current)
    shell = make_shell(current)
    channel.send({"ready": True})
    serve(channel, shell, current)
