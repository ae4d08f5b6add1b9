"""Simulate -> process -> compare with the simulator's ground truth.

The spin model cannot know the absolute spin phase (a start-time error rotates the whole
picture about the spin axis), so the truth is rendered in the processed view's directions
rotated by the true phase difference; what must then agree is the geometry itself.

Two cameras take the products. ``"modelled"`` is JunoCam as junoproc models it: the IK
with the corrections measured on the real products (:data:`CAMERA_CORRECTIONS`, which
``process`` starts from), RED and BLUE moved by per-image offsets as large as those found
on the real products. ``"nominal-ik"`` is the IK's nominal camera, 0.1-0.3 % in
magnification and 0.2-0.4 px in optical centre from where ``process`` starts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from junoproc.calibrate import CAMERA_CORRECTIONS, CameraCorrections, corrected_camera
from junoproc.camera import CameraModel
from junoproc.pipeline import process
from junoproc.pointing import DEFAULT_SPIN_RATE_RAD_S
from junoproc.quality import channel_misregistration
from junoproc.simulate import jupiter_product, pj57_io_product, truth_view

CASES = [
    ("io", 1.01, 0.025),
    ("io", 0.99, -0.025),
    ("jupiter", 1.01, -0.025),
    ("jupiter", 0.993, 0.018),
]

#: This image's own optical-centre shifts (dx, dy; px) on top of the shipped corrections:
#: the per-image offsets fitted on the PJ43/PJ44 products reach 0.3 px.
PER_IMAGE_OFFSETS = {"RED": (0.3, -0.15), "BLUE": (-0.2, 0.1)}

#: Camera and mounting (twist) that take the products.
CAMERAS = {
    "modelled": (
        corrected_camera(
            corrected_camera(CameraModel.default(), CAMERA_CORRECTIONS),
            CameraCorrections(centre_offset_px=PER_IMAGE_OFFSETS),
        ),
        CAMERA_CORRECTIONS.axis_tilt_rad,
    ),
    "nominal-ik": (CameraModel.default(), (0.0, 0.0)),
}

#: Largest median tile shift and largest global shift (px) of each filter against its own
#: ground truth. With the IK's nominal camera RED keeps the 0.1 % magnification by which the
#: shipped corrections differ from it (0.11-0.15 px), which the per-image fit does not take
#: out (see docs/geometry.md).
LIMITS = {
    "modelled": {"BLUE": (0.1, 0.1), "GREEN": (0.1, 0.1), "RED": (0.1, 0.1)},
    "nominal-ik": {"BLUE": (0.2, 0.15), "GREEN": (0.1, 0.1), "RED": (0.2, 0.15)},
}

#: Sub-pixel steps of the registration against the truth (1/100 px).
UPSAMPLE = 100


def _rz(angle, v):
    c, s = math.cos(angle), math.sin(angle)
    return np.stack(
        [c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1], v[..., 2]], axis=-1
    )


@pytest.fixture(
    scope="module",
    params=[(cam, *c) for cam in CAMERAS for c in CASES],
    ids=lambda c: f"{c[0]}-{c[1]}-rate{c[2]}-jitter{c[3]}",
)
def case(request):
    camera_name, scene, factor, jitter = request.param
    camera, tilt = CAMERAS[camera_name]
    make = pj57_io_product if scene == "io" else jupiter_product
    product = make(
        spin_rate_rad_s=DEFAULT_SPIN_RATE_RAD_S * factor,
        time_jitter_s=jitter,
        n_frames=12,
        camera=camera,
        axis_tilt_rad=tilt,
    )
    result = process(product.raw_image(), quality=False)
    return camera_name, product, result


def test_spin_rate_recovered_within_005_percent(case):
    _, product, result = case
    true = product.truth.spin_rate_rad_s
    fitted = result.geometry.pointing.rate_rad_s
    assert abs(fitted - true) / true < 5e-4, (math.degrees(fitted), math.degrees(true))
    assert result.report["spin_fit"]["status"] == "fitted"


def _against_truth(product, result, name):
    """Tile shifts of channel ``name`` of the processed view against its ground truth."""
    geom, view = result.geometry, result.view
    t_mid = float(np.mean(geom.times_s))
    offset = float(product.truth.pointing.spin_angle(t_mid) - geom.pointing.spin_angle(t_mid))
    truth = truth_view(product, _rz(offset, view.directions()), name).astype(np.float32)
    ours = result.image[..., result.channels.index(name)]
    pair = np.stack([truth, ours], axis=-1)
    coverage = np.stack([np.ones_like(truth), result.coverage], axis=-1)
    # 1/100 px steps: the default 1/20 px is coarse against a 0.1 px target
    shifts = channel_misregistration(
        pair,
        coverage,
        channels=("TRUTH", "OURS"),
        reference="TRUTH",
        saturation=np.inf,
        upsample=UPSAMPLE,
    )
    ch = shifts.channels["OURS"]
    assert ch.n_tiles >= 10
    return ch


@pytest.mark.parametrize("name", ["BLUE", "GREEN", "RED"])
def test_every_filter_lands_on_its_ground_truth(case, name):
    camera_name, product, result = case
    ch = _against_truth(product, result, name)
    most, most_global = LIMITS[camera_name][name]
    assert ch.median_px <= most, (ch.median_px, ch.p90_px)
    dy, dx = ch.median_shift
    assert math.hypot(dy, dx) <= most_global, (dy, dx)  # no global offset left either


def test_per_image_offsets_are_found(case):
    """The offsets fitted on top of the shipped corrections are this image's own."""
    camera_name, _, result = case
    if camera_name != "modelled":
        pytest.skip("the nominal IK camera has no per-image offsets of its own to find")
    found = result.report["filter_fit"]["centre_offset_px"]
    for name, (dx, dy) in PER_IMAGE_OFFSETS.items():
        fx, fy = found[name]
        assert math.hypot(fx - dx, fy - dy) <= 0.1, (name, found[name], (dx, dy))
