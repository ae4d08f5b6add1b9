"""Filter separation and framelet timing."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.time import Time

from junoproc.framelets import (
    INTERFRAME_DELTA_S,
    PHOTOACTIVE_COLUMNS,
    START_TIME_BIAS_S,
    frame_times,
    quicklook_composite,
    separate_filters,
    split_framelets,
)
from junoproc.metadata import parse_metadata


def make_meta(filters, n_frames, *, sampling=1, delay="0.372 <s>", exposure="9.6 <ms>"):
    rows = 128 // sampling
    return parse_metadata(
        {
            "PRODUCT_ID": "JNCE_2022186_43C00080_V01",
            "START_TIME": "2022-07-05T12:17:39.223",
            "INTERFRAME_DELAY": delay,
            "EXPOSURE_DURATION": exposure,
            "FILTER_NAME": list(filters),
            "LINES": rows * len(filters) * n_frames,
            "SAMPLING_FACTOR": sampling,
        }
    )


def labelled_strip(meta):
    """A strip whose every framelet holds 10 * frame + filter index."""
    rows = meta.framelet_height
    strip = np.empty((meta.lines, 1648), dtype=np.uint8)
    for i in range(meta.n_framelets):
        strip[i * rows : (i + 1) * rows] = 10 * (i // len(meta.filters)) + i % len(meta.filters)
    return strip


@pytest.mark.parametrize(
    ("filters", "sampling"),
    [
        (("BLUE", "GREEN", "RED"), 1),
        (("METHANE",), 1),
        (("RED", "BLUE"), 1),
        (("METHANE", "BLUE", "GREEN", "RED"), 1),
        (("BLUE", "GREEN", "RED"), 2),
    ],
)
def test_separation_puts_each_framelet_in_its_filter(filters, sampling):
    meta = make_meta(filters, 5, sampling=sampling)
    strip = labelled_strip(meta)
    stacks = separate_filters(strip, meta)
    assert list(stacks) == list(filters)
    for j, name in enumerate(filters):
        s = stacks[name]
        assert s.data.shape == (5, 128 // sampling, 1648)
        np.testing.assert_array_equal(s.data[:, 0, 0], 10 * np.arange(5) + j)
        assert np.all(s.data == s.data[:, :1, :1])
        np.testing.assert_array_equal(s.frame_index, np.arange(5))


def test_separation_is_a_view_and_does_not_modify_input():
    meta = make_meta(("BLUE", "GREEN", "RED"), 3)
    strip = labelled_strip(meta)
    before = strip.copy()
    stacks = separate_filters(strip, meta)
    assert np.shares_memory(stacks["GREEN"].data, strip)
    np.testing.assert_array_equal(strip, before)


def test_frame_times_follow_the_ik_formula():
    meta = make_meta(("BLUE", "GREEN", "RED"), 4)
    expected = START_TIME_BIAS_S + np.arange(4) * (0.372 + INTERFRAME_DELTA_S)
    stacks = separate_filters(labelled_strip(meta), meta)
    for s in stacks.values():  # the filters of one frame share its time
        np.testing.assert_allclose(s.times_s, expected, rtol=0, atol=1e-12)
    centre = separate_filters(labelled_strip(meta), meta, exposure_centre=True)
    np.testing.assert_allclose(centre["RED"].times_s, expected + 0.0048, atol=1e-12)
    t = stacks["BLUE"].times
    assert isinstance(t, Time)
    np.testing.assert_allclose((t - Time("2022-07-05T12:17:39.223")).sec, expected, atol=1e-6)


def test_frame_times_options():
    meta = make_meta(("METHANE",), 3)
    np.testing.assert_allclose(frame_times(meta, bias_s=0, delta_s=0), [0, 0.372, 0.744])
    np.testing.assert_allclose(frame_times(meta, frames=[2]), [0.06188 + 2 * 0.373])


def test_shape_mismatch_is_an_error():
    meta = make_meta(("BLUE", "GREEN", "RED"), 2)
    with pytest.raises(ValueError, match="metadata says"):
        separate_filters(np.zeros((384, 1648), np.uint8), meta)
    with pytest.raises(ValueError, match="not a multiple"):
        split_framelets(np.zeros((100, 1648)))
    with pytest.raises(ValueError, match="2-D"):
        split_framelets(np.zeros(10))


def test_photoactive_columns_follow_the_ik():
    cols = np.arange(1648)[PHOTOACTIVE_COLUMNS]
    assert cols[0] == 23 and cols[-1] == 1630 and cols.size == 1608


def test_quicklook_composite_stacks_in_frame_order():
    meta = make_meta(("BLUE", "GREEN", "RED"), 3)
    stacks = separate_filters(labelled_strip(meta), meta)
    img = quicklook_composite(stacks)
    assert img.shape == (3 * 128, 1608, 3) and img.dtype == np.float32
    # channel order R, G, B; frame k of filter j holds 10k + j
    np.testing.assert_array_equal(img[::128, 0, 0], [2, 12, 22])
    np.testing.assert_array_equal(img[::128, 0, 2], [0, 10, 20])
    assert quicklook_composite(stacks, trim_rows=2, photoactive_only=False).shape == (372, 1648, 3)
    single = quicklook_composite(stacks, channels=("GREEN",))
    assert single.ndim == 2
    with pytest.raises(ValueError, match="none of the channels"):
        quicklook_composite(stacks, channels=("METHANE",))
