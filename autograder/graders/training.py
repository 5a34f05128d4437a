"""Checks shared by the two training parts (`dataloader_loop`, `batch20_trainer`).

Each check looks at every run: the notebook's own 10-epoch run and the hidden scenarios, all
with a correct `forward` supplied, and fails with a sentence about the first run that is off.

Each check owns one aspect of the task and judges it as if the others were right, so one
mistake costs one check (see RULES.md beside this file):

- the record check owns the LOSS list's shape: a list, one entry per epoch, Python floats;
- the values check owns which loss is recorded, and when: it reads every entry as a number
  whatever its type, takes the per-epoch entries of a list recorded per batch, compares with
  training for as many epochs as the list shows, and, when the updates are wrong (final
  parameters off), judges only the first entry, the one no update touched;
- the final-parameters check owns the updates: it compares with training from the start the
  run really used (the function may set w and b itself: the values check names that), with the
  batch size the trainloader serves (the batch-size check names a wrong one), for as many
  epochs as the list shows (the record check names a wrong count);
- the convergence check owns reaching the line; when the updates are wrong it reads the same
  sentence as the final-parameters check, so the student reads it once.
"""

import math
from dataclasses import dataclass, replace

from autograder.scenarios import (
    CONVERGENCE_SCENARIO,
    CONVERGENCE_TOLERANCE,
    NOTEBOOK_START,
    TRAINERS,
    Expected,
    Trainer,
    TrainingScenario,
)

from .observations import (
    NUMPY_NUMBERS,
    Fail,
    close,
    expect,
    expect_checkable,
    fmt,
    number,
    part_evidence,
    problem_of,
    section_problem,
    type_of,
)

LOSS_RTOL = 1e-4
PARAMETER_RTOL = 1e-4
ATOL = 1e-6
"""Correct styles differ from the reference only by float32 rounding. Measured on the corpus's
correct submissions under 8 draws of the scenarios: within 3.4e-6 relative (a converged loss of
0.02, 7e-8 apart). The closest mistake in the corpus, range(10) instead of range(epochs), ends
at least 1e-2 relative away in the one-epoch run, a rule of the draw (scenarios.MIN_EPOCH_GAP).
1e-4 sits well clear of both."""


GROWTH = 2.0
"""A run whose last recorded loss is this many times its first diverged: correct training only
lowers the loss, apart from float noise once it has converged."""
MAX_EPOCHS_JUDGED = 30
"""Longest run the graders replay to judge a list of the wrong length (range(10) and such)."""


