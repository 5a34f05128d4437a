"""Hidden scenarios: what the graders ask each part, and what a correct answer gives.

The scenarios are drawn from the course secret (`autograder.secret`): a student who has read
this repository knows their kinds and ranges, not their values, so answers computed offline
cannot be typed in. Requests go to the worker as plain data; expected values come from
`solutions.reference`, computed here in the grader process and kept (`answers.py`): a run whose
answers are all kept imports neither the reference nor torch.
"""

import hashlib
import hmac
import importlib.metadata
import importlib.util
import json
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, cached_property, partial
from itertools import combinations
from pathlib import Path
from typing import TypeVar

from .answers import KeptAnswers, code_version
from .errors import GradingError
from .lab import SURFACE_PATH

LR = 0.1
"""The notebook's learning rate; the graders read nothing else of the student's `lr`."""

DRAW_VERSION = b"mini_batch_gd hidden scenarios, draw 3"
"""Mixed into the seed: a new version draws new scenarios from the same secret."""
MAX_CANDIDATES = 1000
"""Draws tried per scenario before giving up; at least two thirds of each kind pass."""
NOTEBOOK_SEED = 1
"""The seed the notebook sets before drawing its noise (`reference.SEED`)."""


def _answers_version() -> str:
    """The code the answers depend on: the reference, these scenarios and torch's version."""
    reference_file = importlib.util.find_spec("solutions.reference").origin
    return code_version([Path(reference_file), Path(__file__)],
                        importlib.metadata.version("torch"))


ANSWERS = KeptAnswers(cache(_answers_version))


def _reference():
    """The reference, imported (with torch) only when an answer is not kept yet."""
    from solutions import reference
    return reference


@dataclass(frozen=True)
class Expected:
    """What a correct training run leaves behind (`reference.Training`): one loss per epoch, the
    final parameters, the loss of every batch and (w, b) before every update."""

    losses: list[float]
    w: float
    b: float
    batch_losses: list[float]
    path: list[list[float]]


@dataclass(frozen=True)
class Data:
    """A data set on a line: the notebook's own, or another drawn the same way."""

    seed: int = NOTEBOOK_SEED
    slope: float = 1.0
    bias: float = -1.0
    noise: float = 0.1

    @property
    def is_notebook_data(self) -> bool:
        return self == Data()

    def tensors(self):
        """x and y as torch tensors (imports torch)."""
        return _reference().make_data(self.seed, self.slope, self.bias, self.noise)

    def lists(self) -> tuple[list[list[float]], list[list[float]]]:
        """x and y as (n, 1) nested lists."""
        x, y = ANSWERS.answer(["data", self.seed, self.slope, self.bias, self.noise],
                              lambda: [tensor.tolist() for tensor in self.tensors()])
        return x, y

    def loss_at(self, w: float, b: float) -> float:
        """The mean squared error of the line w * x + b on this data, as the reference has it."""
        def loss() -> float:
            x, y = self.tensors()
            return _reference().criterion(w * x + b, y).item()
        return ANSWERS.answer(["loss", self.seed, self.slope, self.bias, self.noise, w, b], loss)


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

    def expected(self, batch_size: int) -> Expected:
        data = self.data
        question = ["train", data.seed, data.slope, data.bias, data.noise, self.w0, self.b0,
                    LR, batch_size, self.epochs]
        return Expected(**ANSWERS.answer(question, lambda: self._train(batch_size)))

    def _train(self, batch_size: int) -> dict:
        x, y = self.data.tensors()
        run = _reference().train(x, y, w0=self.w0, b0=self.b0, lr=LR, batch_size=batch_size,
                                 epochs=self.epochs)
        return {"losses": run.losses, "w": run.w, "b": run.b, "batch_losses": run.batch_losses,
                "path": [list(point) for point in run.path]}


NOTEBOOK_START = (-15.0, -10.0)
"""Where the notebook's cells start w and b; a function that sets them itself starts here."""
NOTEBOOK_RUN = TrainingScenario(
    "notebook_run", "the notebook's own run (10 epochs from w = -15, b = -10)",
    *NOTEBOOK_START, epochs=10, from_notebook=True)
CONVERGENCE_SCENARIO = NOTEBOOK_RUN.id
CONVERGENCE_TOLERANCE = 0.1
"""How close to slope 1, bias -1 the notebook's own run must end: correct training gets within
0.06 (measured: batch 1 ends at w = 1.055, b = -1.021; batch 5, 10, 20 within 0.03), while
full-batch descent is still 1.03 away from the bias. Checked on the run the notebook already
made, so it costs no training of its own."""


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
        return ANSWERS.answer(["forward", self.x, self.w, self.b], self._forward)

    def _forward(self) -> list[float]:
        import torch
        w, b = torch.tensor(self.w), torch.tensor(self.b)
        return _reference().forward(torch.tensor(self.x), w, b).flatten().tolist()

    def mistaken(self, mistake: str) -> list[float]:
        """What one of the FORWARD_MISTAKES returns, element by element."""
        return [FORWARD_MISTAKES[mistake](value, self.w, self.b) for value in self.values]


