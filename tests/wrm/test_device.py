"""Device discipline (checker/device.py): the numerical policy, and checkpoints that resume only
on the device type and dtype they were written with. Runs on the CPU: a CUDA checkpoint is faked
by rewriting the identity stored in a CPU checkpoint and its fingerprint, exactly as a CUDA run
would have written them."""

from __future__ import annotations

import os

import pytest
import torch

from checker.cli import main
from checker.device import (CUBLAS_WORKSPACE_CONFIG, DETERMINISTIC_ENV, checkpoint_identity,
                            check_resume_device, current_policy, default_deterministic, device_policy)
from checker.errors import InvalidArgument, ResumeError
from checker.io import save_checkpoint
from checker.wrm.data import synthetic
from checker.wrm.training import TrainConfig, _fingerprint, train

CFG = TrainConfig(method="erm", epochs=2, n=100, seed=0)
CPU64 = {"device": "cpu", "dtype": "float64"}
CUDA64 = {"device": "cuda", "dtype": "float64"}


def _fake_identity(ckpt, cfg, identity):
    """Rewrite ``ckpt`` as if the run had been made under ``identity`` (None: a checkpoint from
    before identities were recorded, fingerprinted the old way)."""
    from checker.io import fingerprint

    blob = torch.load(ckpt, map_location="cpu", weights_only=True)
    state = dict(blob["state"])
    if identity is None:
        state.pop("identity")
        import dataclasses

        fp = fingerprint({"train_config": dataclasses.asdict(cfg), "version": 1})
    else:
        state["identity"] = identity
        fp = _fingerprint(cfg, identity)
    save_checkpoint(ckpt, state, config_fingerprint=fp)


def test_identity_is_type_and_dtype():
    assert checkpoint_identity(torch.device("cpu"), torch.float64) == CPU64
    assert checkpoint_identity("cuda:1", torch.float32) == {"device": "cuda", "dtype": "float32"}


def test_fingerprint_depends_on_device_and_dtype():
    fps = {_fingerprint(CFG, CPU64), _fingerprint(CFG, CUDA64), _fingerprint(CFG, {"device": "cpu", "dtype": "float32"})}
    assert len(fps) == 3
    assert _fingerprint(CFG, dict(CPU64)) == _fingerprint(CFG, CPU64)  # deterministic


