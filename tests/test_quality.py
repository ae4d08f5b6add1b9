"""Quality measures on synthetic images whose true misalignment is known."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage as ndi

from junoproc.quality import (
    ChannelShift,
    MisregistrationResult,
    channel_misregistration,
    limb_continuity,
    seam_residual,
)


def textured_scene(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Lit, band-limited scene (DN ~300..1900): smooth texture plus sharp-edged spots."""
    rng = np.random.default_rng(seed)
    h, w = shape
    tex = ndi.gaussian_filter(rng.normal(size=shape), 3.0)
    tex /= tex.std()
    spots = np.zeros(shape)
    yy, xx = np.mgrid[-8:9, -8:9]
    for _ in range(h * w // 2500):
        cy, cx = rng.integers(8, h - 8), rng.integers(8, w - 8)
        fy, fx = rng.uniform(-0.5, 0.5, 2)
        disc = np.hypot(yy - fy, xx - fx) < rng.uniform(2.0, 7.0)
        spots[cy - 8 : cy + 9, cx - 8 : cx + 9] += rng.choice([-1.0, 1.0]) * disc
    scene = 1000.0 + 180.0 * tex + 250.0 * spots
    # slight blur keeps the scene band-limited, so spline shifts are faithful
    return ndi.gaussian_filter(np.clip(scene, 300.0, 1900.0), 0.7)


def shifted(scene: np.ndarray, shift: tuple[float, float]) -> np.ndarray:
    """``scene`` moved by ``shift``: result(u) = scene(u - shift)."""
    return ndi.shift(scene, shift, order=3, mode="nearest")


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    return textured_scene((384, 448), seed=1)


# --------------------------------------------------------------------------------------
# channel_misregistration
# --------------------------------------------------------------------------------------


def test_known_subpixel_shifts_recovered(scene):
    truth = {"RED": (0.33, -0.47), "BLUE": (-0.71, 1.63)}
    img = np.dstack([shifted(scene, truth["RED"]), scene, 0.6 * shifted(scene, truth["BLUE"])])
    res = channel_misregistration(img)
    assert isinstance(res, MisregistrationResult)
    assert res.reference == "GREEN"
    assert set(res.channels) == {"RED", "BLUE"}
    for name, (dy, dx) in truth.items():
        ch = res.channels[name]
        assert isinstance(ch, ChannelShift)
        assert ch.n_tiles >= 20
        assert ch.centres.shape == ch.shifts.shape == (ch.n_tiles, 2)
        err = np.hypot(ch.shifts[:, 0] - dy, ch.shifts[:, 1] - dx)
        assert np.median(err) < 0.05
        assert np.percentile(err, 90) < 0.05
        assert ch.median_shift == pytest.approx((dy, dx), abs=0.05)
        assert ch.median_px == pytest.approx(np.hypot(dy, dx), abs=0.05)
    assert res.n_tiles == sum(c.n_tiles for c in res.channels.values())


def test_zero_shift_gives_small_numbers(scene):
    rng = np.random.default_rng(5)
    other = 0.5 * scene + 80.0 + rng.normal(0.0, 2.0, scene.shape)  # different gain, own noise
    res = channel_misregistration(np.dstack([scene, other]), channels=("GREEN", "RED"))
    assert res.channels["RED"].n_tiles >= 20
    assert res.median_px < 0.02
    assert res.p90_px <= 0.05


def test_pure_noise_gives_no_numbers():
    rng = np.random.default_rng(2)
    noise = rng.normal(1000.0, 40.0, size=(320, 320, 3))
    res = channel_misregistration(noise)
    assert res.n_tiles == 0
    assert np.isnan(res.median_px) and np.isnan(res.p90_px)
    for ch in res.channels.values():
        assert ch.n_tiles == 0 and np.isnan(ch.median_px)
    # the same noise in every channel is no structure either
    same = np.repeat(noise[:, :, :1], 3, axis=2)
    assert channel_misregistration(same).n_tiles == 0
    summary = res.summary()
    assert summary["median_px"] is None and summary["n_tiles"] == 0
    json.dumps(summary, allow_nan=False)


def test_dark_sky_with_hot_pixels_rejected(scene):
    rng = np.random.default_rng(3)
    h, w = scene.shape
    img = np.dstack([shifted(scene, (0.25, 0.25)), scene, shifted(scene, (0.25, 0.25))])
    sky = np.zeros((h, w), bool)
    sky[:, : w // 2] = True
    for c in range(3):  # dark sky, independent noise and hot pixels per channel
        band = rng.normal(4.0, 1.5, (h, w))
        hot = rng.random((h, w)) < 0.003
        band[hot] = rng.uniform(200.0, 1500.0, hot.sum())
        img[:, :, c] = np.where(sky, band, img[:, :, c])
    res = channel_misregistration(img)
    assert res.n_tiles > 0
    for ch in res.channels.values():
        assert np.all(ch.centres[:, 1] + 32 > w // 2)  # every accepted tile holds body
        assert ch.median_shift == pytest.approx((0.25, 0.25), abs=0.05)


def test_saturated_tiles_rejected(scene):
    img = np.dstack([shifted(scene, (0.5, 0.0)), scene, scene])
    img[:128, :, :] = np.minimum(img[:128, :, :] * 2.0, 2700.0)  # saturated plateau, top
    res = channel_misregistration(img)
    red = res.channels["RED"]
    assert red.n_tiles > 0
    assert np.all(red.centres[:, 0] > 128)
    assert red.median_shift == pytest.approx((0.5, 0.0), abs=0.05)
    everything = channel_misregistration(img, saturation=None)
    assert everything.channels["RED"].n_tiles > red.n_tiles


def test_coverage_and_nan_respected(scene):
    img = np.dstack([shifted(scene, (0.0, 0.4)), scene, shifted(scene, (0.0, 0.4))])
    cov = np.ones(scene.shape, bool)
    cov[:, 200:260] = False
    img[:, 300:310, 2] = np.nan  # no data in blue only
    res = channel_misregistration(img, cov, step=32)
    for ch in res.channels.values():
        left = ch.centres[:, 1] - 31.5
        right = ch.centres[:, 1] + 31.5
        assert not np.any((right >= 200) & (left < 260))
    blue = res.channels["BLUE"].centres[:, 1]
    assert not np.any((blue + 31.5 >= 300) & (blue - 31.5 < 310))
    red = res.channels["RED"].centres[:, 1]
    assert np.any((red + 31.5 >= 300) & (red - 31.5 < 310))  # red is covered there
    # per-channel weights: zero weight in red removes those tiles from red only
    weights = np.ones(img.shape)
    weights[:, :224, 0] = 0.0
    res3 = channel_misregistration(np.nan_to_num(img, nan=1000.0), weights)
    assert np.all(res3.channels["RED"].centres[:, 1] - 31.5 >= 224)
    assert np.any(res3.channels["BLUE"].centres[:, 1] < 224)


def test_options_and_reference_selection(scene):
    img = np.dstack([scene, shifted(scene, (0.2, 0.0)), shifted(scene, (0.0, -0.6))])
    by_index = channel_misregistration(img, reference=0, tile=48, step=32)
    by_name = channel_misregistration(img, reference="red", tile=48, step=32)
    assert by_index.reference == by_name.reference == "RED"
    assert set(by_index.channels) == {"GREEN", "BLUE"}
    np.testing.assert_array_equal(by_index.channels["BLUE"].shifts, by_name.channels["BLUE"].shifts)
    assert by_index.channels["GREEN"].median_shift == pytest.approx((0.2, 0.0), abs=0.05)
    assert by_index.channels["BLUE"].median_shift == pytest.approx((0.0, -0.6), abs=0.05)
    assert by_index.step == 32 and by_index.tile == 48
    four = channel_misregistration(np.dstack([img, scene]))
    assert four.reference == "C0" and set(four.channels) == {"C1", "C2", "C3"}
    summary = by_index.summary()
    assert set(summary["channels"]) == {"GREEN", "BLUE"}
    json.dumps(summary, allow_nan=False)


def test_batched_correlation_matches_skimage():
    from skimage.registration import phase_cross_correlation

    from junoproc.quality import _phase_correlate

    rng = np.random.default_rng(8)
    ref = ndi.gaussian_filter(rng.normal(size=(12, 64, 64)), (0, 2, 2))
    mov = np.stack([ndi.shift(t, rng.uniform(-4, 4, 2)) for t in ref])
    win = np.outer(np.hanning(64), np.hanning(64))
    for upsample in (1, 20):
        shifts, rho = _phase_correlate(ref * win, mov * win, upsample)
        for n in range(len(ref)):
            expected, _, _ = phase_cross_correlation(
                ref[n] * win, mov[n] * win, upsample_factor=upsample, normalization=None
            )
            np.testing.assert_allclose(shifts[n], -expected, atol=1e-9)
        assert np.all((rho > 0.5) & (rho <= 1.0))
    same, rho = _phase_correlate(ref, ref, 20)
    np.testing.assert_allclose(same, 0.0, atol=1e-12)
    np.testing.assert_allclose(rho, 1.0, atol=1e-6)


def test_too_small_image_gives_nan():
    res = channel_misregistration(np.ones((20, 20, 3)))
    assert res.n_tiles == 0 and np.isnan(res.median_px)


@pytest.mark.parametrize(
    ("kwargs", "shape"),
    [
        ({}, (64, 64)),
        ({}, (64, 64, 1)),
        ({"reference": "METHANE"}, (64, 64, 3)),
        ({"reference": 5}, (64, 64, 3)),
        ({"channels": ("R", "G")}, (64, 64, 3)),
        ({"tile": 8}, (64, 64, 3)),
        ({"coverage": np.ones((10, 10))}, (64, 64, 3)),
    ],
)
def test_misregistration_rejects_bad_input(kwargs, shape):
    with pytest.raises(ValueError):
        channel_misregistration(np.zeros(shape), **kwargs)


# --------------------------------------------------------------------------------------
# seam_residual
# --------------------------------------------------------------------------------------


def even_odd_layers(
    scene: np.ndarray,
    shift: tuple[float, float],
    *,
    period: int = 100,
    overlap: int = 15,
    gain: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two renderings of one scene from alternating vertical 'framelet' bands.

    Band k covers columns [k * period, (k + 1) * period + overlap); even bands go to
    layer A, odd bands to layer B, which also sees the scene moved by ``shift``.
    """
    h, w = scene.shape
    a = np.full((h, w), np.nan)
    b = np.full((h, w), np.nan)
    moved = gain * shifted(scene, shift)
    for k in range(w // period + 1):
        sl = slice(k * period, min(w, (k + 1) * period + overlap))
        if k % 2 == 0:
            a[:, sl] = scene[:, sl]
        else:
            b[:, sl] = moved[:, sl]
    return a, b


@pytest.fixture(scope="module")
def tall_scene() -> np.ndarray:
    return textured_scene((1500, 520), seed=4)


@pytest.mark.parametrize(
    ("truth", "overlap"), [((0.3, -0.4), 15), ((-0.15, 0.6), 15), ((0.2, 0.2), 10)]
)
def test_seam_shift_recovered_on_narrow_strips(tall_scene, truth, overlap):
    a, b = even_odd_layers(tall_scene, truth, overlap=overlap)
    res = seam_residual(a, b)
    assert res.shift == pytest.approx(truth, abs=0.05)
    assert res.n_segments >= 0.8 * res.n_segments_tried
    assert res.n_segments >= 80  # 5 strips x ~23 segments of 64 rows
    err = np.hypot(res.shifts[:, 0] - truth[0], res.shifts[:, 1] - truth[1])
    assert np.median(err) < 0.05
    assert np.percentile(err, 90) < 0.08
    assert res.median_px == pytest.approx(np.hypot(*truth), abs=0.05)
    assert res.centres.shape == res.sigmas.shape == (res.n_segments, 2)
    assert np.all(res.n_pixels >= 256)


def test_seam_zero_shift_and_intensity(tall_scene):
    a, b = even_odd_layers(tall_scene, (0.0, 0.0))
    res = seam_residual(a, b)
    assert res.median_px < 0.02
    assert res.intensity_bias == pytest.approx(0.0, abs=1e-9)
    assert res.intensity_rms == pytest.approx(0.0, abs=1e-9)
    # a 5 % gain difference shows in the intensity numbers, not in the shift
    a, b = even_odd_layers(tall_scene, (0.25, 0.0), gain=1.05)
    res = seam_residual(a, b)
    assert res.intensity_bias == pytest.approx(0.05 / 1.025, abs=0.01)
    assert res.intensity_rms >= res.intensity_bias
    assert res.shift == pytest.approx((0.25, 0.0), abs=0.05)


def test_seam_horizontal_strips(tall_scene):
    a, b = even_odd_layers(tall_scene[:520, :].T.copy(), (0.1, -0.35))
    res = seam_residual(a, b)
    assert res.shift == pytest.approx((0.1, -0.35), abs=0.05)
    assert res.n_segments > 0
    assert np.median(res.shifts, axis=0) == pytest.approx((0.1, -0.35), abs=0.05)


def test_seam_noise_dark_and_no_overlap_give_no_numbers(tall_scene):
    rng = np.random.default_rng(9)
    noise_a = rng.normal(1000.0, 30.0, tall_scene.shape)
    noise_b = rng.normal(1000.0, 30.0, tall_scene.shape)
    a, b = even_odd_layers(noise_a, (0.0, 0.0))
    _, b2 = even_odd_layers(noise_b, (0.0, 0.0))
    res = seam_residual(a, b2)
    assert res.n_segments == 0
    assert np.isnan(res.median_px) and np.all(np.isnan(res.shift))
    assert res.summary()["median_px"] is None
    json.dumps(res.summary(), allow_nan=False)
    # dark sky everywhere except one bright pixel: nothing lit to measure
    a, b = even_odd_layers(np.full(tall_scene.shape, 3.0), (0.0, 0.0))
    a[0, 0] = 2000.0
    assert seam_residual(a, b).n_segments == 0
    # disjoint layers
    a = np.where(np.arange(tall_scene.shape[1]) < 200, tall_scene, np.nan)
    b = np.where(np.arange(tall_scene.shape[1]) >= 200, tall_scene, np.nan)
    res = seam_residual(a, b)
    assert res.n_overlap == 0 and res.n_segments == 0 and np.isnan(res.intensity_rms)


def test_seam_structure_along_one_direction_rejected():
    # vertical stripes only: dx is measurable, dy is not -> no segment may claim a shift
    x = np.arange(520)
    stripes = 1000.0 + 400.0 * np.sin(x / 3.0)[None, :] * np.ones((1500, 1))
    a, b = even_odd_layers(stripes, (0.0, 0.3))
    res = seam_residual(a, b)
    assert res.n_segments == 0


def test_seam_weights_and_saturation(tall_scene):
    a, b = even_odd_layers(tall_scene, (0.3, 0.0))
    wa = np.ones(a.shape)
    wa[:750] = 0.0  # layer A has no data in the top half
    res = seam_residual(a, b, weight_a=wa)
    assert res.n_segments > 0 and np.all(res.centres[:, 0] >= 750)
    sat = a.copy()
    sat[750:] = 2600.0
    res = seam_residual(sat, b)
    assert np.all(res.centres[:, 0] < 750)
    with pytest.raises(ValueError):
        seam_residual(a, b[:-1])
    with pytest.raises(ValueError):
        seam_residual(a, b, weight_b=np.ones((3, 3)))


# --------------------------------------------------------------------------------------
# limb_continuity
# --------------------------------------------------------------------------------------


def rendered_disk(
    shape: tuple[int, int] = (260, 300),
    centre: tuple[float, float] = (130.0, 150.0),
    radius: float = 110.0,
    ss: int = 8,
) -> np.ndarray:
    """Area-sampled limb-darkened disk (DN up to ~1500) on dark sky."""
    h, w = shape
    yy, xx = np.mgrid[0 : h * ss, 0 : w * ss]
    y = (yy + 0.5) / ss - 0.5 - centre[0]
    x = (xx + 0.5) / ss - 0.5 - centre[1]
    r = np.hypot(y, x) / radius
    mu = np.sqrt(np.clip(1.0 - r**2, 0.0, None))
    fine = np.where(r < 1.0, 1500.0 * (0.4 + 0.6 * mu), 0.0)
    return fine.reshape(h, ss, w, ss).mean(axis=(1, 3)) + 2.0


def with_step(disk: np.ndarray, row: int, dx: int = 1) -> np.ndarray:
    out = disk.copy()
    out[row:] = np.roll(disk[row:], dx, axis=1)
    return out


@pytest.fixture(scope="module")
def disk() -> np.ndarray:
    return rendered_disk()


def test_limb_step_found_at_boundary(disk):
    row = 150  # 20 rows below the centre: the limb runs nearly along the columns
    img = with_step(disk, row)
    res = limb_continuity(img, boundaries=[row, 60])
    assert [t.side for t in res.traces] == ["first", "last"]
    slope = 20.0 / np.sqrt(110.0**2 - 20.0**2)
    normal = 1.0 / np.hypot(1.0, slope)  # a 1 px shift along the row, seen normal to the limb
    for trace in res.traces:
        assert trace.steps[row] == pytest.approx(normal, abs=0.1)
        others = np.delete(trace.steps, row)
        assert np.nanmax(np.abs(others)) < 0.1
        assert trace.at_boundary[row] and trace.at_boundary[60]
        assert np.isfinite(trace.steps).sum() > 150
    assert res.boundary["max_px"] == pytest.approx(normal, abs=0.1)
    assert res.boundary["n"] == 4  # two boundaries x two sides
    assert res.elsewhere["max_px"] < 0.1
    assert res.elsewhere["median_px"] < 0.03
    assert res.max_step_px == pytest.approx(normal, abs=0.1)
    json.dumps(res.summary(), allow_nan=False)


def test_limb_smooth_disk_has_no_steps(disk):
    res = limb_continuity(disk)
    assert res.n_steps > 300
    assert res.max_step_px < 0.1
    assert res.median_step_px < 0.03
    assert res.boundary["n"] == 0 and np.isnan(res.boundary["median_px"])
    # positions follow the geometry; limb darkening moves the half level ~0.65 px inside
    rows = np.arange(100, 161)
    truth = 150.0 - np.sqrt(110.0**2 - (rows - 130.0) ** 2)
    offset = res.traces[0].positions[rows] - truth
    assert 0.0 < offset.mean() < 1.0
    assert offset.std() < 0.03


def test_limb_boundary_forms_and_columns(disk):
    row = 115
    img = with_step(disk, row)
    first_rows = np.zeros(img.shape, bool)
    first_rows[row, :] = True
    labels = np.zeros(img.shape, int)
    labels[row:, :] = 1
    flags = np.zeros(img.shape[0], bool)
    flags[row] = True
    forms = [first_rows, labels, flags, [row]]
    for res in (limb_continuity(img, boundaries=form) for form in forms):
        assert res.boundary["n"] == 2
        assert res.boundary["median_px"] == pytest.approx(1.0, abs=0.1)
        assert res.elsewhere["max_px"] < 0.1
    # the same picture turned by 90 degrees, profiles along the columns
    t = limb_continuity(img.T, profiles="columns", boundaries=[row], side="first")
    assert t.boundary["median_px"] == pytest.approx(1.0, abs=0.1)
    tol = limb_continuity(img, boundaries=[row], boundary_tolerance=2)
    assert tol.traces[0].at_boundary[row - 2 : row + 3].all()
    # colour image: mean of the channels or one chosen channel
    rgb = np.dstack([img, 0.5 * img, 0.8 * img])
    assert limb_continuity(rgb, boundaries=[row]).boundary["n"] == 2
    assert limb_continuity(rgb, channel=2, boundaries=[row]).boundary["n"] == 2


def test_limb_no_body_and_missing_data(disk):
    rng = np.random.default_rng(0)
    empty = limb_continuity(rng.normal(5.0, 1.0, (100, 100)))
    assert empty.n_steps == 0 and np.isnan(empty.max_step_px)
    assert empty.summary()["all"]["max_px"] is None
    # a stripe without data across the limb: no positions there, no false steps at its edges
    img = disk.copy()
    img[120:140, :] = np.nan
    res = limb_continuity(img)
    assert np.all(np.isnan(res.traces[0].positions[120:140]))
    assert res.max_step_px < 0.1
    cov = np.ones(disk.shape)
    cov[120:140, :60] = 0.0
    res = limb_continuity(disk, cov, side="first")
    assert np.all(np.isnan(res.traces[0].positions[120:140]))
    with pytest.raises(ValueError):
        limb_continuity(disk, profiles="diagonal")
    with pytest.raises(ValueError):
        limb_continuity(disk, boundaries=np.zeros(3, bool))
