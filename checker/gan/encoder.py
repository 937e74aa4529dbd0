r"""The encoder :math:`E` of Theorem 1: one linear layer with exactly :math:`\tilde d` nonzero weights.

Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651), Theorem 1 ("an encoder with at most
:math:`\tilde d` non-zero weights", [S]); construction of docs/math/arora-thm1.md,
"Encoder" ([A] idea, [R] details).

=====================  ==================  ==================================================
paper symbol           argument            meaning
=====================  ==================  ==================================================
:math:`d`              ``d``               image dimension
:math:`\tilde d`       ``d_tilde``         code dimension
:math:`W`              ``linear.weight``   :math:`W_{j,\,jk} = 1/\sigma`, all else 0
:math:`\sigma`         ``sigma``           noise scale (default 1, [R])
=====================  ==================  ==================================================

.. math::

    E(x) = W x, \qquad E(\tilde x \circledast z) = z \quad\text{(C1)}

and the all-ReLU variant :math:`E(x) = \mathrm{ReLU}(Wx) - \mathrm{ReLU}(-Wx)` (hidden layer of
:math:`2\tilde d` units with weights :math:`\pm W`, output weights :math:`\pm 1`: :math:`4\tilde d`
nonzero weights). Both are exact in float64 when :math:`\sigma = 1`: every output is one input
coordinate times 1 plus exact zeros. With :math:`\sigma \ne 1` the result is
:math:`\mathrm{fl}(\mathrm{fl}(\sigma z)\cdot\mathrm{fl}(1/\sigma))`, within
``checker.tolerances.NOISE_SCALE_REL`` of :math:`z` (exact when :math:`\sigma` is a power of 2;
for subnormal codes the error is absolute, at most :math:`(1/\sigma + 1)\,2^{-1074}`).
"""

from __future__ import annotations

import torch
from torch import nn

from checker.gan.noising import check_layout, noise_indices
from checker.validate import positive

__all__ = ["NoiseEncoder", "encoder_nonzero_count"]


class NoiseEncoder(nn.Module):
    """``E(x) = W x`` reading the noise pixels (``relu=False``), or its ReLU form (``relu=True``).

    Built with :meth:`build`; the weights are ordinary ``nn.Linear`` parameters so that any
    discriminator or user code can inspect, count and differentiate them.
    """

    def __init__(self, *, d: int, d_tilde: int, relu: bool = False, sigma: float = 1.0,
                 dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"):
        super().__init__()
        d, d_tilde = check_layout(d, d_tilde)
        self.d, self.d_tilde, self.relu, self.sigma = d, d_tilde, bool(relu), positive("sigma", sigma)
        idx = noise_indices(d, d_tilde)
        scale = 1.0 / self.sigma
        rows = torch.arange(d_tilde)
        if not self.relu:
            self.linear = nn.Linear(d, d_tilde, bias=False, dtype=dtype, device=device)
            with torch.no_grad():
                self.linear.weight.zero_()
                self.linear.weight[rows, idx] = scale
        else:
            self.hidden = nn.Linear(d, 2 * d_tilde, bias=False, dtype=dtype, device=device)
            self.out = nn.Linear(2 * d_tilde, d_tilde, bias=False, dtype=dtype, device=device)
            with torch.no_grad():
                self.hidden.weight.zero_()
                self.hidden.weight[rows, idx] = scale
                self.hidden.weight[rows + d_tilde, idx] = -scale
                self.out.weight.zero_()
                self.out.weight[rows, rows] = 1.0
                self.out.weight[rows, rows + d_tilde] = -1.0
        self.register_buffer("noise_indices", idx.to(device), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.relu:
            return self.linear(x)
        return self.out(torch.relu(self.hidden(x)))

    def nonzero_weights(self) -> int:
        """Number of nonzero entries over all weight tensors (``d_tilde`` or ``4*d_tilde``)."""
        return int(sum(int((p != 0).sum()) for p in self.parameters()))


def encoder_nonzero_count(d_tilde: int, *, relu: bool = False) -> int:
    """The count the construction promises: ``d_tilde`` (linear) or ``4*d_tilde`` (ReLU form)."""
    return 4 * d_tilde if relu else d_tilde
