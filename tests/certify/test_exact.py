"""Allow, don't deny (issue 25, item 1), and the checkpoint that knows the model (item 2).

The certificate bounds the function a model's *structure* denotes; it is sound only when
``model(x)`` computes exactly that function. checker.certify.exact accepts exact call paths of
allow-listed types and refuses (InvalidArgument, module named) or estimates (reason names the
module) everything else. Every route below first shows that it really changes what a call
computes (so the test could fail), then that the certificate does not come out *sound*.
"""

from __future__ import annotations

import types

import pytest
import torch
import torch.nn as nn

from checker.certify import certify
from checker.certify.exact import SOFTPLUS_BETA_CHECK, architecture_signature, exact_chain
from checker.errors import InvalidArgument, ResumeError


def _net(act=None, seed=0):
    gen = torch.Generator().manual_seed(seed)
    m = nn.Sequential(nn.Linear(2, 4), act if act is not None else nn.Tanh(), nn.Linear(4, 2)).double()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    return m


def _data(n=4, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=gen, dtype=torch.float64), torch.randint(0, 2, (n,), generator=gen)


def _cert(model, **kw):
    x, y = _data()
    return certify(model, x, y, gamma=2.0, hessian=False, inner_steps=3, step_size=0.05, **kw)


def _changes_output(model, ref):
    x, _ = _data()
    with torch.no_grad():
        return not torch.equal(model(x), ref(x))


# -- the control: a plain chain is certified soundly ------------------------------------------------

def test_plain_chain_is_sound():
    c = _cert(_net())
    assert c.sound and c.argument == "local"


# -- class-level routes: subclasses are outside the allow-list -> estimate naming the module -----

class _CallSeq(nn.Sequential):
    def __call__(self, x):  # the route of issue 25: doubles the logits
        return super().__call__(x) * 2.0


class _ImplSeq(nn.Sequential):
    def _call_impl(self, *args, **kwargs):
        return super()._call_impl(*args, **kwargs) * 2.0


class _FwdSeq(nn.Sequential):
    def forward(self, x):
        return super().forward(x) * 2.0


class _CallLinear(nn.Linear):
    def __call__(self, x):
        return super().__call__(x) * 2.0


class _PlainSubclass(nn.Tanh):  # overrides nothing; still not an exact type
    pass


@pytest.mark.parametrize("make, where", [
    (lambda base: _CallSeq(*base), "module (root) is a _CallSeq (a subclass of nn.Sequential)"),
    (lambda base: _ImplSeq(*base), "module (root) is a _ImplSeq (a subclass of nn.Sequential)"),
    (lambda base: _FwdSeq(*base), "module (root) is a _FwdSeq (a subclass of nn.Sequential)"),
    (lambda base: nn.Sequential(_CallSeq(*base)), "module 0 is a _CallSeq"),
    (lambda base: nn.Sequential(base[0], base[1], _CallLinear(4, 2).double()), "module 2 is a _CallLinear"),
])
@pytest.mark.parametrize("method", ["auto", "global"])
def test_subclass_routes_give_an_estimate_naming_the_module(make, where, method):
    base = _net()
    model = make(list(base))
    if isinstance(model[-1], _CallLinear):
        model[-1].load_state_dict(base[2].state_dict())
    assert _changes_output(model, base)
    c = _cert(model, method=method)
    assert not c.sound and where in c.reason


def test_a_subclass_that_overrides_nothing_is_still_refused_by_type():
    model = nn.Sequential(nn.Linear(2, 2), _PlainSubclass(), nn.Linear(2, 2)).double()
    c = _cert(model)
    assert not c.sound and "module 1 is a _PlainSubclass (a subclass of nn.Tanh)" in c.reason


def test_custom_and_unlisted_modules_give_an_estimate():
    bn = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2)).double().eval()
    c = _cert(bn)
    assert not c.sound and "module 1 is a BatchNorm1d (not an allowed module type)" in c.reason


# -- instance-level routes: refused with the module and the attribute named ------------------------

def _inst_call_impl(m):
    orig = m[1]._call_impl
    m[1]._call_impl = lambda *a, **k: orig(*a, **k) * 3.0


