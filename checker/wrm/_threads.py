"""Re-export of the project's single thread policy (:mod:`checker.threads`)."""

from checker.threads import SMALL_MODEL_PARAMS, threads_for

__all__ = ["SMALL_MODEL_PARAMS", "threads_for"]