def test_checkpoint_records_identity(tmp_path):
    train(CFG, out=tmp_path / "r", stop_after=1, device="cpu")
    blob = torch.load(tmp_path / "r" / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert blob["state"]["identity"] == CPU64
    assert blob["fingerprint"] == _fingerprint(CFG, CPU64)


def test_cross_device_resume_refused_library(tmp_path):
    run = tmp_path / "r"
    train(CFG, out=run, stop_after=1, device="cpu")
    _fake_identity(run / "checkpoint.pt", CFG, CUDA64)
    with pytest.raises(ResumeError) as info:
        train(CFG, out=run, device="cpu")
    msg = str(info.value)
    assert "--device cuda" in msg and str(run / "checkpoint.pt") in msg and "\n" not in msg


def test_cross_device_resume_refused_cli_exit_2(tmp_path, capsys):
    run = str(tmp_path / "r")
    argv = ["train", "--epochs", "2", "--n", "100", "--out", run, "--device", "cpu"]
    # negative control: an unfaked CPU checkpoint resumes on the CPU
    train(CFG, out=run, stop_after=1, device="cpu")
    assert main(argv + ["--json"]) == 0
    assert '"resumed_from_epoch": 1' in capsys.readouterr().out
    train(CFG, out=tmp_path / "s", stop_after=1, device="cpu")
    _fake_identity(tmp_path / "s" / "checkpoint.pt", CFG, CUDA64)
    argv[argv.index(run)] = str(tmp_path / "s")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "--device cuda" in err and str(tmp_path / "s" / "checkpoint.pt") in err and "'cpu'" in err


def test_dtype_change_refused_naming_dtype(tmp_path, capsys):
    run = str(tmp_path / "r")
    assert main(["train", "--epochs", "2", "--n", "100", "--out", run, "--device", "cpu", "--json"]) == 0
    capsys.readouterr()
    assert main(["train", "--epochs", "2", "--n", "100", "--out", run, "--device", "cpu", "--dtype", "float32"]) == 2
    err = capsys.readouterr().err
    assert "--dtype float64" in err and len(err.strip().splitlines()) == 1


def test_checkpoint_without_identity_refused(tmp_path):
    run = tmp_path / "r"
    train(CFG, out=run, stop_after=1, device="cpu")
    _fake_identity(run / "checkpoint.pt", CFG, None)
    with pytest.raises(ResumeError, match="records no device"):
        train(CFG, out=run, device="cpu")


def test_same_identity_other_config_keeps_generic_error(tmp_path):
    run = tmp_path / "r"
    train(CFG, out=run, stop_after=1, device="cpu")
    with pytest.raises(ResumeError, match="different configuration"):
        train(TrainConfig(method="erm", epochs=2, n=100, seed=1), out=run, device="cpu")


def test_check_resume_device_messages():
    check_resume_device("c.pt", dict(CPU64), CPU64)  # same identity: no error
    with pytest.raises(ResumeError, match=r"written on device 'cuda'.*--device cuda"):
        check_resume_device("c.pt", CUDA64, CPU64)
    with pytest.raises(ResumeError, match="--dtype float32"):
        check_resume_device("c.pt", {"device": "cpu", "dtype": "float32"}, CPU64)


def test_policy_sets_and_restores(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    before = current_policy()
    before_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    with device_policy(deterministic=True) as pol:
        assert pol.deterministic and not pol.allow_tf32
        assert torch.are_deterministic_algorithms_enabled()
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == CUBLAS_WORKSPACE_CONFIG == ":4096:8"
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert current_policy() == before
    assert (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark) == before_cudnn
    with pytest.raises(RuntimeError, match="boom"), device_policy(deterministic=True, allow_tf32=True):
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
        raise RuntimeError("boom")
    assert current_policy() == before


def test_tf32_off_by_default_even_if_it_was_on():
    old = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = True  # cuDNN's own default
    try:
        with device_policy(deterministic=False):
            assert not torch.backends.cudnn.allow_tf32 and not torch.backends.cuda.matmul.allow_tf32
            assert not torch.are_deterministic_algorithms_enabled()
        assert torch.backends.cudnn.allow_tf32
    finally:
        torch.backends.cudnn.allow_tf32 = old


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("", False)])
def test_default_deterministic_reads_env(monkeypatch, value, expected):
    monkeypatch.setenv(DETERMINISTIC_ENV, value)
    assert default_deterministic() is expected
    with device_policy() as pol:
        assert pol.deterministic is expected and torch.are_deterministic_algorithms_enabled() is expected


def test_policy_validates():
    with pytest.raises(InvalidArgument, match="deterministic"):
        with device_policy(deterministic="yes"):
            pass


def test_train_runs_under_the_policy(monkeypatch):
    import checker.wrm.methods as methods

    seen = []
    real = methods.train_step

    def spy(*a, **kw):
        seen.append((torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.allow_tf32))
        return real(*a, **kw)

    monkeypatch.setattr(methods, "train_step", spy)
    data = synthetic(100, seed=0)
    train(TrainConfig(method="erm", epochs=1, n=100), data=data, device="cpu", deterministic=True)
    assert seen and all(s == (True, False) for s in seen)
    seen.clear()
    train(TrainConfig(method="erm", epochs=1, n=100), data=data, device="cpu", deterministic=False,
          allow_tf32=True)
    assert seen and all(s == (False, True) for s in seen)
    assert not torch.are_deterministic_algorithms_enabled()  # restored after the run


def test_cli_flags_reach_the_policy(monkeypatch, capsys):
    import checker.device as device

    calls = []
    real = device.device_policy

    def spy(**kw):
        calls.append(kw)
        return real(**kw)

    monkeypatch.setattr(device, "device_policy", spy)
    assert main(["train", "--epochs", "1", "--n", "100", "--device", "cpu", "--no-deterministic",
                 "--allow-tf32", "--json"]) == 0
    assert calls[-1] == {"deterministic": False, "allow_tf32": True}
    assert main(["train", "--epochs", "1", "--n", "100", "--device", "cpu", "--json"]) == 0
    assert calls[-1] == {"deterministic": None, "allow_tf32": False}  # None: CHECKER_DETERMINISTIC


def test_auto_device_on_this_machine_and_bad_devices():
    from checker.device import resolve_device

    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(InvalidArgument, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(InvalidArgument, match="no CUDA device"):
            resolve_device("cuda")
