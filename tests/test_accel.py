"""The optional OpenCV fast paths give the numbers of the numpy/scipy paths."""

from __future__ import annotations

import numpy as np
import pytest

from junoproc._accel import append_alpha, erode, lookup, opencv
from junoproc.decompand import decompand, decompand_table

pytestmark = pytest.mark.skipif(opencv() is None, reason="compares against OpenCV (fast extra)")


def _both(monkeypatch, fn):
    fast = fn()
    monkeypatch.setenv("JUNOPROC_NO_OPENCV", "1")
    assert opencv() is None
    slow = fn()
    monkeypatch.delenv("JUNOPROC_NO_OPENCV")
    return fast, slow


@pytest.mark.parametrize("shape", [(7,), (5, 9), (3, 4, 6)])
def test_lookup_matches_indexing(monkeypatch, shape):
    codes = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    table = decompand_table("SQROOT")
    fast, slow = _both(monkeypatch, lambda: lookup(codes, table))
    np.testing.assert_array_equal(fast, table[codes])
    np.testing.assert_array_equal(slow, table[codes])
    assert fast.shape == shape and fast.dtype == table.dtype


@pytest.mark.parametrize("shape", [(7,), (5, 9), (3, 4, 6)])
def test_lookup_writes_into_out(monkeypatch, shape):
    codes = np.random.default_rng(3).integers(0, 256, shape, dtype=np.uint8)
    table = decompand_table("SQROOT")

    def into():
        out = np.full(shape, -1.0, np.float32)
        got = lookup(codes, table, out)
        assert got is out
        return out

    fast, slow = _both(monkeypatch, into)
    np.testing.assert_array_equal(fast, table[codes])
    np.testing.assert_array_equal(slow, table[codes])
    with pytest.raises(ValueError, match="contiguous float32 array of shape"):
        lookup(codes, table, np.empty(shape, np.float64))
    with pytest.raises(ValueError, match="contiguous float32"):
        lookup(codes, table, np.empty((*shape, 2), np.float32)[..., 0])


def test_lookup_of_a_short_table_refuses_codes_beyond_it():
    with pytest.raises(IndexError):
        lookup(np.array([[0, 3]], np.uint8), np.arange(3, dtype=np.float32))
    short = lookup(np.array([[0, 2]], np.uint8), np.arange(3, dtype=np.float32))
    assert short.tolist() == [[0.0, 2.0]]


def test_decompand_is_the_same_with_and_without_opencv(monkeypatch):
    codes = np.random.default_rng(2).integers(0, 256, (64, 1648), dtype=np.uint8)
    for mode in ("SQROOT", "LIN1", "LIN8", "LIN16"):
        fast, slow = _both(monkeypatch, lambda mode=mode: decompand(codes, mode=mode))
        np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_append_alpha_matches_concatenate(monkeypatch, dtype, channels):
    rng = np.random.default_rng(3)
    picture = rng.integers(0, 200, (17, 23, channels)).astype(dtype)
    alpha = rng.integers(0, 200, (17, 23)).astype(dtype)
    expected = np.concatenate([picture, alpha[..., None]], axis=-1)
    fast, slow = _both(monkeypatch, lambda: append_alpha(picture, alpha))
    np.testing.assert_array_equal(fast, expected)
    np.testing.assert_array_equal(slow, expected)
    # channel planes seen as (rows, cols, C), as junoproc.stretch returns them for render output
    planar = np.moveaxis(np.ascontiguousarray(np.moveaxis(picture, -1, 0)), 0, -1)
    fast, slow = _both(monkeypatch, lambda: append_alpha(planar, alpha))
    np.testing.assert_array_equal(fast, expected)
    np.testing.assert_array_equal(slow, expected)


def test_erode_matches_a_minimum_filter(monkeypatch):
    mask = np.random.default_rng(4).random((3, 40, 50)) > 0.05
    fast, slow = _both(monkeypatch, lambda: erode(mask, 3))
    np.testing.assert_array_equal(fast, slow)
    assert fast.dtype == bool and fast.sum() < mask.sum()
    # a single hole removes a (2r + 1)^2 square around it, edges replicated
    one = np.ones((1, 20, 20), bool)
    one[0, 10, 10] = False
    assert (~erode(one, 2)).sum() == 25
    np.testing.assert_array_equal(erode(mask, 0), mask)
