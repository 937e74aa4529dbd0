"""Foundation: atomic writes, JSON conversion and checkpoints."""

import json
import math

import numpy as np
import pytest

from checker.errors import ResumeError
from checker.io import atomic_write_text, fingerprint, load_checkpoint, read_json, save_checkpoint, to_jsonable, write_json


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    p = atomic_write_text(tmp_path / "a" / "f.txt", "hello")
    assert p.read_text() == "hello"
    assert sorted(x.name for x in p.parent.iterdir()) == ["f.txt"]


def test_json_roundtrip_with_numpy_and_nonfinite(tmp_path):
    obj = {"a": np.float64(1.5), "b": np.arange(3), "c": math.inf, "d": np.bool_(True)}
    write_json(tmp_path / "x.json", obj)
    assert read_json(tmp_path / "x.json") == {"a": 1.5, "b": [0, 1, 2], "c": "inf", "d": True}
    assert json.loads(json.dumps(to_jsonable(float("nan")))) == "nan"


def test_fingerprint_is_order_independent():
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_checkpoint_refuses_foreign_configuration(tmp_path):
    import torch

    path = tmp_path / "ckpt.pt"
    assert load_checkpoint(path, config_fingerprint="abc") is None
    save_checkpoint(path, {"epoch": 3, "w": torch.ones(2)}, config_fingerprint="abc")
    state = load_checkpoint(path, config_fingerprint="abc")
    assert state["epoch"] == 3 and torch.equal(state["w"], torch.ones(2))
    with pytest.raises(ResumeError):
        load_checkpoint(path, config_fingerprint="other")


def test_read_toml_names_the_parameter_for_every_bad_file(tmp_path):
    from checker.errors import InvalidArgument
    from checker.io import read_toml

    good = tmp_path / "good.toml"
    good.write_text('a = 1\n[train]\nb = "x"\n')
    assert read_toml(good, "config") == {"a": 1, "train": {"b": "x"}}
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("a = = 1\n")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('a = "caf\xe9"\n'.encode("latin-1"))
    for path, rule in ((tmp_path / "missing.toml", "existing TOML file"), (bad_toml, "not valid TOML"),
                       (latin1, "not UTF-8"), (tmp_path, "existing TOML file")):
        with pytest.raises(InvalidArgument, match=rf"SPEC=.*{rule}"):
            read_toml(path, "SPEC")
