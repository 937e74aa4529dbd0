r"""The noising operator :math:`x = \tilde x \circledast z` and its inverse split.

Arora, Risteski, Zhang, *Do GANs learn the distribution? Some theory and empirics*, ICLR 2018
(arXiv 1711.02651), docs/math/arora-thm1.md, "Noised images": the authors replace "every 100th
pixel" of a natural image by Gaussian noise, the noise vector being the code :math:`z`
(**replacement, not addition**, [A]). The index formula below is the project's own
specification ([R]; the paper's typography was not available).

=====================  ==========================  =============================================
paper symbol           argument                    meaning
=====================  ==========================  =============================================
:math:`d`              ``d``                       image dimension (flattened)
:math:`\tilde d`       ``d_tilde``                 code dimension, number of noise pixels
:math:`\tilde x`       ``clean``                   un-noised image, shape ``(n, d)``
:math:`z`              ``z``                       code / noise, shape ``(n, d_tilde)``
:math:`S`              :func:`noise_indices`       the noise positions
:math:`\sigma`         ``sigma``                   noise scale (default 1, [R])
=====================  ==========================  =============================================

.. math::

    k = \lfloor d/\tilde d \rfloor,\qquad
    (\tilde x \circledast z)_i = \begin{cases} \sigma z_{i/k} & i \equiv 0 \ (\mathrm{mod}\ k),
    \ i/k \le \tilde d\\ \tilde x_i & \text{otherwise}\end{cases}

(1-indexed). In 0-indexed form the noise pixels are ``(j+1)*k - 1`` for ``j < d_tilde``, and
pixel ``(j+1)*k - 1`` holds ``sigma * z[j]``. No divisibility of :math:`d` by :math:`\tilde d`
is needed: the side condition :math:`i/k \le \tilde d` is built in. Only :math:`1 \le \tilde d
\le d` is required.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from checker.errors import InvalidArgument
from checker.validate import positive, positive_int

__all__ = ["noise_indices", "apply_noise", "split_noise", "NoiseSplit", "check_layout"]


def check_layout(d: int, d_tilde: int) -> tuple[int, int]:
    """Validate ``(d, d_tilde)``: integers with ``1 <= d_tilde <= d``."""
    d = positive_int("d", d)
    d_tilde = positive_int("d_tilde", d_tilde)
    if d_tilde > d:
        raise InvalidArgument("d_tilde", d_tilde, f"must be <= d={d}",
                              hint="the code replaces d_tilde of the d pixels")
    return d, d_tilde


def noise_indices(d: int, d_tilde: int, *, device: torch.device | str = "cpu") -> torch.Tensor:
    """0-indexed noise pixel positions ``[(j+1)*k - 1 for j in range(d_tilde)]``, ``k = d // d_tilde``.

    >>> noise_indices(10, 4).tolist()
    [1, 3, 5, 7]
    """
    d, d_tilde = check_layout(d, d_tilde)
    k = d // d_tilde
    return (torch.arange(1, d_tilde + 1, dtype=torch.long, device=device) * k) - 1


def _check_pair(clean: torch.Tensor, z: torch.Tensor, idx: torch.Tensor) -> None:
    if clean.ndim != 2:
        raise InvalidArgument("clean.shape", tuple(clean.shape), "must be (n, d)")
    if z.ndim != 2 or z.shape[1] != idx.numel():
        raise InvalidArgument("z.shape", tuple(z.shape), f"must be (n, d_tilde={idx.numel()})")
    if z.shape[0] != clean.shape[0]:
        raise InvalidArgument("z.shape", tuple(z.shape),
                              f"must have as many rows as clean (n={clean.shape[0]})")


def apply_noise(clean: torch.Tensor, z: torch.Tensor, *, sigma: float = 1.0) -> torch.Tensor:
    r"""Return :math:`\tilde x \circledast z`: ``clean`` with its noise pixels replaced by ``sigma*z``.

    ``clean`` has shape ``(n, d)`` and ``z`` shape ``(n, d_tilde)``; the result is a new tensor.
    """
    idx = noise_indices(clean.shape[-1], z.shape[-1], device=clean.device)
    _check_pair(clean, z, idx)
    sigma = positive("sigma", sigma)
    out = clean.clone()
    out[:, idx] = z.to(clean.dtype) if sigma == 1.0 else sigma * z.to(clean.dtype)
    return out


@dataclass(frozen=True, kw_only=True)
class NoiseSplit:
    """Inverse of the noising operator: ``clean`` has its noise pixels set to 0, ``z`` the codes."""

    clean: torch.Tensor
    z: torch.Tensor


def split_noise(x: torch.Tensor, d_tilde: int, *, sigma: float = 1.0) -> NoiseSplit:
    r"""Split a noised image into :math:`((I - PP^\top)x,\ P^\top x/\sigma)`.

    ``apply_noise(split.clean, split.z)`` returns ``x`` again (exactly when ``sigma`` is 1).
    """
    if x.ndim != 2:
        raise InvalidArgument("x.shape", tuple(x.shape), "must be (n, d)")
    idx = noise_indices(x.shape[1], d_tilde, device=x.device)
    sigma = positive("sigma", sigma)
    z = x[:, idx].clone()
    if sigma != 1.0:
        z = z / sigma
    clean = x.clone()
    clean[:, idx] = 0
    return NoiseSplit(clean=clean, z=z)
