r"""Models of the WRM experiments, and saving/loading them without unpickling code.

Paper: Sinha, Namkoong, Duchi, ICLR 2018 (arXiv 1710.10571), §4.1 (synthetic: a 2-4-2 MLP with
ReLU or ELU and 2 logits) and §4.2 (MNIST: 8×8, 6×6, 5×5 convolutions with ELU, then a dense
layer). The exact MNIST architecture is the authors' released ``utils.cnn_model`` [C]
(layer sizes read from that code; docs/math/sinha.md, "Experiments"):

=====================  ==================  ======================  ===========
layer                  specification       output (1×28×28 in)     parameters
=====================  ==================  ======================  ===========
conv + ELU             64, 8×8, stride 2, "same"   64×14×14        4,160
conv + ELU             128, 6×6, stride 2, valid   128×5×5         295,040
conv + ELU             128, 5×5, stride 1, valid   128×1×1         409,728
flatten + dense        10 logits                   10              1,290
total                                                              710,218
=====================  ==================  ======================  ===========

TF "same" padding for an 8×8 kernel with stride 2 on 28 pixels pads
:math:`\max((14-1)\cdot 2 + 8 - 28, 0) = 6` rows, 3 before and 3 after; we reproduce it with an
explicit ``ZeroPad2d``. (A (3, 4) split gives the same output: the 35th padded row is never read
by a stride-2 8×8 window; a test checks both.)

Initialisation [C]: Keras defaults, Glorot-uniform weights and zero biases, drawn from an
explicit seed. The MLP uses the same rule (the paper does not state one: [R]).

Saving [R]: every model is an ``nn.Sequential`` of standard layers, described layer by layer
in JSON; :func:`save_model` stores that JSON, the user's ``meta`` (JSON) and the tensors;
:func:`load_model` rebuilds the architecture from the JSON and loads the tensors with
``torch.load(weights_only=True)``, so no code is ever unpickled. A user-built
``nn.Sequential`` can be saved when it uses only the layer types in :data:`SUPPORTED_LAYERS`;
anything else is refused with a clear error (save its ``state_dict`` yourself instead).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.validate import integer, one_of, positive_int

__all__ = ["mlp", "mnist_convnet", "save_model", "load_model", "load_model_meta",
           "describe", "build_from_description", "ACTIVATIONS", "SUPPORTED_LAYERS",
           "FORMAT", "n_parameters"]

ACTIVATIONS = ("relu", "elu", "tanh", "softplus")
FORMAT = "checker-model/1"
SUPPORTED_LAYERS = ("Linear", "Conv2d", "ZeroPad2d", "Flatten", "ReLU", "ELU", "Tanh",
                    "Softplus", "Sigmoid", "Dropout", "Identity")
_DTYPES = {"float32": "float32", "float64": "float64"}


def _act(name: str):
    import torch.nn as nn

    return {"relu": nn.ReLU, "elu": nn.ELU, "tanh": nn.Tanh, "softplus": nn.Softplus}[name]()


def _glorot_(model, seed: int) -> None:
    import torch
    import torch.nn as nn

    gen = torch.Generator().manual_seed(int(seed))
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            with torch.no_grad():
                w = torch.empty(m.weight.shape, dtype=torch.float64)
                nn.init.xavier_uniform_(w, generator=gen)
                m.weight.copy_(w)
                if m.bias is not None:
                    m.bias.zero_()


def _dtype(dtype):
    import torch

    if dtype in (torch.float32, "float32"):
        return torch.float32
    if dtype in (torch.float64, "float64", None):
        return torch.float64
    raise InvalidArgument("dtype", dtype, "must be torch.float32 or torch.float64")


def mlp(in_features: int = 2, hidden: tuple[int, ...] = (4, 2), activation: str = "relu",
        n_classes: int = 2, *, seed: int = 0, dtype=None):
    """The paper's synthetic-task MLP (default 2-4-2 with 2 logits, 28 parameters).

    Inputs of any shape ``(N, ...)`` are flattened first, so ``in_features`` is the product of
    the feature dimensions (64 for 8×8 digits). Returns an ``nn.Sequential``.
    """
    import torch.nn as nn

    in_features = positive_int("in_features", in_features)
    hidden = tuple(positive_int("hidden", h) for h in hidden)
    one_of("activation", activation, ACTIVATIONS)
    n_classes = integer("n_classes", n_classes, min_value=2)
    layers: list[Any] = [nn.Flatten()]
    width = in_features
    for h in hidden:
        layers += [nn.Linear(width, h), _act(activation)]
        width = h
    layers.append(nn.Linear(width, n_classes))
    model = nn.Sequential(*layers)
    _glorot_(model, seed)
    return model.to(_dtype(dtype))


def mnist_convnet(*, n_classes: int = 10, activation: str = "elu", in_channels: int = 1,
                  seed: int = 0, dtype=None):
    """The authors' MNIST convnet (710,218 parameters for 1×28×28 inputs and 10 classes)."""
    import torch.nn as nn

    one_of("activation", activation, ACTIVATIONS)
    n_classes = integer("n_classes", n_classes, min_value=2)
    in_channels = positive_int("in_channels", in_channels)
    model = nn.Sequential(
        nn.ZeroPad2d((3, 3, 3, 3)),  # TF "same" for 8x8 stride 2 on 28x28
        nn.Conv2d(in_channels, 64, 8, stride=2), _act(activation),
        nn.Conv2d(64, 128, 6, stride=2), _act(activation),
        nn.Conv2d(128, 128, 5, stride=1), _act(activation),
        nn.Flatten(),
        nn.Linear(128, n_classes),
    )
    _glorot_(model, seed)
    return model.to(_dtype(dtype))


