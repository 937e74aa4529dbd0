r"""Trained models for the Sinha et al. sweep kinds: training parameters, data loading and a
content-addressed cache of trained models under ``OUT/models/<key>/``.

``key`` = hash of the canonical training parameters (:func:`train_params`) and of the training
code (:func:`model_code_version`: ``checker/wrm`` and this module), so a model is reused by
every task that trains with the same parameters — a baseline reuses the WRM model its budget is
matched to (eq. (19) of Sinha, Namkoong, Duchi, ICLR 2018; docs/math/sinha.md), and
``certify-rho``/``concavity`` reuse the models of ``wrm-train-attack`` — while code changes to
attacks or certificates do not invalidate trained models. Training is checkpointed each epoch
(:func:`checker.wrm.training.train`), so an interrupted sweep resumes inside a training run. A
cached model gives the same numbers as a fresh one: the weights are stored exactly and the
tasks always continue from the stored copy.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from checker.errors import InvalidArgument
from checker.sweep.params import Param
from checker.validate import one_of

__all__ = ["METHODS", "TRAIN", "train_params", "normalise_train", "check_device", "load_data",
           "train_x", "trained_model", "model_code_version"]

METHODS = ("erm", "fgm", "ifgm", "pgm", "wrm")

#: Training parameters shared by the three kinds (a model's cache key is built from these).
TRAIN: dict[str, Param] = {
    "dataset": Param(type="str", default="mnist",
                     help="mnist (the 5,000 bundled images), digits, synthetic, PATH.npz, or 'idx' (see idx)"),
    "idx": Param(type="strs?", default=None,
                 help="MNIST IDX files [train-images, train-labels, test-images, test-labels] (dataset = 'idx')"),
    "model": Param(type="str?", default=None, help="conv (the paper's convnet) or mlp; default: conv for MNIST"),
    "activation": Param(type="str", default="elu", help="elu (the paper's), relu, ..."),
    "hidden": Param(type="ints?", default=None, help="MLP hidden widths"),
    "gamma": Param(type="float?", default=None, help="WRM penalty (absolute)"),
    "gamma_c2": Param(type="float?", default=None, help="WRM penalty as a multiple of C2 (paper: 0.04)"),
    "epochs": Param(type="int?", default=None, help="training epochs (default: the trainer's)"),
    "batch_size": Param(type="int", default=128, help="minibatch size"),
    "lr": Param(type="float?", default=None, help="Adam learning rate (default: the trainer's)"),
    "steps": Param(type="int?", default=None, help="inner steps of WRM/IFGM/PGM training (default: the method's)"),
    "max_train": Param(type="int?", default=None, help="use only the first N training examples"),
    "max_test": Param(type="int?", default=None,
                      help="use only the first N test examples (training-time test accuracy, attacks)"),
    "n": Param(type="int", default=2000, help="synthetic data set size"),
    "dtype": Param(type="str", default="float64", help="float32 or float64 (training)"),
    "label_smoothing": Param(type="float", default=0.0, help="0 or the authors' 1/9"),
    "device": Param(type="str", default="cpu", help="cpu, cuda, cuda:N or auto"),
    "method": Param(type="str", default="wrm", help="erm, fgm, ifgm, pgm or wrm"),
    "eps": Param(type="float|str", default="match-wrm",
                 help="FGM/IFGM/PGM training budget, or 'match-wrm' (eps = sqrt(rho_hat of the WRM model), eq. (19))"),
    "norm": Param(type="str", default="2", help="norm of the FGM/IFGM/PGM training ball"),
    "seed": Param(type="int", default=0, help="seed of data split, initialisation and attacks"),
}

_DEVICE_HINT = "must be 'cpu', 'auto', 'cuda' or 'cuda:N'"


def check_device(name: str, value: str) -> str:
    ok = value in ("cpu", "auto", "cuda") or (value.startswith("cuda:") and value[5:].isdigit())
    if not ok:
        raise InvalidArgument(name, value, _DEVICE_HINT)
    return value


def train_params(config: dict[str, Any]) -> dict[str, Any]:
    """The training part of a config, canonical: irrelevant fields are fixed (``eps`` and
    ``norm`` for ERM/WRM, ``gamma``/``gamma_c2`` for ERM) so equal models get equal keys."""
    tp = {k: config[k] for k in TRAIN}
    if tp["method"] in ("erm", "wrm"):
        tp["eps"], tp["norm"] = None, "2"
    if tp["method"] == "erm":
        tp["gamma"] = tp["gamma_c2"] = None
    return tp


def normalise_train(c: dict[str, Any]) -> dict[str, Any]:
    """Validate the training fields by building the trainer's own configuration."""
    from checker.wrm.training import TrainConfig

    one_of("method", c["method"], METHODS)
    check_device("device", c["device"])
    if c["gamma"] is not None and c["gamma_c2"] is not None:
        raise InvalidArgument("gamma_c2", c["gamma_c2"], "cannot be combined with gamma (give one)")
    if c["gamma_c2"] is not None and not c["gamma_c2"] > 0:
        raise InvalidArgument("gamma_c2", c["gamma_c2"], "must be > 0")
    if isinstance(c["eps"], str) and c["eps"] != "match-wrm":
        raise InvalidArgument("eps", c["eps"], "must be a number or 'match-wrm'")
    if c["dataset"] == "idx":
        if not c["idx"] or len(c["idx"]) != 4:
            raise InvalidArgument("idx", c["idx"], "must list 4 files: train images, train labels, test images, test labels")
        for f in c["idx"]:
            if not Path(f).is_file():
                raise InvalidArgument("idx", f, "must be an existing file")
    elif c["idx"] is not None:
        raise InvalidArgument("idx", c["idx"], "is only used with dataset = 'idx'")
    eps = c["eps"] if isinstance(c["eps"], float) else (0.1 if c["method"] in ("fgm", "ifgm", "pgm") else None)
    TrainConfig(method=c["method"], dataset="mnist" if c["dataset"] == "idx" else c["dataset"],
                model=c["model"], activation=c["activation"],
                **({"hidden": tuple(c["hidden"])} if c["hidden"] is not None else {}),
                gamma=c["gamma"], eps=eps, norm=c["norm"], steps=c["steps"], epochs=c["epochs"],
                batch_size=c["batch_size"], lr=c["lr"], seed=c["seed"], n=c["n"],
                max_train=c["max_train"], dtype=c["dtype"], label_smoothing=c["label_smoothing"])
    if c["max_test"] is not None and not (isinstance(c["max_test"], int) and c["max_test"] > 0):
        raise InvalidArgument("max_test", c["max_test"], "must be a positive integer")
    return c