def _inst_wrapped(m):
    orig = m[1]._wrapped_call_impl
    m[1]._wrapped_call_impl = lambda *a, **k: orig(*a, **k) * 3.0


def _inst_forward(m):
    m[1].forward = lambda x: torch.tanh(x) * 3.0


def _inst_compiled(m):  # what Module.compile() sets, without paying for torch.compile here
    orig = m[1]._call_impl
    m[1]._compiled_call_impl = lambda *a, **k: orig(*a, **k) * 3.0


def _shadow_weight(m):  # an instance attribute shadowing the registered parameter
    m[0].__dict__["weight"] = m[0].weight.detach() * 3.0


@pytest.mark.parametrize("route, module, key, changes", [
    (_inst_call_impl, "module 1", "_call_impl", True),
    # Module.__call__ is the class's _wrapped_call_impl, so this one does not change the output
    # today; it is refused because it is not on the allow-list, not because it was seen to bite
    (_inst_wrapped, "module 1", "_wrapped_call_impl", False),
    (_inst_forward, "module 1", "forward", True),
    (_inst_compiled, "module 1", "compiled wrapper", True),
    (_shadow_weight, "module 0", "'weight'", True),
])
def test_instance_overrides_are_refused(route, module, key, changes):
    base = _net()
    model = _net()
    route(model)
    assert _changes_output(model, base) == changes
    with pytest.raises(InvalidArgument, match=module) as err:
        _cert(model)
    assert key in str(err.value)
    with pytest.raises(InvalidArgument, match=module):
        _cert(model, method="global")


def test_instance_dunder_call_is_refused():
    # Python ignores an instance __call__ for model(x), but torch code may call it: refused anyway
    model = _net()
    model[1].__call__ = lambda x: x
    with pytest.raises(InvalidArgument, match="module 1 .*'__call__'"):
        _cert(model)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile imports torch.jit
def test_module_compile_is_refused():
    model = _net()
    model.compile()
    assert model._compiled_call_impl is not None
    with pytest.raises(InvalidArgument, match=r"module \(root\) .*compiled wrapper"):
        _cert(model)


def test_parameter_subclass_is_refused():
    class P(nn.Parameter):
        pass

    model = _net()
    model[0]._parameters["weight"] = P(model[0].weight.detach().clone())
    with pytest.raises(InvalidArgument, match="parameter 'weight'"):
        _cert(model)


def test_extra_buffer_and_children_of_leaves_are_refused():
    model = _net()
    model[0].register_buffer("scale", torch.ones(1))
    with pytest.raises(InvalidArgument, match="buffers"):
        _cert(model)
    model = _net()
    model[0].add_module("inner", nn.Identity())
    with pytest.raises(InvalidArgument, match="child modules"):
        _cert(model)


# -- hooks of every kind ----------------------------------------------------------------------------

@pytest.mark.parametrize("register", [
    lambda m: m.register_forward_hook(lambda mod, i, o: o * 2),
    lambda m: m.register_forward_hook(lambda mod, a, k, o: o * 2, with_kwargs=True),
    lambda m: m.register_forward_pre_hook(lambda mod, i: (i[0] * 2,)),
    lambda m: m.register_full_backward_hook(lambda mod, gi, go: gi),
    lambda m: m.register_full_backward_pre_hook(lambda mod, go: go),
    lambda m: m._register_state_dict_hook(lambda *a: None),
    lambda m: m.register_load_state_dict_post_hook(lambda *a: None),
])
def test_per_module_hooks_are_refused(register):
    model = _net()
    handle = register(model[1])
    try:
        with pytest.raises(InvalidArgument, match="module 1"):
            _cert(model)
    finally:
        handle.remove()
    assert _cert(model).sound  # removing the hook restores the certificate


