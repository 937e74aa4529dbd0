"""Bring your own model (issue 25, item 4): ONNX graphs and TorchScript files.

References are independent of the reader under test: each ONNX graph is built node by node
with ``onnx.helper`` from seeded numpy arrays, its function is evaluated by ONNX's own
reference runtime (``onnx.reference``), and the "same model through the Python API" is built
by hand from the same arrays with torch modules.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

from checker.certify import certify
from checker.certify.external import load_external, load_onnx
from checker.cli import main
from checker.errors import InvalidArgument

#: The issue's bar for "the same sound value": both routes build the same float64 chain, so the
#: values agree exactly in practice; 1e-12 absolute allows nothing beyond float64 noise.
SAME_VALUE_ABS = 1e-12
#: float32 ONNX reference runtime vs torch float32 on O(1) logits of a small convnet.
FLOAT32_OUTPUT_ABS = 1e-4


def _arrays(seed=0):
    r = np.random.default_rng(seed)
    f = lambda *s, scale=0.5: (r.standard_normal(s) * scale).astype(np.float32)  # noqa: E731
    return {"c1w": f(4, 1, 3, 3), "c1b": f(4), "c2w": f(6, 4, 2, 2), "c2b": f(6),
            "mw": f(24, 5, scale=0.3), "mb": f(5), "gw": f(3, 5), "gb": f(3)}


def _onnx_convnet(a, path, extra=None):
    """Conv(pads 1) -> Elu -> Conv(stride 2, pads (0,0,1,1)) -> Tanh -> AveragePool(2, stride 1)
    -> Flatten -> MatMul + Add -> Softplus -> Gemm(transB=1); input 1 x 6 x 6."""
    init = [numpy_helper.from_array(v, k) for k, v in a.items()]
    nodes = [
        helper.make_node("Conv", ["x", "c1w", "c1b"], ["h1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        helper.make_node("Elu", ["h1"], ["h2"], name="elu1", alpha=1.0),
        helper.make_node("Conv", ["h2", "c2w", "c2b"], ["h3"], name="conv2", strides=[2, 2], pads=[0, 0, 1, 1]),
        helper.make_node("Tanh", ["h3"], ["h4"], name="tanh"),
        helper.make_node("AveragePool", ["h4"], ["h5"], name="pool", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Flatten", ["h5"], ["h6"], name="flat", axis=1),
        helper.make_node("MatMul", ["h6", "mw"], ["h7"], name="mm"),
        helper.make_node("Add", ["h7", "mb"], ["h8"], name="bias"),
        helper.make_node("Softplus", ["h8"], ["h9"], name="sp"),
        helper.make_node("Gemm", ["h9", "gw", "gb"], ["logits"], name="out", transB=1),
    ]
    if extra is not None:
        nodes = extra(nodes)
    g = helper.make_graph(nodes, "convnet",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 6, 6])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 3])], init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, str(path))
    return m


def _torch_convnet(a):
    """The same network built by hand with torch modules (ZeroPad2d for the asymmetric pads)."""
    t = lambda k: torch.from_numpy(a[k].copy())  # noqa: E731
    m = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ELU(), nn.ZeroPad2d((0, 1, 0, 1)),
                      nn.Conv2d(4, 6, 2, stride=2), nn.Tanh(), nn.AvgPool2d(2, stride=1), nn.Flatten(),
                      nn.Linear(24, 5), nn.Softplus(), nn.Linear(5, 3))
    with torch.no_grad():
        m[0].weight.copy_(t("c1w")); m[0].bias.copy_(t("c1b"))  # noqa: E702
        m[3].weight.copy_(t("c2w")); m[3].bias.copy_(t("c2b"))  # noqa: E702
        m[7].weight.copy_(t("mw").T); m[7].bias.copy_(t("mb"))  # noqa: E702
        m[9].weight.copy_(t("gw")); m[9].bias.copy_(t("gb"))  # noqa: E702
    return m.eval()


def _data(n=6, seed=2):
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 6, 6, generator=gen), torch.randint(0, 3, (n,), generator=gen)


def test_onnx_graph_reads_into_the_same_function(tmp_path):
    from onnx.reference import ReferenceEvaluator

    a = _arrays()
    proto = _onnx_convnet(a, tmp_path / "m.onnx")
    onnx.checker.check_model(proto)
    model = load_onnx(tmp_path / "m.onnx")
    assert [type(m).__name__ for m in model] == ["Conv2d", "ELU", "ZeroPad2d", "Conv2d", "Tanh", "AvgPool2d",
                                                 "Flatten", "Linear", "Softplus", "Linear"]
    x, _ = _data()
    ref = ReferenceEvaluator(proto).run(None, {"x": x.numpy()})[0]
    with torch.no_grad():
        out = model(x).numpy()
        hand = _torch_convnet(a)(x).numpy()
    assert np.abs(out - ref).max() <= FLOAT32_OUTPUT_ABS
    assert np.array_equal(out, hand)


def test_onnx_sound_value_equals_the_python_api(tmp_path):
    a = _arrays(1)
    _onnx_convnet(a, tmp_path / "m.onnx")
    x, y = _data()
    kw = dict(gamma=5.0, hessian=False, max_steps=200)
    c_file = certify(load_onnx(tmp_path / "m.onnx"), x, y, **kw)
    c_api = certify(_torch_convnet(a), x, y, **kw)
    assert c_file.sound and c_api.sound and c_file.argument == "local"
    assert abs(c_file.surrogate_mean - c_api.surrogate_mean) <= SAME_VALUE_ABS
    assert torch.equal(c_file.phi_upper, c_api.phi_upper)


def test_torch_onnx_export_round_trip(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, stride=2, padding=1), nn.ELU(), nn.Flatten(),
                          nn.Linear(27, 4), nn.Sigmoid(), nn.Linear(4, 3)).eval()
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter is deprecated (it needs no onnxscript)
        torch.onnx.export(model, (x[:1],), str(tmp_path / "e.onnx"), dynamo=False, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    back = load_external(tmp_path / "e.onnx")
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
    kw = dict(gamma=3.0, hessian=False, max_steps=100)
    assert certify(back, x, y, **kw).surrogate_mean == certify(model, x, y, **kw).surrogate_mean


@pytest.mark.parametrize("edit, match", [
    (lambda n: n[:1] + [helper.make_node("Softsign", ["h1"], ["h2"], name="ssign")] + n[2:],
     r"node 'ssign' \(Softsign\)\" is not a supported op"),
    (lambda n: n[:-1] + [helper.make_node("Gemm", ["h9", "gw", "gb"], ["logits"], name="out", transB=1, alpha=0.5)],
     "alpha=0.5"),
    (lambda n: n[:1] + [helper.make_node("Elu", ["x"], ["h2"], name="branch")] + n[2:],
     "only chains of layers"),
])
def test_onnx_refusals_name_file_and_node(tmp_path, edit, match):
    _onnx_convnet(_arrays(), tmp_path / "bad.onnx", extra=edit)
    with pytest.raises(InvalidArgument, match=match) as err:
        load_onnx(tmp_path / "bad.onnx")
    assert "bad.onnx" in str(err.value)


def test_cli_certify_and_attack_an_onnx_convnet(tmp_path, capsys):
    a = _arrays(3)
    _onnx_convnet(a, tmp_path / "m.onnx")
    x, y = _data(40, seed=5)
    np.savez(tmp_path / "d.npz", x=x.numpy(), y=y.numpy())
    rc = main(["certify", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "d.npz"), "--gamma", "5",
               "--n", "8", "--max-steps", "200", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["sound"] is True and d["argument"] == "local"
    rc = main(["attack", str(tmp_path / "m.onnx"), "--dataset", str(tmp_path / "d.npz"), "--max-test", "5",
               "--steps", "2", "--json"])
    assert rc == 0 and "sweep" in json.loads(capsys.readouterr().out)


def test_cli_refuses_an_unsupported_op_in_one_line(tmp_path, capsys):
    _onnx_convnet(_arrays(), tmp_path / "bad.onnx",
                  extra=lambda n: n[:3] + [helper.make_node("Relu6", ["h3"], ["h4"], name="weird")] + n[4:])
    x, y = _data(10)
    np.savez(tmp_path / "d.npz", x=x.numpy(), y=y.numpy())
    rc = main(["certify", str(tmp_path / "bad.onnx"), "--data", str(tmp_path / "d.npz"), "--gamma", "5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1 and "bad.onnx" in err[0] and "(Relu6)" in err[0] and "Traceback" not in err[0]
    rc = main(["attack", str(tmp_path / "bad.onnx"), "--dataset", str(tmp_path / "d.npz")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "(Relu6)" in err[0]


# -- TorchScript --------------------------------------------------------------------------------------

def _script(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated in recent torch
        torch.jit.script(model).save(str(path))


def test_torchscript_round_trip_gives_the_same_value(tmp_path):
    model = _torch_convnet(_arrays(4))
    _script(model, tmp_path / "m.pt")
    back = load_external(tmp_path / "m.pt")
    x, y = _data()
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
    kw = dict(gamma=5.0, hessian=False, max_steps=100)
    a, b = certify(back, x, y, **kw), certify(model, x, y, **kw)
    assert a.sound and abs(a.surrogate_mean - b.surrogate_mean) <= SAME_VALUE_ABS


class _Doubled(nn.Linear):
    def forward(self, x):
        return nn.functional.linear(x, self.weight, self.bias) * 2.0


class Linear(nn.Module):  # a module that merely calls itself "Linear"
    def __init__(self):
        super().__init__()
        self.in_features, self.out_features = 4, 2
        self.weight = nn.Parameter(torch.ones(2, 4))
        self.bias = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        return (x @ self.weight.T + self.bias) * 2.0


@pytest.mark.parametrize("last, match", [
    (lambda: _Doubled(4, 2), r"module 2 \(_Doubled\)' is not a module type"),
    (Linear, "has code that differs from torch's own class"),
])
def test_torchscript_with_foreign_code_is_refused(tmp_path, last, match):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), last())
    _script(model, tmp_path / "m.pt")
    with pytest.raises(InvalidArgument, match=match):
        load_external(tmp_path / "m.pt")


def test_traced_torchscript_is_refused(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.trace(model, torch.zeros(1, 3)).save(str(tmp_path / "t.pt"))
    with pytest.raises(InvalidArgument, match="t.pt"):
        load_external(tmp_path / "t.pt")


# -- ONNX Pad and Softplus(beta) (the patterns torch.onnx.export writes) ------------------------------

def _export(model, path, shape, opset):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter is deprecated (it needs no onnxscript)
        torch.onnx.export(model, (torch.zeros(*shape, dtype=next(model.parameters()).dtype),), str(path),
                          dynamo=False, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=opset)


def _pad_softplus_net(dtype=torch.float32):
    torch.manual_seed(7)
    return nn.Sequential(nn.ZeroPad2d((1, 2, 0, 1)), nn.Conv2d(1, 3, 3), nn.Softplus(beta=2.5), nn.ZeroPad2d(1),
                         nn.Conv2d(3, 2, 3, stride=2), nn.ELU(), nn.Flatten(), nn.Linear(18, 4),
                         nn.Softplus(beta=0.5), nn.Linear(4, 3)).to(dtype).eval()


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_exported_zeropad_and_softplus_beta_round_trip(tmp_path, opset):
    """torch.onnx.export writes ZeroPad2d as Pad (its amounts computed by a chain of integer
    constant ops, the `axes` input from opset 18 on) and Softplus(beta) as Mul -> Softplus ->
    Div; both read back into the same modules, so the sound per-example bounds are bitwise equal
    to the Python API's (betas 2.5 and 0.5 are exact in float32)."""
    model = _pad_softplus_net()
    _export(model, tmp_path / "p.onnx", (1, 1, 6, 5), opset)
    back = load_external(tmp_path / "p.onnx")
    assert [type(m).__name__ for m in back] == [type(m).__name__ for m in model]
    assert [m.beta for m in back if isinstance(m, nn.Softplus)] == [2.5, 0.5]
    assert [m.padding for m in back if isinstance(m, nn.ZeroPad2d)] == [(1, 2, 0, 1), (1, 1, 1, 1)]
    gen = torch.Generator().manual_seed(3)
    x, y = torch.rand(5, 1, 6, 5, generator=gen), torch.randint(0, 3, (5,), generator=gen)
    with torch.no_grad():
        assert torch.equal(back(x), model(x))
    kw = dict(gamma=5.0, hessian=False, max_steps=100)
    a, b = certify(back, x, y, **kw), certify(model, x, y, **kw)
    assert a.sound and b.sound
    assert torch.equal(a.phi_upper, b.phi_upper)
    assert abs(a.surrogate_mean - b.surrogate_mean) <= SAME_VALUE_ABS


