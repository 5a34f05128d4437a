"""What the probes observed, as checked Python values, and sentences for what went wrong.

Responses are plain JSON from an untrusted process: every value is read through `number`,
which accepts only the exact shapes the worker's `describe` produces.
"""

import math
import re

from autograder.evidence import MALFORMED, PartEvidence
from autograder.lab import CELL_NAMES, PART_TITLES

DIGITS = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")
HIDDEN_NUMBER = "#"
"""What stands for a number in text a student's code produced on hidden data: an exception
message could otherwise carry the hidden inputs out (`raise ValueError(str(X.tolist()))`)."""


def mask_numbers(text: str) -> str:
    return DIGITS.sub(HIDDEN_NUMBER, text)


class Fail(AssertionError):
    """A failed check; its message is what the student reads."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Fail(message)


def expect_checkable(problem: str | None) -> None:
    """Fail with the reason a run or call could not be checked, when there is one."""
    expect(problem is None, problem or "")


NUMPY_NUMBERS = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
"""NumPy scalar types probe.describe reads (ndarray too): a number of the wrong type is still a
number, so only the type check fails on it."""


def number(description) -> float | None:
    """The number a description holds (a float, an int, a one-element tensor or NumPy array, a
    NumPy scalar), else None."""
    if not isinstance(description, dict):
        return None
    kind, value = description.get("type"), description.get("value")
    if kind in ("Tensor", "ndarray"):
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
    elif kind not in ("float", "int", *NUMPY_NUMBERS):
        return None
    return float(value) if type(value) in (float, int) else None


def type_of(description) -> str:
    kind = description.get("type") if isinstance(description, dict) else None
    return kind if isinstance(kind, str) else "unknown"


def close(got: float | None, expected: float, rtol: float, atol: float) -> bool:
    if got is None or not math.isfinite(got):
        return False
    return abs(got - expected) <= rtol * abs(expected) + atol


def fmt(value: float | None) -> str:
    return "nothing readable" if value is None else f"{value:.6g}"


def cell_name(label: object) -> str:
    """A cell as the student can find it: "your Task 2 cell", "the cell `train_model_SGD(10)`"."""
    label = str(label)
    return CELL_NAMES.get(label, f"the cell `{label}`")


def error_sentence(error: dict, call: str, hidden: bool = False) -> str:
    """One sentence for an error the student's code raised during `call` ("Calling f(3)").
    `hidden`: the call ran on hidden data, so numbers in the error's message are masked."""
    kind = str(error.get("type", "Error"))
    message = str(error.get("message", "")).rstrip(".")
    if hidden:
        message = mask_numbers(message)
    cell = error.get("cell")
    if kind == "TimeLimitExceeded":
        return f"{call} did not finish in time: look for a loop that never ends."
    if kind == "ProbeError":
        return f"{call} was not possible: {message}."
    if kind == "NotImplementedError" and cell:
        title = PART_TITLES.get(str(cell))
        if title:
            return f"{title} is not done yet: replace the line `raise NotImplementedError(...)`."
        return (f"{cell_name(cell)[:1].upper()}{cell_name(cell)[1:]} still raises "
                "NotImplementedError: replace that line with your code.")
    where = ""
    if cell:
        where = f", at line {error.get('line')} of {cell_name(cell)}"
        if error.get("code"):
            where += f": `{str(error['code']).strip()}`"
    return f"{call} raised {kind} ({message}){where}.{_error_hint(kind, message, error)}"


def _error_hint(kind: str, message: str, error: dict) -> str:
    """A next step for errors beginners meet in this lab."""
    if kind == "AttributeError" and message.startswith("'NoneType'") and ".grad" in str(
            error.get("code", "")):
        return " The gradient is None until loss.backward() has run: call it before the update."
    if kind == "OSError" and "File too large" in message:
        return " Your code printed or wrote too much: remove the print that runs in a loop."
    return ""


def unreadable(run: str) -> str:
    """The sentence for a run whose output broke the shape an honest worker writes."""
    return (f"The grader could not read what your code's run of {run[:1].lower()}{run[1:]} "
            "produced (malformed output), so it could not be checked.")


def problem_of(response: dict | None, call: str, section_error: str | None = None,
               hidden: bool = True) -> str | None:
    """Why a probe response holds no result, or None when it does. When the part's own cells
    raised too, their error is the cause worth reporting (a probe only finds what it left).
    `hidden`: the probe ran on hidden data (see `error_sentence`)."""
    if response is not None and MALFORMED in response:
        return unreadable(call)
    if section_error and (response is None or {"lost", "skipped", "error"} & set(response)):
        return section_error
    if response is None or "lost" in response:
        return (f"{call} ended the Python process (a crash, os._exit(), or too much memory), "
                "so it could not be checked.")
    if "skipped" in response:
        return f"{call} was skipped: an earlier run of it did not finish in time."
    if isinstance(response.get("error"), dict):
        return error_sentence(response["error"], call, hidden)
    return None


def section_problem(evidence: PartEvidence) -> str | None:
    """The first error raised by the part's own cells (its answer and the given cells after it)."""
    if MALFORMED in evidence.section:
        return unreadable("the cells of this part")
    for record in evidence.section.get("cells", []):
        call = f"Running {cell_name(record.get('cell'))}"
        if record.get("timeout"):
            return f"{call} did not finish in time: look for a loop that never ends."
        if isinstance(record.get("error"), dict):
            return error_sentence(record["error"], call)
    return None


def part_evidence(case, part: str) -> PartEvidence:
    """The part's evidence, or a failed check saying why there is none."""
    evidence = case.evidence
    found = evidence.parts.get(part)
    if found is not None and found.section is not None:
        return found
    labels = [cell["label"] for cell in case.program["cells"]]
    if found is None:
        records = evidence.main.get("cells", [])
        running = labels[len(records)] if len(records) < len(labels) else "the last cell"
        if evidence.worker_end == "timeout":
            raise Fail(f"Your notebook ran out of time in {cell_name(running)}, before this "
                       "part could be tested: look for a loop that never ends.")
        raise Fail(f"Your notebook's Python process ended in {cell_name(running)} "
                   f"({evidence.worker_end}: a crash, os._exit(), or too much memory) before "
                   "this part could be tested.")
    if found.ended == "timeout":
        raise Fail("The cells of this part did not finish in time: look for a loop that never "
                   "ends.")
    raise Fail("Running the cells of this part ended the Python process (a crash, os._exit(), "
               "or too much memory), so it could not be tested.")
