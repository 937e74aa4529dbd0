r"""Which modules the certificate may map to mathematics: an allow-list of exact call paths.

The sound bounds (:mod:`checker.certify.propagate`, :mod:`checker.certify.smoothness`) read a
model's *structure* (its layer types, weights and constants) and bound the function that
structure denotes. That is the function ``model(x)`` computes only when every module's call
path is exactly its class's: ``Module.__call__`` -> ``_call_impl`` -> the class's ``forward``,
with nothing in between. This module accepts the models for which that holds and refuses the
rest by name (our rule [R]; the certificate of docs/math/sinha.md, Theorem 3, needs it):

* **types**: every container is exactly ``nn.Sequential`` and every leaf's type is exactly one
  of :data:`ALLOWED_LEAVES` (``type(m) is nn.Linear``, never ``isinstance``: a subclass may
  override ``__call__``, ``_call_impl`` or ``forward``). Any other type makes the network
  *unsupported*: the result is an estimate whose reason names the module.
* **instances** (refused with :class:`~checker.errors.InvalidArgument`, module named): an
  instance attribute that a freshly built module of the same type does not have (an instance
  ``forward``, ``__call__``, ``_call_impl``, ``_wrapped_call_impl``, ``_compiled_call_impl``
  as set by ``Module.compile()``, or anything else), a constant of an unexpected type, a
  parameter that is not exactly an ``nn.Parameter`` holding a plain tensor, any buffer, any
  child of a leaf, and any registered hook (forward, forward-pre, backward, state-dict,
  load-state-dict, with or without kwargs).
* **globals** (refused): any global module hook (``register_module_forward_hook`` and the
  rest), an active torch function or dispatch mode, or a class method of an allowed type
  (``forward``, ``__call__``, ``_call_impl``, ``_wrapped_call_impl``) that is not torch's own.
* **modes**: Dropout in train mode is accepted; the certificate is for the eval-mode function
  (Dropout = identity) and says so in a note. BatchNorm is not on the list (unsupported).
* **constants**: ``Softplus`` needs :math:`\beta>0` (check ``softplus-beta-positive``; with
  :math:`\beta\le0` torch's formula is not the smooth softplus the bounds use).
"""

from __future__ import annotations

import math

from checker.errors import InvalidArgument

__all__ = ["ALLOWED_LEAVES", "exact_chain", "check_exact_behaviour", "architecture_signature",
           "SOFTPLUS_BETA_CHECK"]

#: The name of the check that refuses Softplus with beta <= 0 (it appears in the message).
SOFTPLUS_BETA_CHECK = "softplus-beta-positive"

_SCALARS = (bool, int, float, str, type(None))
#: Instance attributes that no call path reads: checker's own metadata of a saved model.
_BENIGN = frozenset({"checker_meta"})


def _leaf_factories():
    import torch.nn as nn

    return {
        nn.Linear: lambda: nn.Linear(1, 1),
        nn.Conv2d: lambda: nn.Conv2d(1, 1, 1),
        nn.AvgPool2d: lambda: nn.AvgPool2d(1),
        nn.ZeroPad2d: lambda: nn.ZeroPad2d(0),
        nn.Flatten: nn.Flatten,
        nn.Unflatten: lambda: nn.Unflatten(1, (1,)),
        nn.Identity: nn.Identity,
        nn.Dropout: nn.Dropout,
        nn.ELU: nn.ELU,
        nn.Tanh: nn.Tanh,
        nn.Sigmoid: nn.Sigmoid,
        nn.Softplus: nn.Softplus,
        # not smooth, but their call path is exact: they get an estimate with the reason
        nn.ReLU: nn.ReLU,
        nn.LeakyReLU: nn.LeakyReLU,
        # a final softmax is refused with its own message by the analyses
        nn.Softmax: lambda: nn.Softmax(dim=1),
        nn.LogSoftmax: lambda: nn.LogSoftmax(dim=1),
    }


def _allowed():
    import torch.nn as nn

    return tuple(_leaf_factories()) + (nn.Sequential,)


#: Names of the leaf types whose call path is accepted (the analyses then decide what they can
#: bound; ReLU and LeakyReLU are accepted here and give an estimate there).
ALLOWED_LEAVES = ("Linear", "Conv2d", "AvgPool2d", "ZeroPad2d", "Flatten", "Unflatten", "Identity",
                  "Dropout", "ELU", "Tanh", "Sigmoid", "Softplus", "ReLU", "LeakyReLU", "Softmax",
                  "LogSoftmax")