def test_float64_export_keeps_an_inexact_beta(tmp_path):
    """In a float64 export beta = 0.3 is stored as the double 0.3, so the rebuilt module is
    Softplus(beta=0.3) itself (a float32 export stores float32(0.3), a different function, and
    the reader then certifies that function: the file's)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=0.3), nn.Linear(4, 2)).double().eval()
    _export(model, tmp_path / "d.onnx", (1, 3), 17)
    back = load_external(tmp_path / "d.onnx")
    assert back[1].beta == 0.3
    _export(model.float(), tmp_path / "f.onnx", (1, 3), 17)
    assert load_external(tmp_path / "f.onnx")[1].beta == float(np.float32(0.3)) != 0.3


def test_hand_built_pad_matches_onnx_reference_runtime(tmp_path):
    """A Pad written directly (pads as an initializer, zero value input) against ONNX's own
    reference runtime: the independent meaning of the file."""
    from onnx.reference import ReferenceEvaluator

    r = np.random.default_rng(5)
    init = [numpy_helper.from_array(np.array([0, 0, 2, 0, 0, 0, 1, 3], dtype=np.int64), "pads"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
            numpy_helper.from_array((r.standard_normal((2, 1, 3, 3)) * 0.5).astype(np.float32), "w"),
            numpy_helper.from_array((r.standard_normal((3, 2 * 7 * 6)) * 0.2).astype(np.float32), "gw")]
    nodes = [helper.make_node("Pad", ["x", "pads", "zero"], ["p"], name="pad", mode="constant"),
             helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
             helper.make_node("Tanh", ["c"], ["t"], name="tanh"),
             helper.make_node("Flatten", ["t"], ["f"], name="flat", axis=1),
             helper.make_node("Gemm", ["f", "gw"], ["logits"], name="out", transB=1)]
    g = helper.make_graph(nodes, "pad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 6, 5])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 3])], init)
    proto = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(proto)
    onnx.save(proto, str(tmp_path / "h.onnx"))
    model = load_onnx(tmp_path / "h.onnx")
    assert isinstance(model[0], nn.ZeroPad2d) and model[0].padding == (0, 3, 2, 1)
    x = torch.rand(4, 1, 6, 5, generator=torch.Generator().manual_seed(1))
    ref = ReferenceEvaluator(proto).run(None, {"x": x.numpy()})[0]
    with torch.no_grad():
        assert np.abs(model(x).numpy() - ref).max() <= FLOAT32_OUTPUT_ABS


def _chain_graph(tmp_path, nodes, init, in_shape=("n", 3), out=2):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", out])],
                          [numpy_helper.from_array(v, k) for k, v in init.items()])
    path = tmp_path / "bad.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


_W = {"w1": np.full((4, 3), 0.25, np.float32), "w2": np.full((2, 4), 0.5, np.float32)}


def _mlp_nodes(middle):
    return ([helper.make_node("Gemm", ["x", "w1"], ["h"], name="fc1", transB=1)] + middle
            + [helper.make_node("Gemm", ["s", "w2"], ["logits"], name="fc2", transB=1)])


@pytest.mark.parametrize("middle, consts, match", [
    ([helper.make_node("Mul", ["h", "b"], ["m"], name="mul"), helper.make_node("Tanh", ["m"], ["s"], name="t")],
     {"b": np.array(2.0, np.float32)}, r"node 't' \(Tanh\)\" follows node 'mul' \(Mul\) where the Softplus"),
    ([helper.make_node("Mul", ["h", "b"], ["m"], name="mul"), helper.make_node("Softplus", ["m"], ["q"], name="sp"),
      helper.make_node("Div", ["q", "c"], ["s"], name="div")],
     {"b": np.array(2.0, np.float32), "c": np.array(3.0, np.float32)}, r"divides by 3.0 after node 'mul'"),
    ([helper.make_node("Mul", ["h", "b"], ["m"], name="mul"), helper.make_node("Softplus", ["m"], ["q"], name="sp"),
      helper.make_node("Div", ["q", "b"], ["s"], name="div")],
     {"b": np.array(-2.0, np.float32)}, r"b=-2.0: Softplus\(beta\) needs a finite beta > 0"),
    ([helper.make_node("Mul", ["h", "b"], ["m"], name="mul"), helper.make_node("Softplus", ["m"], ["q"], name="sp"),
      helper.make_node("Div", ["q", "b"], ["s"], name="div")],
     {"b": np.array([1.0, 2.0, 3.0, 4.0], np.float32)}, r"shape \[4\]: only a float scalar b"),
    ([helper.make_node("Softplus", ["h"], ["q"], name="sp"), helper.make_node("Div", ["q", "b"], ["s"], name="div")],
     {"b": np.array(2.0, np.float32)}, r"node 'div' \(Div\)\" is covered only inside PyTorch's Softplus"),
    ([helper.make_node("Mul", ["h", "b"], ["s"], name="mul")],
     {"b": np.array(2.0, np.float32)}, r"Tanh|Gemm.*follows node 'mul'"),
])
def test_softplus_beta_pattern_is_accepted_exactly(tmp_path, middle, consts, match):
    path = _chain_graph(tmp_path, _mlp_nodes(middle), {**_W, **consts})
    with pytest.raises(InvalidArgument, match=match) as err:
        load_onnx(path)
    assert "bad.onnx" in str(err.value)


def test_softplus_beta_pattern_accepts_the_constant_first(tmp_path):
    """Mul is commutative: Mul(b, x) is the same pattern."""
    nodes = _mlp_nodes([helper.make_node("Mul", ["b", "h"], ["m"], name="mul"),
                        helper.make_node("Softplus", ["m"], ["q"], name="sp"),
                        helper.make_node("Div", ["q", "b"], ["s"], name="div")])
    model = load_onnx(_chain_graph(tmp_path, nodes, {**_W, "b": np.array([4.0], np.float32)}))
    assert [type(m).__name__ for m in model] == ["Linear", "Softplus", "Linear"] and model[1].beta == 4.0


def _pad_graph(tmp_path, pads, *, mode="constant", value=0.0):
    init = {"pads": np.array(pads, np.int64), "v": np.array(value, np.float32),
            "w": np.full((1, 1, 2, 2), 0.25, np.float32)}
    nodes = [helper.make_node("Pad", ["x", "pads", "v"], ["p"], name="pad", mode=mode),
             helper.make_node("Conv", ["p", "w"], ["c"], name="conv"),
             helper.make_node("Flatten", ["c"], ["logits"], name="flat", axis=1)]
    out = (4 + pads[2] + pads[6] - 1) * (4 + pads[3] + pads[7] - 1)
    return _chain_graph(tmp_path, nodes, init, in_shape=("n", 1, 4, 4), out=out)


@pytest.mark.parametrize("pads, kw, match", [
    ([0, 0, 1, 1, 0, 0, 1, 1], dict(mode="reflect"), "mode=reflect: only constant zero padding"),
    ([0, 0, 1, 1, 0, 0, 1, 1], dict(value=1.0), r"value \[1.0\]: only zero padding"),
    ([0, 1, 1, 1, 0, 0, 1, 1], {}, r"pads \[0, 1, 1, 1, 0, 0, 1, 1\]: only non-negative padding of the two spatial"),
    ([0, 0, -1, 0, 0, 0, 1, 1], {}, "only non-negative padding"),
])
def test_pad_refusals_name_file_node_and_rule(tmp_path, pads, kw, match):
    with pytest.raises(InvalidArgument, match=match) as err:
        load_onnx(_pad_graph(tmp_path, pads, **kw))
    assert "bad.onnx" in str(err.value) and "node 'pad' (Pad)" in str(err.value)


def test_exported_reflect_padding_is_refused(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), nn.Flatten(),
                          nn.Linear(72, 3)).eval()
    _export(model, tmp_path / "r.onnx", (1, 1, 6, 6), 17)
    with pytest.raises(InvalidArgument, match=r"r.onnx.*\(Pad\).*mode=reflect"):
        load_external(tmp_path / "r.onnx")


def test_folding_refuses_a_computed_float_tensor(tmp_path):
    nodes = [helper.make_node("Concat", ["a", "a"], ["w1"], name="cat", axis=0),
             helper.make_node("Gemm", ["x", "w1"], ["logits"], name="fc", transB=1)]
    path = _chain_graph(tmp_path, nodes, {"a": np.full((1, 3), 0.5, np.float32)})
    with pytest.raises(InvalidArgument, match=r"node 'cat' \(Concat\).*only integer shape arithmetic"):
        load_onnx(path)