def n_parameters(model) -> int:
    return sum(p.numel() for p in model.parameters())


def _describe_layer(m) -> dict[str, Any]:
    import torch.nn as nn

    kind = type(m).__name__
    if type(m) is nn.Linear:
        return {"type": kind, "in_features": m.in_features, "out_features": m.out_features,
                "bias": m.bias is not None}
    if type(m) is nn.Conv2d:
        if m.padding_mode != "zeros" or isinstance(m.padding, str):
            raise InvalidArgument("model", kind, "Conv2d with string or non-zero padding mode cannot be saved")
        return {"type": kind, "in_channels": m.in_channels, "out_channels": m.out_channels,
                "kernel_size": list(m.kernel_size), "stride": list(m.stride),
                "padding": list(m.padding), "dilation": list(m.dilation), "groups": m.groups,
                "bias": m.bias is not None}
    if type(m) is nn.ZeroPad2d:
        return {"type": kind, "padding": list(m.padding)}
    if type(m) is nn.Flatten:
        return {"type": kind, "start_dim": m.start_dim, "end_dim": m.end_dim}
    if type(m) is nn.ELU:
        return {"type": kind, "alpha": float(m.alpha)}
    if type(m) is nn.Softplus:
        return {"type": kind, "beta": float(m.beta), "threshold": float(m.threshold)}
    if type(m) is nn.Dropout:
        return {"type": kind, "p": float(m.p)}
    if type(m) in (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity):
        return {"type": kind}
    raise InvalidArgument("model", kind, "contains a layer type that cannot be saved",
                          hint=f"supported: nn.Sequential of {', '.join(SUPPORTED_LAYERS)}")


def describe(model) -> dict[str, Any]:
    """JSON description of an ``nn.Sequential`` of supported layers (raises otherwise)."""
    import torch
    import torch.nn as nn

    if type(model) is not nn.Sequential:
        raise InvalidArgument("model", type(model).__name__, "cannot be saved: must be an nn.Sequential",
                              hint=f"of {', '.join(SUPPORTED_LAYERS)}; or save its state_dict yourself")
    params = list(model.parameters())
    dtype = params[0].dtype if params else torch.float64
    if dtype not in (torch.float32, torch.float64):
        raise InvalidArgument("model", str(dtype), "must have float32 or float64 parameters")
    return {"format": FORMAT, "dtype": str(dtype).replace("torch.", ""),
            "layers": [_describe_layer(m) for m in model]}


def build_from_description(desc: dict[str, Any]):
    """Rebuild the (untrained) ``nn.Sequential`` that :func:`describe` described."""
    import torch.nn as nn

    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise InvalidArgument("model description", str(desc)[:40], f"must have format {FORMAT!r}")
    layers = []
    for spec in desc["layers"]:
        spec = dict(spec)
        kind = spec.pop("type")
        if kind not in SUPPORTED_LAYERS:
            raise InvalidArgument("layer type", kind, f"must be one of {', '.join(SUPPORTED_LAYERS)}")
        if kind == "ZeroPad2d":
            spec["padding"] = tuple(spec["padding"])
        if kind == "Conv2d":
            for key in ("kernel_size", "stride", "padding", "dilation"):
                spec[key] = tuple(spec[key])
        layers.append(getattr(nn, kind)(**spec))
    return nn.Sequential(*layers).to(_dtype(_DTYPES.get(desc.get("dtype", "float64"), "float64")))


def save_model(model, path: str | os.PathLike, *, meta: dict[str, Any] | None = None) -> Path:
    """Save ``model`` (architecture JSON + weights + ``meta`` JSON) atomically to ``path``."""
    import io

    import torch

    from checker.io import atomic_write_bytes, to_jsonable

    desc = describe(model)
    meta_json = json.dumps(to_jsonable(meta or {}), sort_keys=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "architecture": json.dumps(desc), "meta": meta_json,
                "state_dict": state}, buf)
    return atomic_write_bytes(path, buf.getvalue())


def _read(path):
    import torch

    p = Path(path)
    if p.is_dir():
        p = p / "model.pt"
    if not p.is_file():
        raise InvalidArgument("path", str(path), "must be a model file saved by checker (or a run folder holding model.pt)")
    try:
        blob = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a usage error
        raise InvalidArgument("path", str(p), f"is not a checker model file ({type(exc).__name__})") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise InvalidArgument("path", str(p), f"is not a checker model file (format {FORMAT!r})")
    return blob


def load_model(path: str | os.PathLike):
    """Load a model saved by :func:`save_model` (or a run folder holding ``model.pt``).

    The architecture is rebuilt from JSON; weights are loaded with ``weights_only=True``.
    The model is returned in ``eval()`` mode on the CPU.
    """
    blob = _read(path)
    model = build_from_description(json.loads(blob["architecture"]))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    model.checker_meta = json.loads(blob["meta"])  # type: ignore[attr-defined]
    return model


def load_model_meta(path: str | os.PathLike) -> dict[str, Any]:
    """The ``meta`` dictionary stored with a saved model."""
    return json.loads(_read(path)["meta"])
