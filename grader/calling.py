"""The call step: running the learner's functions, plain values in and plain values out.

A check never calls the learner's code directly; it asks a Caller:

    out, cache = caller.call("affine_forward", x, W, b, returns=("out:array", "cache:cache"))
    dx, dW, db = caller.call("affine_backward", dout, cache, returns=("dx:array", "dW:array", "db:array"))

Arguments are NumPy arrays, numbers, dicts of arrays, Handles and harness descriptions
(ScalarFunction); results come back converted and validated as the `returns` spec says. A "cache"
result stays with the learner: the check only gets a Handle, which it passes back to the backward.
That is the seam for batch grading: a Caller in another (sandboxed) process can hold the caches and
exchange .npy files, and no check changes.

LocalCaller, the in-process Caller, guards every call. Each of these becomes a LearnerError (a failed
result, never an exception out of the grader):
- an exception: its type, message and the learner's line;
- a call running past the time limit (DEFAULT_TIME_LIMIT seconds, or NNCOURSE_CALL_TIME_LIMIT from the
  environment). In the main thread a SIGALRM timer interrupts the learner's code; elsewhere the call runs
  in a daemon thread that is abandoned when it overruns (it cannot be stopped, only left behind);
- a result of the wrong type or arity (None, a bare array where a pair was due, 2 arrays instead of 3);
- an input array changed in place (the learner works on copies; the originals are compared after);
- printing and warnings are captured, so nothing the learner's code writes reaches stderr; the
  warnings' texts are kept in `warnings` for the diagnostics.
"""
import contextlib
import inspect
import io
import linecache
import os
import signal
import sysconfig
import threading
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from . import harness
from .compare import format_index

__all__ = ["LearnerError", "Handle", "Caller", "LocalCaller", "DEFAULT_TIME_LIMIT", "time_limit_from_env"]

DEFAULT_TIME_LIMIT = 5.0


def time_limit_from_env():
    value = os.environ.get("NNCOURSE_CALL_TIME_LIMIT")
    return float(value) if value else DEFAULT_TIME_LIMIT


