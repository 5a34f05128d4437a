"""Hidden scenarios: what the graders ask each part, and what a correct answer gives.

Requests go to the worker as plain data; expected values come from `solutions.reference`,
computed here in the grader process. The scenarios differ from the notebook's own run in data,
start values and epoch counts, so numbers copied from the notebook cannot pass them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import torch

from solutions import reference

LR = 0.1
"""The notebook's learning rate; the graders read nothing else of the student's `lr`."""



@dataclass(frozen=True)
class Data:
    """A data set on a line: the notebook's own, or another drawn the same way."""

    seed: int = reference.SEED
    slope: float = 1.0
    bias: float = -1.0
    noise: float = 0.1

    @property
    def is_notebook_data(self) -> bool:
        return self == Data()

    @cache
    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return reference.make_data(self.seed, self.slope, self.bias, self.noise)


NOTEBOOK_DATA = Data()


@dataclass(frozen=True)
class TrainingScenario:
    """One training run: start values, data and epochs. `id` names the probe."""

    id: str
    description: str
    w0: float
    b0: float
    epochs: int
    data: Data = NOTEBOOK_DATA
    from_notebook: bool = False
    """True: read the state the notebook's own training cell left, instead of training again."""

    def expected(self, batch_size: int) -> reference.Training:
        return _train(self, batch_size)


@cache
def _train(scenario: TrainingScenario, batch_size: int) -> reference.Training:
    x, y = scenario.data.tensors()
    return reference.train(x, y, w0=scenario.w0, b0=scenario.b0, lr=LR,
                           batch_size=batch_size, epochs=scenario.epochs)


NOTEBOOK_RUN = TrainingScenario(
    "notebook_run", "the notebook's own run (10 epochs from w = -15, b = -10)",
    w0=-15.0, b0=-10.0, epochs=10, from_notebook=True)
CONVERGENCE_SCENARIO = "converge"
CONVERGENCE_TOLERANCE = 0.1
"""Correct training ends within 0.045 of slope 1, bias -1 here (measured: batch 1, 5, 10, 20);
full-batch descent is still 1.4 away from the bias, so 0.1 separates converged from not."""


@dataclass(frozen=True)
class Trainer:
    """What a training part defines: its function, its LOSS list and its batch size."""

    function: str
    losses: str
    batch_size: int


TRAINERS = {
    "dataloader_loop": Trainer("train_model_SGD", "LOSS_SGD", batch_size=1),
    "batch20_trainer": Trainer("my_train_model", "LOSS_MINI20", batch_size=20),
}

FORWARD_MISTAKES: dict[str, Callable[[float, float, float], float]] = {
    "bias_missing": lambda x, w, b: w * x,
    "bias_subtracted": lambda x, w, b: w * x - b,
    "w_b_swapped": lambda x, w, b: b * x + w,
}
"""Beginners' forwards the graders name in their hint (see graders/test_forward.py)."""


@dataclass(frozen=True)
class ForwardScenario:
    """forward(x) on one input: an (n, 1) column holding `values`, or a 0-d scalar."""

    id: str
    values: tuple[float, ...]
    w: float
    b: float
    scalar: bool = False

    @property
    def x(self) -> list | float:
        """The input as the worker receives it."""
        return self.values[0] if self.scalar else [[value] for value in self.values]

    @property
    def shape(self) -> tuple[int, ...]:
        return () if self.scalar else (len(self.values), 1)

    def expected(self) -> list[float]:
        """What a correct forward returns, element by element."""
        w, b = torch.tensor(self.w), torch.tensor(self.b)
        return reference.forward(torch.tensor(self.x), w, b).flatten().tolist()

    def mistaken(self, mistake: str) -> list[float]:
        """What one of the FORWARD_MISTAKES returns, element by element."""
        return [FORWARD_MISTAKES[mistake](value, self.w, self.b) for value in self.values]


@dataclass(frozen=True)
class Scenarios:
    """Every probe the graders send, and (through the reference) what it should give."""

    forward: tuple[ForwardScenario, ...]
    training: tuple[TrainingScenario, ...]

    def probe_plan(self) -> dict:
        """Every part's probes, as the plain data the worker receives."""
        parts = [{"part": "forward", "supply_forward": False, "probes": [
            {"id": scenario.id, "kind": "forward", "x": scenario.x, "w": scenario.w,
             "b": scenario.b} for scenario in self.forward]}]
        for part, trainer in TRAINERS.items():
            # Training parts get a correct forward: a wrong forward costs only forward's points.
            parts.append({"part": part, "supply_forward": True, "probes": [
                _training_request(trainer, scenario) for scenario in self.training]})
        return {"parts": parts}


def _data_lists(data: Data) -> dict:
    if data.is_notebook_data:
        return {}
    x, y = data.tensors()
    return {"x": x.tolist(), "y": y.tolist()}


def _training_request(trainer: Trainer, scenario: TrainingScenario) -> dict:
    if scenario.from_notebook:
        names = [trainer.losses, "w", "b", "trainloader.batch_size"]
        return {"id": scenario.id, "kind": "state", "names": names}
    return {"id": scenario.id, "kind": "train", "function": trainer.function,
            "losses": trainer.losses, "epochs": scenario.epochs, "w0": scenario.w0,
            "b0": scenario.b0, **_data_lists(scenario.data)}


HIDDEN_SCENARIOS = Scenarios(
    forward=(
        ForwardScenario("column_of_7", (-2.5, -1.0, 0.0, 0.5, 1.25, 3.0, 7.5), w=0.5, b=-2.0),
        ForwardScenario("column_of_3", (10.0, -20.0, 35.5), w=-3.0, b=4.0),
        ForwardScenario("column_of_1", (4.0,), w=-1.5, b=-0.5),
        ForwardScenario("scalar", (1.5,), w=2.0, b=0.25, scalar=True),
    ),
    training=(
        NOTEBOOK_RUN,
        TrainingScenario("other_data", "a hidden test with other data and other start values "
                         "(3 epochs)", w0=4.0, b0=-6.0, epochs=3,
                         data=Data(seed=11, slope=-2.0, bias=3.0, noise=0.3)),
        TrainingScenario("one_epoch", "a hidden test with other start values (1 epoch)",
                         w0=-3.5, b0=2.0, epochs=1),
        TrainingScenario(CONVERGENCE_SCENARIO, "a hidden test with new noisy data on the line "
                         "y = x - 1 (10 epochs from w = 10, b = 12)", w0=10.0, b0=12.0,
                         epochs=10, data=Data(seed=7)),
    ),
)
