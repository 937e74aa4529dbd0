r"""Sweep kind ``arora-fooling``: Arora, Risteski, Zhang (ICLR 2018) Theorem 1 measured at one
pool size :math:`m` and one discriminator size (docs/math/arora-thm1.md).

One task builds Theorem 1's pair :math:`(G, E)` with a pool of :math:`m` images, trains bounded
discriminators of capacity :math:`p` (set by ``hidden``) to maximise the gap
:math:`|\mathbb E\varphi(D(x,E(x))) - \mathbb E\varphi(D(G(z),z))|` and reports the held-out gap
with its Hoeffding interval (:func:`checker.gan.fooling.run_fooling` on the grid ``(m,)``),
next to the explicit bound's :math:`\varepsilon(m)` and :math:`m^\star`. A sweep over
``m × hidden × seed`` draws the curve of the gap against :math:`m` per :math:`p`. Sampled
evidence about *trained* discriminators, never a check of the supremum.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from checker.sweep.kinds.base import Kind
from checker.sweep.params import Param

__all__ = ["FOOLING"]

PARAMS: dict[str, Param] = {
    "m": Param(type="int", default=64, help="pool size of the generator"),
    "dataset": Param(type="str", default="digits", help="digits, mnist or synthetic"),
    "d_tilde": Param(type="int", default=8, help="noise pixels"),
    "disc_kind": Param(type="str", default="mlp", help="discriminator family"),
    "hidden": Param(type="int", default=2, help="discriminator hidden width (sets its capacity p)"),
    "radius": Param(type="float", default=5.0, help="weight-ball radius R"),
    "clip": Param(type="float", default=1.0, help="output clip"),
    "phi": Param(type="str", default="identity", help="measuring function"),
    "eps": Param(type="float", default=0.25, help="target epsilon"),
    "restarts": Param(type="int", default=2, help="discriminator restarts"),
    "steps": Param(type="int", default=80, help="Adam steps per restart"),
    "batch": Param(type="int", default=256, help="batch size"),
    "lr": Param(type="float", default=0.05, help="Adam learning rate"),
    "n_val": Param(type="int", default=4096, help="validation samples"),
    "n_test": Param(type="int", default=20000, help="held-out samples (sets the Hoeffding width)"),
    "support_draws": Param(type="int", default=20000, help="draws to count distinct outputs"),
    "relu_max_m": Param(type="int", default=1024, help="largest m built as a ReLU network"),
    "device": Param(type="str", default="cpu", help="cpu, cuda, cuda:N or auto"),
    "seed": Param(type="int", default=0, help="seed"),
}


def _config(c: dict[str, Any]):
    from checker.gan.fooling import FoolingConfig

    kw = {k: v for k, v in c.items() if k != "m"}
    return FoolingConfig(m_grid=(c["m"],), **kw)


def _normalise(c: dict[str, Any]) -> dict[str, Any]:
    from checker.sweep.models import check_device

    check_device("device", c["device"])
    # FoolingConfig validates every field, but resolves the device: only do that for the CPU.
    if c["device"] == "cpu":
        _config(c)
    return c


def run(c: dict[str, Any], root: Path) -> dict[str, Any]:
    from checker.gan.fooling import run_fooling
    from checker.threads import torch_threads

    with torch_threads(1):  # tiny discriminators (threads policy)
        res = run_fooling(_config(c))
    row = dataclasses.asdict(res.rows[0])
    row.pop("train_seconds")
    return {"row": row, "p": res.p, "L": res.L, "L_phi": res.L_phi, "Delta": res.Delta,
            "mstar": res.mstar, "level": res.level,
            "gap_within_level": row["gap_ci_low"] <= res.level,
            "distinct_real_images": res.distinct_real_images}


FOOLING = Kind(name="arora-fooling",
               description="held-out gap of trained bounded discriminators against Theorem 1's pair at pool size m",
               params=PARAMS, run=run, normalise=_normalise,
               packages=("checker/gan", "checker/bounds", "checker/threads.py", "checker/sweep/kinds/arora.py"), label_hint=("m", "hidden", "seed"))
