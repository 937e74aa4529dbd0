"""Static table statement id -> defining module (listing order = this order).

:func:`checker.bounds.get` imports only the module of the requested statement (a
``checker bound ID`` call loads one statement module); :func:`checker.bounds.ids` lists every id
without importing any statement module. A test checks that this table and the registry agree.
"""

from __future__ import annotations

from types import MappingProxyType

STATEMENT_MODULES = MappingProxyType({
    "arora-thm1": "checker.bounds.arora_thm1",
    "arora-mstar": "checker.bounds.arora_thm1",
    "arora-mcdiarmid": "checker.bounds.arora_thm1",
    "arora-encoder-size": "checker.bounds.arora_construction",
    "arora-generator-size": "checker.bounds.arora_construction",
    "arora-ramp-width": "checker.bounds.arora_construction",
    "arora-ramp-mass": "checker.bounds.arora_construction",
    "birthday-collision": "checker.bounds.birthday",
    "birthday-exp-bound": "checker.bounds.birthday",
    "birthday-sample-size": "checker.bounds.birthday",
    "birthday-inversion": "checker.bounds.birthday",
    "birthday-tb": "checker.bounds.birthday",
    "birthday-mass-lower-bound": "checker.bounds.birthday",
    "birthday-ta": "checker.bounds.birthday",
    "sinha-concavity": "checker.bounds.sinha_concavity",
    "sinha-nn-smoothness": "checker.bounds.sinha_nn_smoothness",
    "sinha-cor4-tight": "checker.bounds.sinha_nn_smoothness",
    "sinha-certificate": "checker.bounds.sinha_certificate",
    "sinha-weak-duality": "checker.bounds.sinha_certificate",
    "sinha-identity13": "checker.bounds.sinha_certificate",
    "sinha-lphi": "checker.bounds.sinha_lemma1",
    "sinha-transport-lipschitz": "checker.bounds.sinha_lemma1",
    "sinha-gradient-bias": "checker.bounds.sinha_thm2",
    "sinha-thm2": "checker.bounds.sinha_thm2",
    "sinha-thm2-iclr": "checker.bounds.sinha_thm2",
    "sinha-cor1": "checker.bounds.sinha_cor1",
    "sinha-thm4-tail": "checker.bounds.sinha_thm4",
    "sinha-inner-correction": "checker.bounds.sinha_inner_correction",
    "sinha-linear-closed-form": "checker.bounds.sinha_linear",
})
