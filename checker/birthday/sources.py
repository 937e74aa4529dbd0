r"""Sample sources for the birthday-paradox test: fresh draws, never a re-indexed fixed pool.

Arora & Zhang 2017 / Arora, Risteski, Zhang, ICLR 2018, docs/math/birthday.md,
"The procedure" [A]: step 1 draws a sample of size :math:`s` *from the
generator*. Public snippets instead sub-sample a fixed pool *with replacement*, so index
collisions create fake zero-distance duplicates. Here every trial calls
the generator afresh; a finite set of saved samples is sub-sampled *without* replacement.

A source has ``draw(n, *, generator) -> Tensor (n, d)`` (float64) and a ``name``. Provided:

* :class:`GeneratorSource`: any callable ``f(n)``, ``f(n, generator)`` or
  ``f(n, *, generator=...)`` returning a batch (tensor or array, ``(n, d)`` or ``(n, h, w)``);
  :func:`from_module` wraps a torch module mapping codes :math:`z\sim\mathcal N(0,I)` to images;
* :class:`ArraySource`: saved samples; a trial takes ``s`` distinct rows;
* :class:`DiscreteSource`: a known-support mixture :math:`\sum_i p_i\,\delta_{a_i}` plus
  Gaussian noise of scale ``noise_std`` (validation): :func:`uniform_source`,
  :func:`skewed_source`. Its *collision support* :math:`1/\sum_i p_i^2` equals :math:`N` for
  the uniform case; it is what a collision count estimates.

* :func:`model_source`: a trained generator named on the command line (``--source model
  --model X``): a ``checker gan train`` run folder, a TorchScript generator file, or a
  ``module:function`` sampler called as ``function(n, seed)`` returning ``n`` samples. Every
  trial's seed is drawn from the trial's ``torch.Generator``, so a sampler that honours its
  seed gives resume-stable trials. An ONNX generator (``.onnx``) is read into torch by
  :mod:`checker.gan.onnx_generator` (a chain of the ops :mod:`checker.certify.external` covers;
  others are refused naming the file and node); checker does not depend on ``onnxruntime``.

Feature maps (``drop_coordinates``) map samples to the space where distances are measured.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from checker.birthday.pairs import as_matrix
from checker.errors import InvalidArgument
from checker.validate import nonnegative, positive_int, probability

__all__ = [
    "GeneratorSource",
    "ArraySource",
    "DiscreteSource",
    "uniform_source",
    "skewed_source",
    "from_module",
    "load_samples",
    "drop_coordinates",
    "apply_feature_map",
    "as_source",
    "LoadedModel",
    "model_source",
    "SeededSampler",
]


def _check_batch(out: Any, n: int, d: int | None, name: str) -> torch.Tensor:
    if out is None:
        raise InvalidArgument(name, None, "returned None, must return a batch of shape (n, d)")
    x = as_matrix(out, name=f"{name} output")
    if x.shape[0] != n:
        raise InvalidArgument(f"{name} output rows", x.shape[0],
                              f"must equal the requested number of samples n={n}",
                              hint="an empty or short batch cannot be tested")
    if d is not None and x.shape[1] != d:
        raise InvalidArgument(f"{name} output dimension", x.shape[1],
                              f"must stay d={d} across calls")
    return x


class GeneratorSource:
    """Fresh samples from a callable; every output is checked (rows, finiteness, dimension)."""

    def __init__(self, fn: Callable[..., Any], *, name: str = "generator"):
        if not callable(fn):
            raise InvalidArgument("generator", type(fn).__name__, "must be callable")
        self.fn = fn
        self.name = name
        self.d: int | None = None
        self._mode = _call_mode(fn)

    def draw(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        n = positive_int("n", n)
        if self._mode == "kw":
            out = self.fn(n, generator=generator)
        elif self._mode == "pos":
            out = self.fn(n, generator)
        else:
            out = self.fn(n)
        x = _check_batch(out, n, self.d, self.name)
        self.d = x.shape[1]
        return x


def _call_mode(fn: Callable[..., Any]) -> str:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return "plain"
    params = list(sig.parameters.values())
    if any(p.name == "generator" for p in params):
        return "kw"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params):
        return "pos"
    return "plain"


def from_module(module: torch.nn.Module, *, latent_dim: int, name: str = "module") -> GeneratorSource:
    r"""A source drawing :math:`z\sim\mathcal N(0, I_{latent\_dim})` (float64, on the module's
    device) and returning ``module(z)`` under ``torch.no_grad()``."""
    latent_dim = positive_int("latent_dim", latent_dim)
    try:
        p = next(module.parameters())
        dev, dt = p.device, p.dtype
    except StopIteration:
        dev, dt = torch.device("cpu"), torch.float64

    def fn(n: int, generator: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, latent_dim, generator=generator, dtype=torch.float64,
                        device=generator.device).to(device=dev, dtype=dt)
        with torch.no_grad():
            return module(z)

    return GeneratorSource(fn, name=name)


class ArraySource:
    """Saved samples: each draw takes ``n`` *distinct* rows (a random subset, no replacement)."""

    def __init__(self, samples, *, name: str = "samples"):
        self.x = as_matrix(samples, name=name)
        if self.x.shape[0] < 2:
            raise InvalidArgument(f"{name}.shape[0]", self.x.shape[0], "must be >= 2 samples")
        self.name = name
        self.d = self.x.shape[1]

    @property
    def size(self) -> int:
        return int(self.x.shape[0])

    def draw(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        n = positive_int("n", n)
        if n > self.size:
            raise InvalidArgument("s", n, f"must be <= the number of saved samples ({self.size})",
                                  hint="a trial needs s distinct samples; save more or lower --s")
        perm = torch.randperm(self.size, generator=generator, device=generator.device)[:n]
        return self.x[perm.to(self.x.device)]


@dataclass(frozen=True, kw_only=True)
class DiscreteSource:
    r"""Mixture :math:`\sum_i p_i\,\delta_{a_i}` of ``atoms`` with ``weights``, plus
    :math:`\mathcal N(0,\sigma^2 I)` noise (:math:`\sigma` = ``noise_std``).

    ``real_data(n, seed=)`` draws fresh images from the same base distribution as the atoms
    (uniform pixels in [0, 1]): the "real data" on which the duplicate threshold is calibrated.
    """

    atoms: torch.Tensor
    weights: torch.Tensor
    noise_std: float
    name: str = "discrete"
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.atoms.ndim != 2:
            raise InvalidArgument("atoms.shape", tuple(self.atoms.shape), "must be (N, d)")
        if self.weights.shape != (self.atoms.shape[0],):
            raise InvalidArgument("weights.shape", tuple(self.weights.shape),
                                  f"must be (N,) with N={self.atoms.shape[0]}")
        if bool((self.weights < 0).any()) or abs(float(self.weights.sum()) - 1.0) > 1e-9:
            raise InvalidArgument("weights", "<vector>", "must be >= 0 and sum to 1")
        nonnegative("noise_std", self.noise_std)

    @property
    def d(self) -> int:
        return int(self.atoms.shape[1])

    @property
    def support(self) -> int:
        return int((self.weights > 0).sum())

    @property
    def collision_support(self) -> float:
        r""":math:`1/\sum_i p_i^2`: equal to the support for the uniform case."""
        return float(1.0 / (self.weights.double() ** 2).sum())

    def draw(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        n = positive_int("n", n)
        dev = generator.device
        idx = torch.multinomial(self.weights.to(dev), n, replacement=True, generator=generator)
        noise = torch.randn(n, self.d, generator=generator, dtype=torch.float64, device=dev)
        return self.atoms.to(dev)[idx] + self.noise_std * noise

    def real_data(self, n: int, *, seed: int = 1) -> torch.Tensor:
        g = torch.Generator().manual_seed(int(seed))
        return torch.rand(positive_int("n", n), self.d, generator=g, dtype=torch.float64)


def _atoms(N: int, d: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(int(seed))
    return torch.rand(N, d, generator=g, dtype=torch.float64)


def uniform_source(N: int, *, d: int = 64, noise_std: float = 0.02, seed: int = 0) -> DiscreteSource:
    """Uniform over ``N`` random images (pixels uniform in [0, 1]) plus small Gaussian noise."""
    N = positive_int("N", N)
    d = positive_int("d", d)
    w = torch.full((N,), 1.0 / N, dtype=torch.float64)
    return DiscreteSource(atoms=_atoms(N, d, seed), weights=w, noise_std=noise_std,
                          name=f"uniform(N={N})", meta={"N": N, "kind": "uniform"})


def skewed_source(N: int, *, heavy: float = 0.1, d: int = 64, noise_std: float = 0.02,
                  seed: int = 0) -> DiscreteSource:
    """``heavy`` of the mass on one image, the rest uniform over ``N - 1`` others.

    The paper's caveat [A]: 10% of the mass on one image gives duplicates within ~20 samples,
    whatever the support size.
    """
    N = positive_int("N", N)
    if N < 2:
        raise InvalidArgument("N", N, "must be >= 2 for a skewed distribution")
    heavy = probability("heavy", heavy)
    w = torch.full((N,), (1.0 - heavy) / (N - 1), dtype=torch.float64)
    w[0] = heavy
    return DiscreteSource(atoms=_atoms(N, positive_int("d", d), seed), weights=w,
                          noise_std=noise_std, name=f"skewed(N={N}, heavy={heavy})",
                          meta={"N": N, "kind": "skewed", "heavy": heavy})


def load_samples(path) -> ArraySource:
    """Saved samples from ``.npy`` or ``.npz`` (first array, or the one named ``samples``)."""
    from pathlib import Path

    p = Path(path)
    if not p.is_file():
        raise InvalidArgument("samples", str(p), "must be an existing .npy or .npz file")
    if p.suffix not in (".npy", ".npz"):
        raise InvalidArgument("samples", str(p), "must end in .npy or .npz")
    try:
        obj = np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InvalidArgument("samples", str(p), f"could not be read as numpy data ({exc})") from None
    if isinstance(obj, np.lib.npyio.NpzFile):
        with obj:
            keys = list(obj.keys())
            if not keys:
                raise InvalidArgument("samples", str(p), "holds no arrays")
            arr = obj["samples"] if "samples" in keys else obj[keys[0]]
    else:
        arr = obj
    if arr.ndim not in (2, 3, 4):
        raise InvalidArgument("samples.shape", arr.shape, "must be (n, d), (n, h, w) or (n, h, w, c)")
    return ArraySource(arr, name="samples")


def drop_coordinates(indices: Sequence[int] | torch.Tensor, d: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Feature map keeping every coordinate of ``range(d)`` except ``indices``.

    For Theorem 1's construction: two samples from the same pool image differ only in the
    ``d_tilde`` fresh noise pixels; without them they are identical (distance exactly 0).
    """
    d = positive_int("d", d)
    drop = torch.as_tensor(indices, dtype=torch.long).flatten().cpu()
    if drop.numel() and (int(drop.min()) < 0 or int(drop.max()) >= d):
        raise InvalidArgument("indices", "<out of range>", f"must lie in [0, {d})")
    keep_mask = torch.ones(d, dtype=torch.bool)
    keep_mask[drop] = False
    keep = torch.nonzero(keep_mask).flatten()
    if keep.numel() == 0:
        raise InvalidArgument("indices", f"<{drop.numel()} indices>", "must leave at least one coordinate")

    def fmap(x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != d:
            raise InvalidArgument("x.shape", tuple(x.shape), f"must have d={d} columns for this feature map")
        return x[:, keep.to(x.device)]

    fmap.kept = keep  # type: ignore[attr-defined]
    return fmap


def apply_feature_map(x: torch.Tensor, feature_map: Callable[[torch.Tensor], Any] | None) -> torch.Tensor:
    """``feature_map(x)`` checked to be a finite ``(n, k)`` batch with the same ``n``."""
    if feature_map is None:
        return x
    with torch.no_grad():
        out = feature_map(x)
    return _check_batch(out, x.shape[0], None, "feature_map")


def as_source(obj) -> Any:
    """A source object from a source, a callable, or an array of saved samples."""
    if hasattr(obj, "draw") and callable(obj.draw):
        return obj
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        return ArraySource(obj)
    if isinstance(obj, torch.nn.Module):
        raise InvalidArgument("source", type(obj).__name__,
                              "is a torch module: wrap it with from_module(module, latent_dim=...)")
    if callable(obj):
        return GeneratorSource(obj)
    raise InvalidArgument("source", type(obj).__name__,
                          "must be a callable generator, a torch module wrapped by from_module, "
                          "an array of samples or an object with draw(n, generator=)")


class SeededSampler:
    """Fresh samples from ``fn(n, seed)``: the seed of each call is drawn from the trial's
    ``torch.Generator`` (a 63-bit integer), so trials are reproducible and distinct."""

    def __init__(self, fn: Callable[[int, int], Any], *, name: str):
        if not callable(fn):
            raise InvalidArgument("model", name, "must name a callable function(n, seed)")
        self.fn = fn
        self.name = name
        self.d: int | None = None

    def draw(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        n = positive_int("n", n)
        seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device))
        x = _check_batch(self.fn(n, seed), n, self.d, self.name)
        self.d = x.shape[1]
        return x


