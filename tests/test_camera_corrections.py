"""The along-row magnification ``FilterGeometry.y_scale`` and the corrections carrying it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from junoproc.calibrate import (
    CAMERA_CORRECTIONS,
    CameraCorrections,
    _corrections_of,
    _with_terms,
    _with_y_scales,
    apply_corrections,
)
from junoproc.camera import CameraModel
from junoproc.pointing import SpinPointing
from junoproc.render import StripGeometry


def _geometry(camera=None):
    return StripGeometry(
        camera or CameraModel.default(),
        SpinPointing(),
        np.arange(3) * 0.373,
        ("BLUE", "GREEN", "RED"),
    )


def test_y_scale_one_is_the_ik_model():
    g = CameraModel.default()["RED"]
    same = dataclasses.replace(g, y_scale=1.0)
    x, y = np.meshgrid(np.arange(23, 1631, 97.0), np.arange(0, 128, 9.0))
    np.testing.assert_array_equal(g.pixel_to_ray(x, y), same.pixel_to_ray(x, y))


@pytest.mark.parametrize("name", ["BLUE", "GREEN", "RED"])
def test_y_scale_round_trips_and_stretches_rows_only(name):
    g0 = CameraModel.default()[name]
    g = dataclasses.replace(g0, y_scale=1.003)
    x, y = np.meshgrid(np.arange(23, 1631, 97.0), np.arange(0, 128, 9.0))
    xb, yb = g.ray_to_pixel(g.pixel_to_ray(x, y))
    np.testing.assert_allclose(xb, x, atol=1e-8)
    np.testing.assert_allclose(yb, y, atol=1e-8)
    # the same ray lands at the same column, and 0.3 % further from the optical-centre row
    x0, y0 = g0.ray_to_pixel(g0.pixel_to_ray(x, y))
    x1, y1 = g.ray_to_pixel(g0.pixel_to_ray(x, y))
    np.testing.assert_allclose(x1, x0, atol=1e-8)
    np.testing.assert_allclose(y1 + 0.5 - g0.cy, 1.003 * (y0 + 0.5 - g0.cy), atol=1e-8)


def test_y_scale_must_be_positive():
    with pytest.raises(ValueError, match="y_scale"):
        dataclasses.replace(CameraModel.default()["BLUE"], y_scale=0.0)


def test_corrections_round_trip_through_a_geometry():
    base = _geometry()
    c = CameraCorrections(
        axis_tilt_rad=(-5e-3, 0.0),
        centre_offset_px={"BLUE": (0.3, -0.2)},
        focal_scale={"RED": 1.001},
        y_scale={"BLUE": 0.997, "RED": 1.002},
    )
    back = _corrections_of(apply_corrections(base, c), base)
    assert back.centre_offset_px["BLUE"] == pytest.approx((0.3, -0.2))
    assert back.focal_scale == pytest.approx({"RED": 1.001})
    assert back.y_scale == pytest.approx({"BLUE": 0.997, "RED": 1.002})
    assert back.summary()["y_scale"] == {"BLUE": 0.997, "RED": 1.002}


def test_with_y_scales_keeps_the_middle_row_direction():
    base = _geometry()
    stretched = _with_y_scales(base, {"BLUE": 0.997})
    g0, g = base.camera["BLUE"], stretched.camera["BLUE"]
    assert g.y_scale == pytest.approx(0.997)
    x = np.array([200.0, 826.5, 1500.0])
    np.testing.assert_allclose(g.pixel_to_ray(x, 63.5), g0.pixel_to_ray(x, 63.5), atol=1e-12)
    # row 0 of the shrunk filter sees 0.3 % further out: where row -0.19 of the original looks
    _, y = g0.ray_to_pixel(g.pixel_to_ray(826.5, 0.0))
    assert float(y) == pytest.approx(-63.5 * 0.003, abs=0.01)


def test_x_scale_term_keeps_the_along_row_focal_length():
    g0 = CameraModel.default()["RED"]
    g = _with_terms(g0, np.array([0.0, 0.0, np.log(1.001)]), True)
    assert g.fl_px == pytest.approx(1.001 * g0.fl_px)
    assert g.fl_px * g.y_scale == pytest.approx(g0.fl_px * g0.y_scale)


def test_shipped_along_row_scales_average_to_one():
    rows = [
        CAMERA_CORRECTIONS.focal_scale.get(f, 1.0) * CAMERA_CORRECTIONS.y_scale.get(f, 1.0)
        for f in ("BLUE", "GREEN", "RED")
    ]
    assert np.mean(rows) == pytest.approx(1.0, abs=2e-5)
    assert rows[0] < rows[1] < rows[2]
