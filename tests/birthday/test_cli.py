"""`checker birthday` end to end: JSON keys, PNG grids, summary file, resume from checkpoint."""

from __future__ import annotations

import json

from checker.cli import main


def test_uniform_json_and_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["birthday", "--source", "uniform", "--support", "300", "--trials", "30",
            "--s", "10,20,40", "--out", str(out), "--json", "--n-real", "300", "--k", "4"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    est = d["support_estimate"]
    assert est["method"] == "collision_count" and est["low"] <= est["value"] <= est["high"]
    assert set(d["s_half"]) >= {"value", "low", "high"}
    assert [r["s"] for r in d["table"]] == [10, 20, 40]
    assert d["status"].startswith("tested")
    assert d["passed"] is True and all(c["passed"] for c in d["checks"])
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["pairs_s10.png", "pairs_s20.png", "pairs_s40.png"]
    assert (out / "pairs_s10.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((out / "summary.json").read_text())
    assert saved["support_estimate"] == d["support_estimate"]
    # resume: the checkpoint holds every grid point, so a re-run reproduces the result exactly
    assert (out / "checkpoint.pt").exists()
    assert main(argv) == 0
    d2 = json.loads(capsys.readouterr().out)
    assert d2["table"] == d["table"] and d2["support_estimate"] == d["support_estimate"]


def test_skewed_human_output_flags_nonuniform(capsys):
    rc = main(["birthday", "--source", "skewed", "--support", "2000", "--trials", "30"])
    text = capsys.readouterr().out
    assert rc == 0
    assert "FLAGGED" in text and "never proved" in text


def test_resume_after_interruption(tmp_path):
    """A run interrupted after its first grid point resumes from the checkpoint to the same result."""
    import pytest
    import torch

    from checker.birthday.procedure import BirthdayConfig, run_birthday_test
    from checker.birthday.sources import uniform_source

    src = uniform_source(200, d=8)
    cfg = BirthdayConfig(s_values=(8, 16, 32), trials=10)
    ck = tmp_path / "ck.pt"
    full = run_birthday_test(src, threshold=0.2, config=cfg)

    class Boom(Exception):
        pass

    calls = {"n": 0}

    class Flaky:
        name = src.name

        def draw(self, n, *, generator):
            calls["n"] += 1
            if n == 16:
                raise Boom
            return src.draw(n, generator=generator)

    with pytest.raises(Boom):
        run_birthday_test(Flaky(), threshold=0.2, config=cfg, checkpoint=ck)
    assert ck.exists()
    resumed = run_birthday_test(src, threshold=0.2, config=cfg,
                                checkpoint=ck)
    assert [r.collisions for r in resumed.rows] == [r.collisions for r in full.rows]
    assert torch.equal(torch.as_tensor(resumed.flagged[0].left), torch.as_tensor(full.flagged[0].left))
