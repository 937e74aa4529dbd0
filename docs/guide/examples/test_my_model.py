"""Property tests of a model of my own, written only against checker's documented testing API.

Run with:  python3 -m pytest test_my_model.py --checker-profile ci
"""

import math

import torch
from hypothesis import given
from hypothesis import strategies as st

from checker.testing import assert_certificate_sound, assert_phi_bound, datasets, gammas

#: My model's logits are a * tanh(...), so they lie in [-a, a].
A = 2.0


class MyNet(torch.nn.Module):
    """A 2-feature, 2-class network with bounded logits."""

    def __init__(self, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.w1 = torch.nn.Parameter(torch.randn(8, 2, generator=g, dtype=torch.float64))
        self.w2 = torch.nn.Parameter(torch.randn(2, 8, generator=g, dtype=torch.float64) / 8)

    def forward(self, x):
        return A * torch.tanh(torch.tanh(x @ self.w1.T) @ self.w2.T)


#: My claim: with logits in [-A, A], the cross-entropy of 2 classes is at most log(1 + e^{2A}),
#: so E_n[phi_gamma] <= log(1 + e^{2A}) for every gamma > 0 (phi_gamma <= sup_z loss).
CLAIMED = math.log1p(math.exp(2 * A))


@given(data=datasets(2, min_n=1, max_n=8), gamma=gammas(min_value=0.1, max_value=10.0),
       seed=st.integers(0, 3))
def test_my_bound_on_the_surrogate(data, gamma, seed, checker_effort):
    x, y = data
    assert_phi_bound(MyNet(seed), x, y, gamma=gamma, claimed=CLAIMED, effort=checker_effort)


def test_my_certificate(checker_effort, checker_seed):
    """My certificate of robustness: the loss under any shift of transport cost rho is at most
    the same constant (a loose but true claim)."""
    g = torch.Generator().manual_seed(checker_seed)
    x = torch.randn(16, 2, generator=g, dtype=torch.float64)
    y = torch.randint(0, 2, (16,), generator=g)
    assert_certificate_sound(lambda rho: CLAIMED, MyNet(), x, y, effort=checker_effort,
                             seed=checker_seed)
