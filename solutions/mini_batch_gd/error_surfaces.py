"""Pictures of the loss surface and of training progress for the mini-batch gradient descent lab.

`plot_error_surfaces` keeps one record per call of `set_para_loss(w, b)`: the lab calls it
before every update, so the record is the whole path training takes. Every picture it draws
reads that record only, so the fitted lines (data space) and the marked points on the contour
(parameter space) always show the same moments.
"""

import matplotlib.pyplot as plt
import numpy as np


def _as_column_array(values):
    """Plain float numpy array of `values` (a tensor, array or list), flattened."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=float).reshape(-1)


def _as_float(value):
    """A plain float from a number or a one-element tensor (with or without gradients)."""
    if hasattr(value, "detach"):
        value = value.detach()
    return float(value)


class plot_error_surfaces:
    """Loss surface of the line `w * x + b` on the data (X, Y), plus the path training takes.

    w_range, b_range: the grid spans [-w_range, w_range] x [-b_range, b_range].
    n_samples: grid points along each axis.
    go: draw the surface and its contour right away.
    """

    def __init__(self, w_range, b_range, X, Y, n_samples=30, go=True):
        self.x = _as_column_array(X)
        self.y = _as_column_array(Y)
        w_axis = np.linspace(-w_range, w_range, n_samples)
        b_axis = np.linspace(-b_range, b_range, n_samples)
        self.w, self.b = np.meshgrid(w_axis, b_axis)
        # Mean squared error of the line at each grid point: mean over the data of (y - (w x + b))^2
        predictions = self.w[..., None] * self.x + self.b[..., None]
        self.Z = np.mean((self.y - predictions) ** 2, axis=-1)
        self.W, self.B, self.LOSS = [], [], []
        if go:
            self.plot_surface()

    @property
    def n(self):
        """How many (w, b, loss) records training has made so far."""
        return len(self.LOSS)

    def set_para_loss(self, w, b, loss=None):
        """Record the parameters (numbers or 1-element tensors) and the loss on all the data
        there; `loss` is that loss if you have it already, else it is computed here."""
        w, b = _as_float(w), _as_float(b)
        if loss is None:
            loss = float(np.mean((self.y - (w * self.x + b)) ** 2))
        self.W.append(w)
        self.B.append(b)
        self.LOSS.append(_as_float(loss))

    def plot_surface(self):
        """Draw the loss surface in 3D and as a contour map."""
        fig = plt.figure(figsize=(10, 4))
        surface = fig.add_subplot(1, 2, 1, projection="3d")
        surface.plot_surface(self.w, self.b, self.Z, cmap="viridis", edgecolor="none")
        surface.set(title="Loss surface", xlabel="w", ylabel="b", zlabel="loss")
        self._draw_contour(fig.add_subplot(1, 2, 2), "Loss surface contour", path=False)
        self._show(fig)

    def plot_ps(self):
        """Draw the data with the current line next to the contour with the path so far."""
        if not self.LOSS:
            raise ValueError("Nothing to draw yet: call set_para_loss(w, b, loss) first.")
        fig, (data_space, parameter_space) = plt.subplots(1, 2, figsize=(10, 4))
        w, b = self.W[-1], self.B[-1]
        order = np.argsort(self.x)
        data_space.plot(self.x, self.y, "ro", label="training points")
        data_space.plot(self.x[order], w * self.x[order] + b, label="estimated line")
        data_space.set(xlabel="x", ylabel="y", ylim=(-10, 15),
                       title=f"Data space, iteration {self.n}")
        data_space.legend()
        self._draw_contour(parameter_space, f"Loss contour, iteration {self.n}", path=True)
        self._show(fig)

    def final_plot(self, title="Training", updates_per_epoch=None):
        """One figure for the whole run: the line at the start of each epoch (left), and the
        path of every recorded update on the loss contour with each epoch's start numbered
        (right). `updates_per_epoch` (the number of batches, `len(trainloader)`) says which
        records start an epoch."""
        if self.n < 2:
            print(f"{title}: no path to draw, since training recorded no parameters. Call "
                  "get_surface.set_para_loss(w, b) in the batch loop, before each update, to "
                  "see it.")
            return
        step = updates_per_epoch or 1
        starts = list(range(0, self.n, step))
        if starts[-1] != self.n - 1:
            starts.append(self.n - 1)  # where training ended
        fig, (data_space, parameter_space) = plt.subplots(1, 2, figsize=(10, 4))
        order = np.argsort(self.x)
        data_space.plot(self.x, self.y, "ro", markersize=3, label="training points")
        colors = plt.cm.viridis(np.linspace(0, 1, len(starts)))
        labels = {0: "start", 1: "after epoch 1", len(starts) - 1: f"after epoch {len(starts) - 1}"}
        for epoch, (index, color) in enumerate(zip(starts, colors)):
            w, b = self.W[index], self.B[index]
            data_space.plot(self.x[order], w * self.x[order] + b, color=color, linewidth=1,
                            label=labels.get(epoch))
        data_space.set(xlabel="x", ylabel="y", ylim=(-10, 15),
                       title=f"{title}\nthe line after each epoch")
        data_space.legend(fontsize="small")
        parameter_space.contour(self.w, self.b, self.Z, levels=15)
        parameter_space.plot(self.W, self.B, "r-", linewidth=0.6, marker=".", markersize=2)
        for epoch, index in enumerate(starts):
            parameter_space.annotate(str(epoch), (self.W[index], self.B[index]), fontsize=8,
                                     xytext=(3, 3), textcoords="offset points")
        parameter_space.set(xlabel="w", ylabel="b",
                            title=f"the path of all {self.n - 1} updates\n"
                                  "(k: where epoch k ended, 0: the start)")
        self._show(fig)

    def _draw_contour(self, axes, title, path):
        axes.contour(self.w, self.b, self.Z, levels=15)
        if path and self.LOSS:
            axes.plot(self.W, self.B, "r-", linewidth=0.8)
            axes.scatter(self.W, self.B, c="r", marker="x")
        axes.set(xlabel="w", ylabel="b", title=title)

    @staticmethod
    def _show(fig):
        fig.tight_layout()
        # Non-interactive backends (headless runs) have nothing to show; closing keeps memory flat.
        if plt.get_backend().lower() != "agg":
            plt.show()
        plt.close(fig)
