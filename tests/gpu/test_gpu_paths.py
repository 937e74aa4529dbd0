"""The CUDA path of every torch computation checker runs, each against the CPU result.

Marked ``gpu``: ``tests/conftest.py`` skips these when ``torch.cuda.is_available()`` is false,
and that is the only reason they skip. Each comparison is a function of the device so that the
same code runs on the CPU against the CPU (``tests/wrm/test_gpu_check.py``, not marked): this
proves the comparison code itself works on a machine without a GPU, and nothing about CUDA.

Every tolerance is a named constant below with its reason. Without a GPU none of the ``gpu``
tests has ever run in this repository: their first run is ``scripts/gpu_check.sh`` on a CUDA
machine (docs/gpu.md).
"""

from __future__ import annotations

import pytest
import torch

#: float64 results of the same float64 algorithm on two devices: kernels sum in different
#: orders (≈ n·ulp per reduction); after ≤ 2 epochs or ≤ 2000 ascent steps the drift stays far
#: below 1e-8 relative on these O(1) problems.
F64_CROSS_DEVICE_REL = 1e-8
#: Weights after training: Adam divides by sqrt(v) + 1e-8, which can amplify an ulp-level
#: gradient difference on a near-zero v; 1e-6 relative still catches any real divergence.
F64_TRAINED_WEIGHTS_REL = 1e-6
#: float32 matmul with TF32 *off* has relative error ~ sqrt(K)·2^-24 ≈ 1e-6 for K = 512; TF32 (10-bit
#: mantissa) gives ~1e-3. 1e-4 separates the two.
F32_NO_TF32_REL = 1e-4

gpu = pytest.mark.gpu


def _close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


# ----- comparisons, each of `dev` against the CPU ---------------------------------------------

def compare_training(dev: str) -> None:
    from checker.wrm.data import synthetic
    from checker.wrm.training import TrainConfig, train

    cfg = TrainConfig(method="wrm", epochs=2, n=300, seed=0)
    data = synthetic(300, seed=0)
    cpu = train(cfg, data=data, device="cpu", deterministic=True)
    other = train(cfg, data=data, device=dev, deterministic=True)
    assert other.device.startswith(dev.split(":")[0])
    assert _close(cpu.rho_hat, other.rho_hat, F64_TRAINED_WEIGHTS_REL)
    assert abs(cpu.test_accuracy - other.test_accuracy) <= 1 / 300 * 2  # at most two flipped points
    for p, q in zip(cpu.model.parameters(), other.model.parameters()):
        assert torch.allclose(p, q.cpu(), rtol=F64_TRAINED_WEIGHTS_REL, atol=F64_TRAINED_WEIGHTS_REL)
    # deterministic: the same run twice on `dev` is bit-identical
    again = train(cfg, data=data, device=dev, deterministic=True)
    for p, q in zip(other.model.parameters(), again.model.parameters()):
        assert torch.equal(p, q)


def compare_inner(dev: str) -> None:
    from checker.wrm.inner import InnerConfig, maximize_inner
    from checker.wrm.models import mlp

    model = mlp(2, (8, 8), "elu", 3, seed=1)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(256, 2, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 3, (256,), generator=gen)
    for cfg in (InnerConfig(gamma=2.0), InnerConfig(gamma=4.0, tol=1e-9, max_steps=3000,
                                                    step_rule="constant", step_size=0.05)):
        cpu = maximize_inner(model, x, y, cfg)
        other = maximize_inner(model.to(dev), x.to(dev), y.to(dev), cfg)
        model.cpu()
        assert other.z.device.type == torch.device(dev).type
        assert torch.allclose(cpu.z, other.z.cpu(), rtol=0, atol=F64_CROSS_DEVICE_REL)
        assert torch.allclose(cpu.objective, other.objective.cpu(), rtol=F64_CROSS_DEVICE_REL, atol=F64_CROSS_DEVICE_REL)
        assert cpu.converged == other.converged


