"""The renderer: views, the fast panorama path against the exact per-pixel path, coverage."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from junoproc.camera import CameraModel
from junoproc.pointing import SpinPointing
from junoproc.render import (
    EquirectangularView,
    PerspectiveView,
    StripGeometry,
    locate,
    panorama_view,
    perspective_view,
    render,
)


@pytest.fixture(scope="module")
def geometry():
    return StripGeometry(
        CameraModel.default(),
        SpinPointing(),
        np.arange(6) * 0.372 + 0.06188,
        ("BLUE", "GREEN", "RED"),
    )


def textured_stacks(geom, seed=3):
    rng = np.random.default_rng(seed)
    from scipy.ndimage import gaussian_filter

    return {
        f: gaussian_filter(
            rng.random((geom.n_frames, 128, 1648)).astype(np.float32) * 1000, (0, 1.5, 1.5)
        )
        for f in geom.filters
    }


def test_pixel_direction_round_trip(geometry):
    x = np.array([23.0, 400.2, 826.5, 1630.0])
    y = np.array([0.0, 31.7, 63.5, 127.0])
    for f in geometry.filters:
        for k in (0, 3, 5):
            d = geometry.pixel_to_direction(x, y, f, k)
            x2, y2 = geometry.direction_to_pixel(d, f, k)
            np.testing.assert_allclose(x2, x, atol=1e-6)
            np.testing.assert_allclose(y2, y, atol=1e-6)
            inner = (x > 23) & (x < 1630) & (y > 0) & (y < 127)
            kk, x3, _ = locate(geometry, d[inner], f)
            assert np.all(kk == k)  # interior points are seen best by their own frame
            np.testing.assert_allclose(x3, x[inner], atol=1e-6)


def test_panorama_step_is_a_whole_number_of_rows_per_frame(geometry):
    view = panorama_view(geometry)
    n = abs(geometry.angle_step) / view.step_rad
    assert abs(n - round(n)) < 1e-9 and 100 < round(n) < 130  # ~115 rows per frame
    # every framelet corner lies inside the view
    for f in geometry.filters:
        for k in (0, geometry.n_frames - 1):
            d = geometry.pixel_to_direction(np.array([23.0, 1630.0]), np.array([0.0, 127.0]), f, k)
            r, c = view.pixel_of(d)
            assert np.all((r >= 0) & (r < view.shape[0]) & (c >= 0) & (c < view.shape[1]))


@pytest.mark.parametrize("scale", [0.5, 1.0])  # at 1.0 the fast path interpolates its maps
def test_fast_and_general_paths_agree(geometry, scale):
    stacks = textured_stacks(geometry)
    view = panorama_view(geometry, scale=scale)
    fast = render(stacks, geometry, view)
    # a per-frame time offset of zero makes the geometry "non-uniform" to the renderer's test
    # only if it changes angles; force the general path with a tiny jitter instead
    jitter = dataclasses.replace(
        geometry.pointing, time_offset_fn=lambda t: 1e-12 * np.asarray(t) ** 2
    )
    slow_geom = dataclasses.replace(geometry, pointing=jitter)
    slow = render(stacks, slow_geom, view)
    both = (fast.coverage > 0) & (slow.coverage > 0)
    assert both.mean() > 0.3
    # at scale 1 the interpolated maps are off by < 1e-3 px: < 0.03 DN on this texture
    # (gradients up to ~30 DN per pixel)
    atol = 0.02 if scale < 1 else 0.03
    np.testing.assert_allclose(fast.image[both], slow.image[both], rtol=0, atol=atol)
    np.testing.assert_allclose(fast.coverage, slow.coverage, atol=1e-3)


def test_constant_scene_renders_constant_with_full_coverage_inside(geometry):
    stacks = {f: np.full((geometry.n_frames, 128, 1648), 7.0, np.float32) for f in geometry.filters}
    out = render(stacks, geometry, panorama_view(geometry, scale=0.5))
    assert out.image.shape[-1] == 3 and out.channels == geometry.filters
    inside = out.coverage > 0
    np.testing.assert_allclose(out.image[inside], 7.0, rtol=1e-5)
    assert np.all(np.isnan(out.image[~inside]))
    assert out.coverage.max() == 1.0 and out.coverage.min() == 0.0
    # the strip's middle is covered without gaps: consecutive framelets overlap
    rows = np.nonzero(inside[..., 1].any(axis=1))[0]
    cols = np.nonzero(inside[..., 1].any(axis=0))[0]
    middle = inside[rows[len(rows) // 4] : rows[3 * len(rows) // 4], :, 1]
    central = middle[:, cols[len(cols) // 4] : cols[3 * len(cols) // 4]]
    assert central.all()


def test_frames_subset_and_errors(geometry):
    stacks = textured_stacks(geometry)
    view = panorama_view(geometry, scale=0.25)
    even = render(stacks, geometry, view, filters=("GREEN",), frames=[0, 2, 4])
    odd = render(stacks, geometry, view, filters=("GREEN",), frames=[1, 3, 5])
    full = render(stacks, geometry, view, filters=("GREEN",))
    assert (even.coverage > 0).sum() < (full.coverage > 0).sum()
    assert ((even.coverage > 0) | (odd.coverage > 0)).sum() == (full.coverage > 0).sum()
    with pytest.raises(ValueError, match="no filter"):
        render({"METHANE": stacks["RED"]}, geometry, view)
    with pytest.raises(ValueError, match="framelets but the geometry has"):
        render({"RED": stacks["RED"][:3]}, geometry, view)


def test_perspective_view_geometry(geometry):
    centre = geometry.pixel_to_direction(np.array(826.5), np.array(63.5), "GREEN", 3)
    view = perspective_view(geometry, centre=centre, shape=(101, 121))
    d = view.directions()
    assert d.shape == (101, 121, 3)
    np.testing.assert_allclose(np.linalg.norm(d, axis=-1), 1.0)
    np.testing.assert_allclose(d[50, 60], centre, atol=1e-12)
    r, c = view.pixel_of(d[[0, 100], [0, 120]])
    np.testing.assert_allclose(r, [0, 100], atol=1e-9)
    np.testing.assert_allclose(c, [0, 120], atol=1e-9)
    # orientation follows the panorama: down = increasing azimuth
    pano = panorama_view(geometry)
    rows, _ = pano.pixel_of(d[[0, 100], 60])
    assert rows[1] > rows[0]
    with pytest.raises(ValueError, match="rotation"):
        PerspectiveView(np.ones((3, 3)), 100.0, (10, 10))


def test_equirectangular_directions_match_pixel_of():
    view = EquirectangularView(0.3, 0.4, 0.001, (20, 30))
    d = view.directions()
    r, c = view.pixel_of(d)
    np.testing.assert_allclose(r, np.arange(20)[:, None] + 0 * c, atol=1e-9)
    np.testing.assert_allclose(c, np.arange(30)[None, :] + 0 * r, atol=1e-9)


def test_opencv_and_numpy_backends_agree(geometry, monkeypatch):
    pytest.importorskip("cv2", reason="the OpenCV backend needs junoproc[fast]")
    stacks = textured_stacks(geometry)
    view = panorama_view(geometry, scale=0.5)
    fast = render(stacks, geometry, view)
    monkeypatch.setenv("JUNOPROC_NO_OPENCV", "1")
    plain = render(stacks, geometry, view)
    np.testing.assert_array_equal(np.isnan(fast.image), np.isnan(plain.image))
    ok = np.isfinite(plain.image)
    # identical interpolation; edge clamping may differ in the last float32 digits
    np.testing.assert_allclose(fast.image[ok], plain.image[ok], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(fast.coverage, plain.coverage, atol=1e-6)


def test_channels_are_contiguous_planes_and_common_coverage_is_their_minimum(geometry):
    out = render(textured_stacks(geometry), geometry, panorama_view(geometry, scale=0.5))
    assert out.image.shape[-1] == 3
    for c in range(3):
        assert out.image[..., c].flags.c_contiguous and out.coverage[..., c].flags.c_contiguous
    common = out.common_coverage()
    np.testing.assert_array_equal(common, out.coverage.min(axis=-1))
    common[:] = -1  # a copy: the rendered coverage is not touched
    assert out.common_coverage().min() >= 0.0


@pytest.mark.parametrize("sampling", [1, 2])
def test_footprints_made_before_the_offsets_serve_once_shifted(geometry, sampling):
    """process() makes RED and BLUE's panorama maps while their offsets are being fitted:
    an optical-centre offset only shifts them, so the shifted maps are the maps."""
    from junoproc.calibrate import CameraCorrections, corrected_camera
    from junoproc.render import _MAX_MAP_SHIFT_PX, _footprints, _render_into, _shifted_maps

    base = dataclasses.replace(geometry, sampling_factor=sampling)
    view = panorama_view(base)
    offset = (0.6, -0.7)  # un-summed pixels, as the offsets fit reports them
    fitted = dataclasses.replace(
        base,
        camera=corrected_camera(base.camera, CameraCorrections(centre_offset_px={"RED": offset})),
    )
    ((r_lo, x, y),) = _footprints(base, view, ["RED"]).values()
    r_new, x_new, y_new = _footprints(fitted, view, ["RED"])["RED"]
    shifted = _shifted_maps((r_lo, x, y), offset[0] / sampling, offset[1] / sampling)
    assert r_new == shifted[0] and x_new.shape == shifted[1].shape
    inside = np.abs(x_new) < 1e6  # rays that reach the image plane
    np.testing.assert_allclose(shifted[1][inside], x_new[inside], rtol=0, atol=1e-9)
    np.testing.assert_allclose(shifted[2][inside], y_new[inside], rtol=0, atol=1e-9)
    assert _shifted_maps((r_lo, x, y), 1.5 * _MAX_MAP_SHIFT_PX, 0.0) is None
    # rendering with the shifted maps is rendering with the offsets
    red = textured_stacks(geometry)["RED"]
    stacks = {"RED": red if sampling == 1 else red[:, ::2, ::2]}
    out = {}
    for key, maps in (("shifted", {"RED": shifted}), ("direct", None)):
        plane, cover = (
            np.zeros((1, *view.shape), np.float32),
            np.zeros((1, *view.shape), np.float32),
        )
        _render_into(stacks, fitted, view, ["RED"], plane, cover, [0], maps=maps)
        out[key] = plane[0]
    assert np.isfinite(out["direct"]).mean() > 0.3
    np.testing.assert_array_equal(np.isnan(out["shifted"]), np.isnan(out["direct"]))
    np.testing.assert_allclose(out["shifted"], out["direct"], rtol=1e-4, atol=0.05)