_REF_KEYS: dict = {}


def _reference_keys(t) -> frozenset:
    """Instance attribute names of a freshly built module of type ``t`` (built once, after the
    global hooks were checked)."""
    import torch.nn as nn

    if t not in _REF_KEYS:
        make = _leaf_factories().get(t) or (nn.Sequential if t is nn.Sequential else None)
        _REF_KEYS[t] = frozenset(vars(make())) if make is not None else frozenset()
    return _REF_KEYS[t]


def _check_globals() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.modules.module as mm

    for name, value in sorted(vars(mm).items()):
        if name.startswith("_global_") and "hook" in name and isinstance(value, dict) and value:
            raise InvalidArgument("model", f"global hook ({name.strip('_')})",
                                  "must not be registered: a global hook can change every module's "
                                  "output, so the certificate cannot know what the model computes")
    stacks = (("torch function mode", getattr(torch._C, "_len_torch_function_stack", None)),
              ("torch dispatch mode", getattr(torch._C, "_len_torch_dispatch_stack", None)))
    for what, fn in stacks:
        if fn is not None and fn() > 0:
            raise InvalidArgument("model", f"an active {what}",
                                  "must not be active while certifying: it can change what every "
                                  "torch operation computes")
    for t in _allowed():
        for meth in ("forward", "__call__", "_call_impl", "_wrapped_call_impl"):
            f = getattr(t, meth, None)
            mod = getattr(f, "__module__", "") or ""
            if f is not None and not mod.startswith("torch."):
                raise InvalidArgument("model", f"{t.__name__}.{meth} (defined in {mod!r})",
                                      "must be torch's own: the class was patched, so no module of "
                                      "this type behaves as torch documents it")
    if nn.Module.__call__ is not nn.Module._wrapped_call_impl and \
            not (getattr(nn.Module.__call__, "__module__", "") or "").startswith("torch."):
        raise InvalidArgument("model", "nn.Module.__call__", "must be torch's own (it was patched)")


def _check_instance(where: str, m) -> list[str]:
    """Refuse an instance of an allowed type whose call path or state differs from a fresh one;
    return notes (train-mode Dropout)."""
    import torch
    import torch.nn as nn

    t = type(m)
    label = f"module {where} ({t.__name__})"
    ref = _reference_keys(t) | _BENIGN
    if vars(m).get("__overloads__", None) == {}:  # left by torch.jit.script; no call path reads it
        ref = ref | {"__overloads__"}
    for key in sorted(set(vars(m)) - ref):
        what = ("an instance override of its call path" if key in
                ("forward", "__call__", "_call_impl", "_wrapped_call_impl", "_compiled_call_impl")
                else "an instance attribute its class does not set")
        if key == "_compiled_call_impl":
            what = "a compiled wrapper (Module.compile())"
        raise InvalidArgument("model", label,
                              f"has {what} ({key!r}): it may not behave as its class, so it cannot "
                              "be certified (use a freshly built module)")
    for key in sorted(ref):
        if key.startswith("_") or key == "training" or key in _BENIGN:
            continue
        v = vars(m).get(key)
        ok = isinstance(v, _SCALARS) or (isinstance(v, (tuple, list)) and all(isinstance(e, _SCALARS) for e in v))
        if isinstance(v, float) and not math.isfinite(v):
            ok = False
        if not ok or (type(v) not in (bool, int, float, str, tuple, list, type(None))):
            raise InvalidArgument("model", f"{label} attribute {key}={v!r}",
                                  "must be a plain finite number, string or tuple (as torch sets it)")
    for key in ("_parameters", "_buffers", "_modules"):
        if not isinstance(vars(m).get(key), dict):
            raise InvalidArgument("model", label, f"has a replaced {key} table")
    for key, v in sorted(vars(m).items()):
        if "hook" in key and isinstance(v, dict) and v:
            raise InvalidArgument("model", label,
                                  f"has {key.strip('_').replace('_', ' ')}: a hooked module does not "
                                  "behave as its class, so it cannot be certified (remove the hook)")
    for name, p in m._parameters.items():
        if p is not None and (type(p) is not nn.Parameter or type(p.data) is not torch.Tensor
                              or p.layout is not torch.strided):
            raise InvalidArgument("model", f"{label} parameter {name!r} ({type(p).__name__})",
                                  "must be exactly an nn.Parameter holding a plain dense tensor")
    if t is not nn.Sequential:
        if m._buffers:
            raise InvalidArgument("model", label, f"has buffers {sorted(m._buffers)}: its class has none")
        if m._modules:
            raise InvalidArgument("model", label, f"has child modules {sorted(m._modules)}: its class has none")
    notes = []
    if t is nn.Softplus and not float(m.beta) > 0:
        raise InvalidArgument("model", f"{label} Softplus(beta={m.beta})",
                              f"fails check {SOFTPLUS_BETA_CHECK}: beta must be > 0 (torch's "
                              "softplus(beta*x)/beta is not the smooth softplus otherwise)")
    if t is nn.Dropout and m.training:
        notes.append(f"{label} is in train mode: the certificate is for the eval-mode function "
                     "(Dropout is the identity), the one checker evaluates")
    return notes


