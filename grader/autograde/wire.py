"""What crosses between the trusted grader and the learner's sandboxed process: plain values only.

A message is one JSON document plus the arrays it refers to, each as .npy bytes written and read with
allow_pickle=False, so nothing that crosses can carry code. On the wire: the JSON's length (4 bytes),
the JSON, the number of arrays (4 bytes), then each array's length (8 bytes) and bytes; big-endian.

Inside the JSON, values are JSON's own (None, bool, int, float with NaN and infinities, str, list) or
one of these tagged objects:
    {"$": "array", "index": i}                 the i-th array of the message
    {"$": "tuple", "items": [...]}
    {"$": "dict", "items": [[key, value], ...]}   string keys only
    {"$": "handle", "key": k, "producer": name}   a cache that stays on the learner's side
    {"$": "scalar_function", "kind", "params", "shape"}   grader.harness.ScalarFunction
    {"$": "value_program", "leaves", "steps"}            grader.harness.ValueProgram

Both sides run this module: the sandbox gets a copy, next to copies of grader.calling and
grader.harness (whose Handle, ScalarFunction and ValueProgram it rebuilds).
"""
import io
import json
import os
import select
import struct
import time

import numpy as np

from grader.calling import Handle
from grader.harness import ScalarFunction, ValueProgram

__all__ = ["WireError", "ChannelClosed", "ChannelTimeout", "Channel", "encode", "decode", "ARRAY_KINDS"]

ARRAY_KINDS = "biuf"  # bool, signed and unsigned integers, floats: what an exercise may answer with
MAX_DEPTH = 32


class WireError(ValueError):
    """A value that cannot be sent, or a message that is not one this module writes."""


class ChannelClosed(EOFError):
    """The other side closed its end (the learner's process ended)."""


class ChannelTimeout(TimeoutError):
    """The other side did not answer before the deadline."""


def encode(value):
    """(JSON-ready structure, [npy bytes]) for a plain value; WireError for anything else."""
    arrays = []
    return _encode(value, arrays, 0), arrays


def _encode(value, arrays, depth):
    if depth > MAX_DEPTH:
        raise WireError(f"values nested more than {MAX_DEPTH} deep cannot be sent")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in ARRAY_KINDS:
            raise WireError(f"an array of dtype {array.dtype} cannot be sent; only arrays of numbers or booleans")
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        arrays.append(buffer.getvalue())
        return {"$": "array", "index": len(arrays) - 1}
    if type(value) is list:
        return [_encode(item, arrays, depth + 1) for item in value]
    if type(value) is tuple:
        return {"$": "tuple", "items": [_encode(item, arrays, depth + 1) for item in value]}
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise WireError("a dict whose keys are not all strings cannot be sent")
        return {"$": "dict", "items": [[key, _encode(item, arrays, depth + 1)] for key, item in value.items()]}
    if isinstance(value, Handle):
        return {"$": "handle", "key": int(value.key), "producer": str(value.producer)}
    if isinstance(value, ScalarFunction):
        return {"$": "scalar_function", "kind": value.kind, "params": _encode(dict(value.params), arrays, depth + 1),
                "shape": list(value.shape)}
    if isinstance(value, ValueProgram):
        return {"$": "value_program", "leaves": _encode(dict(value.leaves), arrays, depth + 1),
                "steps": _encode(tuple(tuple(step) for step in value.steps), arrays, depth + 1)}
    raise WireError(f"a {type(value).__module__}.{type(value).__qualname__} cannot be sent; only numbers, "
                    "strings, lists, tuples, dicts with string keys and NumPy arrays of numbers")


def decode(structure, arrays, max_items=1_000_000):
    """The value `encode` was given. Checks everything: WireError for whatever this module would not
    have written (an unknown tag, an array that is not plain numbers, too many items)."""
    budget = [max_items]
    return _decode(structure, arrays, 0, budget)


