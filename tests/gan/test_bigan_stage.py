"""The main job's trained-BiGAN stage (issue 27, item 5): its verdict rules and one tiny run.

The verdict rules are tested on hand-made numbers (each check passes, fails and, where it can,
is vacuous); the tiny run re-derives every verdict from the numbers the stage reports.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.pipeline import RunConfig, StageContext
from checker.report.textmath import ascii_math
from checker.stages import MODE_CLASSIFIER_FLOOR, SETTINGS, bigan_checks, stage_bigan
from checker.tolerances import BIRTHDAY_SUPPORT_FACTOR as F


def _row(s, dup, p, lo, hi):
    return {"s": s, "duplicates": dup, "p_duplicate": p, "p_low": lo, "p_high": hi}


MODEL = [_row(8, 30, 0.75, 0.6, 0.86), _row(16, 40, 1.0, 0.91, 1.0)]
DATA_LOW = [_row(8, 0, 0.0, 0.0, 0.09), _row(16, 1, 0.03, 0.0, 0.13)]
CONS = {"m": 18, "distinct_pool_images": 17, "collision_support": 16.2,
        "support_estimate": {"value": 17.0, "low": 13.0, "high": 22.0}}


def test_checks_pass_on_a_resolved_generator():
    c = bigan_checks(model_rows=MODEL, data_rows=DATA_LOW, construction=CONS, construction_skipped=None,
                     classifier_accuracy=0.95, factor=F)
    assert [x.outcome for x in c] == ["pass", "pass", "pass"]
    assert "at s = 16" in c[0].summary  # the largest s with a duplicate


def test_checks_fail_when_the_data_look_as_duplicated_as_the_generator():
    data = [_row(8, 30, 0.7, 0.55, 0.82), _row(16, 40, 1.0, 0.91, 1.0)]
    c = bigan_checks(model_rows=MODEL, data_rows=data, construction=CONS, construction_skipped=None,
                     classifier_accuracy=0.95, factor=F)
    assert c[0].outcome == "fail"


def test_construction_check_uses_the_factor_both_ways():
    for est, want in ((16.2 * F, "pass"), (16.2 * F * 1.01, "fail"), (16.2 / F, "pass"), (16.2 / F / 1.01, "fail"),
                      (math.inf, "fail")):
        cons = {**CONS, "support_estimate": {"value": est, "low": 0.0, "high": math.inf}}
        c = bigan_checks(model_rows=MODEL, data_rows=DATA_LOW, construction=cons, construction_skipped=None,
                         classifier_accuracy=0.95, factor=F)
        assert c[1].outcome == want, est


def test_vacuous_when_nothing_to_resolve_or_no_construction():
    none = [_row(8, 0, 0.0, 0.0, 0.09)]
    c = bigan_checks(model_rows=none, data_rows=DATA_LOW, construction=None,
                     construction_skipped="no duplicates seen", classifier_accuracy=0.95, factor=F)
    assert [x.outcome for x in c] == ["vacuous", "vacuous", "pass"]
    assert "no duplicates seen" in c[1].summary


def test_classifier_floor():
    for acc, want in ((MODE_CLASSIFIER_FLOOR, "pass"), (MODE_CLASSIFIER_FLOOR - 1e-9, "fail")):
        c = bigan_checks(model_rows=MODEL, data_rows=DATA_LOW, construction=CONS, construction_skipped=None,
                         classifier_accuracy=acc, factor=F)
        assert c[2].outcome == want


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bigan-stage")
    ctx = StageContext(config=RunConfig(out=out, scale="tiny", device="cpu"), out=out, results={})
    return stage_bigan(ctx), out


def test_tiny_stage_reports_what_its_checks_judge(tiny):
    res, out = tiny
    d = res.data
    assert d["training"]["steps_done"] == SETTINGS["bigan"]["tiny"]["steps"]
    assert [r["s"] for r in d["table"]] == list(SETTINGS["bigan"]["tiny"]["s"])
    e = d["support_estimate"]
    val = math.inf if isinstance(e["value"], str) else e["value"]
    assert e["low"] <= val
    cons = d["construction"]
    checks = bigan_checks(model_rows=d["table"], data_rows=d["data"]["rows"],
                          construction=None if cons is None else cons,
                          construction_skipped=d["construction_skipped"],
                          classifier_accuracy=float(d["training"]["modes"]["classifier_accuracy"]), factor=F)
    assert [c.outcome for c in checks] == [c.outcome for c in res.checks]
    if cons is not None:
        assert cons["m"] == round(val)
    for rel in res.figures.values():
        p = Path(out) / rel
        assert p.exists() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("G(E(x))" in cap for cap in res.figures)
    # formulas as MathML in the stage's table, no ASCII formula left in its visible text
    maths = re.findall(r"<math .*?</math>", d["html"], re.S)
    assert len(maths) >= 4
    for m in maths:
        ET.fromstring(m)  # well-formed MathML
    assert ascii_math(re.sub(r"<[^>]+>", "", d["html"])) == []
