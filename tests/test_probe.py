"""The worker side of the protocol: plain descriptions of values and errors."""

import json

import pytest
import torch

from autograder import probe


class AlwaysEqual:
    def __eq__(self, other):
        return True


class SneakyFloat(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("value, expected", [
    (1.5, {"type": "float", "value": 1.5}),
    (3, {"type": "int", "value": 3}),
    (torch.tensor(2.0), {"type": "Tensor", "shape": [], "dtype": "torch.float32",
                         "requires_grad": False, "value": 2.0}),
    (AlwaysEqual(), {"type": "AlwaysEqual"}),
    (SneakyFloat(1.0), {"type": "SneakyFloat"}),
])
def test_describe_uses_exact_types(value, expected):
    """Does a description name the exact type and give contents only for known types?"""
    assert probe.describe(value) == expected


def test_tensor_subclass_is_not_a_tensor():
    """Is a tensor subclass described by its own name, without values?"""
    class Sneaky(torch.Tensor):
        pass
    assert probe.describe(torch.zeros(2).as_subclass(Sneaky)) == {"type": "Sneaky"}


def test_lists_are_described_item_by_item():
    """Does a LOSS list keep each entry's type, so tensors and floats can be told apart?"""
    description = probe.describe([1.0, torch.tensor(2.0)])
    assert description["length"] == 2
    assert [item["type"] for item in description["items"]] == ["float", "Tensor"]


def test_descriptions_survive_json():
    """Is every description plain JSON?"""
    value = [1.0, torch.ones(2, 1, requires_grad=True), "text", None]
    assert json.loads(json.dumps(probe.describe(value))) == probe.describe(value)


def test_patched_tensor_methods_do_not_fool_describe(monkeypatch):
    """Does replacing torch.Tensor.tolist in the student's process change the description?"""
    monkeypatch.setattr(torch.Tensor, "tolist", lambda self: [42.0])
    assert probe.describe(torch.tensor([1.0, 2.0]))["value"] == [1.0, 2.0]


def test_error_summary_points_at_the_students_line():
    """Does an error summary name the student's cell and line, not the given code's?"""
    namespace = {}
    student = probe.register_cell_source("forward", "def forward(x):\n    return x / 0\n")
    given = probe.register_cell_source("run", "forward(1)\n")
    exec(compile("def forward(x):\n    return x / 0\n", student, "exec"), namespace)
    try:
        exec(compile("forward(1)\n", given, "exec"), namespace)
    except ZeroDivisionError as error:
        summary = probe.summarize_error(error, {student})
    assert summary == {"type": "ZeroDivisionError", "message": "division by zero",
                       "cell": "forward", "line": 2, "code": "return x / 0"}


def test_syntax_error_summary_quotes_the_line():
    """Does a cell that does not compile get its own line quoted, though no frame ran?"""
    source = "def forward(x):\n    return (w * x + b))\n"
    student = probe.register_cell_source("forward", source)
    try:
        compile(source, student, "exec")
    except SyntaxError as error:
        summary = probe.summarize_error(error, {student})
    assert summary == {"type": "SyntaxError", "message": "unmatched ')'", "cell": "forward",
                       "line": 2, "code": "    return (w * x + b))"}


def test_forward_probe_sets_existing_parameters_in_place():
    """Does a forward holding the notebook's own w and b see the probe's values?"""
    namespace = {"w": torch.tensor(9.0, requires_grad=True),
                 "b": torch.tensor(9.0, requires_grad=True)}
    exec("def bind(w, b):\n    return lambda x: w * x + b\nforward = bind(w, b)\n", namespace)
    response = probe.run_probe(namespace, {"kind": "forward", "x": [[1.0], [3.0]], "w": 2.0,
                                           "b": -1.0}, set())
    assert response["output"]["value"] == [[1.0], [5.0]]
    assert (response["grad_w"]["value"], response["grad_b"]["value"]) == (4.0, 2.0)


def test_probe_errors_are_data():
    """Does a probe on a broken namespace answer with an error instead of raising?"""
    response = probe.run_probe({}, {"kind": "forward", "x": 1.0, "w": 1.0, "b": 0.0}, set())
    assert response == {"error": {"type": "ProbeError", "message": "`forward` is not defined"}}


def test_state_reads_each_name_on_its_own():
    """Does a name that cannot be read leave the other names readable?"""
    response = probe.run_probe({"b": 2.0}, {"kind": "state", "names": ["w", "b"]}, set())
    assert response == {"values": {"w": {"type": "missing", "error": "`w` is not defined"},
                                   "b": {"type": "float", "value": 2.0}}}
