"""Shared Hypothesis strategies, one module per area (``tests.strategies.bounds`` ...).

Networks are built from drawn weight arrays (never from torch's random initialisation), so
failures shrink to small, readable weights that can be pasted into ``@example``.
"""
