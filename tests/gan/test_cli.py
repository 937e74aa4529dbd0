"""``checker construct`` and ``checker gan`` end to end (exit codes, --json, files, resume)."""

from __future__ import annotations

import json

import pytest

from checker.cli import main


def _json(capsys):
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    return json.loads(out)


def test_construct_json(capsys):
    rc = main(["construct", "--d", "784", "--d-tilde", "8", "--m", "50", "--n", "500", "--json"])
    data = _json(capsys)
    assert rc == 0 and data["passed"]
    for key in ("generator_params", "generator_params_formula", "encoder_nonzeros",
                "max_inversion_error", "delta", "max_offramp_deviation"):
        assert key in data
    # hand count: 2(m-1)(d-d~+2)+d = 2*49*778+784
    assert data["generator_params"] == data["generator_params_formula"] == 2 * 49 * 778 + 784
    assert data["dataset"] == "mnist" and data["max_inversion_error"] == 0.0


def test_construct_human(capsys):
    assert main(["construct", "--d-tilde", "4", "--m", "10", "--relu-encoder", "--code", "laplace"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps lines to the terminal width
    assert "generator parameters" in out and "tested on sampled codes" in out


@pytest.mark.parametrize("argv,msg", [
    (["construct", "--d", "100", "--d-tilde", "4", "--m", "3", "--dataset", "mnist"], "--d=100 must be 784"),
    (["construct", "--d", "10", "--d-tilde", "11", "--m", "3"], "--d-tilde=11 must be <= d=10"),
    (["construct", "--d-tilde", "4", "--m", "0"], "m=0 must be >= 1"),
    (["construct", "--d-tilde", "4", "--m", "3", "--eps", "nan"], "eps=nan must be finite"),
    (["gan", "--m", "4,x"], "--m='4,x' must be comma-separated integers"),
    (["gan", "--phi", "lgo", "--m", "4"], "did you mean 'log'"),
])
def test_bad_input_exit_2(argv, msg, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err


def test_gan_json_files_and_resume(tmp_path, capsys):
    argv = ["gan", "--m", "1,32", "--steps", "20", "--restarts", "1", "--batch", "128",
            "--n-test", "3000", "--out", str(tmp_path / "o"), "--json"]
    assert main(argv) == 0
    data = _json(capsys)
    assert [r["m"] for r in data["rows"]] == [1, 32]
    for r in data["rows"]:
        assert {"gap", "gap_ci_low", "gap_ci_high", "explicit_eps", "generator",
                "distinct_nonnoise_outputs"} <= set(r)
    assert data["mstar"] > 32 and data["discriminator"]["p"] == 149
    assert (tmp_path / "o" / "fooling.png").stat().st_size > 1000
    assert (tmp_path / "o" / "fooling.json").exists()
    assert main(argv) == 0
    again = _json(capsys)
    assert again["resumed_m"] == [1, 32] and again["rows"] == data["rows"]


@pytest.mark.parametrize("cmd", [["gan", "--m", "4"], ["birthday", "--source", "uniform"]])
def test_bad_out_is_one_line_exit_2(cmd, tmp_path, capsys):
    # --out below a regular file: one line naming --out, exit 2, no traceback
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(cmd + ["--out", str(f / "sub")]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err and err.strip().count("\n") == 0
    # --out that is itself a file
    assert main(cmd + ["--out", str(f)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err