@dataclass(frozen=True)
class Scenarios:
    """One draw: every probe the graders send, and (through the reference) what it should give."""

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

    @cached_property
    def draw_id(self) -> str:
        """A short public name of the draw, recorded with every result: a digest of the probes,
        so a re-grade can be checked to have asked the very same questions."""
        plan = json.dumps(self.probe_plan(), sort_keys=True).encode()
        return hashlib.sha256(plan).hexdigest()[:12]


def _data_lists(data: Data) -> dict:
    if data.is_notebook_data:
        return {}
    x, y = data.lists()
    return {"x": x, "y": y}


def _training_request(trainer: Trainer, scenario: TrainingScenario) -> dict:
    if scenario.from_notebook:
        names = [trainer.losses, "w", "b", "trainloader.batch_size", *SURFACE_PATH]
        return {"id": scenario.id, "kind": "state", "names": names}
    return {"id": scenario.id, "kind": "train", "function": trainer.function,
            "losses": trainer.losses, "epochs": scenario.epochs, "w0": scenario.w0,
            "b0": scenario.b0, **_data_lists(scenario.data)}


# The ranges. Every rejection rule below keeps a check meaningful; the corpus test grades the
# example submissions under several secrets to show no verdict depends on the draw.

FORWARD_LENGTHS = {"long_column": (5, 40), "short_column": (2, 4), "column_of_1": (1, 1),
                   "scalar": None}
"""Rows of each forward input (None: the 0-d scalar). Never 60, the notebook's X: a forward
that uses the global X is named by the shape it returns."""
X_QUARTERS = 40
"""x values are multiples of 1/4 in [-10, 10]; w and b below are multiples of 1/8. Such numbers
and their products are exact in float32, so the graders' hint formulas, in Python floats, match
a student's float32 mistake exactly."""
W_B_EIGHTHS = (4, 48)
"""|w| and |b| in [0.5, 6], either sign: far from 0, so a missing or subtracted bias shows."""
MIN_HINT_GAP = 0.5
"""The correct output and every FORWARD_MISTAKES output differ by this much somewhere, so each
hint names one mistake (a one-row input at x = 1 cannot tell w * x + b from b * x + w)."""
MIN_SUM_GAP = 1.0
"""sum(x), the gradient of w, is this far from 0 and from len(x): a w left out of the graph,
or w and b swapped, is seen in the gradients."""

DATA_SEEDS = (2, 2**31)
"""Data seeds, the notebook's 1 excluded: other data never coincides with the notebook's."""
SLOPES = (0.5, 3.0)
BIASES = (0.5, 4.0)
"""Magnitudes of the other data's line, either sign, 2 decimals."""
NOISES = (0.05, 0.5)
STARTS = (-10.0, 10.0)
"""Start values w0, b0 of every hidden run, 2 decimals."""
OTHER_EPOCHS = (2, 4)
"""Epochs of the other-data run: never 10, so range(10) in place of range(epochs) is caught;
the one-epoch run has 1; convergence is checked on the notebook's own 10 epochs. Few: with
batches of one sample each epoch is 60 updates, and a hidden run of up to 9 epochs cost as much
as the notebook's own run while telling nothing more."""
NOTEBOOK_BATCH_SIZES = (1, 5, 10, 20)
"""The batch sizes of the notebook's trainloaders (SGD, Mini5, Mini10, Mini20)."""
MISTAKEN_EPOCHS = 10
"""The epochs of a trainer that loops over range(10) instead of range(epochs)."""
MIN_FINAL = 0.25
"""Expected final |w| and |b| of every hidden run are at least this: relative tolerances stay
meaningful (correct styles differ by float32 rounding of values up to ~15, ~1e-6)."""
MIN_EPOCH_GAP = 1e-2
"""The one-epoch run ends this far (relative) from ten epochs from the same start, so
range(10) in place of range(epochs) also loses the final-parameter points."""


def _signed(rng: random.Random, low: float, high: float) -> float:
    return rng.choice((-1, 1)) * round(rng.uniform(low, high), 2)


def _start(rng: random.Random) -> float:
    return round(rng.uniform(*STARTS), 2)


def _draw_forward(rng: random.Random, id: str, lengths: tuple[int, int] | None
                  ) -> ForwardScenario:
    count = 1 if lengths is None else rng.randint(*lengths)
    values = tuple(rng.randint(-X_QUARTERS, X_QUARTERS) / 4 for _ in range(count))
    w, b = (rng.choice((-1, 1)) * rng.randint(*W_B_EIGHTHS) / 8 for _ in range(2))
    return ForwardScenario(id, values, w, b, scalar=lengths is None)


def _forward_usable(scenario: ForwardScenario) -> bool:
    outputs = [scenario.expected(), *(scenario.mistaken(name) for name in FORWARD_MISTAKES)]
    hints_distinct = all(max(abs(a - b) for a, b in zip(first, second)) >= MIN_HINT_GAP
                         for first, second in combinations(outputs, 2))
    total = sum(scenario.values)
    gradients_distinct = min(abs(total), abs(total - len(scenario.values))) >= MIN_SUM_GAP
    return hints_distinct and gradients_distinct


