"""Device resolution: ``"auto"`` picks CUDA when present; asking for a device that is not
there is a clear :class:`~checker.errors.InvalidArgument`, not a CUDA traceback."""

from __future__ import annotations

from checker.errors import InvalidArgument

__all__ = ["resolve_device"]


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
