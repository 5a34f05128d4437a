"""Checks shared by the two training parts (`dataloader_loop`, `batch20_trainer`).

Each check looks at every run: the notebook's own 10-epoch run and the hidden scenarios, all
with a correct `forward` supplied, and fails with a sentence about the first run that is off.
"""

from dataclasses import dataclass

from autograder.scenarios import (
    CONVERGENCE_SCENARIO,
    CONVERGENCE_TOLERANCE,
    TRAINERS,
    Expected,
    Trainer,
    TrainingScenario,
)

from .observations import (
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

    @property
    def where(self) -> str:
        return f"In {self.scenario.description}"

    @property
    def public(self) -> bool:
        """The run is on the notebook's own data and start: its numbers may be shown. Numbers
        of a hidden run (expected or the student's own, which a correct answer makes equal)
        never are: they would give the hidden scenario away."""
        return self.scenario.from_notebook


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


def observe(case, part: str) -> list[Run]:
    """Every scenario's run for a training part; fails every check if the numbers are faked."""
    evidence = part_evidence(case, part)
    trainer = TRAINERS[part]
    section_error = section_problem(evidence)
    runs = [_read_run(evidence.responses.get(scenario.id), trainer, scenario, section_error)
            for scenario in case.scenarios.training]
    _refuse_constant_results(runs, trainer)
    return runs


def _refuse_constant_results(runs: list[Run], trainer: Trainer) -> None:
    """Training on other data from other start values cannot give the notebook's numbers."""
    notebook = next(run for run in runs if run.scenario.from_notebook)
    for run in runs:
        if run.scenario.from_notebook or run.scenario.data == notebook.scenario.data:
            continue
        same_losses = bool(run.losses) and run.losses == notebook.losses[:len(run.losses)]
        same_parameters = run.w is not None and (run.w, run.b) == (notebook.w, notebook.b)
        expect(not (same_losses or same_parameters),
               f"{trainer.losses} or the final w, b come out the same whatever the data and "
               "the start values: the numbers must come from training, not be typed in.")


def check_loss_record(runs: list[Run], trainer: Trainer) -> None:
    name = trainer.losses
    for run in runs:
        expect_checkable(run.problem)
        epochs = run.scenario.epochs
        expect(run.losses_type == "list",
               f"{name} is a {run.losses_type}, not a list: keep `{name} = []` and append to it.")
        count = len(run.losses)
        expect(count == epochs, f"{run.where}, {name} has {count} entries"
               + _count_hint(run, trainer, count))
        wrong = sorted(set(kind for kind in run.entry_types if kind != "float"))
        expect(not wrong,
               f"{name} holds {', '.join(wrong)} entries; append Python floats, e.g. "
               f"`{name}.append(loss.item())`, not the loss tensor.")


def _count_hint(run: Run, trainer: Trainer, count: int) -> str:
    samples = len(run.scenario.data.lists()[0])
    batches = -(-samples // trainer.batch_size)
    epochs = run.scenario.epochs
    if count == epochs * batches:
        return (f", one per batch; expected one per epoch ({epochs}): append once per epoch, "
                "before the loop over trainloader.")
    return (f"; expected one per epoch ({epochs}): loop `for epoch in range(epochs):` over the "
            "function's argument and append once per epoch.")


def check_loss_values(runs: list[Run], trainer: Trainer) -> None:
    name = trainer.losses
    for run in runs:
        expect_checkable(run.problem)
        expected = run.expected.losses
        expect(len(run.losses) == len(expected),
               f"{run.where}, {name} has {len(run.losses)} entries instead of {len(expected)}, "
               "so its values cannot match: record one loss per epoch.")
        for epoch, (got, want) in enumerate(zip(run.losses, expected)):
            if close(got, want, LOSS_RTOL, ATOL):
                continue
            values = (f"is {fmt(got)} but should be {fmt(want)}" if run.public
                      else "differs from the reference's")
            raise Fail(f"{run.where}, {name}[{epoch}] {values}: " + _loss_hint(run, epoch))


def _loss_hint(run: Run, epoch: int) -> str:
    after_update = run.expected.losses[1:]
    if run.losses[:len(after_update)] and all(
            close(got, want, LOSS_RTOL, ATOL) for got, want in zip(run.losses, after_update)):
        return "you record the loss after the epoch's updates; record it before them."
    if epoch == 0:
        return ("the first entry is the loss on all of X and Y before any update, with the "
                "start values of w and b.")
    return ("the first epochs differ, so check the updates: one per batch from trainloader, "
            "`w.data = w.data - lr * w.grad.data`, and zeroing the gradients after each update.")


def check_final_parameters(runs: list[Run], trainer: Trainer) -> None:
    for run in runs:
        expect_checkable(run.problem)
        want_w, want_b = run.expected.w, run.expected.b
        values = (f"at w = {fmt(run.w)}, b = {fmt(run.b)} instead of w = {fmt(want_w)}, "
                  f"b = {fmt(want_b)}" if run.public else "elsewhere than the reference's w, b")
        expect(close(run.w, want_w, PARAMETER_RTOL, ATOL)
               and close(run.b, want_b, PARAMETER_RTOL, ATOL),
               f"{run.where}, training ends {values}: make one update per batch of trainloader "
               "and zero both gradients after each update.")


def check_converges(runs: list[Run]) -> None:
    run = next(run for run in runs if run.scenario.id == CONVERGENCE_SCENARIO)
    expect_checkable(run.problem)
    expect(close(run.w, 1.0, 0.0, CONVERGENCE_TOLERANCE)
           and close(run.b, -1.0, 0.0, CONVERGENCE_TOLERANCE),
           f"{run.where}, training ends at w = {fmt(run.w)}, b = {fmt(run.b)}; it should get "
           "within 0.1 of the line's slope 1 and bias -1.")


def check_batch_size(runs: list[Run], batch_size: int) -> None:
    run = next(run for run in runs if run.scenario.from_notebook)
    if run.batch_size != batch_size:
        # An error in the cell may have stopped it before it built its own trainloader.
        expect_checkable(run.problem)
    expect(run.batch_size == batch_size,
           f"trainloader serves batches of {fmt(run.batch_size)}; create it with "
           f"`DataLoader(dataset=dataset, batch_size={batch_size})`.")