def compare_pairs(dev: str) -> None:
    from checker.birthday.pairs import closest_pairs

    gen = torch.Generator().manual_seed(5)
    x = torch.rand(3000, 64, dtype=torch.float64, generator=gen)
    x[1234] = x[17]  # an exact duplicate: distance exactly 0 on both devices
    x[2000] = x[5] + 1e-7  # a near-duplicate the float32 screen must not lose
    cpu = closest_pairs(x, k=30)
    other = closest_pairs(x.to(dev), k=30)
    assert cpu.exact and other.exact
    assert list(zip(cpu.i, cpu.j)) == list(zip(other.i, other.j))
    assert cpu.squared[0] == 0.0 and other.squared[0] == 0.0
    for a, b in zip(cpu.squared, other.squared):
        assert _close(float(a), float(b), F64_CROSS_DEVICE_REL)


def compare_certificate(dev: str) -> None:
    from checker.certify.certificate import certify
    from checker.wrm.models import mlp

    model = mlp(2, (4, 2), "elu", 2, seed=0)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(32, 2, dtype=torch.float64, generator=gen)
    y = (x.norm(dim=1) > 2**0.5).long()
    cpu = certify(model, x, y, gamma=2.0)
    other = certify(model.to(dev), x.to(dev), y.to(dev), gamma=2.0)
    model.cpu()
    assert cpu.sound == other.sound
    for name in ("rho_hat", "surrogate_mean", "certificate_at_rho_hat", "worst_case_loss", "clean_loss"):
        assert _close(getattr(cpu, name), getattr(other, name), F64_CROSS_DEVICE_REL), name


def compare_construction(dev: str) -> None:
    from checker.gan.construction import build_pair

    cpu = build_pair(dataset="digits", d_tilde=8, m=16, seed=0, device="cpu")
    other = build_pair(dataset="digits", d_tilde=8, m=16, seed=0, device=dev)
    assert other.pool.device.type == torch.device(dev).type
    assert torch.equal(cpu.pool, other.pool.cpu()) and torch.equal(cpu.thresholds, other.thresholds.cpu())
    z = cpu.sample_codes(200, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = cpu.generator(z)
        b = other.generator(z.to(dev)).cpu()
        ia, ib = cpu.ideal_generator(z), other.ideal_generator(z.to(dev)).cpu()
    assert torch.allclose(a, b, rtol=F64_CROSS_DEVICE_REL, atol=F64_CROSS_DEVICE_REL)
    assert torch.allclose(ia, ib, rtol=F64_CROSS_DEVICE_REL, atol=F64_CROSS_DEVICE_REL)
    assert torch.equal(cpu.block_index(z), other.block_index(z.to(dev)).cpu())


COMPARISONS = [compare_training, compare_inner, compare_pairs, compare_certificate, compare_construction]


# ----- on CUDA ----------------------------------------------------------------------------------

@gpu
@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda f: f.__name__)
def test_cuda_matches_cpu(compare):
    compare("cuda")


@gpu
def test_real_cross_device_resume_refused(tmp_path):
    from checker.errors import ResumeError
    from checker.wrm.training import TrainConfig, train

    cfg = TrainConfig(method="erm", epochs=2, n=100)
    train(cfg, out=tmp_path / "r", stop_after=1, device="cpu")
    with pytest.raises(ResumeError, match="--device cpu"):
        train(cfg, out=tmp_path / "r", device="cuda")


@gpu
def test_tf32_off_under_the_policy():
    from checker.device import device_policy

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(512, 512, generator=gen)
    b = torch.randn(512, 512, generator=gen)
    exact = a.double() @ b.double()
    with device_policy(deterministic=True):
        got = (a.cuda() @ b.cuda()).double().cpu()
    rel = float((got - exact).abs().max() / exact.abs().max())
    assert rel <= F32_NO_TF32_REL
