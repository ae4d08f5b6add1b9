"""Tests of junoproc.simulate: the forward model used for round-trip tests and the sample."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from junoproc.camera import PHOTOACTIVE_COLUMNS, CameraModel
from junoproc.decompand import decompand, decompand_table
from junoproc.exceptions import OutputExistsError, UnknownFilterError
from junoproc.framelets import separate_filters
from junoproc.io import load
from junoproc.metadata import parse_metadata
from junoproc.pointing import DEFAULT_SPIN_RATE_RAD_S, SpinPointing, frame_times
from junoproc.simulate import (
    IO_RADII_KM,
    Composite,
    Ellipsoid,
    StarField,
    body_orientation,
    io_scene,
    jupiter_product,
    phase_for_azimuth,
    pj57_io_product,
    radiance,
    simulate_product,
    truth_view,
    write_product,
)

RATE = DEFAULT_SPIN_RATE_RAD_S * 1.005
JITTER = 0.004
PER_FRAME = np.array([0.0, 0.002, -0.001])
STAR_PIXEL = (600.3, 64.7)  # where the star sits in GREEN frame 1
PHOTO = slice(PHOTOACTIVE_COLUMNS.start, PHOTOACTIVE_COLUMNS.stop)


def _star_direction(jitter: float, per_frame: np.ndarray | None) -> np.ndarray:
    """Direction seen at STAR_PIXEL of GREEN frame 1, from the IK timing written out here."""
    t1 = 0.06188 + jitter + 1 * (0.371 + 0.001) + (0.0 if per_frame is None else per_frame[1])
    spin = SpinPointing(rate_rad_s=RATE, phase_rad=0.3)
    ray = CameraModel.default().pixel_to_ray(*STAR_PIXEL, "GREEN")
    return spin.rotation(t1) @ ray


def _star_product(jitter: float, per_frame: np.ndarray | None = None, **kw):
    d = _star_direction(jitter, per_frame)
    stars = StarField([d], [40.0])
    return simulate_product(
        stars,
        n_frames=3,
        interframe_delay_s=0.371,
        spin_rate_rad_s=RATE,
        phase_rad=0.3,
        time_jitter_s=jitter,
        per_frame_jitter_s=per_frame,
        noise=False,
        supersample=2,
        **kw,
    ), d


def _centroid(framelet: np.ndarray, x: float, y: float, half: int = 4) -> tuple[float, float]:
    xi, yi = round(x), round(y)
    win = framelet[yi - half : yi + half + 1, xi - half : xi + half + 1].astype(np.float64)
    yy, xx = np.mgrid[yi - half : yi + half + 1, xi - half : xi + half + 1]
    return float((win * xx).sum() / win.sum()), float((win * yy).sum() / win.sum())


@pytest.fixture(scope="module")
def star():
    return _star_product(JITTER, PER_FRAME)


@pytest.fixture(scope="module")
def io_clean():
    """The PJ57 sample geometry without noise or supersampling (fast)."""
    return pj57_io_product(noise=False, supersample=1)


# -- scenes --------------------------------------------------------------------------------


def test_ellipsoid_limb_and_lighting():
    ball = Ellipsoid((100.0, 100.0, 100.0), (1000.0, 0.0, 0.0), (-1.0, 0.0, 0.0), albedo=0.4)
    ang = ball.angular_radius_rad()
    inside = [math.cos(ang * 0.999), math.sin(ang * 0.999), 0.0]
    outside = [math.cos(ang * 1.001), math.sin(ang * 1.001), 0.0]
    values = radiance(ball, [inside, outside, [1.0, 0.0, 0.0]], "GREEN")
    assert values[0] > 0 and values[1] == 0.0
    assert values[2] == pytest.approx(0.4)  # full phase, disc centre: cos i = 1
    # night side: the Sun behind the body
    night = Ellipsoid((100.0, 100.0, 100.0), (1000.0, 0.0, 0.0), (1.0, 0.0, 0.0), albedo=0.4)
    assert radiance(night, [1.0, 0.0, 0.0], "RED") == 0.0


def test_ellipsoid_triaxial_shape_and_orientation():
    # an ellipsoid long along its own X, turned so that X points along spin +Y
    orient = body_orientation([0.0, 0.0, 1.0], math.pi / 2)
    body = Ellipsoid(
        (300.0, 100.0, 100.0), (1000.0, 0.0, 0.0), (-1.0, 0.0, 0.0), orientation=orient, albedo=1.0
    )
    along_y = [1.0, math.tan(0.25), 0.0]  # 250 km off centre at the centre's distance
    along_z = [1.0, 0.0, math.tan(0.25)]
    assert radiance(body, along_y, "RED") > 0
    assert radiance(body, along_z, "RED") == 0


def test_minnaert_k1_equals_lambert():
    kw = {
        "radii_km": (100.0, 100.0, 100.0),
        "centre_km": (1000.0, 0.0, 0.0),
        "sun_direction": (-0.5, 0.8, 0.1),
        "albedo": 0.7,
    }
    d = np.array([[1.0, 0.05, 0.02], [1.0, -0.06, 0.01]])
    lam = radiance(Ellipsoid(**kw), d, "BLUE")
    assert np.allclose(
        radiance(Ellipsoid(**kw, photometry="minnaert", minnaert_k=1.0), d, "BLUE"), lam
    )
    dark = radiance(Ellipsoid(**kw, photometry="minnaert", minnaert_k=1.4), d, "BLUE")
    assert not np.allclose(dark, lam)


def test_composite_occludes_stars_and_observer_motion():
    ball = Ellipsoid((10.0, 10.0, 10.0), (100.0, 0.0, 0.0), (-1.0, 0.0, 0.0), albedo=0.5)
    star = StarField([[1.0, 0.0, 0.0]], [1.0])
    both = Composite((star, ball))
    assert radiance(both, [1.0, 0.0, 0.0], "RED") == pytest.approx(0.5)
    moved = radiance(both, [1.0, 0.0, 0.0], "RED", observer_km=[0.0, 50.0, 0.0])
    assert moved == pytest.approx(1.0 / (2 * math.pi * 0.7**2))  # the star, unoccluded


def test_radiance_rejects_bad_input_and_does_not_modify_it():
    ball = Ellipsoid((10.0, 10.0, 10.0), (100.0, 0.0, 0.0), (-1.0, 0.0, 0.0))
    d = np.array([[2.0, 0.0, 0.0]])
    radiance(ball, d, "RED")
    assert d[0, 0] == 2.0
    with pytest.raises(UnknownFilterError):
        radiance(ball, d, "UV")
    with pytest.raises(ValueError, match="shape"):
        radiance(ball, np.ones((2, 2)), "RED")


def test_io_scene_colours_terminator_and_hot_spots():
    io = io_scene()
    assert io is io_scene()  # cached, immutable
    ang = math.asin(min(IO_RADII_KM) / io.distance_km) * 0.97
    rng = np.random.default_rng(1)
    r = ang * np.sqrt(rng.uniform(0, 1, 4000))
    phi = rng.uniform(0, 2 * math.pi, 4000)
    d = np.stack([np.ones_like(r), np.tan(r) * np.cos(phi), np.tan(r) * np.sin(phi)], -1)
    vals = {f: radiance(io, d, f) for f in ("BLUE", "GREEN", "RED", "METHANE")}
    lit = vals["GREEN"] > 0.05
    dark = vals["GREEN"] < 0.002
    assert 0.2 < lit.mean() < 0.8 and dark.mean() > 0.2  # a terminator crosses the disc
    means = {f: v[lit].mean() for f, v in vals.items()}
    assert means["RED"] > means["GREEN"] > means["BLUE"] > means["METHANE"]
    # hot spots: emission (in RED, not BLUE) on the night side at the spots' centres
    hot = io.emission
    centres = np.stack([hot.lat_rad, hot.lon_rad], -1)
    assert hot(centres[:, 0], centres[:, 1], "RED").min() > 0.3
    assert hot(centres[:, 0], centres[:, 1], "BLUE").max() == 0.0
    # texture is seeded: same seed same values, another seed differs
    other = io_scene(seed=58, resolution=64)
    assert not np.allclose(radiance(other, d[:50], "RED"), vals["RED"][:50])


# -- products: metadata and files -----------------------------------------------------------


def test_metadata_parses_without_warning_and_matches(io_clean):
    p = io_clean
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        meta = parse_metadata(p.metadata_json)
    assert meta.product_id == "JNCE_2023364_57C00099_V01"
    assert meta.filters == ("BLUE", "GREEN", "RED")
    assert meta.n_frames == 14 and meta.lines == 14 * 384 == p.raw.shape[0]
    assert meta.interframe_delay_s == 0.371
    assert meta.exposure_s == pytest.approx(0.0032) and meta.tdi_stages == 1
    assert meta.perijove == 57 and meta.target == "IO" and meta.companding == "SQROOT"
    assert p.metadata_json["EXPOSURE_DURATION"] == "3.200000 <ms>"
    assert p.metadata_json["INTERFRAME_DELAY"] == "0.371 <s>"
    assert meta.start_time.isot == "2023-12-30T08:39:21.517"
    assert (meta.stop_time - meta.start_time).sec == pytest.approx(14 * 0.371, abs=1e-6)
    assert p.truth.pointing.epoch.isot == meta.start_time.isot


def test_methane_product_metadata_and_methane_cy():
    sky = StarField([[1.0, 0.0, 0.0]], [10.0])
    p = simulate_product(
        sky,
        filters=["METHANE"],
        n_frames=2,
        tdi_stages=32,
        supersample=1,
        methane_cy=312.5,
        product_id="JNCE_2023364_57M00100_V01",
    )
    meta = p.metadata
    assert meta.filters == ("METHANE",) and meta.tdi_stages == 32
    assert p.metadata_json["EXPOSURE_DURATION"] == "102.400000 <ms>"
    assert meta.methane_cy_override == 312.5 and p.camera["METHANE"].cy == 312.5


def test_write_and_load_round_trip(tmp_path, star):
    p, _ = star
    folder = write_product(p, tmp_path, website_id=1234)
    assert (folder / "ImageSet" / f"{p.product_id}-raw.png").is_file()
    assert (folder / "DataSet" / "1234-Metadata.json").is_file()
    raw = load(folder)
    assert raw.data.dtype == np.uint8 and np.array_equal(raw.data, p.raw)
    assert raw.metadata.product_id == p.product_id
    assert raw.metadata.n_frames == 3 and raw.metadata.filters == p.metadata.filters
    assert raw.metadata.start_time.isot == p.metadata.start_time.isot
    assert dict(raw.metadata.raw) == p.metadata_json
    assert np.array_equal(load(folder / "DataSet" / "1234-Metadata.json").data, p.raw)
    truth = json.loads((folder / f"{p.product_id}-truth.json").read_text())
    assert truth["spin_rate_rad_s"] == RATE and truth["time_jitter_s"] == JITTER
    assert truth["per_frame_jitter_s"] == PER_FRAME.tolist()
    assert truth["scene"]["type"] == "StarField"
    with pytest.raises(OutputExistsError):
        write_product(p, tmp_path, website_id=1234)
    assert write_product(p, tmp_path, website_id=1234, overwrite=True) == folder


def test_raw_image_matches_raw(star):
    p, _ = star
    image = p.raw_image()
    assert np.array_equal(image.data, p.raw) and image.metadata.n_frames == 3


# -- products: pixels -----------------------------------------------------------------------


def test_compand_quantisation_and_dark_columns(io_clean):
    p = io_clean
    table = decompand_table()
    step = np.diff(table, prepend=-1.0)[p.raw]
    centre = decompand(p.raw, bin_centres=True)
    assert np.all(np.abs(centre - p.linear) <= step / 2 + 0.5)
    assert p.raw[:, : PHOTOACTIVE_COLUMNS.start].max() == 0
    assert p.raw[:, PHOTOACTIVE_COLUMNS.stop :].max() == 0
    assert 1500 < p.linear.max() <= 2400.0 + 1e-3  # fills the range without saturating


def test_star_centroids_match_forward_projection(star):
    """An independent check: centroids in every framelet where the star falls."""
    p, d = star
    cam = CameraModel.default()
    times = frame_times(p.metadata, cam)
    stacks = separate_filters(p.linear, p.metadata)
    seen = 0
    for name, stack in stacks.items():
        for k in range(p.metadata.n_frames):
            v = p.truth.pointing.rotation(times[k]).T @ d
            x, y = cam.ray_to_pixel(v, name)
            if not (5 <= y <= 122 and 30 <= x <= 1620):
                continue
            cx, cy = _centroid(stack.data[k], float(x), float(y))
            assert abs(cx - x) < 0.05 and abs(cy - y) < 0.05, (name, k, cx - x, cy - y)
            seen += 1
    assert seen >= 3  # GREEN frame 1 and at least one neighbouring filter
    # and the frame the star was placed in
    cx, cy = _centroid(stacks["GREEN"].data[1], *STAR_PIXEL)
    assert abs(cx - STAR_PIXEL[0]) < 0.05 and abs(cy - STAR_PIXEL[1]) < 0.05
    # the PSF carries the flux: summed DN = flux x dn_scale (pixel-area changes ~1 %)
    x0, y0 = round(STAR_PIXEL[0]), round(STAR_PIXEL[1])
    total = stacks["GREEN"].data[1][y0 - 5 : y0 + 6, x0 - 5 : x0 + 6].sum()
    assert total == pytest.approx(40.0 * p.truth.dn_scale, rel=0.03)


def test_timing_jitter_shifts_content_by_rate_times_focal_length():
    a, _ = _star_product(0.0)
    d_a = _star_direction(0.0, None)
    b = simulate_product(
        StarField([d_a], [40.0]),
        n_frames=3,
        spin_rate_rad_s=RATE,
        phase_rad=0.3,
        time_jitter_s=0.010,
        noise=False,
    )
    ga = separate_filters(a.linear, a.metadata)["GREEN"].data[1]
    gb = separate_filters(b.linear, b.metadata)["GREEN"].data[1]
    xa, ya = _centroid(ga, *STAR_PIXEL)
    xb, yb = _centroid(gb, STAR_PIXEL[0], STAR_PIXEL[1] - 3.1)
    expected = -0.010 * RATE * CameraModel.default()["GREEN"].fl_px  # later -> lower rows
    assert (yb - ya) / expected == pytest.approx(1.0, abs=0.02)
    assert abs(xb - xa) < 0.05


def test_consecutive_frames_overlap(io_clean):
    p = io_clean
    green = separate_filters(p.linear, p.metadata)["GREEN"].data.astype(np.float64)
    cam = p.camera
    times = frame_times(p.metadata, cam)
    cols = slice(600, 1000)
    checked = 0
    for k in range(4, 9):
        a, b = green[k][:, cols], green[k + 1][:, cols]
        if a[100:].max() < 50 or b[:28].max() < 50:
            continue
        errors = {s: np.mean(np.abs(a[s:] - b[: 128 - s])) for s in range(95, 126)}
        best = min(errors, key=errors.get)
        v = p.truth.pointing.rotation(times[k]) @ cam.pixel_to_ray(800.0, 120.0, "GREEN")
        _, y_next = cam.ray_to_pixel(p.truth.pointing.rotation(times[k + 1]).T @ v, "GREEN")
        predicted = 120.0 - float(y_next)
        assert abs(best - predicted) <= 1.0, (k, best, predicted)
        assert 110 < predicted < 118
        checked += 1
    assert checked >= 3


def test_truth_view_equals_rendered_pixels(io_clean):
    p = io_clean
    cam = p.camera
    times = frame_times(p.metadata, cam)
    stacks = separate_filters(p.linear, p.metadata)
    ys, xs = np.meshgrid([5.0, 40.0, 64.0, 120.0], [650.0, 760.0, 820.0, 930.0], indexing="ij")
    compared = 0
    for name in ("BLUE", "GREEN", "RED"):
        for k in (5, 6, 7):
            rays = cam.pixel_to_ray(xs, ys, name)
            d = np.einsum("ij,...j->...i", p.truth.pointing.rotation(times[k]), rays)
            expected = truth_view(p, d, name)
            got = stacks[name].data[k][ys.astype(int), xs.astype(int)]
            assert np.allclose(got, expected, rtol=1e-5, atol=1e-3)
            assert np.allclose(
                expected, radiance(p.truth.scene, d, name) * p.truth.dn_scale, rtol=1e-12
            )
            compared += int(np.count_nonzero(expected > 10))
    assert compared > 20  # most of those pixels are on Io


def test_pj57_geometry_fully_covered_in_every_filter(io_clean):
    p = io_clean
    io = p.truth.scene
    size_px = 2 * io.angular_radius_rad() * p.camera["GREEN"].fl_px
    assert 300 < size_px < 600
    assert 60 < math.degrees(io.phase_angle_rad()) < 120
    cam = p.camera
    times = frame_times(p.metadata, cam)
    rot = p.truth.pointing.rotation(times)  # (n, 3, 3)
    centre = io.centre_km / io.distance_km
    e1 = np.cross([0.0, 0.0, 1.0], centre)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(centre, e1)
    ang = math.asin(max(IO_RADII_KM) / io.distance_km) * 1.02  # just beyond the limb
    phi = np.linspace(0, 2 * math.pi, 72, endpoint=False)
    ring = math.cos(ang) * centre + math.sin(ang) * (
        np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2
    )
    targets = np.vstack([centre, ring])
    for name in ("BLUE", "GREEN", "RED"):
        v = np.einsum("kji,nj->kni", rot, targets)  # camera frame, every frame
        x, y = cam.ray_to_pixel(v, name)
        inside = (x >= 23) & (x <= 1630) & (y >= -0.5) & (y <= 127.5)
        assert inside.any(axis=0).all(), name
        # and the body's centre is near the middle column
        k = int(np.nanargmin(np.abs(y[:, 0] - 64)))
        assert abs(x[k, 0] - 814) < 40


def test_methane_companion_sees_io():
    p = pj57_io_product(methane=True, noise=False, supersample=1, n_frames=12)
    assert p.product_id == "JNCE_2023364_57M00100_V01"
    assert p.metadata.filters == ("METHANE",) and p.metadata.tdi_stages == 32
    assert p.metadata_json["EXPOSURE_DURATION"] == "102.400000 <ms>"
    stack = separate_filters(p.linear, p.metadata)["METHANE"].data
    lit = (stack > 50).reshape(12, -1).any(axis=1)
    assert not lit[0] and not lit[-1] and lit[4:8].all()  # Io in the middle of the sweep


def test_jupiter_product_has_structure_in_both_directions():
    p = jupiter_product(
        noise=False, supersample=1, filters=("GREEN",), product_id="JNCE_2023364_57G00011_V01"
    )
    assert p.metadata.target == "JUPITER"
    g = separate_filters(p.linear, p.metadata)["GREEN"].data.astype(np.float64)
    body = g[5][10:118, 500:1100]
    assert (body > 100).mean() > 0.5
    along_rows = np.abs(np.diff(body, axis=0)).mean()
    along_cols = np.abs(np.diff(body, axis=1)).mean()
    assert along_rows > 2.0 and along_cols > 2.0


# -- noise, determinism, options --------------------------------------------------------------


def _noisy_io(seed: int):
    """A small noisy Io product."""
    return simulate_product(
        io_scene(),
        n_frames=4,
        supersample=1,
        noise=True,
        seed=seed,
        read_noise_dn=2.0,
        phase_rad=phase_for_azimuth(0.0, n_frames=4),
    )


@pytest.fixture(scope="module")
def io_noisy():
    return _noisy_io(3)


def test_noise_statistics_are_poisson_plus_read_noise(io_noisy):
    p = io_noisy
    lin = p.linear[:, PHOTO].astype(np.float64)
    raw = p.raw[:, PHOTO]
    residual = decompand(raw, bin_centres=True) - lin
    step = np.diff(decompand_table(), prepend=-1.0)[raw].astype(np.float64)
    for lo, hi in ((40.0, 150.0), (300.0, 600.0), (900.0, 1500.0)):
        sel = (lin > lo) & (lin < hi)
        assert sel.sum() > 2000
        expected = lin[sel].mean() + 2.0**2 + (step[sel] ** 2).mean() / 12.0
        assert residual[sel].var() / expected == pytest.approx(1.0, abs=0.1)
        assert abs(residual[sel].mean()) < 0.1 * math.sqrt(lin[sel].mean())
    assert p.raw[:, : PHOTOACTIVE_COLUMNS.start].max() <= 8  # dark columns: read noise only


def test_deterministic_with_seed(io_noisy):
    again = _noisy_io(3)
    assert np.array_equal(again.raw, io_noisy.raw)
    assert np.array_equal(again.linear, io_noisy.linear)
    other = _noisy_io(4)
    assert not np.array_equal(other.raw, io_noisy.raw)
    assert np.array_equal(other.linear, io_noisy.linear)


def test_outputs_are_read_only_and_inputs_untouched(star):
    p, _ = star
    assert not p.raw.flags.writeable and not p.linear.flags.writeable
    jitter = np.array([0.0, 0.001])
    sky = StarField([[1.0, 0.0, 0.0]], [1.0])
    simulate_product(
        sky,
        n_frames=2,
        supersample=1,
        per_frame_jitter_s=jitter,
        filters=["RED"],
        product_id="JNCE_2023364_57R00001_V01",
    )
    assert jitter.flags.writeable and jitter.tolist() == [0.0, 0.001]


def test_summed_framelets():
    sky = StarField([[1.0, 0.0, 0.0]], [20.0])
    p = simulate_product(
        sky,
        n_frames=2,
        supersample=1,
        sampling_factor=2,
        noise=False,
        filters=["GREEN"],
        phase_rad=-0.05,
        product_id="JNCE_2023364_57G00002_V01",
    )
    assert p.metadata.sampling_factor == 2 and p.raw.shape == (128, 1648)
    assert p.linear[:, 816:].max() == 0  # beyond the summed photoactive area


def test_invalid_arguments():
    sky = StarField([[1.0, 0.0, 0.0]], [1.0])
    with pytest.raises(UnknownFilterError):
        simulate_product(sky, filters=["UV"], n_frames=1)
    with pytest.raises(ValueError, match="n_frames"):
        simulate_product(sky, n_frames=0)
    with pytest.raises(ValueError, match="per_frame_jitter_s"):
        simulate_product(sky, n_frames=2, per_frame_jitter_s=[0.0])
    with pytest.raises(ValueError, match="product_id"):
        simulate_product(sky, n_frames=1, product_id="not-an-id")
    with pytest.raises(ValueError, match="start_time"):
        simulate_product(sky, n_frames=1, start_time="yesterday")
    with pytest.raises(ValueError, match="radii"):
        Ellipsoid((1.0, -1.0, 1.0), (10.0, 0.0, 0.0), (1.0, 0.0, 0.0))


def test_phase_for_azimuth_centres_the_common_coverage():
    phase = phase_for_azimuth(0.7, n_frames=10, spin_rate_rad_s=RATE)
    sky = StarField([[math.cos(0.7), math.sin(0.7), 0.0]], [30.0])
    p = simulate_product(
        sky, n_frames=10, spin_rate_rad_s=RATE, phase_rad=phase, supersample=1, noise=False
    )
    stacks = separate_filters(p.linear, p.metadata)
    frames = {
        name: int(np.argmax(s.data.reshape(10, -1).max(axis=1))) for name, s in stacks.items()
    }
    # RED sees it first, then GREEN, then BLUE, around the middle of the sweep
    assert frames["RED"] <= frames["GREEN"] <= frames["BLUE"]
    assert 2 <= frames["RED"] and frames["BLUE"] <= 7


def test_exposure_centre_moves_content_by_half_the_exposure():
    d = _star_direction(0.0, None)
    kw = {
        "n_frames": 3,
        "spin_rate_rad_s": RATE,
        "phase_rad": 0.3,
        "noise": False,
        "filters": ["GREEN"],
        "tdi_stages": 32,
        "product_id": "JNCE_2023364_57G00003_V01",
    }
    start = simulate_product(StarField([d], [40.0]), **kw)
    centre = simulate_product(StarField([d], [40.0]), exposure_centre=True, **kw)
    assert centre.truth.exposure_centre and centre.truth.frame_times_s[0] == pytest.approx(
        start.truth.frame_times_s[0] + 0.0512
    )
    g0 = separate_filters(start.linear, start.metadata)["GREEN"].data[1]
    g1 = separate_filters(centre.linear, centre.metadata)["GREEN"].data[1]
    expected = -0.0512 * RATE * CameraModel.default()["GREEN"].fl_px
    _, y0 = _centroid(g0, *STAR_PIXEL)
    _, y1 = _centroid(g1, STAR_PIXEL[0], STAR_PIXEL[1] + expected)
    assert (y1 - y0) / expected == pytest.approx(1.0, abs=0.02)
    # the truth pointing at the processor's mid-exposure times predicts it exactly
    times = frame_times(centre.metadata, exposure_centre=True)
    _, y = CameraModel.default().ray_to_pixel(
        centre.truth.pointing.rotation(times[1]).T @ d, "GREEN"
    )
    assert abs(float(y) - y1) < 0.05
