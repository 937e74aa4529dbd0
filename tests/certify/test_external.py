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
    (lambda n: n[:1] + [helper.make_node("LeakyRelu", ["h1"], ["h2"], name="lrelu")] + n[2:],
     r"node 'lrelu' \(LeakyRelu\)\" is not a supported op"),
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
