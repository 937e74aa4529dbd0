"""Arora, Risteski, Zhang (ICLR 2018) Theorem 1, built: the noising operator, the encoder with
:math:`\\tilde d` nonzero weights, the ideal and compact ReLU generators, data sources, the
construction API :func:`build_pair`, bounded discriminators and the fooling experiment.

Everything here is torch code (float64 by default, CPU or CUDA; the device is taken from the
inputs). The symbolic statements live in :mod:`checker.bounds` and never import this package.
"""

from checker.gan.codes import CODES, CodeDistribution, block_index, code_distribution, thresholds
from checker.gan.construction import ConstructedPair, build_pair, default_delta
from checker.gan.data import DATASETS, ImageData, dataset_dim, load_images
from checker.gan.discriminators import BoundedDiscriminator, Measure, measure
from checker.gan.encoder import NoiseEncoder, encoder_nonzero_count
from checker.gan.fooling import (FoolingConfig, FoolingResult, FoolingRow, RowVerdict, plot_fooling,
                                  run_fooling)
from checker.gan.generator import IdealGenerator, ReluGenerator, pow2_floor
from checker.gan.noising import NoiseSplit, apply_noise, noise_indices, split_noise

__all__ = [
    "CODES", "CodeDistribution", "block_index", "code_distribution", "thresholds",
    "ConstructedPair", "build_pair", "default_delta",
    "DATASETS", "ImageData", "dataset_dim", "load_images",
    "BoundedDiscriminator", "Measure", "measure",
    "NoiseEncoder", "encoder_nonzero_count",
    "FoolingConfig", "FoolingResult", "FoolingRow", "RowVerdict", "plot_fooling", "run_fooling",
    "IdealGenerator", "ReluGenerator", "pow2_floor",
    "NoiseSplit", "apply_noise", "noise_indices", "split_noise",
]