def _file_digest(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def load_data(tp: dict[str, Any]):
    """The data set of training parameters ``tp`` (test split cut to ``max_test``)."""
    model_kind = tp["model"] or ("conv" if tp["dataset"] in ("mnist", "idx") else "mlp")
    data = _load_data_cached(tp["dataset"], tuple(tp["idx"] or ()), tp["seed"], tp["n"],
                             model_kind == "mlp" and tp["dataset"] == "digits")
    k = tp.get("max_test")
    if k is not None and k < data.x_test.shape[0]:
        import dataclasses

        data = dataclasses.replace(data, x_test=data.x_test[:k], y_test=data.y_test[:k])
    return data


@functools.lru_cache(maxsize=4)
def _load_data_cached(dataset: str, idx: tuple[str, ...], seed: int, n: int, flat: bool):
    """Loaded once per worker process (the bundled MNIST takes seconds to read); the tensors
    are only read, never changed, by the tasks."""
    from checker.wrm.data import load_dataset, load_idx

    if dataset == "idx":
        a, b, c, d = idx
        return load_idx(a, b, test_images=c, test_labels=d, seed=seed)
    return load_dataset(dataset, seed=seed, n=n, flat=flat)


def train_x(tp: dict[str, Any], data):
    x = data.x_train
    return x[: tp["max_train"]] if tp["max_train"] is not None else x


def _pure_summary(r) -> dict[str, Any]:
    """The deterministic part of a training result (no wall times, paths or devices)."""
    s = r.summary()
    keep = ("method", "dataset", "model", "activation", "epochs", "seed", "train_accuracy",
            "test_accuracy", "gamma", "eps", "norm", "rho_hat", "surrogate", "label_smoothing", "C2")
    out = {k: s[k] for k in keep}
    out["history"] = [{k: v for k, v in h.items() if k != "seconds"} for h in s["history"]]
    return out


@functools.lru_cache(maxsize=1)
def model_code_version() -> str:
    """Version of the training code (``checker/wrm`` and this module), computed once per process
    (the modules a process trains with are imported once, too)."""
    from checker.sweep.version import code_version

    return code_version(("checker/wrm", "checker/device.py", "checker/threads.py", "checker/sweep/models.py"))


def trained_model(tp: dict[str, Any], root: Path):
    """``(model, summary)`` for training parameters ``tp``: loaded from ``root/models/<key>`` when
    a finished run is there, else trained (checkpointed each epoch, resumable) and stored.

    Baselines with ``eps = "match-wrm"`` first obtain the WRM model with the same training
    parameters (eq. (19): :math:`\\epsilon = \\sqrt{\\hat\\rho_n(\\theta_{WRM})}`).
    """
    from checker.device import resolve_device
    from checker.io import fingerprint, read_json, write_json
    from checker.wrm.models import load_model
    from checker.wrm.training import TrainConfig, train

    tp = train_params(tp)
    ident = dict(tp)
    if tp["dataset"] == "idx":
        ident["idx"] = [_file_digest(f) for f in tp["idx"]]
    key = fingerprint({"train": ident, "code": model_code_version()})
    d = Path(root) / "models" / key
    marker = d / "train.json"
    dev = resolve_device(tp["device"])
    if marker.is_file():
        summary = read_json(marker)
        model = load_model(d / "run" / "model.pt").to(dev)
        return model, summary
    data = load_data(tp)
    gamma = tp["gamma"]
    if tp["method"] == "wrm" and tp["gamma_c2"] is not None:
        from checker.wrm.data import C2

        gamma = tp["gamma_c2"] * C2(train_x(tp, data))
    eps = tp["eps"]
    if eps == "match-wrm":
        _, wrm = trained_model({**tp, "method": "wrm"}, root)
        eps = math.sqrt(float(wrm["rho_hat"]))
    cfg = TrainConfig(method=tp["method"], dataset="mnist" if tp["dataset"] == "idx" else tp["dataset"],
                      model=tp["model"], activation=tp["activation"],
                      **({"hidden": tuple(tp["hidden"])} if tp["hidden"] is not None else {}),
                      gamma=gamma, eps=eps, norm=tp["norm"], steps=tp["steps"], epochs=tp["epochs"],
                      batch_size=tp["batch_size"], lr=tp["lr"], seed=tp["seed"], n=tp["n"],
                      max_train=tp["max_train"], dtype=tp["dtype"], label_smoothing=tp["label_smoothing"])
    r = train(cfg, out=d / "run", data=data, device=dev)
    summary = _pure_summary(r)
    summary["n_train"] = int(train_x(tp, data).shape[0])
    summary["n_test"] = int(data.x_test.shape[0])
    summary["n_parameters"] = int(sum(p.numel() for p in r.model.parameters()))
    write_json(marker, summary)
    # Use the stored copy so a fresh and a cached run continue from identical objects.
    return load_model(d / "run" / "model.pt").to(dev), summary

