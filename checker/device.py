"""Device resolution and the device/determinism policy of every torch computation in checker.

* :func:`resolve_device`: ``"auto"`` picks CUDA when present; asking for a device that is not
  there is a clear :class:`~checker.errors.InvalidArgument`, not a CUDA traceback.
* :func:`device_policy`: the numerical policy of a run, applied for its duration and restored
  afterwards. With ``deterministic=True`` torch's deterministic algorithms are required
  (``torch.use_deterministic_algorithms(True)``: an op without a deterministic kernel raises
  instead of silently varying), cuDNN autotuning is off and cuBLAS gets the fixed workspace
  ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` that its reproducibility note asks for. TF32 (10-bit
  mantissa float32 matmuls and convolutions on Ampere and later GPUs) is off unless
  ``allow_tf32=True``: checker's float32 numbers must mean float32. The default of
  ``deterministic`` is the environment variable :data:`DETERMINISTIC_ENV` (``1`` in the test
  suite), else off.
* :func:`checkpoint_identity` / :func:`check_resume_device`: the device *type* (``cpu``,
  ``cuda``) and the dtype are part of every training checkpoint's fingerprint. Random streams
  and kernels differ between CPU and CUDA, so a run checkpointed on one and resumed on the
  other would be neither run; such a resume is refused with a one-line
  :class:`~checker.errors.ResumeError` naming ``--device`` and the checkpoint (CLI exit 2).
  Different CUDA indices (``cuda:0`` / ``cuda:1``) share a type and may resume each other.

Bit-identity claims (e.g. "a resumed run equals an uninterrupted one") are made for the same
device type only; tests that assert them pin ``device="cpu"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from checker.errors import InvalidArgument, ResumeError

__all__ = ["resolve_device", "DETERMINISTIC_ENV", "CUBLAS_WORKSPACE_CONFIG", "DevicePolicy",
           "default_deterministic", "device_policy", "current_policy", "checkpoint_identity",
           "check_resume_device"]

#: Environment variable giving the default of ``--deterministic`` ("1"/"true"/"yes"/"on").
DETERMINISTIC_ENV = "CHECKER_DETERMINISTIC"
#: cuBLAS workspace setting required for deterministic cuBLAS (CUDA >= 10.2 reproducibility note).
CUBLAS_WORKSPACE_CONFIG = ":4096:8"


def resolve_device(device: object = "auto", name: str = "device"):
    import torch

    if isinstance(device, torch.device):
        spec = str(device)
    else:
        spec = "auto" if device is None else str(device)
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(spec)
    except (RuntimeError, ValueError):
        raise InvalidArgument(name, spec, "must be 'auto', 'cpu', 'cuda' or 'cuda:N'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidArgument(name, spec, "is not available on this machine (no CUDA device)")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise InvalidArgument(name, spec,
                                  f"is not available (this machine has {torch.cuda.device_count()} CUDA devices)")
    elif dev.type != "cpu":
        raise InvalidArgument(name, spec, "must be 'auto', 'cpu', 'cuda' or 'cuda:N'")
    return dev


@dataclass(frozen=True, kw_only=True)
class DevicePolicy:
    """The numerical policy in force: deterministic algorithms required, TF32 allowed."""

    deterministic: bool
    allow_tf32: bool


def default_deterministic() -> bool:
    """``--deterministic``'s default: :data:`DETERMINISTIC_ENV` set to 1/true/yes/on."""
    return os.environ.get(DETERMINISTIC_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _tf32_state() -> bool:
    import torch

    try:
        return bool(torch.backends.cuda.matmul.allow_tf32 or torch.backends.cudnn.allow_tf32)
    except RuntimeError:  # TF32 flags were set through torch's newer per-op API: treat as allowed
        return True


def current_policy() -> DevicePolicy:
    import torch

    return DevicePolicy(deterministic=torch.are_deterministic_algorithms_enabled(), allow_tf32=_tf32_state())


def _set(deterministic: bool, allow_tf32: bool, benchmark: bool) -> None:
    import torch

    torch.use_deterministic_algorithms(deterministic)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = benchmark
    torch.backends.cuda.matmul.allow_tf32 = allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32


@contextmanager
def device_policy(*, deterministic: bool | None = None, allow_tf32: bool = False) -> Iterator[DevicePolicy]:
    """Run the body under the policy (``deterministic=None``: :func:`default_deterministic`);
    the previous settings are restored on exit, also on error."""
    import torch

    if deterministic is None:
        deterministic = default_deterministic()
    if not isinstance(deterministic, bool):
        raise InvalidArgument("deterministic", deterministic, "must be True or False")
    if not isinstance(allow_tf32, bool):
        raise InvalidArgument("allow_tf32", allow_tf32, "must be True or False")
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_tf32 = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) \
        if not _mixed_tf32_api() else None
    prev_cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    if deterministic:
        # Read by cuBLAS when its handle is created; harmless without CUDA. A user's own value wins.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE_CONFIG)
    _set(deterministic, allow_tf32, benchmark=False if deterministic else prev_cudnn[1])
    try:
        yield DevicePolicy(deterministic=deterministic, allow_tf32=allow_tf32)
    finally:
        torch.use_deterministic_algorithms(prev_det)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = prev_cudnn
        if prev_tf32 is not None:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = prev_tf32


def _mixed_tf32_api() -> bool:
    import torch

    try:
        torch.backends.cudnn.allow_tf32  # noqa: B018 - raises when the per-op API was mixed in
    except RuntimeError:
        return True
    return False


def checkpoint_identity(device, dtype) -> dict[str, str]:
    """``{"device": type, "dtype": name}``: the part of a checkpoint fingerprint that pins where
    and in what precision the run computes (e.g. ``{"device": "cpu", "dtype": "float64"}``)."""
    import torch

    dev = device if isinstance(device, torch.device) else torch.device(str(device))
    name = str(dtype).removeprefix("torch.")
    return {"device": dev.type, "dtype": name}


def check_resume_device(path, saved: dict | None, current: dict[str, str]) -> None:
    """Refuse to resume checkpoint ``path`` written under ``saved`` identity (from
    :func:`checkpoint_identity`) when this run's identity ``current`` differs.

    Raises :class:`~checker.errors.ResumeError` with a one-line message naming ``--device``
    (or ``--dtype``) and the checkpoint. A checkpoint without a recorded identity (``saved``
    None) is refused too: it cannot be shown to match.
    """
    if saved is None:
        raise ResumeError(f"checkpoint {path} records no device/dtype, so it cannot be resumed "
                          f"on {current['device']} ({current['dtype']}); use a fresh --out folder")
    if saved.get("device") != current["device"]:
        raise ResumeError(f"checkpoint {path} was written on device {saved.get('device')!r}, this run uses "
                          f"{current['device']!r}: resume with --device {saved.get('device')} "
                          "(a cross-device resume is refused), or use a fresh --out folder")
    if saved.get("dtype") != current["dtype"]:
        raise ResumeError(f"checkpoint {path} was written in {saved.get('dtype')}, this run uses "
                          f"{current['dtype']}: resume with --dtype {saved.get('dtype')}, or use a fresh --out folder")
