"""Shared parameter declarations and paper citations of the bound library (pure data)."""

from __future__ import annotations

import sympy as sp

from checker.bounds.statement import Param

ARORA = "Arora, Risteski, Zhang, ICLR 2018 (arXiv 1711.02651)"
ARORA_BIRTHDAY = "Arora & Zhang 2017 (arXiv 1706.08224); Arora, Risteski, Zhang, ICLR 2018"
SINHA = "Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571)"
SINHA_V5 = "Sinha, Namkoong, Volpi, Duchi, arXiv 1710.10571v5"

P_p = Param(name="p", paper="p", description="discriminator capacity (number of parameters)",
            domain="positive_int")
P_Delta = Param(name="Delta", paper=r"\Delta",
                description="range bound of the measuring function, phi in [-Delta, Delta] "
                            "(the paper assumes Delta >= 1; the explicit bounds hold for any Delta > 0)")
P_L = Param(name="L", paper="L", description="Lipschitz constant of D in its parameters")
P_Lphi = Param(name="L_phi", paper=r"L_\varphi",
               description="Lipschitz constant of the measuring function phi")
P_eps = Param(name="eps", paper=r"\varepsilon", description="target fooling accuracy")
P_R = Param(name="R", paper="R", description="radius of the discriminator parameter ball",
            default=1, default_note="R=1 (unit ball, the convention of Arora et al. 2017) is our "
                                    "default, not stated by the paper")
P_m = Param(name="m", paper="m", description="pool size (support of the generator)",
            domain="positive_int")


def S(name: str, domain: str = "positive") -> sp.Symbol:
    """The sympy symbol of a parameter name with its domain's assumptions."""
    from checker.bounds.statement import DOMAINS

    return sp.Symbol(name, **DOMAINS[domain])