def _decode(node, arrays, depth, budget):
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise WireError("the message holds more values, or nests them deeper, than allowed")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is list:
        return [_decode(item, arrays, depth + 1, budget) for item in node]
    if type(node) is not dict:
        raise WireError(f"unexpected {type(node).__name__} in a message")
    tag = node.get("$")
    if tag == "array":
        return _load_array(arrays, node.get("index"))
    if tag == "tuple":
        return tuple(_decode(item, arrays, depth + 1, budget) for item in _list(node, "items"))
    if tag == "dict":
        result = {}
        for pair in _list(node, "items"):
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("a dict entry must be a [string key, value] pair")
            result[pair[0]] = _decode(pair[1], arrays, depth + 1, budget)
        return result
    if tag == "handle":
        key, producer = node.get("key"), node.get("producer")
        if type(key) is not int or type(producer) is not str:
            raise WireError("a handle needs an integer key and a producer name")
        return Handle(key, producer)
    if tag == "scalar_function":
        params = _decode(node.get("params"), arrays, depth + 1, budget)
        shape = _list(node, "shape")
        if type(node.get("kind")) is not str or type(params) is not dict or not all(type(n) is int for n in shape):
            raise WireError("a malformed test function")
        return ScalarFunction(node["kind"], params, tuple(shape))
    if tag == "value_program":
        leaves = _decode(node.get("leaves"), arrays, depth + 1, budget)
        steps = _decode(node.get("steps"), arrays, depth + 1, budget)
        if type(leaves) is not dict or type(steps) is not tuple:
            raise WireError("a malformed Value program")
        return ValueProgram(leaves, steps)
    raise WireError(f"unknown value tag {tag!r} in a message")


def _list(node, key):
    items = node.get(key)
    if type(items) is not list:
        raise WireError(f"{key!r} must be a list")
    return items


def _load_array(arrays, index):
    if type(index) is not int or not 0 <= index < len(arrays):
        raise WireError("a message refers to an array it does not hold")
    try:
        array = np.load(io.BytesIO(arrays[index]), allow_pickle=False)
    except Exception as err:  # noqa: BLE001 - numpy raises several kinds for malformed .npy bytes
        raise WireError(f"an array in the message is not valid .npy data ({type(err).__name__})") from None
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS:
        raise WireError("an array in the message is not an array of plain numbers")
    return array


class Channel:
    """Messages over a pair of pipes. With a deadline (time.monotonic() seconds) every read and write
    gives up at that time (ChannelTimeout); max_bytes caps what one received message may hold."""

    def __init__(self, read_fd, write_fd, max_bytes=None):
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.max_bytes = max_bytes

    def send(self, value, deadline=None):
        structure, arrays = encode(value)
        text = json.dumps(structure).encode()
        parts = [struct.pack(">I", len(text)), text, struct.pack(">I", len(arrays))]
        for blob in arrays:
            parts += [struct.pack(">Q", len(blob)), blob]
        self._write(b"".join(parts), deadline)

    def receive(self, deadline=None):
        remaining = [self.max_bytes]
        (length,) = struct.unpack(">I", self._read(4, deadline, remaining))
        text = self._read(length, deadline, remaining)
        (count,) = struct.unpack(">I", self._read(4, deadline, remaining))
        arrays = []
        for _ in range(count):
            (size,) = struct.unpack(">Q", self._read(8, deadline, remaining))
            arrays.append(self._read(size, deadline, remaining))
        try:
            structure = json.loads(text)
        except (ValueError, RecursionError):
            raise WireError("a message is not valid JSON") from None
        return decode(structure, arrays)

    def _read(self, size, deadline, remaining):
        if remaining[0] is not None:
            remaining[0] -= size
            if remaining[0] < 0:
                raise WireError(f"a message is larger than the {self.max_bytes} bytes allowed")
        chunks, got = [], 0
        while got < size:
            _wait(self.read_fd, "read", deadline)
            try:
                chunk = os.read(self.read_fd, min(size - got, 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise ChannelClosed("the other side closed the channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            _wait(self.write_fd, "write", deadline)
            try:
                written = os.write(self.write_fd, view[:1 << 16])
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise ChannelClosed("the other side closed the channel") from None
            view = view[written:]


def _wait(fd, direction, deadline):
    if deadline is None:
        return
    timeout = deadline - time.monotonic()
    if timeout <= 0:
        raise ChannelTimeout("no answer before the deadline")
    readable, writable, _ = select.select([fd] if direction == "read" else [],
                                          [fd] if direction == "write" else [], [], timeout)
    if not readable and not writable:
        raise ChannelTimeout("no answer before the deadline")
