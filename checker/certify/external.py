r"""Models trained outside checker: ONNX graphs and TorchScript files, read into the same layer chain.

The certificate (docs/math/sinha.md, Theorem 3) needs the function a model computes as a chain
of layers it can bound (:mod:`checker.certify.propagate`). This module reads a user's file into
an exact ``nn.Sequential`` of torch's own modules with the file's weights, so every check and
bound that applies to a Python model applies unchanged [R]:

* **ONNX** (``.onnx``, the interchange format of neural-network verification): a single-input
  chain of ``Gemm`` (``alpha = beta = 1``, ``transA = 0``), ``MatMul`` (optionally followed by
  an ``Add`` of a constant, its bias), ``Conv`` (2-D, ``group = 1``, explicit pads; asymmetric
  pads become ``ZeroPad2d``), ``Pad`` (mode ``constant``, value 0, non-negative pads on the
  two spatial axes of an N x C x H x W tensor only: exactly ``ZeroPad2d``), ``Flatten``
  (``axis = 1``), ``Reshape`` (to ``[N, -1]`` or ``[N, C, H, W]``), ``AveragePool`` (2-D, no
  ceil mode, padding only when counted), ``Elu``, ``Tanh``, ``Sigmoid``, ``Softplus``,
  ``Relu``, ``LeakyRelu`` and ``Identity``; ``Constant`` nodes feed initializers. PyTorch's export of
  ``nn.Softplus(beta)`` (``beta != 1``) is the three-node pattern
  ``Mul(x, b) -> Softplus -> Div(., b)`` with one positive finite scalar ``b`` in both places:
  :math:`\log(1+e^{bx})/b`, exactly ``nn.Softplus(beta=b)`` up to torch's threshold switch
  (below); a ``Mul`` or ``Div`` anywhere else is refused. Integer shape arithmetic on constants
  only (``ConstantOfShape``, ``Concat``, ``Reshape``, ``Slice``, ``Transpose``, ``Cast``,
  ``Unsqueeze``, ``Squeeze``, ``Gather``, all inputs constant, integer results: how the
  exporter writes ``Pad``'s amounts) is folded by ONNX's reference runtime
  (``onnx.reference``, the specification's own implementation). Any other op, a branch, or an
  attribute outside these rules is refused with the file and the node named. ONNX's
  ``Softplus`` is the exact :math:`\log(1+e^x)`; the rebuilt ``nn.Softplus`` switches to
  :math:`x` above :math:`bx>20`, a difference of at most :math:`\log(1+e^{-20})/b` that the
  certificate's torch allowance already covers.
* **TorchScript** (``torch.jit.script`` of an ``nn.Sequential``): every module is rebuilt from
  its original class name, constants and weights, and accepted only if the file's compiled code
  is *identical* to what ``torch.jit.script`` gives for the rebuilt module (so the file computes
  what the rebuilt chain computes). Traced modules and any other code are refused.

Weights keep the file's dtype (the certificate evaluates them in float64 and says so).
"""

from __future__ import annotations

import copy
import math
import os
import warnings
from pathlib import Path

from checker.errors import InvalidArgument

__all__ = ["ONNX_OPS", "load_external", "load_onnx", "load_torchscript", "is_external"]

#: ONNX ops read into the chain (anything else is refused by name).
ONNX_OPS = ("Gemm", "MatMul", "Add", "Conv", "Pad", "Flatten", "Reshape", "AveragePool", "Elu", "Tanh",
            "Sigmoid", "Softplus", "Mul", "Div", "Relu", "LeakyRelu", "Identity", "Constant")
#: ops folded when every input is a constant and every output an integer tensor (shape arithmetic)
ONNX_FOLDED = ("ConstantOfShape", "Concat", "Reshape", "Slice", "Transpose", "Cast", "Unsqueeze",
               "Squeeze", "Gather")


def is_external(path) -> bool:
    """True for a path this module reads (``.onnx``, or a TorchScript archive)."""
    p = Path(path)
    if p.suffix.lower() == ".onnx":
        return True
    return p.is_file() and _is_torchscript(p)


