"""stretch(): agreement with astropy.visualization, NaN and mask handling, colour weights."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from astropy.visualization import (
    AsinhStretch,
    AsymmetricPercentileInterval,
    LinearStretch,
    LogStretch,
    ManualInterval,
    MinMaxInterval,
    PercentileInterval,
    PowerStretch,
    SinhStretch,
    SqrtStretch,
)

from junoproc.stretch import COLOUR_PRESETS, METHODS, apply_weights, stretch, to_uint8, to_uint16

RAMP = np.linspace(-50.0, 3000.0, 101)

# method, keyword arguments, the astropy stretch they must reproduce
ASTROPY_EQUIVALENTS = [
    ("linear", {}, LinearStretch()),
    ("sqrt", {}, SqrtStretch()),
    ("asinh", {}, AsinhStretch(0.1)),
    ("asinh", {"a": 0.02}, AsinhStretch(0.02)),
    ("log", {}, LogStretch(1000)),
    ("log", {"a": 50}, LogStretch(50)),
    ("sinh", {}, SinhStretch(1 / 3)),
    ("power", {"a": 0.4}, PowerStretch(0.4)),
    ("gamma", {}, PowerStretch(1 / 2.2)),
    ("gamma", {"gamma": 4.0}, PowerStretch(0.25)),
    ("asinh", {"gamma": 2.0}, PowerStretch(0.5) + AsinhStretch(0.1)),
]


@pytest.mark.parametrize(("method", "kwargs", "reference"), ASTROPY_EQUIVALENTS)
def test_matches_astropy_on_a_ramp(method, kwargs, reference):
    got = stretch(RAMP, method=method, interval=(0, 2500), **kwargs)
    expected = reference(ManualInterval(0, 2500)(RAMP, clip=True), clip=True)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)  # float32 working copy


def test_default_is_asinh_over_the_central_99_percent():
    got = stretch(RAMP)
    lo, hi = AsymmetricPercentileInterval(0.5, 99.5).get_limits(RAMP)
    expected = AsinhStretch(0.1)(ManualInterval(lo, hi)(RAMP))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_percentile_forms():
    lo, hi = AsymmetricPercentileInterval(2, 90).get_limits(RAMP)
    np.testing.assert_allclose(
        stretch(RAMP, method="linear", percentile=(2, 90)),
        ManualInterval(lo, hi)(RAMP),
        rtol=1e-6,
        atol=1e-7,
    )
    lo, hi = PercentileInterval(95).get_limits(RAMP)
    np.testing.assert_allclose(
        stretch(RAMP, method="linear", percentile=95),
        ManualInterval(lo, hi)(RAMP),
        rtol=1e-6,
        atol=1e-7,
    )


def test_interval_forms():
    minmax = stretch(RAMP, method="linear", interval="minmax")
    np.testing.assert_allclose(minmax, MinMaxInterval()(RAMP), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(stretch(RAMP, method="linear", interval=MinMaxInterval()), minmax)
    half_open = stretch(RAMP, method="linear", interval=(0, None))
    np.testing.assert_allclose(half_open, ManualInterval(0, 3000)(RAMP), rtol=1e-6, atol=1e-7)


def test_nan_is_ignored_and_becomes_zero():
    data = RAMP.copy()
    data[::3] = np.nan
    data[1] = np.inf
    data[2] = -np.inf
    got = stretch(data, method="linear", percentile=(5, 95))
    finite = np.isfinite(data)
    lo, hi = np.percentile(data[finite], [5, 95])
    np.testing.assert_allclose(
        got[finite], ManualInterval(lo, hi)(data[finite]), rtol=1e-6, atol=1e-7
    )
    assert (got[~finite] == 0).all()
    assert not np.isnan(got).any()


def test_mask_and_coverage_choose_the_interval_pixels():
    image = np.array([[0.0, 10.0, 20.0], [30.0, 40.0, 1000.0]])
    keep = np.array([[True, True, True], [True, True, False]])  # True = use, like skimage
    got = stretch(image, method="linear", interval="minmax", mask=keep)
    np.testing.assert_allclose(got, [[0, 0.25, 0.5], [0.75, 1.0, 1.0]])
    coverage = keep * 3.0  # stitch coverage counts work as a mask too
    np.testing.assert_array_equal(
        stretch(image, method="linear", interval="minmax", mask=coverage), got
    )
    with pytest.raises(ValueError, match="mask must have shape"):
        stretch(image, mask=np.ones((3, 2), bool))


def test_colour_mask_broadcasts_over_channels():
    image = np.zeros((2, 2, 3))
    image[0, 0] = 100.0
    image[1, 1] = [1.0, 2.0, 4.0]
    keep = np.ones((2, 2), bool)
    keep[0, 0] = False
    got = stretch(image, method="linear", interval="minmax", mask=keep)
    np.testing.assert_allclose(got[1, 1], [0.25, 0.5, 1.0])
    np.testing.assert_allclose(got[0, 0], [1.0, 1.0, 1.0])


def test_joint_interval_keeps_colour_balance_per_channel_does_not():
    rng = np.random.default_rng(1)
    base = rng.random((8, 9))
    base[0, 0] = 0.0  # joint minimum 0, so the joint interval is a pure scale
    image = np.stack([base * 100, base * 50, base * 25], axis=-1)
    joint = stretch(image, method="linear", interval="minmax")
    np.testing.assert_allclose(joint[..., 1], joint[..., 0] * 0.5, rtol=1e-5, atol=1e-6)
    assert joint[..., 0].max() == pytest.approx(1.0)
    assert joint[..., 2].max() == pytest.approx(0.25)
    separate = stretch(image, method="linear", interval="minmax", per_channel=True)
    for c in range(3):
        np.testing.assert_allclose(
            separate[..., c], MinMaxInterval()(image[..., c]), rtol=1e-5, atol=1e-6
        )


def test_per_channel_percentiles_match_astropy_per_channel():
    rng = np.random.default_rng(2)
    image = rng.gamma(2.0, (10.0, 20.0, 40.0), size=(20, 30, 3))
    got = stretch(image, method="sqrt", percentile=(1, 99), per_channel=True)
    for c in range(3):
        interval = AsymmetricPercentileInterval(1, 99)
        expected = SqrtStretch()(interval(image[..., c]))
        np.testing.assert_allclose(got[..., c], expected, rtol=1e-5, atol=1e-6)


def test_presets_and_weights():
    assert COLOUR_PRESETS["kmgill"] == (0.902, 1.0, 1.8879)
    assert COLOUR_PRESETS["eichstaedt-pj43"] == (0.768, 1.000, 2.630)
    assert COLOUR_PRESETS["none"] == (1.0, 1.0, 1.0)
    image = np.full((2, 2, 3), 10.0, np.float32)
    np.testing.assert_allclose(
        apply_weights(image, "Eichstaedt-PJ43")[0, 0], [7.68, 10.0, 26.3], rtol=1e-6
    )
    np.testing.assert_allclose(apply_weights(image, [1, 2, 3])[1, 1], [10, 20, 30])
    assert apply_weights(image.astype(np.float64), 2).dtype == np.float64
    assert apply_weights(image.astype(np.uint16), "none").dtype == np.float32


def test_stretch_applies_weights_before_the_joint_interval():
    rng = np.random.default_rng(3)
    image = rng.random((6, 7, 3)) * 1000
    weighted = image * np.array(COLOUR_PRESETS["kmgill"])
    expected = stretch(weighted, method="asinh", percentile=(1, 99))
    np.testing.assert_allclose(
        stretch(image, preset="kmgill", percentile=(1, 99)), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        stretch(image, weights="kmgill", percentile=(1, 99)), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        stretch(image, weights=(0.902, 1.0, 1.8879), percentile=(1, 99)),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )


def test_weight_errors():
    rgb = np.ones((2, 2, 3))
    with pytest.raises(ValueError, match="unknown colour preset 'sepia'; choose one of none"):
        apply_weights(rgb, "sepia")
    with pytest.raises(ValueError, match="weights has 2 values"):
        apply_weights(rgb, [1, 2])
    with pytest.raises(ValueError, match="no colour channels"):
        apply_weights(np.ones((2, 2)), [1, 2, 3])
    with pytest.raises(ValueError, match=">= 0"):
        apply_weights(rgb, [1, -1, 1])
    with pytest.raises(ValueError, match="not both"):
        stretch(rgb, weights=[1, 1, 1], preset="kmgill")


@pytest.mark.parametrize(("out_dtype", "top"), [(np.uint8, 255), (np.uint16, 65535)])
def test_integer_output_spans_full_range(out_dtype, top):
    rng = np.random.default_rng(4)
    image = rng.random((16, 16, 3)) * 3000
    image[0, 0] = np.nan
    got = stretch(image, method="asinh", interval="minmax", out_dtype=out_dtype)
    assert got.dtype == out_dtype
    assert got.max() == top
    assert got[1:].min() == 0 or got.min() == 0
    assert (got[0, 0] == 0).all()
    as_float = stretch(image, method="asinh", interval="minmax")
    np.testing.assert_array_equal(got, np.rint(np.nan_to_num(as_float) * top).astype(out_dtype))


def test_float64_output_and_integer_input():
    data = np.array([0, 1000, 2000, 4000], dtype=np.uint16)
    got = stretch(data, method="linear", interval=(0, 4000), out_dtype=np.float64)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [0, 0.25, 0.5, 1.0])


def test_inputs_are_not_modified():
    image = np.array([[np.nan, 1.0, 2.0], [3.0, 4.0, 5.0]])
    mask = np.array([[True, True, False], [True, True, True]])
    image_before, mask_before = image.copy(), mask.copy()
    rgb = np.stack([image] * 3, axis=-1)
    rgb_before = rgb.copy()
    stretch(image, mask=mask, out_dtype=np.float64)
    stretch(rgb, preset="kmgill", per_channel=True)
    apply_weights(rgb, [2, 2, 2])
    to_uint8(image)
    np.testing.assert_array_equal(image, image_before)
    np.testing.assert_array_equal(mask, mask_before)
    np.testing.assert_array_equal(rgb, rgb_before)


def test_constant_image_does_not_warn():
    got = stretch(np.full((3, 3), 7.0), method="linear")
    np.testing.assert_array_equal(got, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "cubic"}, "unknown method 'cubic'; choose one of " + ", ".join(METHODS)),
        ({"method": 3}, "unknown method 3"),
        ({"method": "linear", "a": 2}, "method='linear' takes no parameter a"),
        ({"method": "power"}, "method='power' needs the exponent a"),
        ({"method": "asinh", "a": -1}, "a must be > 0"),
        ({"gamma": 0}, "gamma must be > 0"),
        ({"percentile": (99, 1)}, "percentile must be"),
        ({"percentile": 0}, "percentile must be"),
        ({"percentile": (1, 99), "interval": (0, 1)}, "not both"),
        ({"interval": (5, 5)}, "low < high"),
        ({"interval": "zscale"}, "interval must be"),
        ({"interval": (1, 2, 3)}, "interval must be"),
        ({"out_dtype": np.int32}, "out_dtype must be"),
    ],
)
def test_bad_options_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match.replace("(", r"\(").replace(")", r"\)")):
        stretch(RAMP, **kwargs)


def test_bad_images():
    with pytest.raises(ValueError, match="no finite pixel"):
        stretch(np.full(4, np.nan))
    with pytest.raises(ValueError, match="no finite pixel"):
        stretch(RAMP, mask=np.zeros(RAMP.shape, bool))
    with pytest.raises(ValueError, match="numeric"):
        stretch(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="rows, cols"):
        stretch(np.zeros((2, 2, 2, 2)))
    # a manual interval needs no valid pixel
    np.testing.assert_array_equal(stretch(np.full(3, np.nan), interval=(0, 1)), 0)


def test_to_uint_helpers():
    x = np.array([-0.5, 0.0, 0.5, 1 / 255, 1.0, 7.0, np.nan, np.inf, -np.inf])
    np.testing.assert_array_equal(to_uint8(x), [0, 0, 128, 1, 255, 255, 0, 255, 0])
    np.testing.assert_array_equal(to_uint16(x), [0, 0, 32768, 257, 65535, 65535, 0, 65535, 0])
    assert to_uint8(np.array([True, False])).tolist() == [255, 0]
    assert to_uint16(np.linspace(0, 1, 65536)).tolist() == list(range(65536))
    with pytest.raises(ValueError, match="expected floats"):
        to_uint8(np.array([1, 2], np.uint16))


@pytest.mark.parametrize("shape", [(2000, 300), (2000, 300, 3), (7, 300, 3)])
def test_coverage_mask_on_a_sampled_interval_is_its_positive_part(shape, monkeypatch):
    """Percentile intervals of large images come from a sample: a coverage mask (weights,
    NaN for none) selects there exactly what ``coverage > 0`` does, in rows or in C order."""
    module = importlib.import_module("junoproc.stretch")  # the package exports stretch()
    monkeypatch.setattr(module, "_INTERVAL_SAMPLES", 5000)  # sampled: every few rows/pixels
    rng = np.random.default_rng(3)
    image = (rng.random(shape) * 1000).astype(np.float32)
    coverage = rng.random(shape[:2]).astype(np.float32) - 0.5  # half of it <= 0
    coverage[:, :10] = np.nan
    image[coverage > 0.3] *= 0.01  # the selection changes the interval
    kwargs = {"method": "linear", "percentile": (1, 99)}
    got = stretch(image, mask=coverage, **kwargs)
    np.testing.assert_array_equal(got, stretch(image, mask=coverage > 0, **kwargs))
    assert not np.array_equal(got, stretch(image, **kwargs))


@pytest.mark.parametrize("out_dtype", [np.uint8, np.float32])
def test_channel_planes_stretch_like_a_contiguous_image(out_dtype):
    """junoproc.render returns (rows, cols, C) views of channel planes: same result."""
    rng = np.random.default_rng(8)
    planes = (rng.random((3, 300, 40)) * 1000).astype(np.float32)
    planes[1, :5] = np.nan
    view = np.moveaxis(planes, 0, -1)
    assert not view.flags.c_contiguous and view[..., 0].flags.c_contiguous
    mask = np.ones(view.shape[:2], bool)
    mask[:20] = False
    kwargs = {"method": "asinh", "percentile": (1, 99), "mask": mask, "out_dtype": out_dtype}
    got = stretch(view, **kwargs)
    np.testing.assert_array_equal(got, stretch(np.ascontiguousarray(view), **kwargs))
    if out_dtype == np.uint8:  # 8-bit output keeps the planes
        assert got[..., 0].flags.c_contiguous and not got.flags.c_contiguous
    assert np.isfinite(planes[0]).all() and np.isnan(planes[1, :5]).all()  # input untouched
    # odd row counts split into unequal halves; per-channel intervals write plane by plane
    odd, odd_kwargs = view[:299], {**kwargs, "mask": mask[:299]}
    np.testing.assert_array_equal(stretch(odd, **odd_kwargs), stretch(odd.copy(), **odd_kwargs))
    per = {**kwargs, "per_channel": True}
    np.testing.assert_array_equal(stretch(view, **per), stretch(view.copy(), **per))


def test_lookup_mapping_sends_non_finite_to_the_first_entry():
    """8-bit output maps NaN and +-inf to the table's first entry, whatever it is."""
    from junoproc.stretch import _lut_into

    values = np.array([[0.0, 0.5, np.nan, 1.0, np.inf, -np.inf, 2.0]], np.float32)
    table = np.arange(1 << 20, dtype=np.int64) % 251 + 3  # first entry 3, not 0
    table = table.astype(np.uint8)
    out = np.zeros(values.shape, np.uint8)
    _lut_into(values, 0.0, 1.0, table, out, np.float32)
    top = table[-1]
    assert out.tolist() == [[3, table[(1 << 19)], 3, top, 3, 3, top]]
    zero_first = table.copy()
    zero_first[0] = 0
    _lut_into(values, 0.0, 1.0, zero_first, out, np.float32)
    assert out[0, [2, 4, 5]].tolist() == [0, 0, 0]
