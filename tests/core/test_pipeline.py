"""The main job's machinery: content-addressed caching, resume after a crash, verdicts."""

from __future__ import annotations

import pytest

import checker.pipeline as pl
from checker.errors import InvalidArgument
from checker.pipeline import Check, RunConfig, Stage, StageResult, run_pipeline


@pytest.fixture
def fake_stages(monkeypatch):
    calls: list[str] = []
    state = {"fail_b": False}

    def a(ctx):
        calls.append("a")
        return StageResult(stage="a", title="A", data={"x": 1},
                           checks=(Check(name="a ok", passed=True, evidence="exact", summary=""),))

    def b(ctx):
        calls.append("b")
        if state["fail_b"]:
            raise RuntimeError("interrupted half-way")
        assert ctx.results["a"].data["x"] == 1  # reads its upstream stage
        return StageResult(stage="b", title="B",
                           checks=(Check(name="b ok", passed=True, evidence="tested", summary=""),))

    stages = (Stage(name="a", title="A", func=a, sources=("io.py",)),
              Stage(name="b", title="B", func=b, sources=("io.py",), reads=("a",)))
    monkeypatch.setattr(pl, "STAGES", stages)
    return calls, state


def test_second_run_reuses_every_stage(tmp_path, fake_stages):
    calls, _ = fake_stages
    r1 = run_pipeline(RunConfig(out=tmp_path))
    assert r1.passed and calls == ["a", "b"]
    r2 = run_pipeline(RunConfig(out=tmp_path))
    assert r2.passed and calls == ["a", "b"]  # nothing recomputed
    assert all(s.cached for s in r2.stages)


def test_changed_configuration_recomputes(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(RunConfig(out=tmp_path, seed=0))
    run_pipeline(RunConfig(out=tmp_path, seed=1))
    assert calls == ["a", "b", "a", "b"]


def test_crashed_stage_fails_the_run_and_resumes_there(tmp_path, fake_stages):
    calls, state = fake_stages
    state["fail_b"] = True
    r1 = run_pipeline(RunConfig(out=tmp_path))
    assert not r1.passed and "interrupted half-way" in r1.stages[1].error
    state["fail_b"] = False
    r2 = run_pipeline(RunConfig(out=tmp_path))
    assert r2.passed
    assert calls == ["a", "b", "b"]  # stage a was reused, b resumed
    assert r2.stages[0].cached and not r2.stages[1].cached


def test_no_cache_recomputes(tmp_path, fake_stages):
    calls, _ = fake_stages
    run_pipeline(RunConfig(out=tmp_path))
    run_pipeline(RunConfig(out=tmp_path, use_cache=False))
    assert calls == ["a", "b", "a", "b"]


def test_unknown_stage_is_rejected_with_suggestion(fake_stages):
    with pytest.raises(InvalidArgument, match="did you mean 'a'"):
        RunConfig(only=("aa",))


def test_failed_check_fails_the_run(tmp_path, monkeypatch):
    def bad(ctx):
        return StageResult(stage="x", title="X", checks=(Check(name="c", passed=False, evidence="measured", summary="gap too big"),))

    monkeypatch.setattr(pl, "STAGES", (Stage(name="x", title="X", func=bad, sources=()),))
    assert not run_pipeline(RunConfig(out=tmp_path)).passed


def test_checker_error_inside_a_stage_is_a_failed_stage_not_bad_usage(tmp_path, monkeypatch):
    from checker.errors import CheckError

    def broken(ctx):
        raise CheckError("`checker gan` failed (exit 2): something inside the stage")

    monkeypatch.setattr(pl, "STAGES", (Stage(name="x", title="X", func=broken, sources=()),))
    res = run_pipeline(RunConfig(out=tmp_path))
    assert not res.passed and "CheckError" in res.stages[0].error
