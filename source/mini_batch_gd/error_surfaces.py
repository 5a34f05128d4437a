"""Pictures of the loss surface and of training progress for the mini-batch gradient descent lab.

`plot_error_surfaces` keeps one record per call of `set_para_loss(w, b, loss)`. Every picture it
draws reads that record only, so the fitted line (data space) and the marked point on the contour
(parameter space) always show the same iteration.
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

    def set_para_loss(self, w, b, loss):
        """Record the parameters and the loss measured with them (numbers or 1-element tensors)."""
        self.W.append(_as_float(w))
        self.B.append(_as_float(b))
        self.LOSS.append(_as_float(loss))

    def plot_surface(self):
        """Draw the loss surface in 3D and as a contour map."""
        fig = plt.figure(figsize=(12, 5))
        surface = fig.add_subplot(1, 2, 1, projection="3d")
        surface.plot_surface(self.w, self.b, self.Z, cmap="viridis", edgecolor="none")
        surface.set(title="Loss surface", xlabel="w", ylabel="b", zlabel="loss")
        self._draw_contour(fig.add_subplot(1, 2, 2), "Loss surface contour", path=False)
        self._show(fig)

    def plot_ps(self):
        """Draw the data with the current line next to the contour with the path so far."""
        if not self.LOSS:
            raise ValueError("Nothing to draw yet: call set_para_loss(w, b, loss) first.")
        fig, (data_space, parameter_space) = plt.subplots(1, 2, figsize=(12, 4.5))
        w, b = self.W[-1], self.B[-1]
        order = np.argsort(self.x)
        data_space.plot(self.x, self.y, "ro", label="training points")
        data_space.plot(self.x[order], w * self.x[order] + b, label="estimated line")
        data_space.set(xlabel="x", ylabel="y", ylim=(-10, 15),
                       title=f"Data space, iteration {self.n}")
        data_space.legend()
        self._draw_contour(parameter_space, f"Loss contour, iteration {self.n}", path=True)
        self._show(fig)

    def final_plot(self):
        """Draw the whole path on the loss surface (3D) and on the contour map."""
        fig = plt.figure(figsize=(12, 5))
        surface = fig.add_subplot(1, 2, 1, projection="3d")
        surface.plot_wireframe(self.w, self.b, self.Z, linewidth=0.5)
        surface.scatter(self.W, self.B, self.LOSS, c="r", marker="x", s=200, alpha=1)
        surface.set(title="Path on the loss surface", xlabel="w", ylabel="b", zlabel="loss")
        self._draw_contour(fig.add_subplot(1, 2, 2), "Path on the loss contour", path=True)
        self._show(fig)

    def _draw_contour(self, axes, title, path):
        axes.contour(self.w, self.b, self.Z, levels=30)
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
