r"""Small smooth problems with known answers, for checking the inner maximisation.

Linear model with squared loss (docs/math/sinha.md, "A closed form for testing" [D]):
:math:`\ell(\theta; z) = \tfrac12(\theta^\top z - y)^2`, :math:`c(z, x) = \lVert z - x\rVert_2^2`,
:math:`r = \theta^\top x - y`. For :math:`\gamma > \lVert\theta\rVert^2/2`:

.. math::

    \phi_\gamma = \frac{\gamma r^2}{2\gamma - \lVert\theta\rVert^2}, \qquad
    z^\star = x + \frac{r}{2\gamma - \lVert\theta\rVert^2}\,\theta, \qquad
    \mu = 2\gamma - \lVert\theta\rVert^2 \ \text{(strong-concavity modulus, exact)}.

Logistic loss [D]: :math:`\ell = \log(1 + e^{-s\,\theta^\top z})` with :math:`s = 2y - 1`; its
input Hessian is :math:`\sigma'(\cdot)\theta\theta^\top \preceq \tfrac14\lVert\theta\rVert^2 I`,
so :math:`L_{zz} = \lVert\theta\rVert^2/4` and :math:`f` is strongly concave for
:math:`\gamma > \lVert\theta\rVert^2/8`.

In both cases, when :math:`L_{zz} < 2\gamma`, the Hessian of :math:`f` has eigenvalues in
:math:`[-2\gamma, 0)`, so :math:`f` is :math:`2\gamma`-smooth and ascent steps
:math:`\le 1/(2\gamma)` — every step of the official schedule — never decrease :math:`f`
(descent lemma) [D].
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["linear_model", "squared_loss", "logistic_loss", "ClosedForm", "closed_form"]


def linear_model(theta):
    """``nn.Linear(m, 1, bias=False)`` with weight ``theta`` (float64, on ``theta``'s device)."""
    import torch

    theta = torch.as_tensor(theta, dtype=torch.float64)
    lin = torch.nn.Linear(theta.numel(), 1, bias=False).to(device=theta.device, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(theta.reshape(1, -1))
    return lin


def squared_loss(logits, y):
    """:math:`\\tfrac12(\\theta^\\top z - y)^2` per example (``y`` real)."""
    return 0.5 * (logits.reshape(-1) - y) ** 2


def logistic_loss(logits, y):
    """:math:`\\log(1 + e^{-s\\,\\theta^\\top z})`, :math:`s = 2y - 1`, per example (``y`` in {0,1})."""
    import torch.nn.functional as F

    s = 2.0 * y.to(logits.dtype) - 1.0
    return F.softplus(-s * logits.reshape(-1))


@dataclass(frozen=True, kw_only=True)
class ClosedForm:
    """The exact inner solution of the linear/squared problem, per example."""

    phi: object
    z_star: object
    transport_cost: object
    loss: object
    mu: float


def closed_form(theta, x, y, gamma: float) -> ClosedForm:
    """§8.4 closed form; requires ``gamma > ||theta||^2 / 2`` (else φ is infinite)."""
    import torch

    from checker.errors import InvalidArgument

    theta = torch.as_tensor(theta, dtype=torch.float64)
    t2 = float(theta @ theta)
    mu = 2.0 * gamma - t2
    if not mu > 0:
        raise InvalidArgument("gamma", gamma, f"must exceed ||theta||^2/2={t2 / 2:.6g} for a finite maximum")
    r = x @ theta - y
    phi = gamma * r**2 / mu
    z_star = x + (r / mu)[:, None] * theta[None, :]
    cost = r**2 * t2 / mu**2
    loss = 2 * gamma**2 * r**2 / mu**2
    return ClosedForm(phi=phi, z_star=z_star, transport_cost=cost, loss=loss, mu=mu)