class LearnerError(Exception):
    """The learner's code failed in a way that decides a result. `stop` ends the whole check
    (after a time-out another call would only cost the same time again)."""

    def __init__(self, message, kind, stop=False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.stop = stop


class Handle:
    """Stands for an object that stays on the learner's side (a forward's cache)."""

    def __init__(self, key, producer):
        self.key = key
        self.producer = producer

    def __repr__(self):
        return f"<cache from {self.producer}>"


class CallTimedOut(BaseException):
    """Raised inside the learner's code by the watchdog; a BaseException so `except Exception` in
    the learner's code does not swallow it."""


class Caller:
    """What a check may ask of the learner's side. See the module docstring."""

    warnings: list

    def call(self, name, *args, returns, adapter=None, **kwargs):
        raise NotImplementedError

    def subcaller(self, names):
        """A Caller for the learner's functions `names` (another exercise's), or None when the learner's
        side has not all of them: how a failing check runs the checks of the building blocks it uses."""
        return None


class LocalCaller(Caller):
    """functions: {name: the learner's function} for the check; namespace: the learner's other names
    (a notebook's globals), searched by `subcaller`."""

    def __init__(self, functions, time_limit=None, namespace=None):
        self.functions = dict(functions)
        self.namespace = namespace or {}
        self.time_limit = time_limit_from_env() if time_limit is None else time_limit
        self.warnings = []
        self.printed = ""
        self._objects = {}

    def subcaller(self, names):
        found = {name: self.functions.get(name, self.namespace.get(name)) for name in names}
        if not all(callable(function) for function in found.values()):
            return None
        return LocalCaller(found, time_limit=self.time_limit, namespace=self.namespace)

    def call(self, name, *args, returns, adapter=None, **kwargs):
        function = self.functions[name]
        if not callable(function):
            raise LearnerError(f"{name} is a {type(function).__name__}, not a function", "type")
        given = [self._prepare(a) for a in args]
        given_kw = {k: self._prepare(v) for k, v in kwargs.items()}
        originals = [(label, value, _snapshot(value)) for label, value in
                     zip(_argument_names(function, len(args), kwargs, adapter), given + list(given_kw.values()))]
        target = (lambda *a, **k: harness.ADAPTERS[adapter](function, *a, **k)) if adapter else function
        result = self._guarded(name, target, given, given_kw)
        for label, value, snapshot in originals:
            changed = _changed(value, snapshot)
            if changed:
                raise LearnerError(
                    f"{name} changed its input {label} in place ({changed}): the caller's arrays must stay "
                    f"as they were, so compute new ones (w = w + ..., not w += ...; x.copy() before editing)",
                    "mutation",
                )
        return self._convert(name, result, returns)

    # -- preparing arguments ---------------------------------------------------------------
    def _prepare(self, value):
        if isinstance(value, np.ndarray):
            return value.copy()
        if isinstance(value, dict):
            return {k: self._prepare(v) for k, v in value.items()}
        if isinstance(value, Handle):
            return self._objects[value.key]
        if isinstance(value, harness.ScalarFunction):
            return harness.make_scalar_function(value)
        return value

    # -- running ---------------------------------------------------------------------------
    def _guarded(self, name, function, args, kwargs):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return _run_limited(function, args, kwargs, self.time_limit)
            except CallTimedOut:
                raise LearnerError(
                    f"{name} did not finish within {self.time_limit:g} s (an endless loop, or a loop over far "
                    "more steps than needed?); the check stopped there", "timeout", stop=True) from None
            except (KeyboardInterrupt, LearnerError):
                raise
            except BaseException as err:  # noqa: BLE001 - anything the learner's code raises is a result
                kind = "unwritten" if isinstance(err, NotImplementedError) else "exception"
                raise LearnerError(_describe_exception(name, err), kind) from None
            finally:
                self.printed += out.getvalue()
                for w in caught:
                    text = f"{w.category.__name__}: {w.message}"
                    if text not in self.warnings:
                        self.warnings.append(text)

    # -- converting results ----------------------------------------------------------------
    def _convert(self, name, result, returns):
        if isinstance(returns, str):
            return self._convert_one(name, result, returns)
        labels = "(" + ", ".join(spec.split(":")[0] for spec in returns) + ")"
        if result is None:
            raise LearnerError(f"{name} returned None; it must return {labels}: is a return statement missing?",
                               "return")
        if not isinstance(result, (tuple, list)) or isinstance(result, np.ndarray):
            raise LearnerError(f"{name} returned a single {_type_name(result)}; it must return {len(returns)} "
                               f"values {labels}", "return")
        if len(result) != len(returns):
            raise LearnerError(f"{name} returned {len(result)} values; it must return {len(returns)}: {labels}",
                               "return")
        return tuple(self._convert_one(name, value, spec) for value, spec in zip(result, returns))

    def _convert_one(self, name, value, spec):
        label, kind = spec.split(":")
        if kind == "cache":
            key = len(self._objects)
            self._objects[key] = value
            return Handle(key, name)
        if kind == "raw":
            return value
        if value is None:
            raise LearnerError(f"{name} returned None for {label}: is a return statement missing?", "return")
        if kind == "array":
            if isinstance(value, tuple) and any(isinstance(v, np.ndarray) for v in value):
                raise LearnerError(f"{name} returned a tuple of {len(value)} values; it must return {label} alone",
                                   "return")
            return _plain_array(name, label, value)
        if kind == "scalar":
            array = _plain_array(name, label, value)
            if array.size != 1:
                raise LearnerError(f"{name} returned {label} with shape {array.shape}; it must be a single number",
                                   "return")
            return float(array.reshape(()))
        if kind == "dict":
            if not isinstance(value, dict):
                raise LearnerError(f"{name} returned {label} as a {_type_name(value)}; it must be a dict of arrays",
                                   "return")
            return {k: _plain_array(name, f"{label}[{k!r}]", v) for k, v in value.items()}
        raise ValueError(f"unknown result kind {kind!r}")


def _type_name(value):
    if isinstance(value, np.ndarray):
        return f"NumPy array of shape {value.shape}"
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__.split('.')[0]}.{kind.__name__}"


