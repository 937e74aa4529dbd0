r"""Sweep kind ``arora-bigan``: train a BiGAN/ALI (:mod:`checker.gan.train`) and estimate its
generator's support with the birthday-paradox test (Arora & Zhang 2017; Arora, Risteski, Zhang,
ICLR 2018, §6).

Arora and Zhang's qualitative claim: the support a GAN learns grows with the size of its
discriminator (their DCGAN/ALI runs on CelebA with discriminators of increasing width; Arora,
Risteski and Zhang's Theorem 1 makes the converse point that a discriminator of :math:`p`
parameters can be fooled by a support of about :math:`p\log^2p/\epsilon^2`). One task trains one
run (``arch``, ``disc_hidden``, ``seed``) and runs the birthday test on it with the threshold
calibrated on the run's held-out images; a sweep over ``disc_hidden × seed`` draws the
estimated support against discriminator width. The task runs with one torch thread, so the
numbers do not depend on the worker's core count (local pool and Ray agree). Tested (sampled)
evidence, never proved.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from checker.sweep.kinds.base import Kind
from checker.sweep.params import Param

__all__ = ["BIGAN", "aggregate_bigan"]

PARAMS: dict[str, Param] = {
    "arch": Param(type="str", default="bigan", help="bigan or ali"),
    "dataset": Param(type="str", default="digits", help="digits or mnist"),
    "disc_hidden": Param(type="int", default=256, help="discriminator hidden width"),
    "hidden": Param(type="int", default=256, help="generator/encoder hidden width"),
    "latent_dim": Param(type="int", default=16, help="code dimension"),
    "steps": Param(type="int", default=3000, help="training steps"),
    "batch_size": Param(type="int", default=128, help="batch size"),
    "lr": Param(type="float", default=2e-4, help="Adam learning rate"),
    "loss": Param(type="str", default="minimax", help="minimax or nonsaturating"),
    "trials": Param(type="int", default=40, help="birthday trials per sample size"),
    "s": Param(type="ints?", default=None, help="sample sizes (default: the automatic grid)"),
    "quantile": Param(type="float", default=0.01, help="threshold quantile of held-out NN distances"),
    "seed": Param(type="int", default=0, help="seed of training and of the test"),
}


def _config(c: dict[str, Any]):
    from checker.gan.train import GanTrainConfig

    return GanTrainConfig(arch=c["arch"], dataset=c["dataset"], disc_hidden=c["disc_hidden"],
                          hidden=c["hidden"], latent_dim=c["latent_dim"], steps=c["steps"],
                          batch_size=c["batch_size"], lr=c["lr"], loss=c["loss"], seed=c["seed"],
                          checkpoint_every=max(1, min(250, c["steps"])))


def _normalise(c: dict[str, Any]) -> dict[str, Any]:
    from checker.birthday.procedure import BirthdayConfig
    from checker.validate import one_of, positive_int, probability

    one_of("dataset", c["dataset"], ("digits", "mnist"))
    _config(c)
    positive_int("trials", c["trials"])
    probability("quantile", c["quantile"])
    BirthdayConfig(s_values=None if c["s"] is None else tuple(c["s"]), trials=c["trials"], seed=c["seed"])
    return c


def run(c: dict[str, Any], root: Path) -> dict[str, Any]:
    from checker.birthday.calibrate import calibrate_threshold
    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import GeneratorSource
    from checker.gan.train import load_gan_data, train_gan
    from checker.threads import torch_threads

    with torch_threads(1):  # thread-count independent numbers (local pool and Ray agree)
        res = train_gan(_config(c), device="cpu")
        _, xte, _ = load_gan_data(c["dataset"], seed=c["seed"])
        thr = calibrate_threshold(xte, quantile=c["quantile"], source=f"held-out {c['dataset']} images")
        cfg = BirthdayConfig(s_values=None if c["s"] is None else tuple(c["s"]), trials=c["trials"], seed=c["seed"])
        bd = run_birthday_test(GeneratorSource(res.trained.sample, name=f"{c['arch']} run"), threshold=thr,
                               config=cfg)
    s = bd.summary()
    final = res.history[-1]
    return {"support_estimate": s["support_estimate"], "s_half": s["s_half"], "table": s["table"],
            "nonuniform_flagged": bool(bd.nonuniformity.flagged), "threshold": thr.value,
            "final": dataclasses.asdict(final) | {"seconds": None},
            "reconstruction": None if res.reconstruction is None else dataclasses.asdict(res.reconstruction),
            "disc_params": sum(p.numel() for p in res.trained.discriminator.parameters())}


def aggregate_bigan(recs, figdir: Path, figs: list, repro: list) -> tuple[str, dict]:
    """Report section: estimated support against discriminator width (per seed, and the
    geometric mean), and the reproduction row for Arora & Zhang's qualitative claim."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from checker.io import atomic_write_bytes

    def val(v):
        return float(v) if isinstance(v, (int, float)) else math.inf

    by_w: dict[int, list] = {}
    for r in recs:
        by_w.setdefault(r["config"]["disc_hidden"], []).append(r)
    rows, data = [], []
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for w, rs in sorted(by_w.items()):
        ests = []
        for r in sorted(rs, key=lambda r: r["config"]["seed"]):
            e = r["result"]["support_estimate"]
            ests.append(val(e["value"]))
            rows.append([w, r["result"]["disc_params"], r["config"]["seed"], r["config"]["arch"],
                         e["value"], e["low"], e["high"], "yes" if r["result"]["nonuniform_flagged"] else "no"])
            ax.errorbar([r["result"]["disc_params"]], [val(e["value"])],
                        yerr=[[val(e["value"]) - val(e["low"])], [max(val(e["high"]) - val(e["value"]), 0)]]
                        if math.isfinite(val(e["high"])) else None, fmt="o", color="C0", alpha=0.7)
        finite = [x for x in ests if math.isfinite(x) and x > 0]
        gmean = math.exp(sum(map(math.log, finite)) / len(finite)) if len(finite) == len(ests) else math.inf
        data.append({"disc_hidden": w, "disc_params": rs[0]["result"]["disc_params"], "estimates": ests,
                     "geometric_mean": gmean})
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("discriminator parameters")
    ax.set_ylabel("estimated support (collision count)")
    ax.set_title("Trained BiGAN/ALI: support vs discriminator size")
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    figs.append(str(atomic_write_bytes(figdir / "bigan_support.png", buf.getvalue())))
    lines = ["Estimated support of the trained generator (collision-count estimate with its 95% interval; "
             "tested with the stated trials, threshold at the held-out quantile) against the "
             "discriminator's width.", "",
             "| width | D params | seed | arch | support | low | high | non-uniform |",
             "|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row) + " |" for row in rows]
    g = [d["geometric_mean"] for d in data]
    if len(data) >= 2:
        # "grows" only when the geometric means increase with width AND every interval at the
        # largest width lies above every interval at the smallest (sampling noise alone cannot do it)
        first, last = by_w[min(by_w)], by_w[max(by_w)]
        separated = (min(val(r["result"]["support_estimate"]["low"]) for r in last)
                     > max(val(r["result"]["support_estimate"]["high"]) for r in first))
        grows = all(b > a for a, b in zip(g, g[1:])) and separated
        repro.append({"claim": "Arora & Zhang: the support a GAN learns grows with discriminator size",
                      "paper": "qualitative (DCGAN/ALI on CelebA)",
                      "ours": "geometric-mean estimate per width " + ", ".join(
                          f"{d['disc_hidden']}: {d['geometric_mean']:,.4g}" for d in data)
                      + " (tested; MLP BiGAN/ALI on " + ", ".join(sorted({r['config']['dataset'] for r in recs}))
                      + f", {max(r['config']['steps'] for r in recs):,} training steps)",
                      "settings": f"widths {[d['disc_hidden'] for d in data]}, seeds "
                                  f"{sorted({r['config']['seed'] for r in recs})}",
                      "verdict": "reproduced" if grows else "not reproduced"})
    return "\n".join(lines) + "\n", {"widths": data}


BIGAN = Kind(name="arora-bigan",
             description="train a BiGAN/ALI and estimate its support with the birthday test",
             params=PARAMS, run=run, normalise=_normalise,
             packages=("checker/gan", "checker/birthday", "checker/threads.py", "checker/sweep/kinds/bigan.py"),
             label_hint=("disc_hidden", "seed"))
