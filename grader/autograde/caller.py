"""The trusted side of the Caller seam (grader.calling): the learner's functions live in a sandboxed
process, and every call is a request to it.

A check runs here, in the trusted process, exactly as in a notebook: it draws its inputs, computes the
expected values with reference_impl and decides. Only the call itself crosses: the inputs go out as
plain values (grader.autograde.wire), and what comes back is checked again here, whatever the learner's
process did to its own copy of the grader: its shape as the check's `returns` says (arrays of plain
numbers, a number, a dict of arrays, a cache handle), its size, and the error kinds it may report. An
error the process reports can only fail a part, never pass one.
"""
import numpy as np

from ..calling import Caller, Handle, LearnerError
from .sandbox import ProcessEnded

__all__ = ["SandboxCaller", "open_caller"]

ERROR_KINDS = {"type", "mutation", "timeout", "unwritten", "exception", "return"}
MAX_MESSAGE = 2000


def open_caller(process, functions, time_limit):
    """(SandboxCaller, []) for functions {check's name: the notebook's name}, or (None, missing names)
    when the notebook does not define them all. Raises ProcessEnded when the process is gone."""
    reply = process.request({"op": "caller", "functions": dict(functions), "time_limit": float(time_limit)},
                            process.limits.grace_seconds, "looking up " + ", ".join(functions.values()))
    if isinstance(reply, dict) and type(reply.get("caller")) is int:
        return SandboxCaller(process, functions, time_limit, reply["caller"]), []
    names = list(functions.values())
    reported = reply.get("missing") if isinstance(reply, dict) else None
    # Whatever else the process answers counts as nothing defined.
    missing = [name for name in names if isinstance(reported, list) and name in reported]
    return None, missing or names

class SandboxCaller(Caller):
    """A Caller for the learner's functions in `process` (a grader.autograde.sandbox.LearnerProcess)."""

    def __init__(self, process, functions, time_limit, caller_id):
        self.process = process
        self.functions = dict(functions)
        self.time_limit = time_limit
        self.warnings = []
        self._id = caller_id

    def subcaller(self, names):
        try:
            caller, missing = open_caller(self.process, {name: name for name in names}, self.time_limit)
        except ProcessEnded:
            return None
        return None if missing else caller

    def call(self, name, *args, returns, adapter=None, **kwargs):
        message = {"op": "call", "caller": self._id, "name": name, "args": list(args), "kwargs": kwargs,
                   "returns": returns if isinstance(returns, str) else list(returns), "adapter": adapter}
        try:
            reply = self.process.request(message, self.time_limit + self.process.limits.grace_seconds,
                                         f"calling {name}")
        except ProcessEnded as ended:
            raise LearnerError(f"{name} could not finish: {ended.reason}", "crash", stop=True) from None
        if not isinstance(reply, dict):
            raise LearnerError(f"{name}: the answer from the notebook's process was malformed", "return")
        self._take_warnings(reply.get("warnings"))
        if "error" in reply:
            error = _reported_error(name, reply["error"])
            # The reasons a teacher reads are worded here: nothing the learner's process wrote goes in.
            if error.kind == "timeout":
                self.process.incidents.append(f"{name} did not finish within {self.time_limit:g} s")
            elif "raised MemoryError" in error.message:
                self.process.incidents.append(f"{name} ran out of memory")
            raise error
        return _checked(name, reply.get("result"), returns)

    def _take_warnings(self, warnings):
        if isinstance(warnings, list):
            for text in warnings[:20]:
                if isinstance(text, str) and text[:500] not in self.warnings:
                    self.warnings.append(text[:500])


def _reported_error(name, error):
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        return LearnerError(f"{name} failed, and the notebook's process did not say how", "exception")
    kind = error.get("kind") if error.get("kind") in ERROR_KINDS else "exception"
    return LearnerError(error["message"][:MAX_MESSAGE], kind, stop=error.get("stop") is True)


def _checked(name, value, returns):
    if isinstance(returns, str):
        return _checked_one(name, value, returns)
    if type(value) is not tuple or len(value) != len(returns):
        raise LearnerError(f"{name}: the answer from the notebook's process does not hold the "
                           f"{len(returns)} values the check asked for", "return")
    return tuple(_checked_one(name, item, spec) for item, spec in zip(value, returns))


_FORMS = {
    "array": ("a NumPy array", lambda v: type(v) is np.ndarray),
    "scalar": ("a number", lambda v: type(v) in (int, float)),
    "dict": ("a dict of NumPy arrays", lambda v: type(v) is dict and all(type(a) is np.ndarray for a in v.values())),
    "cache": ("a cache", lambda v: isinstance(v, Handle)),
    "raw": ("a value", lambda v: True),
}


def _checked_one(name, value, spec):
    label, kind = spec.split(":")
    form, fits = _FORMS[kind]
    if not fits(value):
        raise LearnerError(f"{name}: {label} did not arrive from the notebook's process as {form}", "return")
    return float(value) if kind == "scalar" else value
