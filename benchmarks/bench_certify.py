"""Benchmarks of the certificate (checker.certify).

* throughput: one batched ``certify`` call over n examples against a per-example loop of
  ``certify`` calls (same model, same tolerance), CPU; the CUDA code path when a GPU exists;
* cost of soundness: the full certificate (per-example Hessian power iteration at every data
  point + the strong-concavity correction) against the plain certificate (inner ascent only).

Ratios are measured in the same run on the same device.
"""

from __future__ import annotations

from benchmarks._harness import Row, time_call

AREA = "certify"


def _setup(n: int, device: str):
    import torch

    from checker.certify.experiments import random_smooth_net, sound_gamma

    model = random_smooth_net(seed=0, in_features=2, hidden=(4, 2), activation="elu", scale=1.5)
    gamma = sound_gamma(model, 2, factor=1.5)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (n,), generator=gen)
    return model.to(device), x.to(device), y.to(device), gamma


def run(*, quick: bool) -> list[Row]:
    import torch

    from checker.certify import certify

    rows: list[Row] = []
    n = 128 if quick else 1024
    threads_before = torch.get_num_threads()
    # Tiny networks: torch's intra-op thread pool costs more than it saves (see the last row),
    # so the main figures use one thread; restored at the end.
    torch.set_num_threads(1)
    repeat = 3 if quick else 5
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for dev in devices:
        sync = torch.cuda.synchronize if dev == "cuda" else None
        model, x, y, gamma = _setup(n, dev)

        def batched():
            return certify(model, x, y, gamma=gamma, hessian=False)

        def loop():
            for i in range(n):
                certify(model, x[i:i + 1], y[i:i + 1], gamma=gamma, hessian=False)

        t_batch = time_call(batched, repeat=repeat, sync=sync)
        t_loop = time_call(loop, repeat=1 if quick else 2, sync=sync)
        rows.append(Row(area=AREA, name=f"certificate throughput, n={n}, 2-4-2 ELU net ({dev})",
                        baseline="per-example loop of certify()", candidate="one batched certify()",
                        baseline_s=t_loop, candidate_s=t_batch, ratio=t_loop / t_batch, device=dev,
                        extra={"examples_per_s_batched": n / t_batch,
                               "examples_per_s_loop": n / t_loop}))

        def plain():
            return certify(model, x, y, gamma=gamma, hessian=False, sound=False)

        def full():
            return certify(model, x, y, gamma=gamma, hessian=True, hessian_iters=30)

        t_plain = time_call(plain, repeat=repeat, sync=sync)
        t_full = time_call(full, repeat=repeat, sync=sync)
        rows.append(Row(area=AREA, name=f"cost of the sound certificate, n={n} ({dev})",
                        baseline="plain certificate (inner ascent to tol, no correction)",
                        candidate="sound certificate (+ Hessian power iteration: 30 steps for |lambda| then 30 shifted steps from 3 starts; correction)",
                        baseline_s=t_plain, candidate_s=t_full, ratio=t_full / t_plain, device=dev,
                        ratio_meaning="cost ratio (candidate time / baseline time; > 1 = overhead)"))
    model, x, y, gamma = _setup(n, "cpu")

    def batched_cpu():
        return certify(model, x, y, gamma=gamma, hessian=True)

    t_one = time_call(batched_cpu, repeat=repeat)
    torch.set_num_threads(max(2, threads_before))
    t_many = time_call(batched_cpu, repeat=repeat)
    torch.set_num_threads(threads_before)
    rows.append(Row(area=AREA, name=f"intra-op threads on a tiny net, n={n} (cpu)",
                    baseline=f"torch.set_num_threads({max(2, threads_before)})",
                    candidate="torch.set_num_threads(1)", baseline_s=t_many, candidate_s=t_one,
                    ratio=t_many / t_one, device="cpu"))
    if "cuda" not in devices:
        rows[0].extra["note"] = "CUDA code path skipped: no GPU on this machine"
    return rows
