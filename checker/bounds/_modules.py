"""Imports every statement module so that the registry is complete (order = listing order)."""

from checker.bounds import arora_thm1  # noqa: F401
from checker.bounds import arora_construction  # noqa: F401
from checker.bounds import birthday  # noqa: F401
from checker.bounds import sinha_concavity  # noqa: F401
from checker.bounds import sinha_nn_smoothness  # noqa: F401
from checker.bounds import sinha_certificate  # noqa: F401
from checker.bounds import sinha_lemma1  # noqa: F401
from checker.bounds import sinha_thm2  # noqa: F401
from checker.bounds import sinha_cor1  # noqa: F401
from checker.bounds import sinha_thm4  # noqa: F401
from checker.bounds import sinha_inner_correction  # noqa: F401
from checker.bounds import sinha_linear  # noqa: F401