@dataclass(frozen=True, kw_only=True)
class LoadedModel:
    """What ``--model`` named: the sample ``source``, its ``kind`` (``run``, ``torchscript``, ``onnx`` or
    ``function``), the image shape when known, and the run (``checker gan train``) if any."""

    source: Any
    kind: str
    image_shape: tuple[int, int] | None = None
    run: Any = None


def _function(spec: str, name: str) -> Callable[..., Any]:
    import importlib
    import re

    mod_name, _, fn_name = spec.partition(":")
    if not re.fullmatch(r"[A-Za-z_][\w.]*", mod_name) or not re.fullmatch(r"[A-Za-z_]\w*", fn_name):
        raise InvalidArgument(name, spec, "must be a run folder, a TorchScript file or module:function")
    import os
    import sys

    added = os.getcwd() not in sys.path and "" not in sys.path
    if added:  # as `python -m checker` does: modules in the working folder are importable
        sys.path.insert(0, os.getcwd())
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InvalidArgument(name, spec, f"names a module that cannot be imported ({exc})") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    fn = getattr(mod, fn_name, None)
    if fn is None or not callable(fn):
        raise InvalidArgument(name, spec, f"module {mod_name!r} has no function {fn_name!r}")
    return fn


def model_source(spec: str, *, latent_dim: int | None = None, device: object = "cpu",
                 name: str = "--model") -> LoadedModel:
    """The :class:`LoadedModel` for ``spec`` (see the module docstring).

    A run folder (or its ``model.pt``) is loaded with ``weights_only=True``. A TorchScript file
    is loaded with ``torch.jit.load``, which runs the file's own code: give only files you
    trust. Its code dimension is the module attribute ``latent_dim``, else ``latent_dim``.
    """
    from pathlib import Path

    from checker.device import resolve_device

    if not isinstance(spec, str) or not spec:
        raise InvalidArgument(name, spec, "must be a run folder, a TorchScript file or module:function")
    p = Path(spec)
    if p.suffix.lower() == ".onnx":  # read into torch by checker.certify.external (no onnxruntime)
        from checker.gan.onnx_generator import load_onnx_generator

        gen = load_onnx_generator(p, latent_dim=latent_dim, name=name, device=device)
        return LoadedModel(source=GeneratorSource(gen.sample, name=f"ONNX {p.name}"), kind="onnx",
                           image_shape=gen.image_shape)
    if not p.exists() and ":" in spec and not spec.startswith((".", "/")):
        fn = _function(spec, name)
        return LoadedModel(source=SeededSampler(fn, name=f"sampler {spec}"), kind="function")
    if p.is_dir() or (p.is_file() and p.name == "model.pt" and (p.parent / "result.json").exists()):
        from checker.gan.train import load_run

        run = load_run(p, name=name, device=device)
        src = GeneratorSource(run.sample, name=f"{run.config.arch} run {p}")
        return LoadedModel(source=src, kind="run", image_shape=run.image_shape, run=run)
    if not p.is_file():
        raise InvalidArgument(name, spec, "must be an existing run folder or TorchScript file, or module:function")
    dev = resolve_device(device, "--device")
    import warnings

    try:
        with warnings.catch_warnings():  # torch >= 2.10 marks TorchScript deprecated; it still loads
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(p), map_location=dev)
    except Exception as exc:  # noqa: BLE001 - not TorchScript: say so in one line
        raise InvalidArgument(name, spec, f"is not a TorchScript file ({type(exc).__name__})",
                              hint="save it with torch.jit.save(torch.jit.script(generator), path)") from None
    module.eval()
    k = getattr(module, "latent_dim", None)
    if k is None:
        if latent_dim is None:
            raise InvalidArgument("--latent-dim", None, f"is required: {spec} has no latent_dim attribute")
        k = latent_dim
    elif latent_dim is not None and int(latent_dim) != int(k):
        raise InvalidArgument("--latent-dim", latent_dim, f"must equal the module's latent_dim={int(k)}")
    return LoadedModel(source=from_module(module, latent_dim=int(k), name=f"TorchScript {p.name}"),
                       kind="torchscript")
