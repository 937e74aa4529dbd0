import pytest


@pytest.fixture(scope="session")
def _shared_cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audit-shared-cache")


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "audit-cache"))


@pytest.fixture
def shared_cache(_shared_cache_dir, monkeypatch):
    """One audit cache for the tests that audit (mutants of) the repository's proofs/, so each
    re-checks only what its mutation changed (the cache key covers everything a verdict depends on).
    Cached passes are trusted here (CHECKER_AUDIT_TRUST_CACHE=1): these tests audit mutants whose
    changed nodes miss the cache anyway; by default an audit re-checks every cached pass."""
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(_shared_cache_dir))
    monkeypatch.setenv("CHECKER_AUDIT_TRUST_CACHE", "1")
    return _shared_cache_dir
