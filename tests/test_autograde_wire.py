"""Door 4's exchange: only plain values cross, and the trusted side checks again whatever comes back."""
import io
import os
from pathlib import Path

import numpy as np
import pytest

from grader.autograde.caller import SandboxCaller
from grader.autograde.sandbox import Limits
from grader.autograde.wire import Channel, WireError, decode, encode
from grader.calling import Handle, LearnerError
from grader.harness import ScalarFunction, ValueProgram

pytestmark = pytest.mark.grader


def crossed(value):
    structure, arrays = encode(value)
    return decode(structure, arrays)


def test_every_kind_of_plain_value_crosses_unchanged():
    value = {"x": np.arange(6.0).reshape(2, 3), "labels": np.array([1, -1]), "mask": np.array([True]),
             "numbers": [1, 2.5, float("inf"), None, "text", True], "pair": (np.float64(3.0), 4),
             "cache": Handle(7, "affine_forward"),
             "f": ScalarFunction("quadratic", {"A": np.eye(2), "c": np.ones(2)}, (2,)),
             "program": ValueProgram({"x": 2.0}, (("y", "*", "x", 3.0), ("z", "tanh", "y", None)))}
    back = crossed(value)
    np.testing.assert_array_equal(back["x"], value["x"])
    assert back["labels"].dtype == np.int64 and back["mask"].dtype == bool
    assert back["numbers"] == value["numbers"] and back["pair"] == (3.0, 4) and type(back["pair"]) is tuple
    assert (back["cache"].key, back["cache"].producer) == (7, "affine_forward")
    assert back["f"].kind == "quadratic" and back["f"].shape == (2,)
    np.testing.assert_array_equal(back["f"].params["A"], np.eye(2))
    assert back["program"].steps == value["program"].steps


class Sneaky(np.ndarray):
    def __eq__(self, other):
        return True


def test_an_array_subclass_arrives_as_a_plain_array():
    back = crossed(np.zeros(3).view(Sneaky))
    assert type(back) is np.ndarray and not (back == np.ones(3)).any()


@pytest.mark.parametrize("value", [np.array([object()], dtype=object), {1: np.zeros(2)}, {"a"}, lambda: 0,
                                   np.array(["text"])])
def test_what_could_carry_code_or_is_not_plain_is_refused(value):
    with pytest.raises(WireError):
        encode(value)


def test_a_pickled_array_or_an_unknown_tag_in_a_message_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(WireError, match="not valid .npy"):
        decode({"$": "array", "index": 0}, [buffer.getvalue()])
    with pytest.raises(WireError, match="unknown value tag"):
        decode({"$": "pickle", "data": "..."}, [])
    with pytest.raises(WireError, match="does not hold"):
        decode({"$": "array", "index": 3}, [])


def test_a_message_larger_than_allowed_is_refused_before_it_is_read():
    read_fd, write_fd = os.pipe()
    try:
        Channel(read_fd, write_fd).send({"big": np.zeros(1000)})  # 8 kB: fits in the pipe
        with pytest.raises(WireError, match="larger than"):
            Channel(read_fd, write_fd, max_bytes=1000).receive()
    finally:
        os.close(read_fd)
        os.close(write_fd)


class ScriptedProcess:
    """Stands for the learner's process: answers each request with the next scripted reply."""

    limits = Limits()

    def __init__(self, *replies):
        self.replies = list(replies)
        self.incidents = []

    def request(self, message, seconds, doing):
        return self.replies.pop(0)


@pytest.mark.parametrize("reply, returns", [
    ({"result": "not an array"}, "out:array"),
    ({"result": [np.zeros(2), np.zeros(2)]}, ("out:array", "cache:cache")),
    ({"result": (np.zeros(2),)}, ("out:array", "cache:cache")),
    ({"result": {"W1": "text"}}, "grads:dict"),
    ({"result": np.zeros(1)}, "loss:scalar"),
    ("not even a dict", "out:array"),
])
def test_a_malformed_answer_fails_the_part_and_earns_nothing(reply, returns):
    caller = SandboxCaller(ScriptedProcess(reply), {"f": "f"}, 5, 0)
    with pytest.raises(LearnerError) as raised:
        caller.call("f", np.ones(2), returns=returns)
    assert raised.value.kind == "return"


def test_an_error_the_process_reports_is_taken_as_a_failure_of_a_known_kind():
    caller = SandboxCaller(ScriptedProcess({"error": {"message": "x" * 10_000, "kind": "passed", "stop": "yes"},
                                            "warnings": ["w"] * 100}), {"f": "f"}, 5, 0)
    with pytest.raises(LearnerError) as raised:
        caller.call("f", np.ones(2), returns="out:array")
    assert raised.value.kind == "exception" and raised.value.stop is False and len(raised.value.message) <= 2000
    assert caller.warnings == ["w"]


def test_what_the_sandbox_binds_under_tmp_lands_on_its_private_tmp_not_under_it(monkeypatch, tmp_path):
    # A course's venv may live under /tmp (a CI clone does): binding it before the private /tmp is
    # mounted would hide it, and the sandbox could not import numpy.
    from grader.autograde import sandbox

    under_tmp = Path("/tmp") / "some-clone" / ".venv" / "site-packages" / "numpy"
    monkeypatch.setattr(sandbox, "_site_entries", lambda: [under_tmp])
    files = type("Files", (), {"root": tmp_path})()
    arguments = sandbox._bwrap_arguments("bwrap", files, Limits())
    private_tmp = next(i for i in range(len(arguments)) if arguments[i:i + 2] == ["--tmpfs", "/tmp"])
    bound = next(i for i in range(len(arguments)) if arguments[i:i + 3] == ["--ro-bind", str(under_tmp), str(under_tmp)])
    assert private_tmp < bound