def _is_torchscript(p: Path) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            return any(n.endswith("/code/__torch__.py") or "/code/__torch__/" in n for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def load_external(path):
    """An exact ``nn.Sequential`` (eval mode) from an ONNX or TorchScript file."""
    p = Path(path)
    if not p.is_file():
        raise InvalidArgument("model", str(path), "must be an existing file")
    if p.suffix.lower() == ".onnx":
        return load_onnx(p)
    if _is_torchscript(p):
        return load_torchscript(p)
    raise InvalidArgument("model", str(path), "is neither an ONNX file (.onnx) nor a TorchScript archive")


# ------------------------------------------------------------------------------------------------
# ONNX
# ------------------------------------------------------------------------------------------------

def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def load_onnx(path):
    """Read an ONNX chain into an ``nn.Sequential`` (see the module docstring for the rules)."""
    import numpy as np
    import onnx
    import torch
    import torch.nn as nn
    from onnx import numpy_helper

    where = str(path)

    def refuse(what, rule):
        raise InvalidArgument(where, what, rule)

    try:
        model = onnx.load(os.fspath(path))
    except Exception as exc:  # the onnx package raises several types for a damaged file
        refuse("(file)", f"is not a readable ONNX model ({type(exc).__name__})")
    g = model.graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    inputs = [i for i in g.input if i.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        refuse(f"{len(inputs)} inputs, {len(g.output)} outputs", "must have exactly one data input and one output")
    dims = [d.dim_value if d.HasField("dim_value") else None
            for d in inputs[0].type.tensor_type.shape.dim]
    shape = tuple(dims[1:]) if len(dims) >= 2 and all(d for d in dims[1:]) else None
    cur = inputs[0].name
    mods: list = []
    dtype = None
    pending = None  # a MatMul whose bias may follow as an Add
    sp = None  # inside the Softplus(beta) pattern: (stage, beta, the Mul's label)
    sp_rule = "is covered only inside PyTorch's Softplus(beta) pattern Mul(x, b) -> Softplus -> Div(., b)"

    def tensor(name, node):
        nonlocal dtype
        a = consts[name]
        if a.dtype not in (np.float32, np.float64):
            refuse(f"node {node.name or node.op_type!r} ({node.op_type})", f"has a {a.dtype} weight: only float32/float64 are covered")
        if dtype is None:
            dtype = a.dtype
        return torch.from_numpy(np.array(a, dtype=a.dtype, copy=True))

    for node in g.node:
        op = node.op_type
        label = f"node {node.name or '#' + str(len(mods))!r} ({op})"
        at = _attrs(node)
        if node.domain not in ("", "ai.onnx"):
            refuse(label, f"is in domain {node.domain!r}: only standard ONNX ops are covered")
        if op == "Constant":
            if "value" not in at:
                refuse(label, "is covered only with a tensor 'value'")
            consts[node.output[0]] = numpy_helper.to_array(at["value"])
            continue
        if op in ONNX_FOLDED and all((not i) or i in consts for i in node.input):
            _fold(node, consts, lambda rule: refuse(label, rule))
            continue
        if op not in ONNX_OPS:
            refuse(label, "is not a supported op: only " + ", ".join(ONNX_OPS[:-1])
                   + " are read into the certified chain")
        data = [i for i in node.input if i and i not in consts]
        if data != [cur] or (node.input[0] != cur and op != "Mul") or len(node.output) != 1:
            refuse(label, "does not take the previous node's output as its first and only data "
                          "input: only chains of layers are covered")
        if sp is not None:  # Mul(x, b) seen: Softplus, then Div(., b) must follow, nothing else
            stage, beta, mul_label = sp
            if stage == "mul" and op == "Softplus":
                sp = ("softplus", beta, mul_label)
                cur = node.output[0]
                continue
            if stage == "softplus" and op == "Div":
                c = _scalar(consts.get(node.input[1]), lambda rule: refuse(label, rule))
                if c != beta:
                    refuse(label, f"divides by {c!r} after {mul_label} multiplied by {beta!r}: "
                                  "Softplus(beta) needs the same b in both places")
                mods.append(nn.Softplus(beta=beta))
                sp = None
                cur = node.output[0]
                continue
            refuse(label, f"follows {mul_label} {'and a Softplus ' if stage == 'softplus' else ''}where the "
                          f"{'Div' if stage == 'softplus' else 'Softplus'} of the Softplus(beta) pattern "
                          "Mul(x, b) -> Softplus -> Div(., b) must come")
        if op == "Mul":
            if pending is not None:
                pending = None
            other = node.input[1] if node.input[0] == cur else node.input[0]
            beta = _scalar(consts.get(other), lambda rule: refuse(label, rule))
            sp = ("mul", beta, label)
            cur = node.output[0]
            continue
        if op == "Div":
            refuse(label, sp_rule)
        if op == "Add" and pending is not None:
            b = tensor(node.input[1], node).reshape(-1)
            lin = mods[-1]
            if b.numel() == 1:
                b = b.expand(lin.out_features).clone()
            if b.numel() != lin.out_features:
                refuse(label, f"adds a constant of {b.numel()} values to {lin.out_features} features")
            lin.bias = nn.Parameter(b.to(lin.weight.dtype))
            pending = None
            cur = node.output[0]
            continue
        pending = None
        if op == "Add":
            refuse(label, "is covered only as the bias right after a MatMul")
        if op in ("Gemm", "MatMul"):
            if shape is not None and len(shape) != 1:
                refuse(label, f"gets an input of shape {shape}: flatten first")
            if op == "Gemm":
                if at.get("transA", 0) != 0 or float(at.get("alpha", 1.0)) != 1.0 or float(at.get("beta", 1.0)) != 1.0:
                    refuse(label, f"has transA={at.get('transA', 0)}, alpha={at.get('alpha', 1.0)}, "
                                  f"beta={at.get('beta', 1.0)}: only transA=0, alpha=beta=1 are covered")
                w = tensor(node.input[1], node)
                w = w if at.get("transB", 0) else w.T
            else:
                w = tensor(node.input[1], node).T
            if w.ndim != 2:
                refuse(label, f"has a weight of {w.ndim} dimensions: only matrices are covered")
            lin = nn.Linear(w.shape[1], w.shape[0], bias=op == "Gemm" and len(node.input) > 2 and bool(node.input[2]))
            lin = lin.to(w.dtype)
            with torch.no_grad():
                lin.weight.copy_(w.contiguous())
                if lin.bias is not None:
                    b = tensor(node.input[2], node).reshape(-1)
                    if b.numel() == 1:
                        b = b.expand(w.shape[0])
                    if b.numel() != w.shape[0]:
                        refuse(label, f"has a bias of {b.numel()} values for {w.shape[0]} outputs")
                    lin.bias.copy_(b)
            mods.append(lin)
            shape = (w.shape[0],)
            if op == "MatMul":
                pending = lin
        elif op == "Conv":
            w = tensor(node.input[1], node)
            if w.ndim != 4 or int(at.get("group", 1)) != 1:
                refuse(label, f"has a {w.ndim - 2}-D kernel, group={at.get('group', 1)}: only 2-D, group=1 is covered")
            auto = at.get("auto_pad", b"NOTSET")
            auto = auto.decode() if isinstance(auto, bytes) else str(auto)
            if auto not in ("NOTSET", "VALID"):
                refuse(label, f"has auto_pad={auto}: give explicit pads")
            pads = [int(v) for v in at.get("pads", [0, 0, 0, 0])] if auto == "NOTSET" else [0, 0, 0, 0]
            strides = tuple(int(v) for v in at.get("strides", [1, 1]))
            dil = tuple(int(v) for v in at.get("dilations", [1, 1]))
            if "kernel_shape" in at and tuple(int(v) for v in at["kernel_shape"]) != tuple(w.shape[2:]):
                refuse(label, f"has kernel_shape {at['kernel_shape']} but a {tuple(w.shape[2:])} weight")
            top, left, bottom, right = pads
            start = len(mods)
            if (top, left) != (bottom, right):
                mods.append(nn.ZeroPad2d((left, right, top, bottom)))
                padding = (0, 0)
            else:
                padding = (top, left)
            has_b = len(node.input) > 2 and bool(node.input[2])
            conv = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), stride=strides, padding=padding,
                             dilation=dil, bias=has_b).to(w.dtype)
            with torch.no_grad():
                conv.weight.copy_(w)
                if has_b:
                    conv.bias.copy_(tensor(node.input[2], node).reshape(-1))
            mods.append(conv)
            shape = _probe(mods[start:], shape)
        elif op == "Pad":
            mode = at.get("mode", b"constant")
            mode = mode.decode() if isinstance(mode, bytes) else str(mode)
            if mode != "constant":
                refuse(label, f"has mode={mode}: only constant zero padding is covered")
            if shape is None or len(shape) != 3:
                refuse(label, f"pads an input of shape {shape}: only N x C x H x W tensors of known size "
                              "are covered")
            inp = list(node.input) + [""] * (4 - len(node.input))
            pads = [int(v) for v in (consts[inp[1]].reshape(-1) if inp[1] else at.get("pads", []))]
            value = consts[inp[2]].reshape(-1) if inp[2] else np.array([at.get("value", 0.0)])
            if value.size > 1 or (value.size == 1 and float(value[0]) != 0.0):
                refuse(label, f"pads with the value {value.tolist()}: only zero padding is covered")
            axes = [int(v) for v in consts[inp[3]].reshape(-1)] if inp[3] else [0, 1, 2, 3]
            if any(not -4 <= ax < 4 for ax in axes):
                refuse(label, f"has axes {axes}: a 4-D tensor has axes -4..3")
            axes = [ax % 4 for ax in axes]
            if len(pads) != 2 * len(axes) or len(set(axes)) != len(axes):
                refuse(label, f"has {len(pads)} pads for axes {axes}")
            full = [0] * 8
            for i, ax in enumerate(axes):
                full[ax], full[ax + 4] = pads[i], pads[i + len(axes)]
            if any(full[k] for k in (0, 1, 4, 5)) or min(full) < 0:
                refuse(label, f"has pads {full}: only non-negative padding of the two spatial axes "
                              "(ONNX order N, C, H, W begins then ends) is covered")
            top, left, bottom, right = full[2], full[3], full[6], full[7]
            if (top, left, bottom, right) != (0, 0, 0, 0):
                mods.append(nn.ZeroPad2d((left, right, top, bottom)))
                shape = _probe(mods[-1:], shape)
        elif op == "AveragePool":
            k = tuple(int(v) for v in at["kernel_shape"])
            s = tuple(int(v) for v in at.get("strides", [1] * len(k)))
            pads = [int(v) for v in at.get("pads", [0] * 2 * len(k))]
            if len(k) != 2 or int(at.get("ceil_mode", 0)) or pads[:2] != pads[2:] or \
                    (any(pads) and not int(at.get("count_include_pad", 0))) or \
                    at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
                refuse(label, f"has {at}: only 2-D pooling without ceil mode, with symmetric padding "
                              "that is counted, is covered")
            mods.append(nn.AvgPool2d(k, stride=s, padding=tuple(pads[:2])))
            shape = _probe(mods[-1:], shape)
        elif op == "Flatten":
            if int(at.get("axis", 1)) != 1:
                refuse(label, f"has axis={at.get('axis')}: only axis=1 is covered")
            mods.append(nn.Flatten())
            shape = None if shape is None else (int(math.prod(shape)),)
        elif op == "Reshape":
            target = [int(v) for v in consts[node.input[1]].reshape(-1)] if node.input[1] in consts else None
            if target is None or shape is None or target[0] not in (0, -1) or target[1:].count(-1) + (target[0] == -1) > 1 \
                    or any(v == 0 for v in target[1:]) or int(at.get("allowzero", 0)):
                refuse(label, f"reshapes to {target}: only [N, -1], [N, F] or [N, C, H, W] with N copied (0 or -1) "
                              "are covered")
            rest = target[1:]
            total = int(math.prod(shape))
            if -1 in rest:
                known = int(math.prod(v for v in rest if v != -1))
                rest = [total // known if v == -1 else v for v in rest]
            if int(math.prod(rest)) != total:
                refuse(label, f"reshapes {shape} to {target}")
            rest = tuple(rest)
            if rest == shape:
                pass
            elif len(rest) == 1:
                mods.append(nn.Flatten())
            elif len(shape) == 1:
                mods.append(nn.Unflatten(1, rest))
            else:
                mods.extend([nn.Flatten(), nn.Unflatten(1, rest)])
            shape = rest
        elif op == "Elu":
            mods.append(nn.ELU(alpha=float(at.get("alpha", 1.0))))
        elif op == "Tanh":
            mods.append(nn.Tanh())
        elif op == "Sigmoid":
            mods.append(nn.Sigmoid())
        elif op == "Softplus":
            mods.append(nn.Softplus())
        elif op == "Relu":
            mods.append(nn.ReLU())
        elif op == "LeakyRelu":  # ONNX's default slope is 0.01, as torch's
            mods.append(nn.LeakyReLU(negative_slope=float(at.get("alpha", 0.01))))
        elif op == "Identity":
            pass
        cur = node.output[0]
    if sp is not None:
        refuse(sp[2], sp_rule + ", and the graph ends before the pattern does")
    if cur != g.output[0].name:
        refuse(f"output {g.output[0].name!r}", "is not the end of the chain of nodes")
    if not mods:
        refuse("(graph)", "has no layers")
    seq = nn.Sequential(*mods)
    if dtype == np.float64:
        seq = seq.double()
    return seq.eval()


def _scalar(a, refuse) -> float:
    """The value of a one-element float constant ``a`` that is a valid Softplus beta."""
    import numpy as np

    if a is None:
        refuse("has no constant operand: only a constant scalar b is covered")
    if a.dtype not in (np.float32, np.float64) or a.size != 1 or a.ndim > 1:
        refuse(f"has a {a.dtype} constant of shape {list(a.shape)}: only a float scalar b is covered")
    b = float(a.reshape(-1)[0])
    if not (math.isfinite(b) and b > 0.0):
        refuse(f"has b={b!r}: Softplus(beta) needs a finite beta > 0")
    return b


def _fold(node, consts, refuse) -> None:
    """Evaluate a shape-arithmetic node on constants with ONNX's reference runtime (integer
    results only; a float result would be a computed weight, which is not covered)."""
    import numpy as np
    from onnx.reference import ReferenceEvaluator

    feeds = {i: consts[i] for i in node.input if i}
    try:
        outs = ReferenceEvaluator(node).run(None, feeds)
    except Exception as exc:  # the reference runtime raises many types for malformed nodes
        refuse(f"cannot be folded on its constant inputs ({type(exc).__name__})")
    for name, v in zip(node.output, outs):
        v = np.asarray(v)
        if v.dtype.kind not in "iu":
            refuse(f"folds constants into a {v.dtype} tensor: only integer shape arithmetic is folded")
        consts[name] = v


def _probe(mods, shape):
    """Output shape (without batch) of the modules ``mods`` for an input of ``shape`` (None if unknown)."""
    import torch
    import torch.nn as nn

    if shape is None:
        return None
    dt = next((p.dtype for m in mods for p in m.parameters()), torch.float32)
    with torch.no_grad():
        return tuple(nn.Sequential(*mods)(torch.zeros(1, *shape, dtype=dt)).shape[1:])


# ------------------------------------------------------------------------------------------------
# TorchScript
# ------------------------------------------------------------------------------------------------

def _rebuild(sm, label: str, where: str):
    """A fresh torch module of ``sm``'s original class with its constants and weights."""
    import torch.nn as nn

    name = sm.original_name
    g = lambda k: getattr(sm, k)  # noqa: E731
    try:
        if name == "Linear":
            m = nn.Linear(g("in_features"), g("out_features"), bias=g("bias") is not None)
        elif name == "Conv2d":
            m = nn.Conv2d(g("in_channels"), g("out_channels"), tuple(g("kernel_size")), stride=tuple(g("stride")),
                          padding=g("padding") if isinstance(g("padding"), str) else tuple(g("padding")),
                          dilation=tuple(g("dilation")), groups=g("groups"), bias=g("bias") is not None,
                          padding_mode=g("padding_mode"))
        elif name == "AvgPool2d":
            m = nn.AvgPool2d(g("kernel_size"), g("stride"), g("padding"), g("ceil_mode"), g("count_include_pad"),
                             g("divisor_override"))
        elif name == "ZeroPad2d":
            m = nn.ZeroPad2d(tuple(g("padding")))
        elif name == "Flatten":
            m = nn.Flatten(g("start_dim"), g("end_dim"))
        elif name == "ELU":
            m = nn.ELU(g("alpha"), g("inplace"))
        elif name == "Softplus":
            m = nn.Softplus(g("beta"), g("threshold"))
        elif name == "Dropout":
            m = nn.Dropout(g("p"), g("inplace"))
        elif name in ("Tanh", "Sigmoid", "Identity"):
            m = getattr(nn, name)()
        elif name == "ReLU":
            m = nn.ReLU(g("inplace"))
        elif name == "LeakyReLU":
            m = nn.LeakyReLU(g("negative_slope"), g("inplace"))
        elif name == "Sequential":
            m = nn.Sequential(*[_rebuild(c, label, f"{where}.{k}" if where else k) for k, c in sm.named_children()])
        else:
            raise InvalidArgument(label, f"module {where or '(root)'} ({name})",
                                  "is not a module type checker can rebuild (script an nn.Sequential of "
                                  "Linear, Conv2d, AvgPool2d, ZeroPad2d, Flatten, activations)")
    except AttributeError as exc:
        raise InvalidArgument(label, f"module {where or '(root)'} ({name})",
                              f"lacks the constant {exc.name or exc!s}: not a scripted torch.nn module") from None
    if name != "Sequential":
        state = {k: v.detach().clone() for k, v in sm.state_dict().items()}
        try:
            m = m.to(next(iter(state.values())).dtype) if state else m
            m.load_state_dict(state)
        except (RuntimeError, KeyError) as exc:
            raise InvalidArgument(label, f"module {where or '(root)'} ({name})",
                                  f"has weights that do not fit its constants ({exc})") from None
    return m


def load_torchscript(path):
    """Rebuild a scripted ``nn.Sequential`` and accept it only if the file's code is identical to
    ``torch.jit.script`` of the rebuilt model, module by module."""
    import torch

    label = str(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated in recent torch
        try:
            sm = torch.jit.load(os.fspath(path), map_location="cpu")
        except Exception as exc:  # torch raises RuntimeError and others for damaged archives
            raise InvalidArgument(label, "(file)", f"is not a loadable TorchScript archive ({type(exc).__name__})") from None
        if getattr(sm, "original_name", None) != "Sequential":
            raise InvalidArgument(label, f"root module ({getattr(sm, 'original_name', '?')})",
                                  "must be a scripted nn.Sequential")
        model = _rebuild(sm, label, "")
        ref = torch.jit.script(copy.deepcopy(model))  # scripting adds attributes to its argument
        file_mods = dict(sm.named_modules())
        for name, rm in ref.named_modules():
            fm = file_mods.get(name)
            try:
                same = fm is not None and fm.code == rm.code and fm.original_name == rm.original_name
            except RuntimeError:  # a module without compiled code
                same = False
            if not same:
                raise InvalidArgument(label, f"module {name or '(root)'} ({getattr(fm, 'original_name', '?')})",
                                      "has code that differs from torch's own class (a traced, edited or "
                                      "subclassed module): it cannot be certified")
        if set(file_mods) != set(dict(ref.named_modules())):
            raise InvalidArgument(label, "module tree", "differs from the rebuilt chain")
    return model.eval()
