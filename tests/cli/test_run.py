"""``checker run``: exit codes, the three report files, caching on re-run, bad usage."""

from __future__ import annotations

import json

from checker.cli import EXIT_OK, EXIT_USAGE, main


def test_run_bounds_stage_writes_report_and_reuses_cache(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--only", "bounds", "--out", str(out)]) == EXIT_OK
    for name in ("report.html", "report.md", "report.json"):
        assert (out / name).exists()
    capsys.readouterr()
    assert main(["run", "--only", "bounds", "--out", str(out), "--json"]) == EXIT_OK
    summary = json.loads(capsys.readouterr().out)
    assert summary["passed"] is True
    (stage,) = summary["stages"]
    assert stage["stage"] == "bounds" and stage["cached"] is True
    assert stage["data"]["m_star (explicit, Hoeffding + eps-net)"] == 4_065_680  # arora2018.md §2.2 [D]


def test_run_rejects_unknown_stage_with_suggestion(tmp_path, capsys):
    assert main(["run", "--only", "bound", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "did you mean 'bounds'" in err and "Traceback" not in err


def test_run_rejects_missing_device(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():  # pragma: no cover - only meaningful without CUDA
        return
    assert main(["run", "--device", "cuda", "--out", str(tmp_path)]) == EXIT_USAGE
    assert "device='cuda' is not available" in capsys.readouterr().err
