r"""A generator exported to ONNX, run without onnxruntime, for the birthday test.

The birthday-paradox test (Arora & Zhang 2017; Arora, Risteski, Zhang, ICLR 2018, §6) needs
fresh samples :math:`G(z)`, :math:`z\sim\mathcal N(0, I_k)`, of the generator under test. A
generator exported to ONNX is read with the ONNX reader of :mod:`checker.certify.external`
(:func:`~checker.certify.external.load_onnx`), which rebuilds the graph as an exact
``nn.Sequential`` of torch's own modules with the file's weights: a single-input chain of
``Gemm``/``MatMul`` (+ ``Add`` bias), ``Conv``, ``Flatten``, ``Reshape``, ``AveragePool`` and the
activations ``Elu``, ``Tanh``, ``Sigmoid``, ``Softplus``, ``Relu``, ``LeakyRelu`` (checker's own
BiGAN generator uses it), ``Identity``. Any other op, a branch or an unsupported attribute is
refused with the file and the node named.
checker does not depend on onnxruntime.

The code dimension :math:`k` is the input width of the first linear layer, else the graph
input's second dimension, else the user's ``--latent-dim``. Codes are drawn in float64 from the
trial's ``torch.Generator`` and cast to the weights' dtype (as for TorchScript generators,
:func:`checker.birthday.sources.from_module`), so an exported generator gives the same samples as
the torch model it came from for the same draws, up to float rounding of the two runtimes'
kernels (the tests hold them within 10⁻⁶ in float32).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from checker.errors import InvalidArgument
from checker.validate import positive_int

__all__ = ["OnnxGenerator", "load_onnx_generator"]


@dataclass(frozen=True, kw_only=True)
class OnnxGenerator:
    """An ONNX generator read into torch: ``module`` maps codes ``(n, latent_dim)`` to images;
    ``image_shape`` is ``(h, w)`` when the chain's output is ``(n, h, w)`` or ``(n, 1, h, w)``."""

    module: Any
    latent_dim: int
    image_shape: tuple[int, int] | None
    path: str

    def sample(self, n: int, *, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples ``G(z)`` flattened to ``(n, d)``, float64 on the CPU."""
        n = positive_int("n", n)
        p = next(self.module.parameters())
        z = torch.randn(n, self.latent_dim, generator=generator, dtype=torch.float64,
                        device=generator.device).to(device=p.device, dtype=p.dtype)
        with torch.no_grad():
            return self.module(z).reshape(n, -1).double().cpu()


def _graph_dims(path: str) -> tuple[list[int | None], list[int | None]]:
    """The data input's and the output's dimensions (``None`` where symbolic)."""
    import onnx

    model = onnx.load(os.fspath(path), load_external_data=False)
    g = model.graph
    inits = {t.name for t in g.initializer}

    def dims(v) -> list[int | None]:
        return [d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim]

    inp = [i for i in g.input if i.name not in inits]
    return (dims(inp[0]) if inp else []), (dims(g.output[0]) if g.output else [])


def load_onnx_generator(path, *, latent_dim: int | None = None, name: str = "--model",
                        device: object = "cpu") -> OnnxGenerator:
    """Read the ONNX generator at ``path`` (see the module docstring). Refusals are one-line
    :class:`~checker.errors.InvalidArgument` errors naming the file (and the node, for graphs
    outside the reader's rules)."""
    from checker.certify.external import load_onnx
    from checker.device import resolve_device

    p = os.fspath(path)
    if not os.path.isfile(p):
        raise InvalidArgument(name, p, "must be an existing ONNX file")
    seq = load_onnx(p)  # refuses unsupported ops naming the file and the node
    try:
        in_dims, _ = _graph_dims(p)
    except Exception:  # noqa: BLE001 - load_onnx read it; without the dims, fall back to the layers
        in_dims = []
    if len(in_dims) not in (0, 2):
        raise InvalidArgument(name, p, f"takes a {len(in_dims)}-D input: a generator takes codes of shape (n, k)")
    k = None
    if isinstance(seq[0], torch.nn.Linear):
        k = int(seq[0].in_features)
    elif len(in_dims) == 2 and in_dims[1]:
        k = int(in_dims[1])
    if k is None:
        if latent_dim is None:
            raise InvalidArgument("--latent-dim", None,
                                  f"is required: the code dimension of {p} is not a fixed input width")
        k = positive_int("--latent-dim", latent_dim)
    elif latent_dim is not None and int(latent_dim) != k:
        raise InvalidArgument("--latent-dim", latent_dim, f"must equal the ONNX graph's code dimension {k}")
    dtype = next(seq.parameters()).dtype
    try:  # one code through the chain: its output shape (the graph's may be symbolic)
        with torch.no_grad():
            tail = tuple(seq(torch.zeros(1, k, dtype=dtype)).shape[1:])
    except RuntimeError as exc:
        raise InvalidArgument(name, p, f"does not accept codes of width {k} ({str(exc).splitlines()[0]})") from None
    shape = None
    if len(tail) == 3 and tail[0] == 1:
        shape = (int(tail[1]), int(tail[2]))
    elif len(tail) == 2:
        shape = (int(tail[0]), int(tail[1]))
    dev = resolve_device(device, "--device")
    seq = seq.to(dev).eval()
    return OnnxGenerator(module=seq, latent_dim=k, image_shape=shape, path=p)
