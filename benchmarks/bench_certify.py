"""Benchmarks of the certificate (checker.certify), all on one CPU thread (tiny networks).

Every figure compares the sound certificate with its peer measured in the same run:

* **peer = a 16-step attack** (the official WRM inner loop, ``InnerConfig(steps=16)``) on the
  same points: the cost of soundness per example (issue target: at most 10x);
* **limit = the best attack's value**: the sound E[phi_gamma] is an upper bound, the best of a
  multi-start ascent (``falsify.wrm_ascent``, 8 starts x 200 steps) and the certificate's own
  ascent is a lower bound; their gap is what soundness costs in value;
* **Corollary 4** (the paper's global argument) is recorded next to the per-example bounds for
  the 8x8-digits MLP and the MNIST MLP stand-in: the fraction of test points the local
  argument certifies at the paper's gamma and the fallback's sound value.

The synthetic figure at gamma = 2 is the issue's "done when": 1,000 training points of a WRM-ELU
2-4-2 network (15 epochs), sound and within 1e-3 of the attack, in under a minute on one core.
"""

from __future__ import annotations

from benchmarks._harness import Row, time_call

AREA = "certify"


def _synthetic_model():
    from checker.wrm.data import load_dataset
    from checker.wrm.training import TrainConfig, train

    cfg = TrainConfig(method="wrm", dataset="synthetic", gamma=2.0, activation="elu", n=1000,
                      epochs=15)
    res = train(cfg)
    data = load_dataset("synthetic", seed=cfg.seed, n=cfg.n)
    return res.model, data


def _attack16(model, x, y, gamma):
    from checker.wrm.inner import InnerConfig, maximize_inner

    return maximize_inner(model, x, y, InnerConfig(gamma=gamma, steps=16))


def _best_attack_mean(model, x, y, gamma, cert):
    import torch

    from checker.certify.falsify import lagrangian, wrm_ascent

    z = wrm_ascent(model, x, y, gamma=gamma, starts=8, steps=200, seed=1)
    f = lagrangian(model, z, x, y, gamma)
    return float(torch.maximum(f, cert.phi_lower).mean())


def _mlp_row(name, dataset, hidden, epochs, max_train, n_test, rows):
    import time

    from checker.certify import certify
    from checker.certify.local import corollary4_tight
    from checker.certify.propagate import chain_net
    from checker.certify.smoothness import network_smoothness
    from checker.wrm.data import load_dataset
    from checker.wrm.training import TrainConfig, train

    res = train(TrainConfig(method="wrm", dataset=dataset, model="mlp", activation="elu",
                            hidden=hidden, epochs=epochs, max_train=max_train))
    model = res.model
    data = load_dataset(dataset, seed=0)
    x, y = data.x_test[:n_test], data.y_test[:n_test]
    gamma = res.gamma  # the paper's rule 0.04 C2
    lzz = network_smoothness(model, tuple(x.shape[1:])).lzz_bound
    net = chain_net(model.double(), tuple(x.shape[1:]))
    assert not isinstance(net, str), net
    tight = corollary4_tight(net)
    out = {}
    probes = [("paper", gamma), ("cor4_threshold", lzz / 2), ("tight_threshold", tight / 2)]
    probes += [(f"{f:g}x_tight_threshold", f * tight / 2) for f in (0.25, 0.5, 0.75)]
    for label, g in probes:
        t0 = time.perf_counter()
        c = certify(model, x, y, gamma=g, hessian=False, split="test")
        dt = time.perf_counter() - t0
        a = time.perf_counter()
        _attack16(model.double(), x.double(), y, g)
        ta = time.perf_counter() - a
        out[label] = {"gamma": g, "sound": c.sound, "sound_value": c.surrogate_mean,
                      "estimate": c.surrogate_lower_mean, "fractions": c.method_fractions,
                      "seconds": dt, "attack16_seconds": ta}
    p = out["paper"]
    rows.append(Row(
        area=AREA, name=f"{name}: per-example certificate at the paper's gamma={gamma:.3g} (cpu)",
        baseline="16-step attack (peer)", candidate="sound per-example certificate",
        baseline_s=p["attack16_seconds"], candidate_s=p["seconds"],
        ratio=p["seconds"] / p["attack16_seconds"], device="cpu",
        ratio_meaning="cost ratio (certificate time / attack time; the target is <= 10)",
        extra={"test_points": int(x.shape[0]), "test_accuracy": res.test_accuracy,
               "local_fraction_at_paper_gamma": p["fractions"].get("local"),
               "fallback_fraction_at_paper_gamma": p["fractions"].get("fallback"),
               "sound_value_at_paper_gamma": p["sound_value"],
               "estimate_at_paper_gamma": p["estimate"],
               "corollary4_lzz": lzz, "corollary4_sound_from_gamma": lzz / 2,
               "corollary4_tight_lzz": tight, "tight_sound_from_gamma": tight / 2,
               "at_corollary4_threshold": out["cor4_threshold"],
               "at_tight_threshold": out["tight_threshold"],
               "local_fraction_below_threshold": {k: (v["gamma"], v["fractions"].get("local"), v["sound_value"],
                                                      v["estimate"])
                                                  for k, v in out.items() if k.endswith("x_tight_threshold")}}))


