"""The main job's machinery: content-addressed caching, resume after a crash, three-valued
verdicts, provenance, stage selection, and no import circle with the stages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checker.errors import InvalidArgument
from checker.pipeline import (Check, RunConfig, RunResult, Stage, StageResult, provenance,
                              run_pipeline, select_stages)


@pytest.fixture
def fake_stages():
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
    return stages, calls, state


def _single(func, name="x"):
    return (Stage(name=name, title=name.upper(), func=func, sources=()),)


def test_second_run_reuses_every_stage(tmp_path, fake_stages):
    stages, calls, _ = fake_stages
    r1 = run_pipeline(RunConfig(out=tmp_path), stages)
    assert r1.passed and calls == ["a", "b"]
    r2 = run_pipeline(RunConfig(out=tmp_path), stages)
    assert r2.passed and calls == ["a", "b"]  # nothing recomputed
    assert all(s.cached for s in r2.stages)
    assert [c.outcome for s in r2.stages for c in s.checks] == ["pass", "pass"]


def test_changed_configuration_recomputes(tmp_path, fake_stages):
    stages, calls, _ = fake_stages
    run_pipeline(RunConfig(out=tmp_path, seed=0), stages)
    run_pipeline(RunConfig(out=tmp_path, seed=1), stages)
    run_pipeline(RunConfig(out=tmp_path, seed=1, scale="tiny"), stages)
    assert calls == ["a", "b"] * 3


def test_crashed_stage_fails_the_run_and_resumes_there(tmp_path, fake_stages):
    stages, calls, state = fake_stages
    state["fail_b"] = True
    events = []
    r1 = run_pipeline(RunConfig(out=tmp_path), stages, on_stage=lambda n, e: events.append((n, e)))
    assert not r1.passed and "interrupted half-way" in r1.stages[1].error
    assert events == [("a", "start"), ("a", "done"), ("b", "start"), ("b", "crashed")]
    state["fail_b"] = False
    r2 = run_pipeline(RunConfig(out=tmp_path), stages)
    assert r2.passed
    assert calls == ["a", "b", "b"]  # stage a was reused, b resumed
    assert r2.stages[0].cached and not r2.stages[1].cached


def test_keyboard_interrupt_propagates_and_keeps_finished_stages(tmp_path, fake_stages):
    stages, calls, _ = fake_stages

    def interrupted(ctx):
        raise KeyboardInterrupt

    broken = (stages[0], Stage(name="b", title="B", func=interrupted, sources=("io.py",), reads=("a",)))
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(RunConfig(out=tmp_path), broken)
    assert (tmp_path / "stages" / "a.json").exists() and not (tmp_path / "stages" / "b.json").exists()
    r = run_pipeline(RunConfig(out=tmp_path), stages)
    assert r.passed and r.stages[0].cached and not r.stages[1].cached
    assert calls == ["a", "b"]


def test_damaged_cache_file_is_recomputed(tmp_path, fake_stages):
    stages, calls, _ = fake_stages
    run_pipeline(RunConfig(out=tmp_path), stages)
    (tmp_path / "stages" / "a.json").write_text("{not json")
    r = run_pipeline(RunConfig(out=tmp_path), stages)
    # a is recomputed; b's key depends on a's key (configuration and code), not on a's saved
    # file, so b is still reused
    assert r.passed and calls == ["a", "b", "a"]
    assert not r.stages[0].cached and r.stages[1].cached


def test_no_cache_recomputes(tmp_path, fake_stages):
    stages, calls, _ = fake_stages
    run_pipeline(RunConfig(out=tmp_path), stages)
    run_pipeline(RunConfig(out=tmp_path, use_cache=False), stages)
    assert calls == ["a", "b", "a", "b"]


def test_unknown_stage_is_rejected_with_suggestion(fake_stages):
    stages, _, _ = fake_stages
    with pytest.raises(InvalidArgument, match="did you mean 'a'"):
        select_stages(stages, ("aa",))


def test_only_selects_the_stage_and_what_it_reads(fake_stages):
    stages, _, _ = fake_stages
    assert [s.name for s in select_stages(stages, ("b",))] == ["a", "b"]
    assert [s.name for s in select_stages(stages, ("a",))] == ["a"]
    assert [s.name for s in select_stages(stages, ())] == ["a", "b"]


def test_failed_check_fails_the_run(tmp_path):
    def bad(ctx):
        return StageResult(stage="x", title="X", checks=(Check(name="c", passed=False, evidence="measured",
                                                               summary="gap too big"),))

    res = run_pipeline(RunConfig(out=tmp_path), _single(bad))
    assert not res.passed and res.outcome == "fail" and res.stages[0].outcome == "fail"


def test_checker_error_inside_a_stage_is_a_failed_stage_not_bad_usage(tmp_path):
    from checker.errors import CheckError

    def broken(ctx):
        raise CheckError("something inside the stage")

    res = run_pipeline(RunConfig(out=tmp_path), _single(broken))
    assert not res.passed and "CheckError" in res.stages[0].error


# -- three-valued verdicts --------------------------------------------------------------------
def test_check_outcomes_and_legacy_passed():
    assert Check(name="n", evidence="exact", passed=True).outcome == "pass"
    assert Check(name="n", evidence="exact", passed=False).outcome == "fail"
    v = Check(name="n", evidence="measured", outcome="vacuous")
    assert v.vacuous and v.passed is False  # a vacuous check is never a pass
    with pytest.raises(InvalidArgument):
        Check(name="n", evidence="exact", outcome="maybe")
    with pytest.raises(ValueError, match="contradicts"):
        Check(name="n", evidence="exact", outcome="vacuous", passed=True)
    with pytest.raises(TypeError):
        Check(name="n", evidence="exact")


def test_judge_appends_the_reason_and_round_trips():
    c = Check.judge(name="n", evidence="measured", summary="gap 0.1", passed=True,
                    vacuous_because="eps(m) = 3 exceeds the range 1")
    assert c.outcome == "vacuous" and c.summary == "gap 0.1; vacuous: eps(m) = 3 exceeds the range 1"
    assert Check.judge(name="n", evidence="measured", summary="", passed=False).outcome == "fail"
    for chk in (c, Check(name="m", evidence="exact", passed=True)):
        assert Check.from_dict(json.loads(json.dumps(chk.to_dict()))) == chk
    # results saved before outcomes existed still load
    assert Check.from_dict({"name": "o", "passed": True, "evidence": "exact", "summary": ""}).outcome == "pass"


def _result(tmp_path, *outcomes_per_stage, strict=False):
    stages = tuple(StageResult(stage=f"s{i}", title=f"S{i}", checks=tuple(
        Check(name=f"c{j}", evidence="tested", outcome=o) for j, o in enumerate(outs)))
        for i, outs in enumerate(outcomes_per_stage))
    return RunResult(config=RunConfig(out=tmp_path, strict=strict), stages=stages, seconds=0.0, environment={})


def test_vacuous_checks_are_shown_but_only_an_all_vacuous_stage_fails_the_run(tmp_path):
    mixed = _result(tmp_path, ("pass", "vacuous"), ("pass",))
    assert mixed.stages[0].outcome == "pass" and mixed.passed
    assert (mixed.count("pass"), mixed.count("vacuous"), mixed.count("fail")) == (2, 1, 0)
    assert not _result(tmp_path, ("pass", "vacuous"), strict=True).passed  # --strict
    empty = _result(tmp_path, ("vacuous", "vacuous"), ("pass",))
    assert empty.stages[0].outcome == "vacuous" and not empty.passed
    assert not _result(tmp_path, ("pass", "fail", "vacuous")).passed
    assert _result(tmp_path, ()).passed  # a stage without checks (data only) passes


def test_stage_result_dict_carries_outcomes_and_counts():
    s = StageResult(stage="s", title="S", checks=(Check(name="a", evidence="tested", outcome="vacuous"),
                                                  Check(name="b", evidence="tested", passed=True)))
    d = s.to_dict()
    assert d["outcome"] == "pass" and d["counts"] == {"pass": 1, "fail": 0, "vacuous": 1}
    assert [c["outcome"] for c in d["checks"]] == ["vacuous", "pass"]
    assert StageResult.from_dict(json.loads(json.dumps(d))).checks == s.checks


def test_run_config_validates(tmp_path):
    with pytest.raises(InvalidArgument, match="scale"):
        RunConfig(scale="huge")
    with pytest.raises(InvalidArgument, match="seed"):
        RunConfig(seed=-1)
    assert RunConfig(full=True).scale == "full" and RunConfig(full=True).full
    assert RunConfig(scale="tiny").tiny and not RunConfig(scale="tiny").full


# -- provenance -----------------------------------------------------------------------------------
def test_provenance_records_commit_command_versions_and_seed(tmp_path):
    p = provenance(RunConfig(out=tmp_path, seed=7), ["python3", "-m", "checker", "run", "--out", "a b"])
    assert set(p) >= {"git_commit", "git_dirty", "command", "versions", "seeds", "scale", "device", "started_utc"}
    assert p["command"] == "python3 -m checker run --out 'a b'"
    assert p["seeds"]["seed"] == 7 and p["versions"]["checker"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          cwd=str(__import__("checker.pipeline").pipeline.REPO_ROOT))
    expected = head.stdout.strip() if head.returncode == 0 else "unknown"
    assert p["git_commit"] == expected


def test_provenance_outside_a_git_checkout_is_unknown(tmp_path, monkeypatch):
    import checker.pipeline as pl

    monkeypatch.setattr(pl, "REPO_ROOT", tmp_path)
    p = provenance(RunConfig(out=tmp_path))
    assert p["git_commit"] == "unknown" and p["git_dirty"] is None


def test_run_result_carries_provenance(tmp_path, fake_stages):
    stages, _, _ = fake_stages
    r = run_pipeline(RunConfig(out=tmp_path, seed=3), stages, command=["checker", "run"])
    assert r.provenance["command"] == "checker run" and r.provenance["seeds"]["seed"] == 3


# -- module structure ---------------------------------------------------------------------------
def test_pipeline_does_not_import_the_stages():
    code = ("import sys, checker.pipeline; "
            "print('checker.stages' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
