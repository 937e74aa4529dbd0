"""checker: makes two ML-theory results checkable.

* Arora, Risteski, Zhang (ICLR 2018): encoder-decoder GANs cannot prevent mode collapse
  (Theorem 1, its explicit ReLU construction) and the birthday-paradox support test.
* Sinha, Namkoong, Duchi (ICLR 2018): WRM, its baselines and the robustness certificate.

Importing ``checker`` is cheap: heavy modules (torch, sympy) load on first use. The public
surface is re-exported here by name.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "load_model"]


def load_model(path):
    """Load a model saved by ``checker train``: a ``torch.nn.Module`` mapping inputs to logits.

    No arbitrary objects are unpickled (weights are loaded with ``weights_only=True`` and the
    architecture is rebuilt from a JSON description).
    """
    from checker.wrm.models import load_model as _load

    return _load(path)
