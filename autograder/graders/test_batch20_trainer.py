"""Hidden grader of `batch20_trainer`: reset, DataLoader of 20, my_train_model (4 points)."""

import pytest

from autograder.graders import training
from autograder.scenarios import TRAINERS

PART = "batch20_trainer"
TRAINER = TRAINERS[PART]


@pytest.fixture
def runs(case):
    return training.observe(case, PART)


@pytest.mark.points(1)
def test_trainloader_serves_batches_of_20(runs):
    training.check_batch_size(runs, TRAINER.batch_size)


@pytest.mark.points(0.5)
def test_records_one_float_per_epoch(runs):
    training.check_loss_record(runs, TRAINER)


@pytest.mark.points(1)
def test_loss_values_match_reference(runs):
    training.check_loss_values(runs, TRAINER)


@pytest.mark.points(1)
def test_final_parameters_match_reference(runs):
    training.check_final_parameters(runs, TRAINER)


@pytest.mark.points(0.5)
def test_converges_to_the_line(runs):
    training.check_converges(runs)