def check_exact_behaviour(model) -> list[str]:
    """Raise :class:`InvalidArgument` unless every module of ``model`` whose type is on the
    allow-list has exactly its class's call path, no hook is registered anywhere (per module or
    global) and no torch mode is active; returns notes (train-mode Dropout). Modules of other
    types are checked for hooks and instance call-path overrides too (they make the network
    unsupported in :func:`exact_chain` anyway)."""
    _check_globals()
    allowed = _allowed()
    notes: list[str] = []
    for path, m in model.named_modules():
        where = path or "(root)"
        if type(m) in allowed:
            notes.extend(_check_instance(where, m))
            continue
        for key, v in sorted(vars(m).items()):
            if "hook" in key and isinstance(v, dict) and v:
                raise InvalidArgument("model", f"module {where} ({type(m).__name__})",
                                      f"has {key.strip('_').replace('_', ' ')}: a hooked module does "
                                      "not behave as its class, so it cannot be certified (remove the hook)")
        for key in ("forward", "__call__", "_call_impl", "_wrapped_call_impl"):
            if key in vars(m):
                raise InvalidArgument("model", f"module {where} ({type(m).__name__})",
                                      f"has a {key} assigned on the instance: it does not behave as "
                                      "its class, so it cannot be certified")
        if vars(m).get("_compiled_call_impl") is not None:
            raise InvalidArgument("model", f"module {where} ({type(m).__name__})",
                                  "has a compiled wrapper (Module.compile()): it cannot be certified")
    return notes


def exact_chain(model):
    """The leaves of ``model`` in call order, or a string naming the first module that is not
    exactly an ``nn.Sequential`` container or an allowed leaf type. Runs
    :func:`check_exact_behaviour` first (which raises for call-path overrides and hooks)."""
    import torch.nn as nn

    check_exact_behaviour(model)
    leaves_types = tuple(_leaf_factories())

    def walk(m, where):
        if type(m) is nn.Sequential:
            out = []
            for name, child in m._modules.items():
                if child is None:
                    continue
                sub = walk(child, f"{where}.{name}" if where else name)
                if isinstance(sub, str):
                    return sub
                out.extend(sub)
            return out
        if type(m) in leaves_types:
            return [m]
        kind = ("a subclass of nn." + next(b.__name__ for b in type(m).__mro__ if b in _allowed())
                if isinstance(m, _allowed()) else "not an allowed module type")
        return (f"module {where or '(root)'} is a {type(m).__name__} ({kind}): the sound bounds "
                "cover only exact nn.Sequential chains of " + ", ".join(ALLOWED_LEAVES[:12])
                + " (a subclass or custom module may change what a call computes)")

    return walk(model, "")


def architecture_signature(model) -> list:
    """A JSON-able description of ``model``'s architecture for checkpoint fingerprints: every
    module's path, exact type (module and qualified name), its constants (``repr``, with floats
    as hex), training flag, and every parameter's and buffer's dtype, device and shape."""
    out = []
    for path, m in model.named_modules():
        t = type(m)
        consts = {}
        for k, v in sorted(vars(m).items()):
            if k.startswith("_") or k == "training":
                continue
            consts[k] = v.hex() if isinstance(v, float) else repr(v)
        tensors = [(k, str(v.dtype), str(v.device), tuple(v.shape))
                   for k, v in list(m._parameters.items()) + list(m._buffers.items()) if v is not None]
        out.append([path, f"{t.__module__}.{t.__qualname__}", consts, bool(m.training), tensors])
    return out
