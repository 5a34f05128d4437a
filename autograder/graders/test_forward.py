"""Hidden grader of `forward`: w * x + b on hidden inputs, with gradients (2 points).

Judged on the inputs the instructions promise, columns of shape (n, 1); the draw's 0-d input
is not judged. Values and gradients are read whatever shape or type the output has; the
contract (a new tensor shaped like x, x left as it was, called as forward(x)) is a check of
its own, so each mistake costs one check (see RULES.md).
"""

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
from autograder.scenarios import NOTEBOOK_DATA, ForwardScenario

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
    input_after: dict
    call: str

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
        if scenario.scalar:
            continue  # the instructions promise columns of shape (n, 1), never a 0-d input
        response = evidence.responses.get(scenario.id)
        problem = problem_of(response, _call_text(scenario), section_error)
        response = response if isinstance(response, dict) and not problem else {}
        call = response.get("call")
        observed.append(Call(scenario, problem, response.get("output") or {},
                             response.get("grad_w") or {}, response.get("grad_b") or {},
                             response.get("input_after") or {},
                             call if call in ("forward(x)", "forward(x, w, b)") else "forward(x)"))
    return observed


def _contract_problem(call: Call) -> str | None:
    """Why forward breaks its contract: called as forward(x), it returns a new tensor shaped
    like x and leaves x as it was."""
    if call.call != "forward(x)":
        return ("forward takes only x: the training code calls forward(x), so read w and b "
                "as the global names inside it, `def forward(x): return w * x + b`.")
    kind = type_of(call.output)
    if kind != "Tensor":
        return f"{call.text} returned an object of type {kind}; return a torch tensor, w * x + b."
    shape = call.output.get("shape")
    if shape != call.input_shape and not _uses_global_x(call):
        # A forward that uses the global X has the wrong values: the values check names it.
        return (f"{call.text} returned shape {tuple(shape or ())}; it should return one "
                "prediction per row of x, in the shape of x: `return w * x + b` keeps it.")
    after = call.input_after
    if after and _flat(after.get("value")) != [float(value) for value in call.scenario.values]:
        return (f"{call.text}, forward changed x itself (an in-place operation such as "
                "`yhat = x; yhat *= w`): compute a new tensor, `return w * x + b`, so the data "
                "X stays as it is when training calls forward(X).")
    return None


def _readable_output(call: Call) -> list:
    """The output's numbers, flattened; fails when there are none to judge."""
    expect_checkable(call.problem)
    got = _flat(call.output.get("value"))
    expect(type_of(call.output) in ("Tensor", "ndarray") and "value" in call.output,
           f"{call.text} returned an object of type {type_of(call.output)}; return a torch "
           "tensor, w * x + b.")
    return got


@pytest.mark.points(0.5)
def test_returns_a_tensor_shaped_like_x(calls):
    for call in calls:
        expect_checkable(call.problem)
        problem = _contract_problem(call)
        expect(problem is None, problem or "")


@pytest.mark.points(1)
def test_values_are_w_times_x_plus_b(calls):
    for call in calls:
        got = _readable_output(call)
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


GLOBAL_X_HINT = "forward uses the global X: use its argument x, `return w * x + b`."


def _uses_global_x(call: Call) -> bool:
    return call.output.get("shape") == NOTEBOOK_X_SHAPE != call.input_shape


def _mistake(call: Call, got: list) -> str | None:
    """Which known beginner's forward the output is, if any."""
    if _uses_global_x(call):
        return "global_X"
    for mistake in HINTS:
        values = call.scenario.mistaken(mistake)
        if len(got) == len(values) and all(type(g) is float and close(g, v, RTOL, ATOL)
                                           for g, v in zip(got, values)):
            return mistake
    return None


def _values_hint(call: Call, got: list) -> str:
    mistake = _mistake(call, got)
    if mistake == "global_X":
        return GLOBAL_X_HINT
    if mistake:
        return HINTS[mistake]
    return "use the global w and b as they are when forward is called, and return w * x + b."


def _expected_gradients(call: Call, got: list) -> tuple[float, float | None]:
    """d/dw and |d/db| of sum(output) for the formula the output shows: the values check owns
    a wrong formula, so the gradients are judged as that formula's (see RULES.md)."""
    x, count = sum(call.scenario.values), float(len(call.scenario.values))
    mistake = _mistake(call, got)
    if mistake == "global_X":
        notebook_x = [row[0] for row in NOTEBOOK_DATA.lists()[0]]
        return sum(notebook_x), float(len(notebook_x))
    if mistake == "bias_missing":
        return x, None
    if mistake == "w_b_swapped":
        return count, abs(x)
    return x, count


@pytest.mark.points(0.5)
def test_gradients_reach_w_and_b(calls):
    """Gradients flow: d/dw sum(forward(x)) = sum(x), and b receives one unit per element (the
    sign of b is the values check's business)."""
    for call in calls:
        want_w, want_b = _expected_gradients(call, _readable_output(call))
        grad_w, grad_b = number(call.grad_w), number(call.grad_b)
        b_right = (grad_b in (None, 0.0) if want_b is None
                   else close(None if grad_b is None else abs(grad_b), want_b, RTOL, ATOL))
        expect(close(grad_w, want_w, RTOL, ATOL) and b_right,
               f"{call.text}, the gradients did not reach both w and b (w.grad = "
               f"{_gradient(grad_w, want_w)}, b.grad = "
               f"{_gradient(None if grad_b is None else abs(grad_b), want_b)}): compute with "
               "the tensors w and b themselves, not w.item(), float(w) or w.data.")


def _gradient(value: float | None, expected: float | None) -> str:
    """None, or whether it is right: the value itself would show the hidden x (sum(x))."""
    if value is None:
        return "None"
    right = value == 0.0 if expected is None else close(value, expected, RTOL, ATOL)
    return "as expected" if right else "not as expected"