@pytest.mark.parametrize("register", [
    lambda: nn.modules.module.register_module_forward_hook(lambda m, i, o: o),
    lambda: nn.modules.module.register_module_forward_pre_hook(lambda m, i: None),
    lambda: nn.modules.module.register_module_full_backward_hook(lambda m, gi, go: None),
    lambda: nn.modules.module.register_module_full_backward_pre_hook(lambda m, go: None),
    lambda: nn.modules.module.register_module_parameter_registration_hook(lambda m, n, p: None),
])
def test_global_hooks_are_refused(register):
    model = _net()
    handle = register()
    try:
        with pytest.raises(InvalidArgument, match="global hook"):
            _cert(model)
    finally:
        handle.remove()


def test_patched_class_and_torch_modes_are_refused(monkeypatch):
    model = _net()
    monkeypatch.setattr(nn.Tanh, "forward", lambda self, x: torch.tanh(x) * 3.0)
    with pytest.raises(InvalidArgument, match="Tanh.forward"):
        _cert(model)
    monkeypatch.undo()
    from torch.overrides import TorchFunctionMode

    class Doubler(TorchFunctionMode):
        def __torch_function__(self, func, types_, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    with Doubler():
        with pytest.raises(InvalidArgument, match="torch function mode"):
            _cert(model)


# -- modes and constants ------------------------------------------------------------------------------

def test_train_mode_dropout_is_certified_in_eval_mode_with_a_note():
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Dropout(0.5), nn.Linear(4, 2)).double()
    model.train()
    c = _cert(model)
    assert c.sound
    assert any("module 2 (Dropout) is in train mode" in a for a in c.assumptions)
    assert model.training  # the user's mode is restored


@pytest.mark.parametrize("beta", [0.0, -1.0])
def test_softplus_beta_not_positive_is_refused_by_the_named_check(beta):
    model = _net(nn.Softplus(beta=beta))
    with pytest.raises(InvalidArgument, match=SOFTPLUS_BETA_CHECK):
        _cert(model)


def test_softplus_positive_beta_is_accepted():
    assert _cert(_net(nn.Softplus(beta=5.0))).sound


def test_non_numeric_constants_are_refused():
    model = _net(nn.ELU())
    model[1].alpha = torch.tensor(1.0)
    with pytest.raises(InvalidArgument, match="attribute alpha"):
        _cert(model)


def test_exact_chain_lists_leaves_in_call_order():
    m = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(2, 3), nn.ELU()), nn.Linear(3, 2))
    assert [type(l).__name__ for l in exact_chain(m)] == ["Flatten", "Linear", "ELU", "Linear"]


# -- item 2: the checkpoint knows the model --------------------------------------------------------------

def test_resume_across_models_is_impossible(tmp_path):
    ckpt = tmp_path / "c.pt"
    sig, sp = _net(nn.Sigmoid()), _net(nn.Softplus(beta=5.0))
    # identical weights and data: only the architecture differs
    assert all(torch.equal(a, b) for a, b in zip(sig.state_dict().values(), sp.state_dict().values()))
    x, y = _data()
    a = certify(sig, x, y, gamma=2.0, hessian=False, checkpoint=ckpt, batch_size=2)
    assert ckpt.exists()
    with pytest.raises(ResumeError, match="different configuration"):
        certify(sp, x, y, gamma=2.0, hessian=False, checkpoint=ckpt, batch_size=2)
    # positive control: the same model resumes (and gives the same value)
    b = certify(sig, x, y, gamma=2.0, hessian=False, checkpoint=ckpt, batch_size=2)
    assert b.surrogate_mean == a.surrogate_mean
    fresh = certify(sp, x, y, gamma=2.0, hessian=False, batch_size=2)
    assert fresh.sound and fresh.surrogate_mean != a.surrogate_mean


def test_signature_covers_types_constants_dtype_device():
    base = architecture_signature(_net(nn.Softplus(beta=5.0)))
    assert base != architecture_signature(_net(nn.Softplus(beta=4.0)))
    assert base != architecture_signature(_net(nn.Softplus(beta=5.0)).float())
    assert base != architecture_signature(_net(nn.Sigmoid()))
    assert base == architecture_signature(_net(nn.Softplus(beta=5.0), seed=3))  # weights are hashed apart
    flat = repr(base)
    assert "torch.nn.modules.activation.Softplus" in flat and "cpu" in flat and "torch.float64" in flat
    assert types is not None