def run(*, quick: bool) -> list[Row]:
    import torch

    from checker.certify import certify
    from checker.threads import torch_threads

    rows: list[Row] = []
    with torch_threads(1):
        model, data = _synthetic_model()
        n = 200 if quick else 1000
        x, y = data.x_train[:n], data.y_train[:n]
        m64 = model.double()
        # gamma = 2: the paper's line, sound by branch-and-bound
        t_attack = time_call(lambda: _attack16(m64, x, y, 2.0), repeat=3)
        holder = {}

        def sound():
            holder["c"] = certify(model, x, y, gamma=2.0, hessian=False, split="train")

        t_sound = time_call(sound, repeat=1, warmup=0)
        c = holder["c"]
        best = _best_attack_mean(m64, x, y, 2.0, c)
        rows.append(Row(
            area=AREA, name=f"sound certificate at gamma=2, synthetic WRM-ELU, n={n} (cpu, 1 thread)",
            baseline="16-step attack (peer)", candidate="sound certificate (branch-and-bound, tol 1e-4)",
            baseline_s=t_attack, candidate_s=t_sound, ratio=t_sound / t_attack, device="cpu",
            ratio_meaning="cost ratio (certificate time / attack time)",
            extra={"sound": c.sound, "sound_E_phi": c.surrogate_mean, "best_attack_E_phi": best,
                   "gap_to_best_attack": c.surrogate_mean - best, "gap_target": 1e-3,
                   "seconds_target": 60.0, "fractions": c.method_fractions,
                   "bnb_converged_fraction": c.bnb_converged_fraction}))
        # large gamma (Corollary 4 sound too): the "65x a 16-step attack" setting
        for g in (80.0, 13.0):
            ta = time_call(lambda g=g: _attack16(m64, x, y, g), repeat=3)
            certify(model, x, y, gamma=g, hessian=False)  # fills the sweep cache, as a sweep does
            ts = time_call(lambda g=g: certify(model, x, y, gamma=g, hessian=False), repeat=3)
            tg = time_call(lambda g=g: certify(model, x, y, gamma=g, hessian=False, method="global"),
                           repeat=3)
            th = time_call(lambda g=g: certify(model, x, y, gamma=g, hessian=True), repeat=1)
            c = certify(model, x, y, gamma=g, hessian=False)
            rows.append(Row(
                area=AREA, name=f"cost of soundness at gamma={g:g}, synthetic, n={n} (cpu, 1 thread)",
                baseline="16-step attack (peer)", candidate="sound per-example certificate",
                baseline_s=ta, candidate_s=ts, ratio=ts / ta, device="cpu",
                ratio_meaning="cost ratio (certificate time / attack time; target <= 10, was ~65)",
                extra={"fractions": c.method_fractions,
                       "corollary4_only_ratio": tg / ta,
                       "with_hessian_diagnostic_ratio": th / ta,
                       "mean_ascent_steps_per_example": c.steps_mean,
                       "max_ascent_steps": c.inner_steps}))
        # the optional linear (CROWN-style) bound against the default fallback, branch-and-bound
        # off so that the fallback decides (issue 25, item 5)
        for g in (2.0, 8.0):
            hold = {}

            def plain(g=g):
                hold["off"] = certify(model, x, y, gamma=g, hessian=False, bnb=False)

            def crown(g=g):
                hold["on"] = certify(model, x, y, gamma=g, hessian=False, bnb=False, crown=True)

            t_off = time_call(plain, repeat=1, warmup=0)
            t_on = time_call(crown, repeat=1, warmup=0)
            off, on = hold["off"], hold["on"]
            best = _best_attack_mean(m64, x, y, g, off)
            rows.append(Row(
                area=AREA, name=f"linear (CROWN-style) bound in the fallback at gamma={g:g}, synthetic, n={n}, "
                                "branch-and-bound off (cpu, 1 thread)",
                baseline="default fallback (peer)", candidate="fallback with crown=True",
                baseline_s=t_off, candidate_s=t_on, ratio=t_on / t_off, device="cpu",
                ratio_meaning="cost ratio (with / without the linear bound; kept off by default)",
                extra={"sound_off": off.surrogate_mean, "sound_on": on.surrogate_mean, "best_attack_E_phi": best,
                       "sound_over_found_off": off.surrogate_mean / best,
                       "sound_over_found_on": on.surrogate_mean / best,
                       "fractions_off": off.method_fractions, "fractions_on": on.method_fractions}))
        if not quick:
            _mlp_row("8x8 digits MLP 64-32-10 ELU (WRM, 30 epochs)", "digits", (32,), 30, None, 300, rows)
            _mlp_row("MNIST MLP stand-in 784-64-10 ELU (WRM, 2 epochs, 1,000 images)", "mnist", (64,),
                     2, 1000, 200, rows)
    if torch.cuda.is_available():
        rows[0].extra["note"] = "CPU figures only (tiny networks run on one CPU thread)"
    return rows
