"""The tiled (Ray) closest-pair search of checker/birthday/distributed.py: the tile plan covers
every pair exactly once (checked by enumeration), the merged tiles equal the local search and an
independent brute-force numpy float64 direct-difference reference (tests/birthday/test_pairs.py
``brute_sorted``), a negative control (a dropped tile changes the answer), and Ray against the
local search on a size both run."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
import torch

from checker.birthday.distributed import closest_pairs_ray, closest_pairs_tile, tile_plan
from checker.birthday.pairs import _sort_keep, closest_pairs
from checker.errors import InvalidArgument
from tests.birthday.test_pairs import brute_sorted


def _data(n: int, d: int, seed: int, dtype=torch.float32) -> torch.Tensor:
    """Uniform rows with planted pairs across tile boundaries: an exact copy, a near-duplicate
    at squared distance ~1e-12 and a pair at the very end."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g, dtype=dtype)
    x[n - 50] = x[3]
    x[n // 2] = x[n // 7]
    x[n // 2, 1] += 1e-6
    x[n - 1] = x[n - 2]
    return x


def _merge(parts, n: int, k: int):
    d = torch.cat([torch.as_tensor(p[0]) for p in parts])
    i = torch.cat([torch.as_tensor(p[1]) for p in parts])
    j = torch.cat([torch.as_tensor(p[2]) for p in parts])
    return _sort_keep(d, i, j, n, k)


@pytest.mark.parametrize("n,tile", [(1, 1), (2, 1), (7, 3), (10, 10), (11, 4), (20, 25), (13, 1)])
def test_tile_plan_covers_every_pair_exactly_once(n, tile):
    seen: list[tuple[int, int]] = []
    for a0, a1, b0, b1 in tile_plan(n, tile):
        assert 0 <= a0 < a1 <= n and 0 <= b0 < b1 <= n and a1 - a0 <= tile and b1 - b0 <= tile
        assert a0 == b0 or a1 <= b0
        if a0 == b0:
            assert a1 == b1
            seen += [(i, j) for i in range(a0, a1) for j in range(i + 1, a1)]
        else:
            seen += [(i, j) for i in range(a0, a1) for j in range(b0, b1)]
    assert sorted(seen) == list(itertools.combinations(range(n), 2))
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("tile", [37, 100, 299, 300, 1000])
@pytest.mark.parametrize("screen", ["float32", "float64"])
def test_merged_tiles_equal_local_search_and_brute_force(tile, screen):
    n, k = 300, 25
    x = _data(n, 12, seed=5)
    parts = [closest_pairs_tile(x.numpy(), *t, k=k, screen=screen, block=16) for t in tile_plan(n, tile)]
    d2, i, j = _merge(parts, n, k)
    loc = closest_pairs(x, k=k, screen=screen, block=16)
    assert i.tolist() == loc.i.tolist() and j.tolist() == loc.j.tolist()
    assert d2.tolist() == loc.squared.tolist()  # bit for bit
    bi, bj, bd = brute_sorted(x.numpy())
    assert list(zip(i.tolist(), j.tolist())) == list(zip(bi[:k].tolist(), bj[:k].tolist()))
    np.testing.assert_allclose(d2.numpy(), bd[:k], rtol=64 * 2.0**-53, atol=0)
    assert d2[0].item() == 0.0  # the planted exact copies come first


def test_negative_control_a_dropped_tile_changes_the_answer():
    """The equality above can fail: without the tile that holds the planted copy (3, n - 50)
    the merged answer differs from the local one."""
    n, k = 300, 5
    x = _data(n, 12, seed=5)
    plan = tile_plan(n, 100)
    holder = [t for t in plan if t[0] <= 3 < t[1] and t[2] <= n - 50 < t[3]]
    assert len(holder) == 1
    parts = [closest_pairs_tile(x.numpy(), *t, k=k) for t in plan if t != holder[0]]
    _, i, j = _merge(parts, n, k)
    loc = closest_pairs(x, k=k)
    assert (3, n - 50) in set(zip(loc.i.tolist(), loc.j.tolist()))
    assert (3, n - 50) not in set(zip(i.tolist(), j.tolist()))


def test_bad_input_is_refused_on_the_driver(monkeypatch):
    x = _data(60, 3, seed=1)[:20]
    bad = x.clone()
    bad[4, 1] = float("nan")
    monkeypatch.setitem(sys.modules, "ray", None)  # the checks run before Ray is imported
    with pytest.raises(InvalidArgument, match=r"^x='<1 rows with NaN/inf>' must be finite"):
        closest_pairs_ray(bad)
    big = x.double()
    big[0, 0] = 2.0**401
    with pytest.raises(InvalidArgument, match=r"entries must be below 2\^400"):
        closest_pairs_ray(big)
    with pytest.raises(InvalidArgument, match=r"^k=191 must be <= the number of pairs C\(20,2\)=190"):
        closest_pairs_ray(x, k=191)
    with pytest.raises(InvalidArgument, match=r"^tile=0 must be"):
        closest_pairs_ray(x, tile=0)
    with pytest.raises(InvalidArgument, match=r"^backend='ray' needs the optional Ray extra.*pip install"):
        closest_pairs_ray(x)


def test_ray_equals_the_local_search():
    ray = pytest.importorskip("ray", reason="the optional ray extra is not installed")
    n, k = 400, 20
    x = _data(n, 16, seed=9)
    loc = closest_pairs(x, k=k)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        res = closest_pairs_ray(x, k=k, tile=128)  # 4 ranges: 10 tasks
        assert ray.is_initialized()  # a runtime it joined is left running
    finally:
        ray.shutdown()
    assert res.exact is True
    assert res.i.tolist() == loc.i.tolist() and res.j.tolist() == loc.j.tolist()
    assert res.squared.tolist() == loc.squared.tolist()
    assert res.squared[0] == 0.0 and res.n_recomputed >= k
