"""Files written atomically get the mode an ordinary write would give them (umask respected),
not the 0600 of a temporary file."""

from __future__ import annotations

import os

import pytest

from checker.io import atomic_write_bytes, atomic_write_text, write_json


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writes_respect_the_umask(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        paths = [atomic_write_text(tmp_path / "a.txt", "x"), atomic_write_bytes(tmp_path / "b.bin", b"\0"),
                 write_json(tmp_path / "c.json", {"a": 1})]
        with open(tmp_path / "reference.txt", "w") as fh:  # what a plain open() gives, for comparison
            fh.write("x")
    finally:
        os.umask(old)
    ref = (tmp_path / "reference.txt").stat().st_mode & 0o777
    assert ref == expected
    for p in paths:
        assert (os.stat(p).st_mode & 0o777) == ref, p
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary left behind
