"""Tests of junoproc.pointing: the FK mounting rotations and the spin model."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from astropy.time import Time

from junoproc.camera import CameraModel
from junoproc.exceptions import MetadataError, MissingFileError
from junoproc.metadata import parse_metadata
from junoproc.pointing import (
    CAMERA_TO_CUBE,
    CAMERA_TO_SPACECRAFT,
    CUBE_TO_SPACECRAFT,
    DEFAULT_SPIN_RATE_RAD_S,
    SPIN_AXIS_CAMERA,
    SPIN_RATE_2RPM_RAD_S,
    Pointing,
    SpinPointing,
    camera_to_spacecraft_from_kernel,
    frame_rotation,
    frame_times,
    interpolated_offsets,
    spin_angle_of,
)

from .conftest import FK, require_shared

#: Time between frames of a typical product: INTERFRAME_DELAY 0.372 s plus the IK's 1 ms.
DT = 0.373


@pytest.fixture(scope="module")
def fk_path() -> Path:
    return require_shared(FK, "the real FK")


def assert_rotation(m: np.ndarray, atol: float = 1e-14) -> None:
    m = np.asarray(m)
    eye = np.broadcast_to(np.eye(3), m.shape)
    np.testing.assert_allclose(m @ np.swapaxes(m, -1, -2), eye, atol=atol)
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=atol)


# -- mounting ------------------------------------------------------------------------------------


def test_mounting_matrices_are_rotations() -> None:
    for m in (CUBE_TO_SPACECRAFT, CAMERA_TO_CUBE, CAMERA_TO_SPACECRAFT):
        assert_rotation(m)
        assert not m.flags.writeable


def test_camera_mounting_is_nominal_within_a_degree() -> None:
    # FK: camera = spacecraft turned 180 deg about +Z, then +90 deg about +Y
    nominal = np.array([[0.0, 0.0, -1.0], [0.0, -1.0, 0.0], [-1.0, 0.0, 0.0]])
    cos_angle = (np.trace(nominal.T @ CAMERA_TO_SPACECRAFT) - 1.0) / 2.0
    assert math.degrees(math.acos(min(cos_angle, 1.0))) < 1.0
    # the CCD lines (+X camera) are along the spin axis, opposite to it
    assert SPIN_AXIS_CAMERA[0] < -0.9999


def test_frame_rotation_is_spice_rotate() -> None:
    a = 0.3
    c, s = math.cos(a), math.sin(a)
    np.testing.assert_allclose(frame_rotation(a, 3), [[c, s, 0], [-s, c, 0], [0, 0, 1]])
    np.testing.assert_allclose(frame_rotation(a, 1), [[1, 0, 0], [0, c, s], [0, -s, c]])
    np.testing.assert_allclose(frame_rotation(a, 2), [[c, 0, -s], [0, 1, 0], [s, 0, c]])
    with pytest.raises(ValueError, match="axis"):
        frame_rotation(a, 4)


def test_mounting_read_from_the_real_fk(fk_path: Path) -> None:
    np.testing.assert_array_equal(camera_to_spacecraft_from_kernel(fk_path), CAMERA_TO_SPACECRAFT)


def test_mounting_agrees_with_spice(fk_path: Path) -> None:
    spice = pytest.importorskip("spiceypy", reason="spiceypy (optional, junoproc[spice]) absent")
    spice.furnsh(str(fk_path))
    try:
        # TK frames need no CK, so any epoch works
        for et in (0.0, 7.0e8):
            cam = spice.pxform("JUNO_JUNOCAM", "JUNO_SPACECRAFT", et)
            cube = spice.pxform("JUNO_JUNOCAM_CUBE", "JUNO_SPACECRAFT", et)
            inner = spice.pxform("JUNO_JUNOCAM", "JUNO_JUNOCAM_CUBE", et)
            np.testing.assert_allclose(cam, CAMERA_TO_SPACECRAFT, rtol=0, atol=1e-12)
            np.testing.assert_allclose(cube, CUBE_TO_SPACECRAFT, rtol=0, atol=1e-12)
            np.testing.assert_allclose(inner, CAMERA_TO_CUBE, rtol=0, atol=1e-12)
    finally:
        spice.unload(str(fk_path))


def _write_fk(tmp_path: Path, **override: str) -> Path:
    keys = {
        "TKFRAME_-61505_SPEC": "'MATRIX'",
        "TKFRAME_-61505_RELATIVE": "'JUNO_SPACECRAFT'",
        "TKFRAME_-61505_MATRIX": "( -0.0059163 -0.0142817 -0.9998805 0.0023828 -0.9998954 "
        "0.0142678 -0.9999797 -0.0022981 0.0059497 )",
        "TKFRAME_-61500_SPEC": "'ANGLES'",
        "TKFRAME_-61500_RELATIVE": "'JUNO_JUNOCAM_CUBE'",
        "TKFRAME_-61500_ANGLES": "( 0.69, -0.469, 0.583 )",
        "TKFRAME_-61500_AXES": "( 3, 2, 1 )",
        "TKFRAME_-61500_UNITS": "'DEGREES'",
    }
    keys.update(override)
    body = "\n".join(f"{k} = {v}" for k, v in keys.items() if v)
    path = tmp_path / "test.tf"
    path.write_text(f"KPL/FK\n\\begindata\n{body}\n\\begintext\n")
    return path


def test_mounting_from_synthetic_fk(tmp_path: Path) -> None:
    np.testing.assert_array_equal(
        camera_to_spacecraft_from_kernel(_write_fk(tmp_path)), CAMERA_TO_SPACECRAFT
    )
    arcsec = _write_fk(
        tmp_path,
        **{
            "TKFRAME_-61500_ANGLES": "( 2484, -1688.4, 2098.8 )",
            "TKFRAME_-61500_UNITS": "'ARCSECONDS'",
        },
    )
    np.testing.assert_allclose(
        camera_to_spacecraft_from_kernel(arcsec), CAMERA_TO_SPACECRAFT, atol=1e-15
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"TKFRAME_-61500_ANGLES": ""}, "TKFRAME_-61500_ANGLES is missing"),
        ({"TKFRAME_-61505_SPEC": "'QUATERNION'"}, "TKFRAME_-61505_SPEC"),
        ({"TKFRAME_-61500_RELATIVE": "'JUNO_SPACECRAFT'"}, "TKFRAME_-61500_RELATIVE"),
        ({"TKFRAME_-61500_UNITS": "'FURLONGS'"}, "UNITS"),
        ({"TKFRAME_-61505_MATRIX": "( 1 0 0 0 1 0 0 0 )"}, "9 values"),
        ({"TKFRAME_-61500_AXES": "( 3 2 4 )"}, "AXES"),
        ({"TKFRAME_-61500_ANGLES": "( 'a' 0 0 )"}, "numbers"),
    ],
)
def test_bad_fk(tmp_path: Path, override: dict[str, str], message: str) -> None:
    path = _write_fk(tmp_path, **override)
    with pytest.raises(MetadataError, match=message) as info:
        camera_to_spacecraft_from_kernel(path)
    assert str(path) in str(info.value)


def test_missing_fk(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError):
        camera_to_spacecraft_from_kernel(tmp_path / "none.tf")


# -- the spin model ------------------------------------------------------------------------------


def test_default_rate_is_about_two_rpm() -> None:
    assert math.degrees(DEFAULT_SPIN_RATE_RAD_S) == pytest.approx(11.8495)
    assert SPIN_RATE_2RPM_RAD_S == pytest.approx(math.radians(12.0))
    assert SpinPointing().rate_rad_s == DEFAULT_SPIN_RATE_RAD_S


def test_rotations_are_orthonormal_for_any_shape() -> None:
    spin = SpinPointing(phase_rad=1.0, axis_tilt_rad=(0.01, -0.02), time_offset_s=0.05)
    t = np.linspace(-40.0, 40.0, 24).reshape(2, 3, 4)
    r = spin.rotation(t)
    assert r.shape == (2, 3, 4, 3, 3)
    assert r.dtype == np.float64
    assert_rotation(r)
    assert spin.rotation(1.5).shape == (3, 3)


def test_spin_axis_is_left_unchanged() -> None:
    for tilt in [(0.0, 0.0), (0.02, -0.01)]:
        spin = SpinPointing(axis_tilt_rad=tilt)
        t = np.linspace(0.0, 30.0, 7)
        np.testing.assert_allclose(
            spin.camera_to_reference(spin.spin_axis_camera, t),
            np.broadcast_to([0.0, 0.0, 1.0], (7, 3)),
            atol=1e-15,
        )
    np.testing.assert_allclose(SpinPointing().spin_axis_camera, SPIN_AXIS_CAMERA, atol=1e-15)


def test_spin_frame_definition() -> None:
    spin = SpinPointing()
    boresight = spin.camera_to_reference([0.0, 0.0, 1.0], 0.0)
    assert boresight[1] == pytest.approx(0.0, abs=1e-15)  # in the X-Z plane
    assert boresight[0] > 0.9999  # on the +X side, nearly perpendicular to the spin axis
    # the spin axis is spacecraft +Z
    sc_z = spin.camera_to_reference(CAMERA_TO_SPACECRAFT.T @ [0.0, 0.0, 1.0], 12.0)
    np.testing.assert_allclose(sc_z, [0.0, 0.0, 1.0], atol=1e-15)


def test_spin_angle_advances_at_the_rate() -> None:
    spin = SpinPointing(rate_rad_s=0.2, phase_rad=-0.3)
    t = np.array([0.0, 0.5, 2.0, 3.0])
    azimuth = spin_angle_of(spin.camera_to_reference([0.0, 0.0, 1.0], t))
    np.testing.assert_allclose(azimuth, -0.3 + 0.2 * t, atol=1e-14)
    np.testing.assert_allclose(spin.spin_angle(t), -0.3 + 0.2 * t)
    backwards = dataclasses.replace(spin, sense=-1)
    np.testing.assert_allclose(backwards.spin_angle(t), -0.3 - 0.2 * t)


def test_time_derivative_is_the_spin_rate() -> None:
    for sense in (1, -1):
        spin = SpinPointing(phase_rad=0.4, sense=sense, axis_tilt_rad=(0.003, 0.004))
        t, h = 3.7, 1e-4
        r = spin.rotation(t)
        rdot = (spin.rotation(t + h) - spin.rotation(t - h)) / (2 * h)
        omega = rdot @ r.T  # skew matrix of the angular velocity in the reference frame
        np.testing.assert_allclose(omega, -omega.T, atol=1e-9)
        w = np.array([omega[2, 1], omega[0, 2], omega[1, 0]])
        np.testing.assert_allclose(w, [0.0, 0.0, sense * DEFAULT_SPIN_RATE_RAD_S], atol=1e-9)


def test_juno_spins_positively_about_spacecraft_z() -> None:
    # angular velocity in spacecraft coordinates: +rate along +Z_sc (FK "Spin Direction")
    spin = SpinPointing()
    r0 = spin.rotation(0.0)
    h = 1e-4
    rdot = (spin.rotation(h) - spin.rotation(-h)) / (2 * h)
    omega_cam = r0.T @ rdot  # body-frame skew matrix
    w_cam = np.array([omega_cam[2, 1], omega_cam[0, 2], omega_cam[1, 0]])
    np.testing.assert_allclose(
        CAMERA_TO_SPACECRAFT @ w_cam, [0.0, 0.0, DEFAULT_SPIN_RATE_RAD_S], atol=1e-9
    )


@pytest.mark.parametrize("filter_name", ["METHANE", "BLUE", "GREEN", "RED"])
def test_scene_moves_about_114_rows_per_frame(filter_name: str) -> None:
    camera = CameraModel.default()
    spin = SpinPointing(phase_rad=0.7)
    fl = camera[filter_name].fl_px
    expected = DEFAULT_SPIN_RATE_RAD_S * DT * fl
    assert expected == pytest.approx(114.2, abs=0.5)
    x = np.array([826.5, 826.5, 500.0])
    y = np.array([120.0, 125.0, 118.0])
    for k in (0, 5):
        d = spin.camera_to_reference(camera.pixel_to_ray(x, y, filter_name), k * DT)
        x2, y2 = camera.ray_to_pixel(spin.reference_to_camera(d, (k + 1) * DT), filter_name)
        # towards lower rows, by rate * dt * fl (to ~1 % away from the optical centre)
        np.testing.assert_allclose(y - y2, expected, rtol=0.02)
        # columns drift a little: rows far from the optical centre (METHANE, RED) see the spin
        # as a rotation about an axis that is not parallel to the image plane
        np.testing.assert_allclose(x2, x, atol=5.0)
        overlap = 128 - (y - y2)
        assert np.all((overlap > 10) & (overlap < 18))


def test_opposite_sense_moves_the_scene_up() -> None:
    camera = CameraModel.default()
    spin = SpinPointing(sense=-1)
    d = spin.camera_to_reference(camera.pixel_to_ray(826.5, 5.0, "GREEN"), 0.0)
    _, y2 = camera.ray_to_pixel(spin.reference_to_camera(d, DT), "GREEN")
    assert float(y2) == pytest.approx(5.0 + 114.2, abs=1.0)


def test_reference_to_camera_inverts_camera_to_reference() -> None:
    spin = SpinPointing(phase_rad=2.0, axis_tilt_rad=(0.01, 0.02))
    rng = np.random.default_rng(1)
    v = rng.normal(size=(6, 3))
    t = rng.uniform(0, 10, size=6)
    back = spin.reference_to_camera(spin.camera_to_reference(v, t), t)
    np.testing.assert_allclose(back, v, atol=1e-14)
    # one vector, many times
    many = spin.camera_to_reference([0.0, 0.0, 1.0], np.zeros((2, 5)))
    assert many.shape == (2, 5, 3)


def test_axis_tilt_moves_the_boresight_along_the_spin_axis() -> None:
    b = 0.01
    base = SpinPointing().camera_to_reference([0.0, 0.0, 1.0], 0.0)
    tilted = SpinPointing(axis_tilt_rad=(0.0, b)).camera_to_reference([0.0, 0.0, 1.0], 0.0)
    assert math.asin(tilted[2]) == pytest.approx(math.asin(base[2]) - b, abs=1e-12)
    # a twist about X turns the CCD lines relative to the spin axis
    line = SpinPointing().camera_to_reference([1.0, 0.0, 0.0], 0.0)
    twisted = SpinPointing(axis_tilt_rad=(b, 0.0)).camera_to_reference([1.0, 0.0, 0.0], 0.0)
    assert twisted[1] - line[1] == pytest.approx(math.sin(b), abs=1e-6)


def test_time_offsets() -> None:
    t = np.array([0.0, 1.0, 4.0])
    plain = SpinPointing()
    shifted = SpinPointing(time_offset_s=0.02)
    np.testing.assert_allclose(shifted.rotation(t), plain.rotation(t + 0.02), atol=1e-15)
    jitter = interpolated_offsets([0.0, 4.0], [0.0, 0.04])
    fn = SpinPointing(time_offset_fn=jitter)
    np.testing.assert_allclose(fn.rotation(t), plain.rotation(t + 0.01 * t), atol=1e-15)
    assert fn == plain  # the function is not compared


def test_interpolated_offsets_validates() -> None:
    with pytest.raises(ValueError, match="increasing"):
        interpolated_offsets([1.0, 0.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="same"):
        interpolated_offsets([0.0, 1.0], [0.0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_rad_s": 0.0},
        {"rate_rad_s": float("nan")},
        {"sense": 0},
        {"axis_tilt_rad": (0.1,)},
        {"phase_rad": float("inf")},
    ],
)
def test_spin_pointing_validates(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SpinPointing(**kwargs)  # type: ignore[arg-type]


def test_spin_pointing_is_frozen_hashable_and_keeps_its_epoch() -> None:
    epoch = Time("2022-07-05T12:17:39.223", scale="utc")
    spin = SpinPointing(epoch=epoch)
    assert spin.epoch is epoch
    assert spin == SpinPointing(epoch=epoch)
    assert isinstance(hash(SpinPointing()), int)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spin.phase_rad = 1.0  # type: ignore[misc]
    m = spin.camera_to_spin
    m[0, 0] = 5.0  # a copy: the model is unaffected
    assert spin.camera_to_spin[0, 0] != 5.0


def test_pointing_is_abstract() -> None:
    with pytest.raises(TypeError):
        Pointing()  # type: ignore[abstract]

    class Fixed(Pointing):
        epoch = None

        def rotation(self, t):  # type: ignore[no-untyped-def]
            return np.broadcast_to(CAMERA_TO_SPACECRAFT, (*np.shape(t), 3, 3))

    np.testing.assert_allclose(
        Fixed().camera_to_reference([0.0, 0.0, 1.0], 0.0), CAMERA_TO_SPACECRAFT[:, 2]
    )


def test_spin_angle_of() -> None:
    v = np.array([[1.0, 0.0, 3.0], [0.0, 2.0, -1.0], [-1.0, -1e-300, 0.0]])
    np.testing.assert_allclose(spin_angle_of(v), [0.0, math.pi / 2, -math.pi])
    with pytest.raises(ValueError, match="3"):
        spin_angle_of([1.0, 2.0])


# -- frame times ---------------------------------------------------------------------------------


def _meta():
    return parse_metadata({
        "PRODUCT_ID": "JNCE_2022186_43C00080_V01", "START_TIME": "2022-07-05T12:17:39.223",
        "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "9.6 <ms>",
        "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 4608,
    })  # fmt: skip


def test_frame_times() -> None:
    meta = _meta()
    t = frame_times(meta)
    assert t.shape == (12,)
    assert t.dtype == np.float64
    np.testing.assert_allclose(t, 0.06188 + np.arange(12) * 0.373, rtol=0, atol=1e-12)
    centre = frame_times(meta, CameraModel.default(), exposure_centre=True)
    np.testing.assert_allclose(centre - t, 0.0048, atol=1e-12)
    np.testing.assert_allclose(frame_times(meta, frames=[0, 11]), t[[0, 11]])


def test_frame_times_use_the_camera_timing() -> None:
    camera = dataclasses.replace(
        CameraModel.default(), start_time_bias_s=0.0, interframe_delta_s=0.0
    )
    np.testing.assert_allclose(frame_times(_meta(), camera)[:3], [0.0, 0.372, 0.744], atol=1e-12)