@dataclass(frozen=True)
class Run:
    """One training run as observed, beside what the reference gives for it."""

    scenario: TrainingScenario
    expected: Expected
    problem: str | None
    losses_type: str = "missing"
    losses: tuple[float | None, ...] = ()
    entry_types: tuple[str, ...] = ()
    w: float | None = None
    b: float | None = None
    batch_size: float | None = None
    served: int = 1
    """The batch size the part's trainloader serves (the notebook run's), else the task's."""

    @property
    def public(self) -> bool:
        """The run is on the notebook's own data and start: its numbers may be shown. Numbers
        of a hidden run (expected or the student's own, which a correct answer makes equal)
        never are: they would give the hidden scenario away."""
        return self.scenario.from_notebook

    @property
    def where(self) -> str:
        return f"In {self.scenario.description}"

    @property
    def batches(self) -> int:
        return -(-len(self.scenario.data.lists()[0]) // self.served)

    @property
    def per_batch(self) -> bool:
        """The list holds one entry per batch of every epoch."""
        return self.batches > 1 and len(self.losses) == self.scenario.epochs * self.batches

    @property
    def epochs_run(self) -> int:
        """How many epochs the list says the function trained."""
        count = len(self.losses)
        if count == self.scenario.epochs or self.per_batch or not 1 <= count <= MAX_EPOCHS_JUDGED:
            return self.scenario.epochs
        return count

    @property
    def per_epoch_losses(self) -> tuple[float | None, ...]:
        return self.losses[::self.batches] if self.per_batch else self.losses

    @property
    def sets_start_itself(self) -> bool:
        """The first loss is the one at the notebook's start values, not at the start the run
        was called with: the function sets w and b itself."""
        scenario = self.scenario
        if (scenario.w0, scenario.b0) == NOTEBOOK_START or not self.per_epoch_losses:
            return False
        at_start = scenario.data.loss_at(*NOTEBOOK_START)
        return close(self.per_epoch_losses[0], at_start, LOSS_RTOL, ATOL)

    @property
    def judged(self) -> Expected:
        """The reference for what this run did: its start, batch size and epochs."""
        w0, b0 = NOTEBOOK_START if self.sets_start_itself else (self.scenario.w0,
                                                                  self.scenario.b0)
        scenario = replace(self.scenario, w0=w0, b0=b0, epochs=self.epochs_run)
        return scenario.expected(self.served)

    @property
    def updates_right(self) -> bool:
        judged = self.judged
        return (close(self.w, judged.w, PARAMETER_RTOL, ATOL)
                and close(self.b, judged.b, PARAMETER_RTOL, ATOL))

    @property
    def divergence(self) -> str | None:
        """The sentence for a run whose loss grew (or whose numbers overflowed), else None."""
        numbers = [value for value in self.per_epoch_losses if value is not None]
        parameters = [value for value in (self.w, self.b) if value is not None]
        blown = next((value for value in numbers if not math.isfinite(value)), None)
        if blown is None and not (numbers and numbers[-1] > GROWTH * numbers[0]) and all(
                map(math.isfinite, parameters)):
            return None
        start = self.expected.losses[0] if self.expected.losses else None
        first = numbers[0] if numbers else start
        last = blown if blown is not None else (numbers[-1] if numbers else None)
        if not self.public:
            grew = "the loss grew" if last is not None else "w and b grew without bound"
        elif last is not None:
            grew = f"the loss grew from {fmt(first)} to {fmt(last)}"
        else:
            grew = f"w and b grew to {fmt(self.w)} and {fmt(self.b)}"
        return (f"{self.where}, {grew}: training diverges. The update probably has the wrong "
                "sign, leaves out lr, or keeps old gradients: use "
                "`w.data = w.data - lr * w.grad.data`, then `w.grad.data.zero_()`, and the same "
                "for b.")


def _read_run(response: dict | None, trainer: Trainer, scenario: TrainingScenario,
              section_error: str | None) -> Run:
    call = f"Calling {trainer.function}({scenario.epochs})"
    expected = scenario.expected(trainer.batch_size)
    problem = problem_of(response, call, section_error, hidden=not scenario.from_notebook)
    values = response.get("values") if response and not problem else None
    readable = isinstance(values, dict)
    batch_size = number(values.get("trainloader.batch_size")) if readable else None
    if scenario.from_notebook and section_error:
        # The notebook's own training failed; what the cell set up can still be checked.
        return Run(scenario, expected, section_error, batch_size=batch_size)
    if problem or not readable:
        return Run(scenario, expected, problem or f"{call} returned nothing readable.")
    observed = {"w": number(values.get("w")), "b": number(values.get("b")),
                "batch_size": batch_size}
    recorded = values.get(trainer.losses)
    items = recorded.get("items") if type_of(recorded) == "list" else None
    if not isinstance(items, list):
        return Run(scenario, expected, None, losses_type=type_of(recorded), **observed)
    return Run(scenario, expected, None, losses_type="list",
               losses=tuple(number(item) for item in items),
               entry_types=tuple(type_of(item) for item in items), **observed)


def _served(runs: list[Run], trainer: Trainer) -> int:
    """The batch size the notebook's trainloader serves, when it is a sensible one."""
    notebook = next(run for run in runs if run.scenario.from_notebook)
    size = notebook.batch_size
    samples = len(notebook.scenario.data.lists()[0])
    if size is not None and size == int(size) and 1 <= size <= samples:
        return int(size)
    return trainer.batch_size


def observe(case, part: str) -> list[Run]:
    """Every scenario's run for a training part; fails every check if the numbers are faked."""
    evidence = part_evidence(case, part)
    trainer = TRAINERS[part]
    section_error = section_problem(evidence)
    runs = [_read_run(evidence.responses.get(scenario.id), trainer, scenario, section_error)
            for scenario in case.scenarios.training]
    served = _served(runs, trainer)
    runs = [replace(run, served=served) for run in runs]
    _refuse_constant_results(runs, trainer)
    return runs


def _finite(values) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def _refuse_constant_results(runs: list[Run], trainer: Trainer) -> None:
    """Training on other data from other start values cannot give the notebook's numbers.

    Only readable, finite numbers count as evidence: a value the probe cannot read is a type
    problem, and a run that blew up to inf or NaN diverged (every NaN reads the same)."""
    notebook = next(run for run in runs if run.scenario.from_notebook)
    for run in runs:
        if run.scenario.from_notebook or run.scenario.data == notebook.scenario.data:
            continue
        same_losses = (bool(run.losses) and _finite(run.losses)
                       and run.losses == notebook.losses[:len(run.losses)])
        same_parameters = (_finite((run.w, run.b))
                           and (run.w, run.b) == (notebook.w, notebook.b))
        expect(not (same_losses or same_parameters),
               f"{trainer.losses} or the final w, b come out the same whatever the data and "
               "the start values: the numbers must come from training, not be typed in.")


def check_loss_record(runs: list[Run], trainer: Trainer) -> None:
    name = trainer.losses
    for run in runs:
        expect_checkable(run.problem)
        expect(run.losses_type == "list", _not_a_list(run, name))
        count = len(run.losses)
        expect(count == run.scenario.epochs, _count_sentence(run, trainer))
        wrong = sorted(set(kind for kind in run.entry_types if kind != "float"))
        expect(not wrong, f"{name} holds {', '.join(wrong)} entries; append Python floats, "
               f"e.g. `{name}.append(loss.item())`"
               + (": `.numpy()` gives a NumPy array, `.item()` a float." if any(
                   kind == "ndarray" or kind in NUMPY_NUMBERS for kind in wrong)
                  else ", not the loss tensor."))


def _not_a_list(run: Run, name: str) -> str:
    return f"{name} is a {run.losses_type}, not a list: keep `{name} = []` and append to it."


def _count_sentence(run: Run, trainer: Trainer) -> str:
    name, count, epochs = trainer.losses, len(run.losses), run.scenario.epochs
    if count == 0:
        return (f"{run.where}, {name} stays empty: append the loss on all the data, "
                f"`criterion(forward(X), Y).item()`, once per epoch, before the loop over "
                "trainloader.")
    if run.per_batch:
        return (f"{run.where}, {name} has {count} entries, one per batch; expected one per "
                f"epoch ({epochs}): append the loss on all the data, "
                "`criterion(forward(X), Y).item()`, once per epoch, before the loop over "
                "trainloader.")
    return (f"{run.where}, {name} has {count} entries; expected one per epoch ({epochs}): "
            "loop `for epoch in range(epochs):` over the function's argument and append once "
            "per epoch.")


def check_loss_values(runs: list[Run], trainer: Trainer) -> None:
    name = trainer.losses
    for run in runs:
        expect_checkable(run.problem)
        expect(run.losses_type == "list", _not_a_list(run, name))
        expect(bool(run.losses), _count_sentence(run, trainer))
        if run.sets_start_itself:
            start = (f"w = {run.scenario.w0:g}, b = {run.scenario.b0:g}" if run.public
                     else "the test set")
            raise Fail(f"{run.where}, {name}[0] is the loss at w = {NOTEBOOK_START[0]:g}, "
                       f"b = {NOTEBOOK_START[1]:g}, not at the start values {start}: "
                       f"`{trainer.function}` sets `w` and `b` itself, so it ignores the values "
                       "they hold when it is called. Set them in the cell, outside the function.")
        if run.per_batch and _matches(run.losses, run.judged.batch_losses):
            continue  # the loss of each batch, recorded right: the record check names it
        judged = run.judged.losses if run.updates_right else run.judged.losses[:1]
        for epoch, (got, want) in enumerate(zip(run.per_epoch_losses, judged)):
            if close(got, want, LOSS_RTOL, ATOL):
                continue
            values = (f"is {fmt(got)} but should be {fmt(want)}" if run.public
                      else "differs from the reference's")
            raise Fail(f"{run.where}, {name}[{epoch}] {values}: "
                       + _loss_hint(run, epoch, trainer))


def _matches(got, want) -> bool:
    return len(got) == len(want) and all(close(g, v, LOSS_RTOL, ATOL) for g, v in zip(got, want))


def _loss_hint(run: Run, epoch: int, trainer: Trainer) -> str:
    after_update = run.judged.losses[1:]
    if run.per_epoch_losses[:len(after_update)] and all(
            close(got, want, LOSS_RTOL, ATOL)
            for got, want in zip(run.per_epoch_losses, after_update)):
        return "you record the loss after the epoch's updates; record it before them."
    if epoch == 0 and run.scenario.from_notebook and trainer.batch_size != 1:
        return ("the first entry is the loss on all of X and Y before any update, at "
                "w = -15, b = -10: set w and b back to them in your cell, before training.")
    if epoch == 0:
        return ("the first entry is the loss on all of X and Y before any update, with the "
                "start values of w and b: `criterion(forward(X), Y).item()`.")
    return ("record the loss on all of X and Y, `criterion(forward(X), Y).item()`, at the "
            "start of each epoch.")


def _updates_sentence(run: Run) -> str:
    """Why a run ends at the wrong parameters: divergence when the loss grew, else where."""
    judged = run.judged
    ends = (f"at w = {fmt(run.w)}, b = {fmt(run.b)} instead of w = {fmt(judged.w)}, "
            f"b = {fmt(judged.b)}" if run.public else "elsewhere than the reference's w, b")
    return run.divergence or (
        f"{run.where}, training ends {ends}: make one update per batch, in the order "
        "trainloader serves them (no shuffling), with that batch's x and y: "
        "`w.data = w.data - lr * w.grad.data` (the same for b), then zero both gradients.")


def check_final_parameters(runs: list[Run], trainer: Trainer) -> None:
    for run in runs:
        expect_checkable(run.problem)
        expect(run.updates_right, _updates_sentence(run))


def check_converges(runs: list[Run]) -> None:
    run = next(run for run in runs if run.scenario.id == CONVERGENCE_SCENARIO)
    expect_checkable(run.problem)
    if close(run.w, 1.0, 0.0, CONVERGENCE_TOLERANCE) and close(run.b, -1.0, 0.0,
                                                                CONVERGENCE_TOLERANCE):
        return
    if not run.updates_right:
        raise Fail(_updates_sentence(run))
    raise Fail(f"{run.where}, training ends at w = {fmt(run.w)}, b = {fmt(run.b)}; it should "
               "get within 0.1 of the line's slope 1 and bias -1.")


def check_batch_size(runs: list[Run], batch_size: int) -> None:
    run = next(run for run in runs if run.scenario.from_notebook)
    if run.batch_size != batch_size:
        # An error in the cell may have stopped it before it built its own trainloader.
        expect_checkable(run.problem)
    expect(run.batch_size == batch_size,
           f"trainloader serves batches of {fmt(run.batch_size)}; create it with "
           f"`DataLoader(dataset=dataset, batch_size={batch_size})`.")