def _draw_other_data(rng: random.Random) -> TrainingScenario:
    data = Data(seed=rng.randrange(*DATA_SEEDS), slope=_signed(rng, *SLOPES),
                bias=_signed(rng, *BIASES), noise=round(rng.uniform(*NOISES), 2))
    epochs = rng.randint(*OTHER_EPOCHS)
    return TrainingScenario("other_data", "a hidden test with other data and other start "
                            f"values ({epochs} epochs)", w0=_start(rng), b0=_start(rng),
                            epochs=epochs, data=data)


def _draw_one_epoch(rng: random.Random) -> TrainingScenario:
    return TrainingScenario("one_epoch", "a hidden test with other start values (1 epoch)",
                            w0=_start(rng), b0=_start(rng), epochs=1)


def _training_usable(scenario: TrainingScenario) -> bool:
    """Both trainers' expected runs are finite, end away from 0 and, on other data, differ from
    the notebook's run (else a correct answer would be refused as typed in)."""
    for trainer in TRAINERS.values():
        run = scenario.expected(trainer.batch_size)
        if not all(map(math.isfinite, [*run.losses, run.w, run.b])):
            return False
        if min(abs(run.w), abs(run.b)) < MIN_FINAL:
            return False
        notebook = NOTEBOOK_RUN.expected(trainer.batch_size)
        if not scenario.data.is_notebook_data and (
                (run.w, run.b) == (notebook.w, notebook.b)
                or run.losses == notebook.losses[:len(run.losses)]):
            return False
    return True


def _one_epoch_usable(scenario: TrainingScenario) -> bool:
    if not _training_usable(scenario):
        return False
    ten = replace(scenario, epochs=10)
    for trainer in TRAINERS.values():
        one, many = scenario.expected(trainer.batch_size), ten.expected(trainer.batch_size)
        if max(abs(one.w - many.w) / abs(many.w), abs(one.b - many.b) / abs(many.b)) \
                < MIN_EPOCH_GAP:
            return False
    return True


Candidate = TypeVar("Candidate")


def _first_usable(rng: random.Random, draw: Callable[[random.Random], Candidate],
                  usable: Callable[[Candidate], bool]) -> Candidate:
    """The first candidate the rules accept: the draw stays deterministic for a secret."""
    for _ in range(MAX_CANDIDATES):
        candidate = draw(rng)
        if usable(candidate):
            return candidate
    raise GradingError(f"No usable hidden scenario in {MAX_CANDIDATES} draws: the ranges in "
                       "autograder/scenarios.py are too narrow for their rules.")


def _anticipate(scenarios: Scenarios) -> None:
    """Answer, with the draw, what beginners' mistakes make the graders ask of each training
    scenario (see graders/training.py): the loss at the notebook's start (the first entry of a
    trainer that sets w and b itself), and runs from that start, for 10 epochs, at each batch
    size of the notebook's trainloaders (a trainer reading the wrong one). About 36 short
    runs, half a second, once per secret: judging a class then rarely needs torch."""
    notebook_start = dict(zip(("w0", "b0"), NOTEBOOK_START))
    for scenario in scenarios.training:
        scenario.data.loss_at(*NOTEBOOK_START)
        variants = {scenario, replace(scenario, **notebook_start),
                    replace(scenario, epochs=MISTAKEN_EPOCHS),
                    replace(scenario, **notebook_start, epochs=MISTAKEN_EPOCHS)}
        for variant in variants:
            for batch_size in NOTEBOOK_BATCH_SIZES:
                variant.expected(batch_size)


def keep_answers(kept_answers: Path) -> None:
    """Keep every answer computed so far (the graders may have asked new ones: a run of the
    length a student's list shows, from where the student's function started)."""
    ANSWERS.save(kept_answers)


def draw_scenarios(secret: bytes, kept_answers: Path | None = None) -> Scenarios:
    """The course's scenarios: the same secret always draws the same ones. Their answers are
    read from `kept_answers` and, where any had to be computed, kept there for the next run."""
    if kept_answers is not None:
        ANSWERS.load(kept_answers)
    scenarios = _draw(secret)
    for scenario in scenarios.training:  # the graders count rows; the plan sends other data
        scenario.data.lists()
    _anticipate(scenarios)
    if kept_answers is not None:
        keep_answers(kept_answers)
    return scenarios


@cache
def _draw(secret: bytes) -> Scenarios:
    seed = hmac.new(secret, DRAW_VERSION, hashlib.sha256).digest()
    rng = random.Random(int.from_bytes(seed, "big"))
    forward = tuple(_first_usable(rng, partial(_draw_forward, id=id, lengths=lengths),
                                  _forward_usable)
                    for id, lengths in FORWARD_LENGTHS.items())
    training = (NOTEBOOK_RUN,
                _first_usable(rng, _draw_other_data, _training_usable),
                _first_usable(rng, _draw_one_epoch, _one_epoch_usable))
    return Scenarios(forward, training)
