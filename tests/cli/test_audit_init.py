"""``checker audit init NAME``: a template outline and allow-list that audit as shipped, and that
fail, naming the theorem, when the proof is broken (a negative control)."""

from __future__ import annotations

import json
import shutil

from checker.cli import EXIT_USAGE, main


def test_init_writes_an_outline_that_audits_and_fails_when_broken(tmp_path, capsys):
    folder = tmp_path / "mine"
    assert main(["audit", "init", "mine", str(folder), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)
    assert files == {"outline": str(folder / "mine.toml"), "allowlist": str(folder / "allowlist.toml")}
    text = (folder / "mine.toml").read_text()
    assert "@NAME@" not in text and 'id = "mine.main"' in text and text.count("\n#") >= 10  # commented

    assert main(["audit", str(folder), "--no-cache", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    main_thm = res["theorems"]["mine.main"]
    assert main_thm["passed"] and main_thm["status_text"] == "checked modulo 1 cited, 1 assumed"
    assert set(main_thm["trust"]) == {"assumed:mine.hyp.budget", "cited:markov", "derived"}
    if shutil.which("coqc"):  # the guide's step to a kernel-checked node
        assert res["nodes"]["mine.lemma.square"]["kernel"] == "kernel-checked"

    # negative controls: drop either used claim from the theorem; its claim no longer follows
    for used in ('[[node.uses]]\nnode = "mine.cite.markov"\nsubs = { P = "P", t = "t", L = "L" }\n',
                 '[[node.uses]]\nnode = "mine.hyp.budget"\nsubs = { L = "L", B = "B" }\n'):
        assert used in text
        (folder / "mine.toml").write_text(text.replace(used, ""))
        assert main(["audit", str(folder), "--no-cache", "--no-kernel", "--json"]) == 1
        assert not json.loads(capsys.readouterr().out)["theorems"]["mine.main"]["passed"]


def test_init_never_overwrites_and_checks_the_name(tmp_path, capsys):
    assert main(["audit", "init", "x1", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["audit", "init", "x1", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds x1.toml" in err[0] and "Error" not in err[0].split(":")[0]
    assert main(["audit", "init", "My-Thing", str(tmp_path / "b")]) == EXIT_USAGE
    assert "NAME='My-Thing' must be a lower-case identifier" in capsys.readouterr().err
