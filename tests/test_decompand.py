"""Decompanding against the published SQROOT table, and compand round trips."""

from __future__ import annotations

import numpy as np
import pytest

from junoproc.decompand import (
    COMPANDING_MODES,
    SQROOT_TABLE,
    compand,
    decompand,
    decompand_table,
)

# Published breakpoints of the SQROOT table (JunoCam SIS Appendix C, as quoted in the
# project's reference notes): code -> DN.
PUBLISHED = {0: 0, 23: 23, 24: 25, 43: 63, 89: 247, 184: 1007, 209: 1407, 255: 2879}

# The same table written as the reference's segment rows (first code, last code, DN at first, step).
SEGMENTS = [
    (0, 23, 0, 1),
    (23, 43, 23, 2),
    (43, 89, 63, 4),
    (89, 184, 247, 8),
    (184, 209, 1007, 16),
    (209, 255, 1407, 32),
]


def reference_table() -> np.ndarray:
    out = np.empty(256, dtype=np.int64)
    for first, last, dn0, step in SEGMENTS:
        for c in range(first, last + 1):
            out[c] = dn0 + step * (c - first)
    return out


def test_table_matches_published_breakpoints():
    lin = decompand(np.arange(256, dtype=np.uint8))
    assert lin.dtype == np.float32
    for code, dn in PUBLISHED.items():
        assert lin[code] == dn, code


def test_table_matches_segment_formula_exactly():
    np.testing.assert_array_equal(decompand(np.arange(256, dtype=np.uint8)), reference_table())
    np.testing.assert_array_equal(SQROOT_TABLE, reference_table())
    assert not SQROOT_TABLE.flags.writeable


def test_table_is_not_code_squared():
    lin = decompand(np.arange(256, dtype=np.uint8))
    # the square law overestimates by ~10x at code 10 and ~30x at high codes
    assert lin[10] == 10 and 10**2 / lin[10] == pytest.approx(10)
    assert np.all(np.diff(lin) > 0)


@pytest.mark.parametrize("mode", COMPANDING_MODES)
@pytest.mark.parametrize("bin_centres", [False, True])
def test_compand_inverts_decompand_for_every_code(mode, bin_centres):
    codes = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(
        compand(decompand(codes, mode=mode, bin_centres=bin_centres), mode=mode), codes
    )


def test_bin_centres_lie_inside_bins():
    upper = reference_table().astype(float)
    lower = np.concatenate([[-1.0], upper[:-1]])  # a code's bin is (DN(c-1), DN(c)]
    centres = decompand_table(bin_centres=True)
    assert np.all(centres > lower) and np.all(centres <= upper)
    np.testing.assert_allclose(centres, (lower + 1 + upper) / 2)


def test_compand_maps_every_dn_into_its_bin():
    dn = np.arange(0, 2880)
    codes = compand(dn)
    upper = reference_table()
    assert np.all(upper[codes] >= dn)
    assert np.all(codes == 0) or np.all(
        upper[np.maximum(codes.astype(int) - 1, 0)][codes > 0] < dn[codes > 0]
    )


@pytest.mark.parametrize(("mode", "factor"), [("LIN1", 1), ("LIN8", 8), ("LIN16", 16)])
def test_linear_modes(mode, factor):
    codes = np.array([0, 1, 100, 255], dtype=np.uint8)
    np.testing.assert_array_equal(decompand(codes, mode=mode), codes.astype(int) * factor)


def test_shapes_and_input_untouched():
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 256, size=(2, 128, 1648), dtype=np.uint8)
    before = raw.copy()
    out = decompand(raw)
    assert out.shape == raw.shape and out.dtype == np.float32
    np.testing.assert_array_equal(raw, before)


def test_decompand_into_out():
    codes = np.arange(256, dtype=np.uint8).reshape(2, 128)
    out = np.zeros((2, 128), np.float32)
    assert decompand(codes, out=out) is out
    np.testing.assert_array_equal(out, decompand(codes))
    with pytest.raises(ValueError, match="out must be float32 of shape"):
        decompand(codes, out=np.zeros((128, 2), np.float32))
    with pytest.raises(ValueError, match="out must be float32"):
        decompand(codes, out=np.zeros((2, 128)))


def test_integer_codes_of_other_dtypes_accepted():
    np.testing.assert_array_equal(decompand(np.array([24, 255], dtype=np.int64)), [25, 2879])


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (np.array([1.5]), "uint8 codes"),
        (np.array([300], dtype=np.int32), "0..255"),
        (np.array([-1], dtype=np.int16), "0..255"),
    ],
)
def test_bad_codes_rejected(values, match):
    with pytest.raises(ValueError, match=match):
        decompand(values)


def test_unknown_mode_lists_choices():
    with pytest.raises(ValueError, match="SQROOT, LIN1, LIN8, LIN16"):
        decompand(np.zeros(2, np.uint8), mode="CUBE")
    with pytest.raises(ValueError, match="NaN"):
        compand(np.array([np.nan]))


def test_compand_clips_out_of_range():
    np.testing.assert_array_equal(compand(np.array([-5.0, 1e6])), [0, 255])