def _plain_array(name, label, value):
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        return np.asarray(value)
    if isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value)
        except ValueError:
            array = None
        if array is not None and array.dtype.kind in "biuf":
            return array
    raise LearnerError(f"{name} returned {label} as a {_type_name(value)}; it must be a NumPy array", "return")


# -- mutation ---------------------------------------------------------------------------------------
def _snapshot(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: (v, _snapshot(v)) for k, v in value.items()}
    return None


def _changed(value, snapshot):
    """A description of how `value` differs from `snapshot`, or "" when it is unchanged."""
    if isinstance(value, np.ndarray):
        if value.shape != snapshot.shape:
            return f"its shape went from {snapshot.shape} to {value.shape}"
        same = value == snapshot
        if value.dtype.kind in "fc":
            same |= np.isnan(value) & np.isnan(snapshot)
        differs = ~same
        if differs.any():
            where = tuple(np.argwhere(differs)[0]) if value.ndim else ()
            return f"element {format_index(where)} was {snapshot[where]:.6g}, now {value[where]:.6g}"
        return ""
    if isinstance(value, dict):
        if set(value) != set(snapshot):
            return f"its keys went from {sorted(snapshot)} to {sorted(value)}"
        for key, (original, inner) in snapshot.items():
            if value[key] is not original:
                return f"[{key!r}] now holds a different array; build and return a new dict instead"
            changed = _changed(original, inner)
            if changed:
                return f"[{key!r}] {changed}"
    return ""


def _argument_names(function, count, kwargs, adapter):
    names = []
    try:
        parameters = [p.name for p in inspect.signature(function).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        parameters = []
    if adapter:
        parameters = []
    for i in range(count):
        names.append(parameters[i] if i < len(parameters) else f"argument {i + 1}")
    return names + list(kwargs)


# -- the watchdog -----------------------------------------------------------------------------------
def _run_limited(function, args, kwargs, seconds):
    if seconds is None or seconds <= 0:
        return function(*args, **kwargs)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        return _run_with_alarm(function, args, kwargs, seconds)
    return _run_in_thread(function, args, kwargs, seconds)


def _run_with_alarm(function, args, kwargs, seconds):
    def interrupt(signum, frame):
        raise CallTimedOut

    previous_handler = signal.signal(signal.SIGALRM, interrupt)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    started = time.monotonic()
    # Fire again every 0.1 s after the limit, in case the learner's code catches the first one.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.1)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            remaining = max(previous_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


def _run_in_thread(function, args, kwargs, seconds):
    outcome = {}

    def target():
        try:
            outcome["value"] = function(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = err

    worker = threading.Thread(target=target, daemon=True, name="nncourse-learner-call")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CallTimedOut
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


# -- describing an exception ------------------------------------------------------------------------
_GRADER_DIR = str(Path(__file__).resolve().parent)
_LIBRARY_DIRS = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")})


def _is_learner_file(filename):
    path = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    if path.startswith(_GRADER_DIR):
        return False
    return not any(path.startswith(str(Path(d).resolve())) for d in _LIBRARY_DIRS)


def _describe_exception(name, err):
    text = f"{name} raised {type(err).__name__}"
    if str(err):
        text += f": {err}"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_learner_file(f.filename)]
    if frames:
        frame = frames[-1]
        line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
        where = f"in {frame.name}, line {frame.lineno}"
        text += f" ({where}: {line})" if line else f" ({where})"
    if isinstance(err, NotImplementedError):
        text += "; write the function's body first"
    return text
