"""Probe protocol, worker side: answer the graders' requests with plain JSON data.

Runs inside the student's process, so nothing here decides a grade. Every value leaves as a
description built from exact types (`float`, `list`, `torch.Tensor`), with the functions
captured at import time, before any student code can replace them; the graders check the
descriptions again on their side.
"""

import linecache
import traceback

import numpy
import torch

from .lab import SUPPLIED_FOR_TRAINING

_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_tensor = torch.tensor
_float32 = torch.float32
_float64 = torch.float64
_detach = torch.Tensor.detach
_to = torch.Tensor.to
_tolist = torch.Tensor.tolist
_numel = torch.Tensor.numel
_fill = torch.Tensor.fill_
_copy = torch.Tensor.copy_
_zero = torch.Tensor.zero_
_backward = torch.Tensor.backward
_sum = torch.Tensor.sum
_isinstance = isinstance
_type = type
_len = len
_str = str
_ndarray = numpy.ndarray
_ndarray_tolist = numpy.ndarray.tolist
_NUMPY_SCALARS = (numpy.float16, numpy.float32, numpy.float64, numpy.int8, numpy.int16,
                  numpy.int32, numpy.int64, numpy.uint8)
_NUMERIC_KINDS = "fiu"

MAX_ITEMS = 2000
"""Longest list or tensor described item by item; a LOSS list per batch has 600 entries."""

CELL_FILENAME = "<cell {label}>"

REFERENCE_FORWARD = SUPPLIED_FOR_TRAINING
"""The correct forward (and whatever else the lab needs) the graders supply when they test a
training loop: see lab.py."""


def describe(value, nested: bool = False) -> dict:
    """Plain-JSON description of a value: its exact type and, for known types, its contents."""
    kind = _type(value)
    if kind is float or kind is int or kind is bool:
        return {"type": kind.__name__, "value": value}
    if kind is _Tensor or kind is _Parameter:
        data = _detach(value)
        description = {"type": "Tensor", "shape": list(data.shape), "dtype": _str(data.dtype),
                       "requires_grad": bool(value.requires_grad)}
        if _numel(data) <= MAX_ITEMS:
            description["value"] = _tolist(_to(data, _float64))
        return description
    if kind is _ndarray and value.dtype.kind in _NUMERIC_KINDS:
        # A NumPy value (from .numpy()) is readable: its type is a mistake of its own, not a
        # reason to lose the numbers it holds.
        description = {"type": "ndarray", "shape": list(value.shape), "dtype": _str(value.dtype)}
        if value.size <= MAX_ITEMS:
            description["value"] = _ndarray_tolist(value.astype(numpy.float64))
        return description
    if kind in _NUMPY_SCALARS:
        return {"type": kind.__name__, "value": float(value)}
    if kind is list and not nested:
        return {"type": "list", "length": _len(value),
                "items": [describe(item, nested=True) for item in value[:MAX_ITEMS]]}
    return {"type": _type_name(kind)}


def _type_name(kind) -> str:
    try:
        return _str(kind.__name__)[:80]
    except Exception:
        return "object"


def register_cell_source(label: str, source: str) -> str:
    """File name for a cell, with its text registered so tracebacks can quote the line."""
    filename = CELL_FILENAME.format(label=label)
    linecache.cache[filename] = (_len(source), None, source.splitlines(True), filename)
    return filename


def summarize_error(error: BaseException, student_cells: set[str]) -> dict:
    """Exception type, message, and the deepest line of the student's own cells it passed."""
    try:
        message = _str(error)[:300]
    except Exception:
        message = ""
    frames = traceback.extract_tb(error.__traceback__)
    in_cells = [frame for frame in frames if frame.filename.startswith("<cell ")]
    own = [frame for frame in in_cells if frame.filename in student_cells] or in_cells
    summary = {"type": _type_name(_type(error)), "message": message}
    if _isinstance(error, SyntaxError) and _str(error.filename).startswith("<cell "):
        # Raised while compiling the cell, so no frame of it is in the traceback.
        summary.update(message=_str(error.msg)[:300], cell=error.filename[len("<cell "):-1],
                       line=error.lineno, code=(error.text or "")[:200])
    elif own:
        frame = own[-1]
        summary.update(cell=frame.filename[len("<cell "):-1], line=frame.lineno,
                       code=(frame.line or "")[:200])
    return summary


class ProbeError(Exception):
    """The notebook's state does not allow the probe (e.g. `w` is not a tensor)."""


def _global(namespace: dict, name: str):
    if name not in namespace:
        raise ProbeError(f"`{name}` is not defined")
    return namespace[name]


