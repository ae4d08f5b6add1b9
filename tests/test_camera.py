"""Tests of junoproc.camera: the IK camera model, pixel conventions and the text-kernel reader."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from junoproc.camera import (
    FILTER_NAIF_IDS,
    PHOTOACTIVE_COLUMNS,
    CameraModel,
    FilterGeometry,
    from_ik_coordinates,
    parse_text_kernel,
    pixel_to_ray,
    ray_to_pixel,
    read_text_kernel,
    to_ik_coordinates,
)
from junoproc.exceptions import MetadataError, MissingFileError, UnknownFilterError
from junoproc.metadata import FILTERS, parse_metadata

from .conftest import IK, require_shared

#: The IK's FOV corners are computed "for pixels (23.5,0.5), (23.5,127.5), (1630.5,127.5), and
#: (1630.5,0.5)" in its corner-origin coordinates: the centres of the outermost photoactive
#: pixels, which junoproc calls (23, 0), (23, 127), (1630, 127), (1630, 0).
CORNERS_IK = np.array([[23.5, 0.5], [23.5, 127.5], [1630.5, 127.5], [1630.5, 0.5]])
BORESIGHT_IK = np.array([827.0, 64.0])

#: The IK prints unit vectors to 8 decimals: each component is off by at most 5e-9, so the
#: direction by at most sqrt(3) * 5e-9 = 8.7e-9 rad.
IK_PRINT_TOLERANCE_RAD = 1e-8


@pytest.fixture(scope="module")
def ik_path() -> Path:
    return require_shared(IK, "the real IK")


@pytest.fixture(scope="module")
def camera() -> CameraModel:
    return CameraModel.default()


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians, accurate for tiny angles (atan2 of |a x b| and a.b)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


# -- constants -----------------------------------------------------------------------------------


def test_default_constants(camera: CameraModel) -> None:
    assert camera.filter_names == FILTERS == ("METHANE", "BLUE", "GREEN", "RED")
    expected_cy = {"METHANE": 315.48, "BLUE": 158.48, "GREEN": 3.48, "RED": -151.52}
    for name in FILTERS:
        g = camera[name]
        assert g.naif_id == FILTER_NAIF_IDS[name]
        assert g.cx == 814.21
        assert g.cy == expected_cy[name]
        assert g.fl_px == pytest.approx(1480.5905, abs=5e-5)
        assert g.k1 == -5.9624209455667325e-08
        assert g.k2 == 2.7381910042256151e-14
    assert camera.start_time_bias_s == 0.06188
    assert camera.interframe_delta_s == 0.001
    assert (camera.framelet_lines, camera.line_samples) == (128, 1648)
    assert FILTER_NAIF_IDS == {"METHANE": -61504, "BLUE": -61501, "GREEN": -61502, "RED": -61503}


def test_photoactive_columns() -> None:
    line = np.arange(1648)
    active = line[PHOTOACTIVE_COLUMNS]
    assert active.size == 1608
    assert (active[0], active[-1]) == (23, 1630)


def test_filter_lookup_is_case_insensitive_and_rejects_unknown(camera: CameraModel) -> None:
    assert camera["green"] is camera.geometry("GREEN")
    with pytest.raises(UnknownFilterError, match="UV"):
        camera.geometry("UV")
    with pytest.raises(UnknownFilterError):
        pixel_to_ray(0, 0, "CLEAR")


def test_filter_geometry_validates() -> None:
    good = CameraModel.default()["RED"]
    with pytest.raises(ValueError, match="positive"):
        dataclasses.replace(good, focal_length_mm=0.0)
    with pytest.raises(ValueError, match="finite"):
        dataclasses.replace(good, k1=float("nan"))
    with pytest.raises(ValueError, match="duplicate"):
        CameraModel(filters=(good, good))


# -- pixel convention ----------------------------------------------------------------------------


def test_ik_coordinates_put_pixel_centres_at_half_integers() -> None:
    X, Y = to_ik_coordinates([0, 23, 1630], [0, 0, 127])
    np.testing.assert_array_equal(X, [0.5, 23.5, 1630.5])
    np.testing.assert_array_equal(Y, [0.5, 0.5, 127.5])
    # pixel 0 spans [-0.5, 0.5) in junoproc and [0, 1) in the IK
    X, Y = to_ik_coordinates(-0.5, 0.5)
    assert (float(X), float(Y)) == (0.0, 1.0)
    x, y = from_ik_coordinates(*to_ik_coordinates([3.25, 7.0], [100.0, -2.0]))
    np.testing.assert_allclose(x, [3.25, 7.0])
    np.testing.assert_allclose(y, [100.0, -2.0])


def test_summed_pixels_are_twice_as_large() -> None:
    # summed pixel j covers un-summed corner coordinates [2j, 2j + 2): centre 2j + 1
    X, Y = to_ik_coordinates([0, 1, 411], [0, 63, 10], sampling_factor=2)
    np.testing.assert_array_equal(X, [1.0, 3.0, 823.0])
    np.testing.assert_array_equal(Y, [1.0, 127.0, 21.0])
    x, y = from_ik_coordinates(X, Y, sampling_factor=2)
    np.testing.assert_array_equal(x, [0, 1, 411])
    np.testing.assert_array_equal(y, [0, 63, 10])


def test_summed_ray_is_the_ray_between_the_summed_pixels(camera: CameraModel) -> None:
    j = np.array([11.0, 400.0, 815.0])
    i = np.array([0.0, 31.0, 63.0])
    summed = camera.pixel_to_ray(j, i, "BLUE", sampling_factor=2)
    # the centre of summed pixel j is the corner shared by un-summed pixels 2j and 2j + 1
    full = camera.pixel_to_ray(2 * j + 0.5, 2 * i + 0.5, "BLUE")
    np.testing.assert_allclose(summed, full, rtol=0, atol=1e-15)
    x, y = camera.ray_to_pixel(summed, "BLUE", sampling_factor=2)
    np.testing.assert_allclose(x, j, atol=1e-9)
    np.testing.assert_allclose(y, i, atol=1e-9)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_sampling_factor(bad: object) -> None:
    with pytest.raises(ValueError, match="sampling_factor"):
        to_ik_coordinates(0, 0, sampling_factor=bad)  # type: ignore[arg-type]


def test_optical_centre_is_the_z_axis(camera: CameraModel) -> None:
    for name in FILTERS:
        g = camera[name]
        np.testing.assert_allclose(
            camera.pixel_to_ray(g.cx - 0.5, g.cy - 0.5, name), [0, 0, 1], atol=1e-15
        )
        x, y = camera.ray_to_pixel([0.0, 0.0, 2.0], name)
        assert (float(x), float(y)) == pytest.approx((g.cx - 0.5, g.cy - 0.5), abs=1e-12)


def test_axes_follow_the_ik_diagram(camera: CameraModel) -> None:
    # +X along increasing sample, +Y along increasing row, METHANE above (-Y) RED
    v = camera.pixel_to_ray([23, 1630, 826.5, 826.5], [64, 64, 0, 127], "GREEN")
    assert v[0, 0] < -0.45 < 0.45 < v[1, 0]
    assert v[2, 1] < v[3, 1]
    centres = {n: camera.pixel_to_ray(826.5, 63.5, n)[1] for n in FILTERS}
    assert centres["METHANE"] < centres["BLUE"] < 0 < centres["GREEN"] < centres["RED"]


def test_distortion_size_at_the_corners(camera: CameraModel) -> None:
    # the reference quotes ~22-27 px radial shift at the framelet corners
    for name in FILTERS:
        g = camera[name]
        X, Y = to_ik_coordinates(CORNERS_IK[:, 0] - 0.5, CORNERS_IK[:, 1] - 0.5)
        u, w = g.undistort(X - g.cx, Y - g.cy)
        shift = np.hypot(u, w) - np.hypot(X - g.cx, Y - g.cy)
        assert np.all((shift > 20) & (shift < 30))


# -- acceptance: round trip and the IK's FOV vectors ---------------------------------------------


def test_round_trip_every_photoactive_pixel(camera: CameraModel) -> None:
    rows, cols = np.mgrid[0:128, PHOTOACTIVE_COLUMNS].astype(np.float64)
    assert rows.shape == (128, 1608)
    worst = 0.0
    for name in FILTERS:
        v = camera.pixel_to_ray(cols, rows, name)
        assert v.shape == (128, 1608, 3)
        assert v.dtype == np.float64
        np.testing.assert_allclose(np.linalg.norm(v, axis=-1), 1.0, atol=1e-15)
        x, y = camera.ray_to_pixel(v, name)
        worst = max(worst, float(np.max(np.hypot(x - cols, y - rows))))
    assert worst < 1e-3
    assert worst < 1e-9  # what it actually achieves (Newton to 1e-10 px)


def test_round_trip_summed_framelets(camera: CameraModel) -> None:
    rows, cols = np.mgrid[0:64, 11:816].astype(np.float64)
    for name in FILTERS:
        v = camera.pixel_to_ray(cols, rows, name, sampling_factor=2)
        x, y = camera.ray_to_pixel(v, name, sampling_factor=2)
        assert np.max(np.hypot(x - cols, y - rows)) < 1e-9


def test_round_trip_far_outside_the_framelet(camera: CameraModel) -> None:
    # the whole 1648 x 1200 CCD and beyond: the inverse stays unique and converges
    y, x = np.mgrid[-700:900:50, -300:2000:50].astype(np.float64)
    v = camera.pixel_to_ray(x, y, "GREEN")
    x2, y2 = camera.ray_to_pixel(v, "GREEN")
    assert np.max(np.hypot(x2 - x, y2 - y)) < 1e-6


def test_fov_corners_and_boresight_match_the_ik(camera: CameraModel, ik_path: Path) -> None:
    pool = read_text_kernel(ik_path)
    for name in FILTERS:
        naif = FILTER_NAIF_IDS[name]
        corners = np.array(pool[f"INS{naif}_FOV_BOUNDARY_CORNERS"]).reshape(4, 3)
        boresight = np.array(pool[f"INS{naif}_BORESIGHT"])
        x, y = from_ik_coordinates(CORNERS_IK[:, 0], CORNERS_IK[:, 1])
        np.testing.assert_array_equal(x, [23, 23, 1630, 1630])
        np.testing.assert_array_equal(y, [0, 127, 127, 0])
        ours = camera.pixel_to_ray(x, y, name)
        assert np.max(angle_between(ours, corners)) < IK_PRINT_TOLERANCE_RAD
        bx, by = from_ik_coordinates(*BORESIGHT_IK)
        assert angle_between(camera.pixel_to_ray(bx, by, name), boresight) < IK_PRINT_TOLERANCE_RAD
        # Feeding the IK's numbers in as junoproc coordinates (i.e. ignoring the half-pixel
        # convention shift) misses by ~0.4 mrad, far outside the print precision.
        wrong = camera.pixel_to_ray(CORNERS_IK[:, 0], CORNERS_IK[:, 1], name)
        assert np.min(angle_between(wrong, corners)) > 3e-4


def test_total_fov_polygon_is_the_band_corners(ik_path: Path) -> None:
    # the -61500 polygon runs down the left edges, then up the right edges of the four bands
    pool = read_text_kernel(ik_path)
    total = np.array(pool["INS-61500_FOV_BOUNDARY_CORNERS"]).reshape(16, 3)
    bands = [
        np.array(pool[f"INS{FILTER_NAIF_IDS[n]}_FOV_BOUNDARY_CORNERS"]).reshape(4, 3)
        for n in FILTERS
    ]
    left = np.concatenate([b[:2] for b in bands])
    right = np.concatenate([b[2:] for b in bands[::-1]])
    np.testing.assert_array_equal(total, np.concatenate([left, right]))


def test_broadcasting_and_scalars(camera: CameraModel) -> None:
    v = camera.pixel_to_ray(np.arange(5.0)[:, None], np.arange(3.0)[None, :], "RED")
    assert v.shape == (5, 3, 3)
    assert camera.pixel_to_ray(100, 50, "RED").shape == (3,)
    x, y = camera.ray_to_pixel(v, "RED")
    assert x.shape == y.shape == (5, 3)
    x, y = ray_to_pixel(v[0, 0], "RED")
    assert np.ndim(x) == 0
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\)"):
        camera.ray_to_pixel([1.0, 2.0], "RED")


def test_rays_behind_the_camera_give_nan_without_warnings(camera: CameraModel) -> None:
    x, y = camera.ray_to_pixel([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], "GREEN")
    assert np.isnan(x[:2]).all()
    assert np.isnan(y[:2]).all()
    assert np.isfinite(x[2])
    assert np.isfinite(y[2])
    v = camera.pixel_to_ray([np.nan, 10.0], [0.0, np.inf], "GREEN")
    assert np.isnan(v).all()


def test_module_functions_use_the_given_camera(camera: CameraModel) -> None:
    moved = camera.with_methane_cy(300.0)
    a = pixel_to_ray(10.0, 10.0, "METHANE")
    b = pixel_to_ray(10.0, 10.0, "METHANE", camera=moved)
    assert angle_between(a, b) > 0.005
    x, y = ray_to_pixel(b, "METHANE", camera=moved)
    assert (float(x), float(y)) == pytest.approx((10.0, 10.0), abs=1e-9)


# -- per-product adjustments ---------------------------------------------------------------------


def test_with_methane_cy_changes_only_methane(camera: CameraModel) -> None:
    moved = camera.with_methane_cy(320.25)
    assert moved["METHANE"].cy == 320.25
    for name in ("BLUE", "GREEN", "RED"):
        assert moved[name] == camera[name]
    assert camera["METHANE"].cy == 315.48  # unchanged: frozen, copied
    assert moved != camera


def _meta(rationale: str | None):
    raw = {
        "PRODUCT_ID": "JNCE_2022186_43M00081_V01", "START_TIME": "2022-07-05T12:17:39.223",
        "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "102.4 <ms>",
        "FILTER_NAME": ["METHANE"], "LINES": 1536,
    }  # fmt: skip
    if rationale is not None:
        raw["RATIONALE_DESC"] = rationale
    return parse_metadata(raw)


def test_for_metadata_applies_the_methane_override(camera: CameraModel) -> None:
    plain = _meta(None)
    assert plain.methane_cy_override is None
    assert camera.for_metadata(plain) is camera
    override = _meta("Methane swath INS-61504_DISTORTION_Y = 309.5 (blooming mitigation)")
    assert override.methane_cy_override == 309.5
    assert camera.for_metadata(override)["METHANE"].cy == 309.5


# -- reading kernels -----------------------------------------------------------------------------


def test_from_real_kernel_equals_default(camera: CameraModel, ik_path: Path) -> None:
    from_ik = CameraModel.from_kernel(ik_path)
    assert from_ik == camera
    assert from_ik.source == str(ik_path)
    assert camera.source == "built-in"


def test_read_real_kernel_values(ik_path: Path) -> None:
    pool = read_text_kernel(ik_path)
    assert pool["INS-61502_FOV_FRAME"] == ("JUNO_JUNOCAM",)
    assert pool["INS-61503_DISTORTION_Y"] == (-151.52,)
    assert len(pool["INS-61500_FOV_BOUNDARY_CORNERS"]) == 48
    # the PDS label and the comments are not data
    assert "PDS_VERSION_ID" not in pool
    assert not any(k.startswith("cx") for k in pool)


def test_parse_kernel_syntax() -> None:
    text = "\n".join([
        "KPL/IK",
        "A = 1  this is a comment, not data",
        "\\begindata",
        "   A = ( 1.0D-3, -2.5d+2 3 )",
        "   B = 'it''s'",
        "   C = (",
        "         4.0E0",
        "         .5 )",
        "   A += ( 7 )",
        "   D = @2016-JUL-04",
        "   E = ()",
        "\\begintext",
        "   F = ( this is prose",
        "\\begindata",
        "   G=-1 H+=+2",
        "\\begintext",
    ])  # fmt: skip
    pool = parse_text_kernel(text)
    assert pool == {
        "A": (1e-3, -250.0, 3.0, 7.0),
        "B": ("it's",),
        "C": (4.0, 0.5),
        "D": ("@2016-JUL-04",),
        "E": (),
        "G": (-1.0,),
        "H": (2.0,),
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("A = ( 1 2", "unclosed"),
        ("A 1", "expected '=' or '\\+='"),
        ("= 1", "expected a keyword name"),
        ("A = twelve", "cannot read 'twelve'"),
        ("A =", "has no value"),
        ("A = ( 1 = 2 )", "unexpected '='"),
        ("A = 1 ; B = 2", "after ;"),
        ("A = 'open", "unterminated string"),
    ],
)
def test_parse_kernel_errors(data: str, message: str) -> None:
    text = f"\\begindata\n{data}\n\\begintext\n"
    with pytest.raises(MetadataError, match=message) as info:
        parse_text_kernel(text, source="bad.ti")
    assert "bad.ti, line 2" in str(info.value)


def test_missing_kernel_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match=r"nope\.ti"):
        CameraModel.from_kernel(tmp_path / "nope.ti")
    with pytest.raises(FileNotFoundError):  # also a built-in FileNotFoundError
        read_text_kernel(tmp_path / "nope.ti")


def _write_kernel(tmp_path: Path, drop: str = "", extra: str = "") -> Path:
    lines = ["KPL/IK", "\\begindata"]
    for name in FILTERS:
        n = FILTER_NAIF_IDS[name]
        g = CameraModel.default()[name]
        values = {
            "FOCAL_LENGTH": "( 10.95637 )", "PIXEL_SIZE": "( 0.0074 )",
            "DISTORTION_K1": "-5.9624209455667325D-08", "DISTORTION_K2": "2.7381910042256151D-14",
            "DISTORTION_X": repr(g.cx), "DISTORTION_Y": repr(g.cy),
        }  # fmt: skip
        for key, value in values.items():
            lines.append(f"INS{n}_{key} = {value}")
    lines += ["INS-61500_START_TIME_BIAS = 0.06188", "INS-61500_INTERFRAME_DELTA = 0.001", extra]
    lines.append("\\begintext")
    text = "\n".join(line for line in lines if not (drop and line.startswith(drop)))
    path = tmp_path / "test.ti"
    path.write_text(text)
    return path


def test_from_synthetic_kernel(tmp_path: Path) -> None:
    assert CameraModel.from_kernel(_write_kernel(tmp_path)) == CameraModel.default()
    changed = CameraModel.from_kernel(_write_kernel(tmp_path, extra="INS-61504_DISTORTION_Y = 300"))
    assert changed["METHANE"].cy == 300.0  # later assignments win


@pytest.mark.parametrize(
    "keyword",
    ["INS-61502_DISTORTION_K2", "INS-61504_FOCAL_LENGTH", "INS-61500_START_TIME_BIAS"],
)
def test_missing_keyword_names_kernel_and_keyword(tmp_path: Path, keyword: str) -> None:
    path = _write_kernel(tmp_path, drop=keyword)
    with pytest.raises(MetadataError, match=keyword) as info:
        CameraModel.from_kernel(path)
    assert str(path) in str(info.value)


def test_malformed_keyword_values(tmp_path: Path) -> None:
    path = _write_kernel(tmp_path, extra="INS-61501_PIXEL_SIZE = ( 0.0074 0.0074 )")
    with pytest.raises(MetadataError, match="INS-61501_PIXEL_SIZE must be one number"):
        CameraModel.from_kernel(path)
    path = _write_kernel(tmp_path, extra="INS-61503_DISTORTION_X = 'centre'")
    with pytest.raises(MetadataError, match="INS-61503_DISTORTION_X"):
        CameraModel.from_kernel(path)


def test_inconsistent_band_timing(tmp_path: Path) -> None:
    path = _write_kernel(tmp_path, extra="INS-61502_START_TIME_BIAS = 0.07")
    with pytest.raises(MetadataError, match="INS-61502_START_TIME_BIAS"):
        CameraModel.from_kernel(path)


def test_filter_geometry_is_hashable_and_frozen(camera: CameraModel) -> None:
    g = camera["RED"]
    assert isinstance(g, FilterGeometry)
    assert hash(g) == hash(dataclasses.replace(g))
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.cy = 0.0  # type: ignore[misc]
