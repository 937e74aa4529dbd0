"""PNG grids of flagged pairs for the visual-inspection step of the birthday test.

Arora & Zhang 2017, docs/math/birthday.md, "The procedure" [A], step 3: the flagged pairs
are saved as images and inspected by a human. Each pair is shown as two images side by side,
labelled with its rank and distance. Images are reshaped to ``(r, r)`` when ``d = r*r`` (or to ``image_shape``),
otherwise drawn as a 1-pixel-high strip. matplotlib's Agg backend; nothing is shown on screen.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from checker.errors import InvalidArgument
from checker.io import atomic_write_bytes

__all__ = ["pair_grid_png", "save_pair_grid"]


def _shape(d: int, image_shape: Sequence[int] | None) -> tuple[int, int]:
    if image_shape is not None:
        h, w = int(image_shape[0]), int(image_shape[1])
        if h * w != d:
            raise InvalidArgument("image_shape", tuple(image_shape), f"must multiply to d={d}")
        return h, w
    r = math.isqrt(d)
    return (r, r) if r * r == d else (1, d)


def pair_grid_png(left: np.ndarray, right: np.ndarray, distances: Sequence[float], *,
                  title: str = "", image_shape: Sequence[int] | None = None) -> bytes:
    """PNG bytes of a grid: one row per pair (``left[r]``, ``right[r]``), labelled by distance."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    left = np.asarray(left, dtype=float).reshape(len(left), -1)
    right = np.asarray(right, dtype=float).reshape(len(right), -1)
    if left.shape != right.shape or len(distances) != left.shape[0]:
        raise InvalidArgument("pairs", left.shape, "left, right and distances must have matching lengths")
    k, d = left.shape
    if k == 0:
        raise InvalidArgument("pairs", 0, "must contain at least one pair to draw")
    h, w = _shape(d, image_shape)
    strip = h == 1
    both = np.concatenate([left.ravel(), right.ravel()])
    vmin, vmax = (float(v) for v in np.percentile(both, [1, 99]))  # robust to noise pixels
    if vmax <= vmin:
        vmin, vmax = float(both.min()), float(both.max()) + 1e-12
    if strip:  # one pair per row, the two strips side by side
        fig, axes = plt.subplots(k, 2, figsize=(6, 0.35 * k + 0.6), squeeze=False)
        cells = [(axes[r][0], axes[r][1]) for r in range(k)]
    else:  # pairs in a grid, each pair two images side by side, labelled by its distance
        cols = min(k, 5)
        rows = math.ceil(k / cols)
        fig, axes = plt.subplots(rows, 2 * cols, figsize=(1.25 * 2 * cols, 1.35 * rows + 0.5),
                                 squeeze=False)
        for ax in axes.ravel():
            ax.set_axis_off()
        cells = [(axes[r // cols][2 * (r % cols)], axes[r // cols][2 * (r % cols) + 1]) for r in range(k)]
    for r, (ax_l, ax_r) in enumerate(cells):
        for ax, img in ((ax_l, left[r]), (ax_r, right[r])):
            ax.set_axis_on()
            ax.imshow(img.reshape(h, w), cmap="gray", vmin=vmin, vmax=vmax,
                      aspect="auto" if strip else "equal", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        if strip:
            ax_l.set_ylabel(f"{distances[r]:.3g}", rotation=0, ha="right", va="center", fontsize=7)
        else:
            ax_l.set_title(f"#{r + 1}: d={distances[r]:.3g}", fontsize=7, loc="left")
    if title:
        fig.suptitle(title, fontsize=6, wrap=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def save_pair_grid(path, left, right, distances, *, title: str = "",
                   image_shape: Sequence[int] | None = None) -> Path:
    """Write :func:`pair_grid_png` to ``path`` atomically."""
    return atomic_write_bytes(path, pair_grid_png(left, right, distances, title=title,
                                                  image_shape=image_shape))