def _lookup(namespace: dict, dotted: str):
    name, *attributes = dotted.split(".")
    value = _global(namespace, name)
    for attribute in attributes:
        value = getattr(value, attribute)
    return value


def _parameter(namespace: dict, name: str):
    value = _global(namespace, name)
    if not _isinstance(value, _Tensor):
        raise ProbeError(f"`{name}` is a {_type_name(_type(value))}, not a tensor")
    return value


def _reset_parameter(namespace: dict, name: str, start: float) -> None:
    """Set a parameter in place, so optimizers and closures holding it see the new value."""
    parameter = _parameter(namespace, name)
    _fill(parameter.data, start)
    if parameter.grad is not None:
        _zero(parameter.grad)


def _replace_data(namespace: dict, x: list, y: list) -> None:
    """Copy other data into X and Y in place; the notebook's Dataset holds these same tensors."""
    for name, values in (("X", x), ("Y", y)):
        _copy(_parameter(namespace, name), _tensor(values, dtype=_float32))


def _set_forward_parameter(namespace: dict, name: str, value: float) -> None:
    """Set a scalar parameter in place where one exists (a forward may hold it), else make it:
    at the forward cell the notebook has no w or b yet, its self-check cell creates them."""
    current = namespace.get(name)
    if (_type(current) is _Tensor and current.is_leaf and current.requires_grad
            and current.dim() == 0):
        _reset_parameter(namespace, name, value)
    else:
        namespace[name] = _tensor(value, requires_grad=True)


def probe_forward(namespace: dict, request: dict) -> dict:
    """Call forward(x) with other w, b; return the output, the gradients it sends back, the
    input as the call left it, and how forward had to be called. A forward that only runs as
    forward(x, w, b) is called so once more: its values can still be judged."""
    _set_forward_parameter(namespace, "w", request["w"])
    _set_forward_parameter(namespace, "b", request["b"])
    forward = _global(namespace, "forward")
    x = _tensor(request["x"], dtype=_float32)
    call = "forward(x)"
    try:
        output = forward(x)
    except TypeError:
        call = "forward(x, w, b)"
        try:
            output = forward(x, namespace["w"], namespace["b"])
        except Exception:
            call = "forward(x)"
            output = forward(_tensor(request["x"], dtype=_float32))
    response = {"output": describe(output), "input_after": describe(x), "call": call}
    if _type(output) is _Tensor and output.requires_grad:
        _backward(_sum(output))
    response["grad_w"] = describe(namespace["w"].grad)
    response["grad_b"] = describe(namespace["b"].grad)
    return response


def probe_train(namespace: dict, request: dict) -> dict:
    """Reset parameters and the LOSS list in place, optionally swap the data, train, read back."""
    _reset_parameter(namespace, "w", request["w0"])
    _reset_parameter(namespace, "b", request["b0"])
    losses = _global(namespace, request["losses"])
    if _type(losses) is not list:
        raise ProbeError(f"`{request['losses']}` is a {_type_name(_type(losses))}, not a list")
    losses.clear()
    if request.get("x") is not None:
        _replace_data(namespace, request["x"], request["y"])
    _global(namespace, request["function"])(request["epochs"])
    return probe_state(namespace, {"names": [request["losses"], "w", "b"]})


def probe_state(namespace: dict, request: dict) -> dict:
    """Read names (dotted attribute paths allowed) as they are now, each on its own: a name
    that cannot be read is described as missing and the others are still read."""
    values = {}
    for name in request["names"]:
        try:
            values[name] = describe(_lookup(namespace, name))
        except Exception as error:  # noqa: BLE001 - a property of the student's may raise anything
            values[name] = {"type": "missing", "error": _str(error)[:200]}
    return {"values": values}


PROBES = {"forward": probe_forward, "train": probe_train, "state": probe_state}
IN_PLACE = {"forward", "state"}
"""Probes that leave nothing another probe reads: a state probe only reads, and every forward
probe sets w and b itself. They need no fork; a training probe changes the data, the LOSS list
and the parameters, so each runs in a fork of the part's snapshot."""


def run_probe(namespace: dict, request: dict, student_cells: set[str]) -> dict:
    """Answer one request; any error in the student's code becomes a summary, not a crash."""
    try:
        return PROBES[request["kind"]](namespace, request)
    except ProbeError as error:
        return {"error": {"type": "ProbeError", "message": _str(error)}}
    except BaseException as error:  # noqa: BLE001 - student code may raise anything, even SystemExit
        return {"error": summarize_error(error, student_cells)}
