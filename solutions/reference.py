"""Reference implementation of the lab's three tasks, with every input passed explicitly.

The graders call these functions in their own process to get the values a correct submission
produces for any scenario (data, initial parameters, learning rate, batch size, epochs). The
arithmetic is the lab's, step for step, in float32, so a correct submission matches it to
rounding error.
"""

from dataclasses import dataclass, field

import torch

SEED = 1
"""The seed the notebook sets before drawing the noise."""


@dataclass(frozen=True)
class Training:
    """What a training run leaves behind: one loss per epoch and the final parameters, and the
    loss of each batch before its update (what a loop that records per batch appends)."""

    losses: list[float]
    w: float
    b: float
    batch_losses: list[float] = field(default_factory=list)
    """The loss of every batch, before its update."""
    path: list[tuple[float, float]] = field(default_factory=list)
    """(w, b) before every update, as the notebook's `get_surface.set_para_loss` records them;
    feedback draws them on the loss contour."""


def make_data(seed: int = SEED, slope: float = 1.0, bias: float = -1.0, noise: float = 0.1):
    """The lab's data: X is a (60, 1) float32 column from -3 to 2.9, Y = slope * X + bias + noise.

    Draws the noise exactly as the notebook does after `torch.manual_seed(seed)`.
    """
    generator = torch.Generator().manual_seed(seed)
    X = torch.arange(-3, 3, 0.1).view(-1, 1)
    Y = slope * X + bias + noise * torch.randn(X.size(), generator=generator)
    return X, Y


def forward(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Prediction of the line for every row of x (same shape as x)."""
    return w * x + b


def criterion(yhat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error, a 0-d tensor."""
    return torch.mean((yhat - y) ** 2)


def train(x: torch.Tensor, y: torch.Tensor, *, w0: float, b0: float, lr: float,
          batch_size: int, epochs: int) -> Training:
    """Mini-batch gradient descent as the lab does it.

    Each epoch first records the loss on all of (x, y) as a Python float, with the parameters as
    they are before that epoch's updates, then makes one update per batch of `batch_size`
    consecutive rows (no shuffling; the last batch may be smaller), as `DataLoader` serves them.
    """
    w = torch.tensor(float(w0), requires_grad=True)
    b = torch.tensor(float(b0), requires_grad=True)
    losses, batch_losses, path = [], [], []
    for _ in range(epochs):
        losses.append(criterion(forward(x, w, b), y).item())
        for start in range(0, len(x), batch_size):
            batch_x, batch_y = x[start:start + batch_size], y[start:start + batch_size]
            path.append((w.item(), b.item()))
            loss = criterion(forward(batch_x, w, b), batch_y)
            batch_losses.append(loss.item())
            loss.backward()
            w.data = w.data - lr * w.grad.data
            b.data = b.data - lr * b.grad.data
            w.grad.data.zero_()
            b.grad.data.zero_()
    return Training(losses=losses, w=w.item(), b=b.item(), batch_losses=batch_losses,
                    path=path)
