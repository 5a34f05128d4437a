"""Hidden grader of `forward`: w * x + b on hidden inputs, with gradients (2 points)."""

from dataclasses import dataclass

import pytest

from autograder.graders.observations import (
    Fail,
    close,
    expect,
    expect_checkable,
    number,
    part_evidence,
    problem_of,
    section_problem,
    type_of,
)
from autograder.scenarios import ForwardScenario

PART = "forward"
RTOL, ATOL = 1e-5, 1e-6
"""One float32 multiply-add: a correct forward matches to the last bits or so."""
NOTEBOOK_X_SHAPE = [60, 1]


@dataclass(frozen=True)
class Call:
    """forward(x) on one hidden input, as observed, beside the expected output."""

    scenario: ForwardScenario
    problem: str | None
    output: dict
    grad_w: dict
    grad_b: dict

    @property
    def expected(self) -> list[float]:
        return self.scenario.expected()

    @property
    def input_shape(self) -> list[int]:
        return list(self.scenario.shape)

    @property
    def text(self) -> str:
        return _call_text(self.scenario)


def _call_text(scenario: ForwardScenario) -> str:
    return f"Calling forward(x) with x of shape {scenario.shape}"


def _flat(value) -> list:
    return [item for part in value for item in _flat(part)] if isinstance(value, list) else [value]


@pytest.fixture
def calls(case) -> list[Call]:
    evidence = part_evidence(case, PART)
    section_error = section_problem(evidence)
    observed = []
    for scenario in case.scenarios.forward:
        response = evidence.responses.get(scenario.id)
        problem = problem_of(response, _call_text(scenario), section_error)
        response = response if isinstance(response, dict) and not problem else {}
        observed.append(Call(scenario, problem, response.get("output") or {},
                             response.get("grad_w") or {}, response.get("grad_b") or {}))
    return observed


def _output_problem(call: Call) -> str | None:
    """Why the output is not a tensor shaped like x (one sentence shared by every check)."""
    kind = type_of(call.output)
    if kind != "Tensor":
        return f"{call.text} returned an object of type {kind}; return a torch tensor, w * x + b."
    shape = call.output.get("shape")
    if shape == call.input_shape:
        return None
    hint = (" It looks like forward uses the global X: use its argument x."
            if shape == NOTEBOOK_X_SHAPE else "")
    return (f"{call.text} returned shape {tuple(shape or ())}; it should return one prediction "
            f"per element of x, in the shape of x.{hint}")


def _usable_output(call: Call) -> None:
    expect_checkable(call.problem)
    problem = _output_problem(call)
    expect(problem is None, problem or "")


@pytest.mark.points(0.5)
def test_returns_a_tensor_shaped_like_x(calls):
    for call in calls:
        _usable_output(call)


@pytest.mark.points(1)
def test_values_are_w_times_x_plus_b(calls):
    for call in calls:
        _usable_output(call)
        got = _flat(call.output.get("value"))
        if len(got) == len(call.expected) and all(
                type(value) is float and close(value, want, RTOL, ATOL)
                for value, want in zip(got, call.expected)):
            continue
        # Hidden inputs: neither they, the expected values nor the student's outputs on them
        # (equal to the expected ones where the answer is right) are shown.
        raise Fail(f"{call.text} gave values other than w * x + b with the test's w and b: "
                   f"{_values_hint(call, got)}")


HINTS = {
    "bias_missing": "the bias b is missing: return w * x + b.",
    "bias_subtracted": "b is subtracted: add it, w * x + b.",
    "w_b_swapped": "w and b are swapped: return w * x + b.",
}
"""What to say when the output is one of the scenarios' FORWARD_MISTAKES."""


def _values_hint(call: Call, got: list) -> str:
    for mistake, hint in HINTS.items():
        values = call.scenario.mistaken(mistake)
        if all(type(g) is float and close(g, v, RTOL, ATOL) for g, v in zip(got, values)):
            return hint
    return "use the global w and b as they are when forward is called, and return w * x + b."


@pytest.mark.points(0.5)
def test_gradients_reach_w_and_b(calls):
    """Gradients flow: d/dw sum(forward(x)) = sum(x), and b receives one unit per element (the
    sign of b is the values check's business)."""
    for call in calls:
        _usable_output(call)
        x = call.scenario.values
        grad_w, grad_b = number(call.grad_w), number(call.grad_b)
        expect(close(grad_w, sum(x), RTOL, ATOL)
               and close(None if grad_b is None else abs(grad_b), float(len(x)), RTOL, ATOL),
               f"{call.text}, the gradients did not reach both w and b (w.grad = "
               f"{_gradient(grad_w, sum(x))}, b.grad = "
               f"{_gradient(None if grad_b is None else abs(grad_b), float(len(x)))}): "
               "compute with the tensors "
               "w and b themselves, not w.item(), float(w) or w.data.")


def _gradient(value: float | None, expected: float) -> str:
    """None, or whether it is right: the value itself would show the hidden x (sum(x))."""
    if value is None:
        return "None"
    return "as expected" if close(value, expected, RTOL, ATOL) else "not as expected"
