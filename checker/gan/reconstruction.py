r"""Encoder and generator side by side: how close :math:`E\circ G` and :math:`G\circ E` come to
the identity for a trained BiGAN/ALI (:mod:`checker.gan.train`).

At the BiGAN optimum :math:`E = G^{-1}` (Donahue et al., ICLR 2017, Theorem 2); Arora, Risteski
and Zhang (ICLR 2018, Theorem 1) build an encoder-decoder pair that is near-optimal for the
objective while :math:`G\circ E` maps every image to one of few pool images. These statistics
measure what training produced (sampled evidence, :math:`n` draws each):

* latent side: :math:`r_z = \mathbb E\|E(G(z)) - z\|^2 / \mathbb E\|z - z'\|^2` for
  :math:`z, z'\sim\mathcal N(0, I_k)` independent, so a useless encoder scores about 1 and
  a perfect inverse 0 (:math:`\mathbb E\|z-z'\|^2 = 2k` exactly; the denominator is that
  exact value). ALI's encoder is read at its mean :math:`\mu(x)`;
* data side: :math:`r_x = \mathbb E\|G(E(x)) - x\|^2 / \mathbb E\|x - x'\|^2` over held-out
  images :math:`x` and an independent held-out :math:`x'` (a random pairing: chance level 1);
  plus the mean per-coordinate correlation of :math:`E(G(z))` with :math:`z`.

The figure shows held-out :math:`x` (top row) over :math:`G(E(x))` (bottom row), the picture
the BiGAN and ALI papers show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from checker.validate import integer, positive_int

__all__ = ["Reconstruction", "reconstruction_stats", "image_rows_png", "save_reconstruction_figure",
           "save_samples_figure"]


@dataclass(frozen=True, kw_only=True)
class Reconstruction:
    """Reconstruction statistics (see the module docstring); ``n_latent``/``n_data`` draws."""

    latent_rel_error: float
    latent_corr: float
    data_rel_error: float
    data_mse: float
    data_chance_mse: float
    n_latent: int
    n_data: int


def _encode(trained, x: torch.Tensor) -> torch.Tensor:
    return trained.encoder(x)  # ALI: noise=None reads the mean mu(x)


def reconstruction_stats(trained, x_test, *, n_latent: int = 2000, seed: int = 0) -> Reconstruction:
    """:class:`Reconstruction` of ``trained`` on held-out images ``x_test`` (``(n, d)``)."""
    n_latent = positive_int("n_latent", n_latent)
    seed = integer("seed", seed, min_value=0)
    p = next(trained.generator.parameters())
    g = torch.Generator().manual_seed(seed + 7)
    k = trained.config.latent_dim
    z = torch.randn(n_latent, k, generator=g, dtype=torch.float64)
    x = torch.as_tensor(x_test, dtype=torch.float64).reshape(len(x_test), -1)
    with torch.no_grad():
        ez = _encode(trained, trained.generator(z.to(p.device, p.dtype))).double().cpu()
        gex = trained.generator(_encode(trained, x.to(p.device, p.dtype))).double().cpu()
    lat = float(((ez - z) ** 2).sum(1).mean() / (2 * k))
    zc, ec = z - z.mean(0), ez - ez.mean(0)
    denom = (zc.norm(dim=0) * ec.norm(dim=0)).clamp_min(torch.finfo(torch.float64).tiny)
    corr = float(((zc * ec).sum(0) / denom).mean())
    mse = float(((gex - x) ** 2).sum(1).mean())
    perm = torch.randperm(x.shape[0], generator=g)
    perm = torch.where(perm == torch.arange(x.shape[0]), perm.roll(1), perm)  # x' != x
    chance = float(((x[perm] - x) ** 2).sum(1).mean())
    return Reconstruction(latent_rel_error=lat, latent_corr=corr, data_rel_error=mse / chance if chance > 0 else float("inf"),
                          data_mse=mse, data_chance_mse=chance, n_latent=n_latent, n_data=int(x.shape[0]))


def image_rows_png(rows: list[np.ndarray], labels: list[str], *, image_shape, title: str = "") -> bytes:
    """PNG bytes: one row of images per array in ``rows`` (each ``(n, d)``, values in [0, 1]),
    labelled on the left; drawn as one mosaic (one ``imshow``, fast on a busy CPU)."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    h, w = image_shape
    n = rows[0].shape[0]
    pad = 1
    mosaic = np.ones((len(rows) * (h + pad) + pad, n * (w + pad) + pad))
    for r, arr in enumerate(rows):
        for c in range(n):
            y0, x0 = pad + r * (h + pad), pad + c * (w + pad)
            mosaic[y0:y0 + h, x0:x0 + w] = np.clip(np.asarray(arr[c], dtype=float).reshape(h, w), 0.0, 1.0)
    scale = 0.8 / max(h, w)
    fig, ax = plt.subplots(figsize=(mosaic.shape[1] * scale + 1.0, mosaic.shape[0] * scale + 0.4))
    ax.imshow(mosaic, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([pad + r * (h + pad) + h / 2 for r in range(len(rows))])
    ax.set_yticklabels(labels, fontsize=8)
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def save_reconstruction_figure(trained, x_test, path, *, n: int = 12) -> Path:
    """``x`` (held-out, first ``n``) over ``G(E(x))``, written atomically as PNG."""
    from checker.io import atomic_write_bytes

    x = torch.as_tensor(x_test, dtype=torch.float64).reshape(len(x_test), -1)[:n]
    p = next(trained.generator.parameters())
    with torch.no_grad():
        gex = trained.generator(_encode(trained, x.to(p.device, p.dtype))).double().cpu()
    cfg = trained.config
    png = image_rows_png([x.numpy(), gex.numpy()], ["x", "G(E(x))"], image_shape=trained.image_shape,
                         title=f"{cfg.arch} on {cfg.dataset}: held-out x over its reconstruction G(E(x))")
    return atomic_write_bytes(path, png)


def save_samples_figure(trained, path, *, n: int = 32, seed: int = 0) -> Path:
    """``n`` generator samples in rows of 16 (a strip if the images are not square)."""
    from checker.io import atomic_write_bytes

    x = trained.sample(n, generator=torch.Generator().manual_seed(seed + 11)).numpy()
    shape = trained.image_shape or (1, trained.d)
    per = 16
    rows = [x[i:i + per] for i in range(0, n, per) if x[i:i + per].shape[0] == per]
    png = image_rows_png(rows, [""] * len(rows), image_shape=shape,
                         title=f"{trained.config.arch} on {trained.config.dataset}: samples G(z)")
    return atomic_write_bytes(path, png)
