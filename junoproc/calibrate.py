"""Self-calibration of the spin model from the image itself.

Only the spin angle between frames is observable from a raw strip alone: the spin rate
and the IK's interframe correction are degenerate, and a constant start-time error
(the IK's "jitter of order 20 msec") is a rotation of the whole picture about the spin
axis, invisible without an outside reference. So junoproc fits, per image:

* the **spin rate** and the **twist** of the CCD lines about the boresight, from the
  ~14 rows by which consecutive framelets of one filter overlap (:func:`fit_spin_rate`;
  on the framelets themselves, no rendering);
* each filter's **optical-centre offset** against GREEN, from GREEN's most textured pixels
  found again, through the spin model, in the other filters' framelets
  (:func:`fit_filter_offsets`; also on the framelets; ``calibrate="offsets"``, the default
  of :func:`junoproc.process`): it takes out what changes from image to image, such as
  the parallax of the moving spacecraft between the filters' views;

and, optionally (:func:`fit_filter_terms`, ``calibrate="full"``), from features seen through
different filters in a rendered panorama:

* each filter's **magnification along the framelet rows** (from the same-filter overlaps),
  **optical-centre offset** and **magnification across the lines** relative to GREEN
  (lateral chromatic aberration).

:data:`CAMERA_CORRECTIONS` holds what :func:`geometry_for` starts from (and so
:func:`junoproc.process`): the twist and the BLUE/RED offsets and magnifications measured
on the PJ43/PJ44 products (``docs/scripts/fit_camera_corrections.py``; see
``docs/geometry.md``).

Examples
--------
>>> import numpy as np
>>> from junoproc.camera import CameraModel
>>> from junoproc.pointing import SpinPointing
>>> from junoproc.render import StripGeometry
>>> geom = apply_corrections(StripGeometry(CameraModel.default(), SpinPointing(),
...     np.arange(3) * 0.373, ("BLUE", "GREEN", "RED")), CAMERA_CORRECTIONS)
>>> geom.pointing.axis_tilt_rad == CAMERA_CORRECTIONS.axis_tilt_rad
True
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._accel import erode, opencv
from .camera import PHOTOACTIVE_COLUMNS
from .exceptions import JunoprocWarning
from .framelets import FilterStack
from .pointing import _rows_times
from .render import StripGeometry

__all__ = [
    "CAMERA_CORRECTIONS",
    "CalibrationWarning",
    "CameraCorrections",
    "FilterFit",
    "SpinFit",
    "SpinOverlaps",
    "apply_corrections",
    "corrected_camera",
    "fit_filter_offsets",
    "fit_filter_terms",
    "fit_spin_rate",
    "geometry_for",
    "spin_overlaps",
]

logger = logging.getLogger(__name__)

#: Linear DN above which pixels are treated as saturated (the SQROOT table tops out at 2879;
#: lossy-compressed products plateau from about 2500).
SATURATION_DN = 2300.0

#: Tile size of the cross-filter matches in :func:`fit_filter_terms`. Measured on the PJ43/44
#: RGB products: 48-px tiles at a 24-px step gave about twice the matches of 64/32 and
#: pooled misregistration 0.16/0.54 px (median/p90) instead of 0.19/1.09 px on 43C00080.
MATCH_TILE_PX = 48


class CalibrationWarning(JunoprocWarning):
    """The image could not constrain a calibration; nominal values were kept."""


@dataclasses.dataclass(frozen=True)
class CameraCorrections:
    """Small corrections of the camera model and its mounting, fitted from images.

    Attributes
    ----------
    axis_tilt_rad : (float, float)
        Mounting correction (twist about the boresight, boresight elevation); see
        :class:`junoproc.pointing.SpinPointing`.
    centre_offset_px : mapping of str -> (float, float)
        Shift of each filter's optical centre (dx, dy) in framelet pixels.
    focal_scale : mapping of str -> float
        Factor on each filter's focal length.
    y_scale : mapping of str -> float
        Factor on each filter's :attr:`~junoproc.camera.FilterGeometry.y_scale` (magnification
        along the framelet rows only, about the optical centre).
    source : str
        Where the values come from.
    """

    axis_tilt_rad: tuple[float, float] = (0.0, 0.0)
    centre_offset_px: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    focal_scale: Mapping[str, float] = dataclasses.field(default_factory=dict)
    source: str = "none"
    y_scale: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly dictionary of the values."""
        return {
            "axis_tilt_mrad": [round(a * 1e3, 4) for a in self.axis_tilt_rad],
            "centre_offset_px": {
                k: [round(v, 4) for v in xy] for k, xy in self.centre_offset_px.items()
            },
            "focal_scale": {k: round(v, 6) for k, v in self.focal_scale.items()},
            "y_scale": {k: round(v, 6) for k, v in self.y_scale.items()},
            "source": self.source,
        }


#: The starting corrections of every product: the CCD twist measured by :func:`fit_spin_rate`
#: and the BLUE and RED terms (relative to GREEN) measured by ``calibrate="full"`` on the
#: PJ43/PJ44 RGB products.
CAMERA_CORRECTIONS = CameraCorrections(
    # CCD twist about the boresight: median of fit_spin_rate over the five PJ43/PJ44 RGB
    # products (-4.86, -5.19, -6.12, -5.97, -3.64 mrad); see docs/geometry.md
    axis_tilt_rad=(-5.19e-3, 0.0),
    # medians of fit_filter_terms over the same five products, from the twist alone
    # (docs/scripts/fit_camera_corrections.py): BLUE dx -0.42..+0.49, dy -0.14..-0.01;
    # RED dx -1.41..+0.74 (PJ43 negative, PJ44 positive: parallax?), dy -0.52..-0.19
    centre_offset_px={"BLUE": (-0.25, -0.12), "RED": (0.39, -0.24)},
    # same fits, magnification across the lines: BLUE 0.99946..1.00100, RED 0.99607..1.00127
    focal_scale={"BLUE": 0.99983, "RED": 1.00098},
    # same fits, along the rows: focal_scale * y_scale relative to GREEN is BLUE
    # 0.99632..0.99878 (median 0.99739), RED 1.00147..1.00340 (median 1.00168); divided by
    # the mean over BLUE, GREEN and RED (0.99969), which the spin rate absorbs
    y_scale={"BLUE": 0.997869, "GREEN": 1.000310, "RED": 1.001003},
    source="twist and BLUE/RED terms fitted over the PJ43/PJ44 RGB products; IK and FK values "
    "otherwise",
)


def corrected_camera(camera: Any, corrections: CameraCorrections) -> Any:
    """``camera`` with the per-filter offsets and magnifications of ``corrections`` applied.

    Parameters
    ----------
    camera : CameraModel
    corrections : CameraCorrections

    Returns
    -------
    CameraModel

    Examples
    --------
    >>> from junoproc.camera import CameraModel
    >>> cam = corrected_camera(CameraModel.default(), CAMERA_CORRECTIONS)
    >>> round(cam.geometry("RED").cx - CameraModel.default().geometry("RED").cx, 2)
    0.39
    """
    filters = []
    for g in camera.filters:
        dx, dy = corrections.centre_offset_px.get(g.name, (0.0, 0.0))
        s = corrections.focal_scale.get(g.name, 1.0)
        sy = corrections.y_scale.get(g.name, 1.0)
        filters.append(
            dataclasses.replace(
                g,
                cx=g.cx + dx,
                cy=g.cy + dy,
                focal_length_mm=g.focal_length_mm * s,
                y_scale=g.y_scale * sy,
            )
        )
    return dataclasses.replace(camera, filters=tuple(filters))


def apply_corrections(geometry: StripGeometry, corrections: CameraCorrections) -> StripGeometry:
    """A geometry whose camera and mounting carry ``corrections``.

    The per-filter terms are applied to the geometry's camera (:func:`corrected_camera`);
    the mounting angles replace the pointing's.

    Parameters
    ----------
    geometry : StripGeometry
    corrections : CameraCorrections

    Returns
    -------
    StripGeometry
    """
    camera = corrected_camera(geometry.camera, corrections)
    pointing = dataclasses.replace(
        geometry.pointing, axis_tilt_rad=tuple(corrections.axis_tilt_rad)
    )
    return dataclasses.replace(geometry, camera=camera, pointing=pointing)


@dataclasses.dataclass(frozen=True)
class SpinFit:
    """Result of :func:`fit_spin_rate`.

    Attributes
    ----------
    rate_rad_s : float
        Fitted spin rate (or the starting value when ``status`` is ``"nominal"``).
    start_rate_rad_s : float
    status : str
        ``"fitted"`` or ``"nominal"`` (too little structure to fit).
    residual_px : float
        Robust RMS of the remaining along-spin misfit between overlapping framelets,
        in pixels (from per-overlap shifts), NaN when not fitted.
    pair_shift_px : tuple of float
        Remaining shift (along the spin) of each usable overlap, pixels.
    n_pixels : int
        Overlap pixels used.
    iterations : int
    twist_rad : float
        Fitted (or starting) twist of the CCD lines about the boresight.
    focal_scale : mapping of str -> float
        Magnifications fitted with ``fit_scale`` (empty otherwise).
    """

    rate_rad_s: float
    start_rate_rad_s: float
    status: str
    residual_px: float
    pair_shift_px: tuple[float, ...]
    n_pixels: int
    iterations: int
    twist_rad: float = math.nan
    focal_scale: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly dictionary."""
        return {
            "spin_rate_deg_s": math.degrees(self.rate_rad_s),
            "start_spin_rate_deg_s": math.degrees(self.start_rate_rad_s),
            "status": self.status,
            "overlap_residual_px": self.residual_px,
            "overlap_shift_px": [round(s, 4) for s in self.pair_shift_px],
            "n_pixels": self.n_pixels,
            "iterations": self.iterations,
            "twist_mrad": self.twist_rad * 1e3,
            "focal_scale": {k: round(v, 6) for k, v in self.focal_scale.items()},
        }


#: px: robust iterations of :func:`fit_spin_rate` switch to the Huber loss's own curvature once
#: an iteration moves the overlaps by less than this. Re-weighting alone (the weights' normal
#: matrix) converges only linearly, each iteration removing about 55 % of the remaining
#: error; the curvature (weight 1 inside the Huber threshold, 0 beyond) converges
#: quadratically to the same answer, the right-hand side being the same, but further away it
#: can overshoot: on 43C00078, from 0.5 px away, it diverged.
_NEWTON_RADIUS_PX = 0.2


def _moved_px(delta: np.ndarray, fl: float) -> float:
    """How far a change of :func:`fit_spin_rate`'s parameters (step, twist, log scales)
    moves the overlaps, in pixels, at most (NaN counts as infinitely far)."""
    px = max(abs(float(delta[0])) * fl, float(np.max(np.abs(delta[1:]), initial=0.0)) * 800)
    return px if math.isfinite(px) else math.inf


def _weighted_sum(coeffs: np.ndarray, arrays: np.ndarray) -> np.ndarray:
    """``sum(coeffs[i] * arrays[i])``: ``np.tensordot(coeffs, arrays, 1)`` without BLAS,
    whose threads would start on these sizes (see :data:`junoproc.pointing._ROW_BLOCK`)."""
    out = arrays[0] * coeffs[0]
    for c, a in zip(coeffs[1:], arrays[1:], strict=True):
        out += c * a
    return out


def _spread(n: int, most: int | None) -> np.ndarray:
    """Indices ``0 .. n - 1``, or ``most`` of them evenly spread (first and last included)."""
    if not most or n <= most:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max(int(most), 1))).astype(np.intp))


def _frame_pair_map(
    geom: StripGeometry,
    f: str,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    twist: float | None = None,
    rays: np.ndarray | None = None,
):
    """Where pixels (x, y) of frame k fall in frame k+1 for a spin step (and mounting twist).

    ``rays`` are the pixels' camera rays when known already (they depend on neither).
    """
    pointing = geom.pointing
    if twist is not None:
        pointing = dataclasses.replace(pointing, axis_tilt_rad=(twist, pointing.axis_tilt_rad[1]))
    v = (
        rays
        if rays is not None
        else geom.camera.pixel_to_ray(x, y, f, sampling_factor=geom.sampling_factor)
    )
    c = pointing.camera_to_spin
    cs, sn = math.cos(-step), math.sin(-step)
    # to the spin frame, turned by -step about the spin axis, back: one matrix for rows
    turn = np.array([[cs, sn, 0.0], [-sn, cs, 0.0], [0.0, 0.0, 1.0]])
    d = _rows_times(v, c.T @ turn @ c)
    return geom.camera.ray_to_pixel(d, f, sampling_factor=geom.sampling_factor)


def _with_focal_scales(geometry: StripGeometry, scales: Mapping[str, float]) -> StripGeometry:
    """``geometry`` with each filter in ``scales`` magnified about its framelet's centre.

    The focal length is multiplied by the factor and the optical centre moved so that
    the ray through the middle of the framelet keeps its direction (to first order in
    the distortion): the magnification changes how far a spin step moves the scene
    across the framelet without moving the filter's view as a whole.
    """
    if not scales:
        return geometry
    cam = geometry.camera
    xc = (PHOTOACTIVE_COLUMNS.start + PHOTOACTIVE_COLUMNS.stop - 1) / 2.0
    yc = (cam.framelet_lines - 1) / 2.0
    filters = []
    for g in cam.filters:
        s = scales.get(g.name)
        if s is not None:
            g = dataclasses.replace(
                g,
                focal_length_mm=g.focal_length_mm * s,
                cx=xc - s * (xc - g.cx),
                cy=yc - s * (yc - g.cy),
            )
        filters.append(g)
    return dataclasses.replace(geometry, camera=dataclasses.replace(cam, filters=tuple(filters)))


def _projected_gram(w: np.ndarray, columns: np.ndarray, n_nuisance: int) -> np.ndarray:
    """Per-row weighted inner products of ``columns`` after projecting out the first ones.

    ``columns`` is (m, n_rows, n) and ``w`` (n_rows, n). For each row ``k`` the first
    ``n_nuisance`` (0 or 2) columns are nuisance terms (a gain and an offset per overlap):
    every other column is replaced by its residual from their weighted least-squares fit,
    and the result (n_rows, m', m') holds the weighted inner products ``sum(w * a * b)`` of
    those residual columns. One batched matrix product and a 2 x 2 Schur complement per
    row replace the element-wise projection and the dozen weighted sums that follow it.
    """
    a = columns.transpose(1, 0, 2)  # (n_rows, m, n)
    gram = np.matmul(a * w[:, None, :], a.transpose(0, 2, 1))
    if not n_nuisance:
        return gram
    g00, g01, g11 = gram[:, 0, 0], gram[:, 0, 1], gram[:, 1, 1]
    ridge = 1e-9 * (g00 + g11) + 1e-12  # keeps empty rows solvable
    g00, g11 = g00 + ridge, g11 + ridge
    det = g00 * g11 - g01 * g01
    r0, r1 = gram[:, 0, 2:], gram[:, 1, 2:]  # (n_rows, m')
    c0 = (g11[:, None] * r0 - g01[:, None] * r1) / det[:, None]
    c1 = (g00[:, None] * r1 - g01[:, None] * r0) / det[:, None]
    # P x = x - c0(x) b0 - c1(x) b1; expanded in full (not as a Schur complement) so that the
    # ridge acts exactly as in the element-wise projection: the overlap terms can be nearly
    # collinear, and the result is sensitive to how they are regularised
    g00, g11 = gram[:, 0, 0], gram[:, 1, 1]
    cross = c0[:, :, None] * r0[:, None, :] + c1[:, :, None] * r1[:, None, :]
    coupled = (
        g00[:, None, None] * c0[:, :, None] * c0[:, None, :]
        + g01[:, None, None] * (c0[:, :, None] * c1[:, None, :] + c1[:, :, None] * c0[:, None, :])
        + g11[:, None, None] * c1[:, :, None] * c1[:, None, :]
    )
    return gram[:, 2:, 2:] - cross - cross.transpose(0, 2, 1) + coupled


def _bilinear(
    img: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values and gradients (d/dx, d/dy) of ``img`` (n, rows, cols) at (x, y), bilinearly.

    ``x`` and ``y`` are either 1-D and shared by all ``n`` images, or (n, m) with a row of
    positions per image; the results are (n, m).
    """
    n, rows, cols = img.shape
    x0 = np.clip(np.floor(x).astype(np.intp), 0, cols - 2)
    y0 = np.clip(np.floor(y).astype(np.intp), 0, rows - 2)
    fx, fy = x - x0, y - y0
    i = y0 * cols + x0
    if i.ndim == 1:
        flat = img.reshape(n, rows * cols)
        a, b = np.take(flat, i, axis=1), np.take(flat, i + 1, axis=1)
        c, d = np.take(flat, i + cols, axis=1), np.take(flat, i + cols + 1, axis=1)
    else:
        flat = img.reshape(-1)
        i = i + (np.arange(n) * (rows * cols))[:, None]
        a, b = flat[i], flat[i + 1]
        c, d = flat[i + cols], flat[i + cols + 1]
    top = b - a
    bottom = d - c
    gx = top + (bottom - top) * fy
    left = c - a
    gy = left + (d - b - left) * fx
    value = a + top * fx + left * fy + (bottom - top) * fx * fy
    return value, gx, gy


@dataclasses.dataclass(frozen=True)
class _PairLevel:
    """One filter's overlaps at one blur level of :func:`fit_spin_rate`.

    ``band2`` holds the blurred rows of frames ``k + 1`` around the overlap. Each pair uses
    its own subset of the overlap pixels (those with the strongest gradient), so the other
    arrays are (n_pairs, m): ``x2``, ``y2`` (in band coordinates) are where the pixels of
    frames ``k`` land at the level's starting parameters; ``dx``, ``dy`` (n_params, n_pairs,
    m) their derivatives with respect to the parameters listed in ``params``. ``v1`` are
    the blurred values in frames ``k``, ``ok1`` where they are usable and ``inv_scale``
    their shot-noise-like weights.
    """

    band2: np.ndarray
    x2: np.ndarray
    y2: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    params: list[int]
    v1: np.ndarray
    ok1: np.ndarray
    inv_scale: np.ndarray
    n_structured: int


def _blurred_band(
    data: np.ndarray, lo: float, hi: float, sigma: float, frames: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Rows ``lo .. hi`` of the framelets (all, or ``frames``), with a margin, blurred by
    ``sigma``; and the offset of the first row.

    The margin is wider than the Gaussian's reach, so inside ``lo .. hi`` the result equals
    blurring whole framelets. OpenCV's separable filter is used when installed (about eight
    times faster than scipy's, with the same kernel: radius ``round(4 sigma)``, mirrored edges).
    """
    margin = int(4.0 * sigma + 0.5) + 4  # scipy's default truncation at 4 sigma, plus slack
    r0 = max(math.floor(lo) - margin, 0)
    r1 = min(math.ceil(hi) + margin + 1, data.shape[1])
    if sigma <= 0:
        return (data[:, r0:r1] if frames is None else data[frames, r0:r1]), r0
    cv2 = opencv()
    if cv2 is None:
        from scipy.ndimage import gaussian_filter

        band = data[:, r0:r1] if frames is None else data[frames, r0:r1]
        return gaussian_filter(band, (0, sigma, sigma)), r0
    radius = int(4.0 * sigma + 0.5)
    kernel = cv2.getGaussianKernel(2 * radius + 1, sigma, cv2.CV_32F)
    index = np.arange(data.shape[0]) if frames is None else np.asarray(frames)
    band = np.empty((index.size, r1 - r0, data.shape[2]), np.float32)
    for j, i in enumerate(index):
        cv2.sepFilter2D(
            np.ascontiguousarray(data[i, r0:r1], dtype=np.float32),
            -1,
            kernel,
            kernel,
            dst=band[j],
            borderType=cv2.BORDER_REFLECT,
        )
    return band, r0


def _pair_maps(
    geom: StripGeometry,
    f: str,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    twist: float,
    scaled: Sequence[str],
    base: tuple[np.ndarray, np.ndarray] | None = None,
    rays: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    """Where overlap pixels (x, y) of frames ``k`` land in frames ``k + 1`` (``base``, when
    known already), and the derivatives (n_params, n) of that with respect to the
    parameters listed last. ``rays``: the pixels' camera rays, when known."""
    h = 1e-5  # rad (and relative focal change), for the numerical derivatives of the pair map
    if rays is None:
        rays = geom.camera.pixel_to_ray(x, y, f, sampling_factor=geom.sampling_factor)
    x2, y2 = base if base is not None else _frame_pair_map(geom, f, x, y, step, twist, rays)
    maps = [_frame_pair_map(geom, f, x, y, step + h, twist, rays)]
    maps.append(_frame_pair_map(geom, f, x, y, step, twist + h, rays))
    params = [0, 1]
    if f in scaled:
        bumped = _with_focal_scales(geom, {f: 1.0 + h})
        maps.append(_frame_pair_map(bumped, f, x, y, step, twist))
        params.append(2 + list(scaled).index(f))
    dx = np.stack([(m[0] - x2) / h for m in maps])
    dy = np.stack([(m[1] - y2) / h for m in maps])
    return x2, y2, dx, dy, params


def _pair_level(
    maps: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]],
    offset: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    data: np.ndarray,
    sigma: float,
    saturation: float,
    fraction: float,
    pairs: np.ndarray,
) -> _PairLevel:
    """Set up one filter's overlaps for a blur level (see :class:`_PairLevel`).

    ``maps`` are :func:`_pair_maps` at the starting parameters, ``offset`` how far the
    parameters have moved since (all of them; the maps' own are picked). Of every pair's
    overlap pixels, the ``fraction`` that respond most to the parameters are kept: they
    carry nearly all the information on them.
    """
    x2, y2, dx, dy, params = maps
    y_now = y2 + _weighted_sum(offset[params], dy)
    band1, off1 = _blurred_band(data, y.min(), y.max(), sigma, pairs)
    band2, off2 = _blurred_band(data, np.nanmin(y_now), np.nanmax(y_now), sigma, pairs + 1)
    if np.array_equal(x, np.round(x)) and np.array_equal(y, np.round(y)):
        # whole pixels (unsummed framelets): plain indexing, the same as the bilinear sample
        xi, yi = x.astype(np.intp), (y - off1).astype(np.intp)
        v1 = band1[:, yi, xi]
        g1x, g1y = band1[:, yi, xi + 1] - v1, band1[:, yi + 1, xi] - v1
    else:
        v1, g1x, g1y = _bilinear(band1, x, y - off1)
    ok1 = np.isfinite(v1) & (v1 < saturation)
    n_structured = int(np.count_nonzero(ok1 & ((g1x != 0) | (g1y != 0))))
    n = v1.shape[1]
    m = min(max(int(fraction * n), 1), n)
    if m < n:
        # how strongly each pixel responds to the parameters (each normalised over the
        # pixels); in single precision, ample for a ranking
        score = np.zeros(v1.shape, np.float32)
        for a, b in zip(dx.astype(np.float32), dy.astype(np.float32), strict=True):
            info = g1x * a
            info += g1y * b
            info *= info
            info *= 1.0 / max(float(np.mean(info, dtype=np.float64)), 1e-30)
            score += info
        score[~ok1] = -1.0
        idx = np.argpartition(score, n - m, axis=1)[:, n - m :]
    else:
        idx = np.broadcast_to(np.arange(n), v1.shape)
    v1 = np.take_along_axis(v1, idx, 1)
    ok1 = np.take_along_axis(ok1, idx, 1)
    inv_scale = 1.0 / np.sqrt(np.maximum(v1, 1.0))
    return _PairLevel(
        band2,
        x2[idx],
        y2[idx] - off2,
        dx[:, idx],
        dy[:, idx],
        params,
        v1,
        ok1,
        inv_scale,
        n_structured,
    )


@dataclasses.dataclass(frozen=True)
class SpinOverlaps:
    """Where consecutive framelets of each filter overlap: the part of
    :func:`fit_spin_rate` that needs no pixels. Made by :func:`spin_overlaps`.

    Attributes
    ----------
    geometry : StripGeometry
        The geometry it was made for.
    filters : tuple of str
        The filters, in order.
    options : tuple
        ``(max_pairs, trim_rows, column_step, scaled)``: the options it was made with
        (``scaled`` lists the filters whose magnification is fitted).
    pairs : (n_pairs,) int ndarray
        First frames ``k`` of the frame pairs ``(k, k + 1)`` used.
    pixels : mapping of str -> (x, y, maps)
        Per filter, the overlap pixels (x, y) of frames ``k`` (float64, (m,)) and where
        they land in frames ``k + 1`` with the derivatives of that with respect to the
        fitted parameters.
    """

    geometry: StripGeometry
    filters: tuple[str, ...]
    options: tuple[Any, ...]
    pairs: np.ndarray
    pixels: Mapping[str, tuple[np.ndarray, np.ndarray, tuple[Any, ...]]]


def _overlap_key(
    geometry: StripGeometry,
    filters: Sequence[str] | None,
    max_pairs: int | None,
    trim_rows: int,
    column_step: int,
    fit_scale: bool,
    reference: str,
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The filters and the ``options`` of :class:`SpinOverlaps` made with these arguments."""
    chosen = tuple(geometry.filters if filters is None else filters)
    unknown = [f for f in chosen if f not in geometry.filters]
    if unknown:
        raise ValueError(f"filters {unknown} are not among the geometry's {geometry.filters}")
    ref = reference if reference in chosen else None
    scaled = tuple(f for f in chosen if f != ref) if (fit_scale and ref is not None) else ()
    return chosen, (max_pairs, trim_rows, column_step, scaled)


def spin_overlaps(
    geometry: StripGeometry,
    *,
    filters: Sequence[str] | None = None,
    max_pairs: int | None = 12,
    trim_rows: int = 2,
    column_step: int = 2,
    fit_scale: bool = False,
    reference: str = "GREEN",
) -> SpinOverlaps:
    """The overlaps of consecutive framelets that :func:`fit_spin_rate` registers.

    They depend on the geometry alone (camera model and starting spin), not on the
    pixels, so they can be made before the pixels are decoded:
    :func:`junoproc.process` makes them while the raw PNG is decoded and passes them to
    :func:`fit_spin_rate` as ``overlaps``.

    Parameters
    ----------
    geometry : StripGeometry
        The starting geometry of the fit.
    filters : sequence of str, optional
        Filters to fit on (default: all of ``geometry.filters``), in the order of the
        stacks :func:`fit_spin_rate` will be given.
    max_pairs, trim_rows, column_step, fit_scale, reference
        As for :func:`fit_spin_rate`.

    Returns
    -------
    SpinOverlaps

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> raw = load_sample("io-pj57")
    >>> geometry = geometry_for(raw.metadata)
    >>> overlaps = spin_overlaps(geometry)
    >>> overlaps.filters, overlaps.pairs.size <= 12
    (('BLUE', 'GREEN', 'RED'), True)
    """
    chosen, options = _overlap_key(
        geometry, filters, max_pairs, trim_rows, column_step, fit_scale, reference
    )
    scaled = options[3]
    pairs = _spread(max(geometry.n_frames - 1, 0), max_pairs)
    if geometry.n_frames < 2 or not chosen:
        return SpinOverlaps(geometry, chosen, options, pairs, {})
    dt = float(np.mean(np.diff(geometry.times_s)))
    step = geometry.pointing.sense * geometry.pointing.rate_rad_s * dt
    twist = geometry.pointing.axis_tilt_rad[0]
    rows = geometry.rows
    xs = (
        np.arange(PHOTOACTIVE_COLUMNS.start + 8, PHOTOACTIVE_COLUMNS.stop - 8, column_step)
        / geometry.sampling_factor
    )
    lo, hi = trim_rows + 1, rows - 2 - trim_rows

    def overlap(f: str):
        """Overlap pixels of frames k (rows whose image in frame k + 1 lands inside it at the
        start step) and the pair maps there."""
        # the rows that can overlap, from every 16th column (the pair map changes by well
        # under a row between them), then every column of those rows
        yy, xx = np.meshgrid(
            np.arange(trim_rows, rows - trim_rows, dtype=np.float64), xs[::16], indexing="ij"
        )
        _, y2 = _frame_pair_map(geometry, f, xx.ravel(), yy.ravel(), step)
        near = np.unique(yy.ravel()[(y2 >= lo - 3) & (y2 <= hi + 3)])
        yy, xx = np.meshgrid(near, xs, indexing="ij")
        rays = geometry.camera.pixel_to_ray(
            xx.ravel(), yy.ravel(), f, sampling_factor=geometry.sampling_factor
        )
        x2, y2 = _frame_pair_map(geometry, f, xx.ravel(), yy.ravel(), step, rays=rays)
        inside = (y2 >= lo) & (y2 <= hi) & (x2 >= xs[0]) & (x2 <= xs[-1])
        x, y = xx.ravel()[inside], yy.ravel()[inside]
        base = (x2[inside], y2[inside])
        return x, y, _pair_maps(geometry, f, x, y, step, twist, scaled, base, rays[inside])

    # filters are independent; numpy releases the GIL in its array loops
    workers = max(1, min(len(chosen), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pixels = dict(zip(chosen, pool.map(overlap, chosen), strict=True))
    return SpinOverlaps(geometry, chosen, options, pairs, pixels)


def fit_spin_rate(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    *,
    iterations: int = 12,
    fit_twist: bool = True,
    smoothing: Sequence[float] = (2.0, 1.0),
    pixel_fraction: Sequence[float] = (0.1, 0.3),
    max_pairs: int | None = 12,
    coarse_pairs: int | None = 6,
    trim_rows: int = 2,
    column_step: int = 2,
    min_pixels: int = 2000,
    saturation: float = SATURATION_DN,
    fit_gain: bool = True,
    fit_scale: bool = False,
    reference: str = "GREEN",
    overlaps: SpinOverlaps | None = None,
) -> tuple[StripGeometry, SpinFit]:
    """Fit the spin rate so that consecutive framelets of each filter agree where they overlap.

    For frames ``k`` and ``k + 1`` of one filter, the bottom rows of framelet ``k`` see the
    same directions as the top rows of framelet ``k + 1``. For a trial spin step the camera
    model maps each overlap pixel of ``k`` into ``k + 1``; Gauss-Newton iterations on the
    intensity differences (using the image gradient, so sub-pixel) find the step that
    makes all overlaps of all filters agree. Saturated and structureless pixels carry
    no weight; on the last level residuals are down-weighted robustly (Huber), and near
    the answer the steps use the Huber loss's own curvature: that level then takes three
    to five iterations on the PJ43/PJ44 products, where re-weighting alone takes four to
    eight.

    Parameters
    ----------
    stacks : mapping of str -> FilterStack or (n_frames, rows, 1648) float array
        Linear framelets per filter.
    geometry : StripGeometry
        Starting geometry; only the spin rate (and the twist) change.
    iterations : int
        Most Gauss-Newton iterations per blur level; a level stops early once an
        iteration moves the overlaps by less than 0.25 px (0.002 px on the last level).
    fit_twist : bool
        Also fit the twist of the CCD lines about the boresight (the first
        ``axis_tilt_rad`` angle), which the overlaps constrain as well.
    smoothing : sequence of float
        Gaussian blur (pixels) of the framelets at each coarse-to-fine level: blurring
        widens the capture range and removes the bias of interpolating only one side.
    pixel_fraction : sequence of float
        Fraction of each pair's overlap pixels used at each level: those that respond most
        to the parameters (the last value serves any further levels). On the simulated
        products a last-level fraction of 0.3 or more (or all pixels) recovers the rate to
        0.035 %; below 0.3 the banded Jupiter scene drifts by up to 0.13 %.
    max_pairs : int or None
        Use at most this many frame pairs, evenly spread over the strip (None: all).
    coarse_pairs : int or None
        The coarse levels (all but the last) use at most this many of those pairs, evenly
        spread (None: all of them). They only bring the last level within its reach, and
        setting them up (blurring the framelets near the overlaps) costs as much as the
        last level's: on the PJ43/44 products 6 pairs give the same rates to 3e-6 in
        15-20 % less time. When those pairs hold fewer than ``min_pixels`` overlap
        pixels with structure (a small target seen in a few frames), all are used.
    trim_rows : int
        Framelet edge rows not used.
    column_step : int
        Candidate overlap pixels on every n-th column.
    min_pixels : int
        Fewer overlap pixels with structure (in the pairs used) than this keeps the
        starting rate, with a :class:`CalibrationWarning`.
    saturation : float
        Pixels at or above this linear DN are ignored.
    fit_gain : bool
        Give every overlap its own gain and offset (eliminated from the fit by
        projection), so that flat-field and brightness differences between the bottom
        rows of one framelet and the top rows of the next do not bias the step.
    fit_scale : bool
        Also fit each filter's magnification relative to ``reference`` about its
        framelet's centre: the overlaps of a filter measure how many of its pixels one
        spin step spans. On the PJ43/44 products this makes every filter's seams agree
        (BLUE about 0.997, RED about 1.002 along the spin), but the same isotropic factor
        across the framelet misregisters the colours at the framelet ends, so it is off
        by default.
    reference : str
        Filter whose magnification is held fixed when ``fit_scale`` is set.
    overlaps : SpinOverlaps, optional
        :func:`spin_overlaps` of ``geometry``, the stacks' filters and these options,
        when made already (they need no pixels); overlaps made otherwise raise a
        ``ValueError``.

    Returns
    -------
    geometry : StripGeometry
        With the fitted rate (and twist, and magnifications).
    fit : SpinFit

    Examples
    --------
    >>> from junoproc.data import load_sample, sample_truth
    >>> from junoproc.framelets import separate_filters
    >>> from junoproc.pipeline import decompand_raw
    >>> raw = load_sample("io-pj57")
    >>> stacks = separate_filters(decompand_raw(raw), raw.metadata)
    >>> geometry, fit = fit_spin_rate(stacks, geometry_for(raw.metadata))
    >>> truth = sample_truth("io-pj57")["spin_rate_rad_s"]
    >>> fit.status, bool(abs(fit.rate_rad_s - truth) / truth < 5e-4)
    ('fitted', True)
    """
    if coarse_pairs is not None and (int(coarse_pairs) != coarse_pairs or coarse_pairs < 1):
        raise ValueError(f"coarse_pairs must be a positive integer or None, got {coarse_pairs!r}")
    start = geometry.pointing.rate_rad_s
    fail = SpinFit(start, start, "nominal", math.nan, (), 0, 0)
    if geometry.n_frames < 2:
        warnings.warn(
            "a single frame has no overlaps; spin rate kept at its starting value",
            CalibrationWarning,
            stacklevel=2,
        )
        return geometry, fail
    dt = float(np.mean(np.diff(geometry.times_s)))
    sense = geometry.pointing.sense
    step = sense * start * dt
    originals = {
        f: np.asarray(s.data if isinstance(s, FilterStack) else s, dtype=np.float32)
        for f, s in stacks.items()
        if f in geometry.filters
    }
    twist = geometry.pointing.axis_tilt_rad[0]
    options = {
        "filters": tuple(originals),
        "max_pairs": max_pairs,
        "trim_rows": trim_rows,
        "column_step": column_step,
        "fit_scale": fit_scale,
        "reference": reference,
    }
    if overlaps is None:
        overlaps = spin_overlaps(geometry, **options)
    elif overlaps.geometry is not geometry or (overlaps.filters, overlaps.options) != (
        _overlap_key(geometry, **options)
    ):
        raise ValueError(
            "overlaps were made for another geometry, other filters or other options "
            "than this fit's; make them with spin_overlaps(geometry, ...) and the same options"
        )
    pairs = overlaps.pairs
    scaled = list(overlaps.options[3])
    n_par = 2 + len(scaled)
    log_scale = np.zeros(len(scaled))
    n_used, shifts, it = 0, [], 0
    fl = geometry.camera.geometry(next(iter(originals))).fl_px / geometry.sampling_factor
    # px: stop a level once an iteration moves the overlaps by less: loosely on the coarse
    # levels (they only bring the last one within its reach, and converge quadratically:
    # after a move of 0.25 px the next is under 0.01 px on the PJ43/44 products), tightly on
    # the last, whose answer it is
    tol = 2e-3
    p0 = np.concatenate([[step, twist], log_scale])
    # filters are independent within an iteration; numpy releases the GIL in its array loops
    workers = max(1, min(len(originals), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        setup = {f: (x, y) for f, (x, y, _) in overlaps.pixels.items()}
        maps = {f: m for f, (_, _, m) in overlaps.pixels.items()}
        schedule = list(smoothing) or [0.0]
        fractions = list(pixel_fraction)
        fractions += fractions[-1:] * (len(schedule) - len(fractions))
        for level_no, (sigma, fraction) in enumerate(zip(schedule, fractions, strict=False)):
            # plain least squares on the coarse levels: far from the answer the largest
            # residuals are the informative ones (the framelet ends, for the twist), and
            # down-weighting them slows the iterations down; robust weights on the last level
            robust = level_no == len(schedule) - 1
            # The pair map is linearised in (step, twist, scales) about the starting values (they
            # change by well under 1e-3, so the error is < 1e-3 px); only the framelet rows near
            # the overlaps are blurred and sampled.
            offset = np.concatenate([[step, twist], log_scale]) - p0
            level = functools.partial(
                _pair_level,
                offset=offset,
                sigma=sigma,
                saturation=saturation,
                fraction=fraction,
            )

            def set_up(use, level=level):
                return list(
                    pool.map(
                        lambda f: level(
                            maps[f], x=setup[f][0], y=setup[f][1], data=originals[f], pairs=use
                        ),
                        setup,
                    )
                )

            level_pairs = pairs if robust else pairs[_spread(pairs.size, coarse_pairs)]
            levels = set_up(level_pairs)
            if level_pairs.size < pairs.size and (
                sum(lev.n_structured for lev in levels) < min_pixels
            ):
                # too little structure in those few pairs alone (a small target, seen in a
                # few frames): all of them
                levels = set_up(pairs)
            tol = 2e-3 if robust else 0.25
            moved = math.inf  # px, the last iteration's largest move
            for _ in range(iterations):
                it += 1
                dp = np.concatenate([[step, twist], log_scale]) - p0
                normal = np.zeros((n_par, n_par))
                rhs = np.zeros(n_par)
                pair_res: list[float] = []
                n_used = 0

                def contribution(lev, dp=dp, robust=robust):
                    """Normal equations (and, with robust weights, the matrix of the loss's
                    curvature), residual and pair misfits of one filter's overlaps."""
                    normal = np.zeros((n_par, n_par))
                    curved = np.zeros((n_par, n_par)) if robust else None
                    rhs = np.zeros(n_par)
                    x2 = lev.x2 + _weighted_sum(dp[lev.params], lev.dx)
                    y2 = lev.y2 + _weighted_sum(dp[lev.params], lev.dy)
                    v2, gx, gy = _bilinear(lev.band2, x2, y2)
                    v1 = lev.v1
                    jac_cols = [gx * a + gy * b for a, b in zip(lev.dx, lev.dy, strict=True)]
                    r = v2 - v1
                    ok = lev.ok1 & (v2 < saturation) & np.isfinite(r) & np.isfinite(jac_cols[0])
                    inv = lev.inv_scale
                    rn = np.where(ok, r * inv, 0.0)
                    jac = [np.where(ok, c * inv, 0.0) for c in jac_cols]
                    if robust:
                        a_rn = np.abs(rn)
                        mad = np.median(a_rn[ok]) if ok.any() else 1.0
                        c = 2.5 * max(float(mad), 1e-3)
                        w = np.where(a_rn <= c, 1.0, c / np.maximum(a_rn, 1e-12)) * ok
                    else:
                        w = ok.astype(np.float64)
                    columns = [rn, *jac]
                    if fit_gain:  # a gain and an offset per overlap absorb flat-field differences
                        columns = [np.where(ok, v1 * inv, 0.0), np.where(ok, inv, 0.0), *columns]
                    columns = np.stack(columns)
                    gram = _projected_gram(w, columns, 2 if fit_gain else 0)
                    # gram[k]: row/column 0 the residual, then the parameters' Jacobian columns
                    total = gram.sum(axis=0)
                    sub = np.ix_(lev.params, lev.params)
                    normal[sub] += total[1:, 1:]
                    if curved is not None:
                        inside = ((a_rn <= c) & ok).astype(np.float64)
                        curvature = _projected_gram(inside, columns, 2 if fit_gain else 0)
                        curved[sub] += curvature.sum(axis=0)[1:, 1:]
                    rhs[lev.params] += total[1:, 0]
                    used = lev.n_structured
                    dk = gram[:, 1, 1]
                    nk = gram[:, 1, 0]
                    good = dk > 0  # remaining along-spin misfit of each pair, in pixels
                    misfit = (-nk[good] / dk[good] * fl).tolist()
                    return normal, rhs, used, misfit, curved

                parts = list(pool.map(contribution, levels))
                normal = sum(p[0] for p in parts)
                rhs = sum(p[1] for p in parts)
                n_used = sum(p[2] for p in parts)
                pair_res = [v for p in parts for v in p[3]]
                if n_used < min_pixels or normal[0, 0] <= 0:
                    warnings.warn(
                        f"only {n_used} usable overlap pixels (need {min_pixels}): too little "
                        "structure to fit the spin rate; keeping the nominal rate",
                        CalibrationWarning,
                        stacklevel=2,
                    )
                    return geometry, fail
                active = [0]
                if fit_twist and normal[1, 1] > 1e-6 * normal[0, 0]:
                    active.append(1)
                active += [i for i in range(2, n_par) if normal[i, i] > 1e-6 * normal[0, 0]]
                delta = np.zeros(n_par)
                sub = np.ix_(active, active)
                delta[active] = -np.linalg.solve(normal[sub], rhs[active])
                if robust:  # near the answer, the loss's own curvature (_NEWTON_RADIUS_PX)
                    curved = sum(p[4] for p in parts)
                    newton = np.zeros(n_par)
                    with np.errstate(all="ignore"):
                        try:
                            newton[active] = -np.linalg.solve(curved[sub], rhs[active])
                        except np.linalg.LinAlgError:
                            newton[:] = np.nan
                    near = min(moved, _moved_px(delta, fl)) < _NEWTON_RADIUS_PX
                    if near and _moved_px(newton, fl) < 3.0 * _moved_px(delta, fl):
                        delta = newton
                step += delta[0]
                twist += delta[1]
                log_scale += delta[2:]
                shifts = pair_res
                logger.debug("delta px %.5f %.5f", delta[0] * fl, delta[1] * 800)
                moved = _moved_px(delta, fl)
                if moved < tol:
                    break
    rate = abs(step) / dt
    focal_scale = dict(zip(scaled, np.exp(log_scale).tolist(), strict=True))
    current = _with_focal_scales(geometry, focal_scale)
    pointing = dataclasses.replace(
        geometry.pointing,
        rate_rad_s=rate,
        axis_tilt_rad=(twist, geometry.pointing.axis_tilt_rad[1]),
    )
    fitted = dataclasses.replace(current, pointing=pointing)
    arr = np.asarray(shifts)
    residual = float(1.4826 * np.median(np.abs(arr))) if arr.size else math.nan
    logger.info(
        "spin rate %.4f deg/s (started at %.4f), twist %.2f mrad, focal scales %s, "
        "overlap residual %.3f px",
        math.degrees(rate),
        math.degrees(start),
        twist * 1e3,
        focal_scale,
        residual,
    )
    return fitted, SpinFit(
        rate, start, "fitted", residual, tuple(arr.tolist()), n_used, it, twist, focal_scale
    )


@dataclasses.dataclass(frozen=True)
class FilterFit:
    """Result of :func:`fit_filter_terms`.

    Attributes
    ----------
    corrections : CameraCorrections
        Fitted offsets and focal scales (relative to the reference filter), with the
        geometry's mounting.
    status : str
        ``"fitted"``, or ``"nominal"`` when too few features were matched.
    n_matches : mapping of str -> int
        Matched features per filter.
    residual_px : mapping of str -> (float, float)
        Median and 90th percentile of the remaining mismatch per filter, pixels.
    """

    corrections: CameraCorrections
    status: str
    n_matches: Mapping[str, int]
    residual_px: Mapping[str, tuple[float, float]]

    def summary(self) -> dict[str, Any]:
        """JSON-friendly dictionary."""
        return {
            "status": self.status,
            "n_matches": dict(self.n_matches),
            "residual_px": {
                k: [round(a, 4), round(b, 4)] for k, (a, b) in self.residual_px.items()
            },
            **self.corrections.summary(),
        }


def _corrections_of(geometry: StripGeometry, base: StripGeometry) -> CameraCorrections:
    """The per-filter differences between two cameras, as corrections."""
    offsets, scales, y_scales = {}, {}, {}
    for g, g0 in zip(geometry.camera.filters, base.camera.filters, strict=True):
        if (g.cx, g.cy) != (g0.cx, g0.cy):
            offsets[g.name] = (g.cx - g0.cx, g.cy - g0.cy)
        if g.focal_length_mm != g0.focal_length_mm:
            scales[g.name] = g.focal_length_mm / g0.focal_length_mm
        if g.y_scale != g0.y_scale:
            y_scales[g.name] = g.y_scale / g0.y_scale
    return CameraCorrections(
        geometry.pointing.axis_tilt_rad,
        offsets,
        scales,
        source="fit_filter_terms",
        y_scale=y_scales,
    )


def _panorama_coords(d: np.ndarray, centre: float) -> tuple[np.ndarray, np.ndarray]:
    az = centre + ((np.arctan2(d[:, 1], d[:, 0]) - centre + np.pi) % (2 * np.pi) - np.pi)
    return az, np.arcsin(np.clip(d[:, 2], -1, 1))


def fit_filter_terms(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    *,
    reference: str = "GREEN",
    scale: float = 1.0,
    rounds: int = 2,
    fit_scale: bool = True,
    fit_y_scale: bool = True,
    min_matches: int = 8,
    tile: int = MATCH_TILE_PX,
    measure: Any = None,
) -> tuple[StripGeometry, FilterFit]:
    """Fit each filter's optical-centre offset (and focal scale) so that filters register.

    The filters are rendered into a spin panorama; sub-pixel shifts between each filter and
    the reference on textured tiles (:func:`junoproc.quality.channel_misregistration`) are
    turned into matches between raw framelet pixels, which are facts about the data. A
    robust least-squares fit then moves each non-reference filter's optical centre (and
    scales its focal length) until matched pixels look in the same direction. Repeated
    ``rounds`` times, as better rendering gives better matches.

    Parameters
    ----------
    stacks : mapping of str -> FilterStack or array
    geometry : StripGeometry
    reference : str
        Filter held fixed.
    scale : float
        Panorama resolution used for matching (output pixels per camera pixel).
    rounds : int
    fit_scale : bool
        Fit a magnification across the CCD lines (``x``) per filter (lateral chromatic
        aberration) as well; the magnification along the rows is left to ``fit_y_scale``.
    fit_y_scale : bool
        First fit each filter's magnification along the framelet rows relative to
        ``reference`` from the overlaps of consecutive framelets (:func:`fit_spin_rate`
        with ``fit_scale``), which measure it far better than the 128-row-high cross-filter
        matches can; it becomes :attr:`~junoproc.camera.FilterGeometry.y_scale`.
    min_matches : int
        Fewer matched tiles than this for a filter leaves it unchanged, with a warning.
    tile : int
        Tile size (pixels) of the default matcher; tiles overlap by half. Smaller tiles
        give more, more local matches (see :data:`MATCH_TILE_PX`).
    measure : callable, optional
        ``measure(image, coverage, channels, reference) -> {channel: (centres, shifts)}``
        with ``centres`` and ``shifts`` (n, 2) arrays of (row, col); by default built on
        :func:`junoproc.quality.channel_misregistration`.

    Returns
    -------
    geometry : StripGeometry
    fit : FilterFit

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> from junoproc.framelets import separate_filters
    >>> from junoproc.pipeline import decompand_raw
    >>> raw = load_sample("io-pj57")
    >>> stacks = separate_filters(decompand_raw(raw), raw.metadata)
    >>> geometry, fit = fit_filter_terms(stacks, geometry_for(raw.metadata))
    >>> fit.status, sorted(fit.n_matches)
    ('fitted', ['BLUE', 'RED'])
    """
    from scipy.optimize import least_squares

    from .render import locate, panorama_view, render

    if reference not in geometry.filters:
        raise ValueError(f"reference filter {reference} is not among {geometry.filters}")
    others = [f for f in geometry.filters if f != reference and f in stacks]
    base = geometry
    measure = measure or functools.partial(_measure_with_quality, tile=tile)
    n_matches: dict[str, int] = {}
    residual: dict[str, tuple[float, float]] = {}
    status = "fitted"
    if fit_y_scale and others:
        geometry = _fit_y_scales(stacks, geometry, reference)
    for _ in range(rounds):
        view = panorama_view(geometry, scale=scale)
        out = render(stacks, geometry, view)
        matches = measure(out.image, out.coverage, out.channels, reference)
        directions = view.directions()
        centre = float(np.mean(geometry.spin_angles))
        new_filters = {g.name: g for g in geometry.camera.filters}
        for f in others:
            centres, shifts = matches.get(f, (np.zeros((0, 2)), np.zeros((0, 2))))
            pts = _matched_pixels(geometry, view, directions, centres, shifts, reference, f, locate)
            n_matches[f] = len(pts[0])
            if n_matches[f] < min_matches:
                warnings.warn(
                    f"only {n_matches[f]} matched features between {f} and {reference}: "
                    f"keeping {f}'s nominal offsets",
                    CalibrationWarning,
                    stacklevel=2,
                )
                status = "nominal"
                continue
            kg, xg, yg, kc, xc, yc = pts
            d_ref = np.stack(
                [
                    geometry.pixel_to_direction(np.array([a]), np.array([b]), reference, int(k))[0]
                    for k, a, b in zip(kg, xg, yg, strict=True)
                ]
            )
            az_r, el_r = _panorama_coords(d_ref, centre)
            g0 = geometry.camera.geometry(f)
            rot = [geometry.pointing.rotation(geometry.times_s[int(k)]) for k in kc]
            rot = np.stack(rot)

            def resid(
                p,
                g0=g0,
                xc=xc,
                yc=yc,
                rot=rot,
                az_r=az_r,
                el_r=el_r,
                geom=geometry,
                centre=centre,
                step=view.step_rad,
            ):
                g = _with_terms(g0, p, fit_scale)
                v = g.pixel_to_ray(xc, yc, sampling_factor=geom.sampling_factor)
                d = np.einsum("nij,nj->ni", rot, v)
                az, el = _panorama_coords(d, centre)
                return np.concatenate([(az - az_r) * np.cos(el_r), el - el_r]) / step * scale

            sol = least_squares(
                resid,
                np.zeros(3 if fit_scale else 2),
                loss="soft_l1",
                f_scale=0.3,
                x_scale=[1.0, 1.0, 1e-3][: 3 if fit_scale else 2],
            )
            p = sol.x
            new_filters[f] = _with_terms(g0, p, fit_scale)
            r = resid(p).reshape(2, -1)
            mag = np.hypot(r[0], r[1])
            residual[f] = (float(np.median(mag)), float(np.percentile(mag, 90)))
        camera = dataclasses.replace(
            geometry.camera, filters=tuple(new_filters[g.name] for g in geometry.camera.filters)
        )
        geometry = dataclasses.replace(geometry, camera=camera)
    corrections = _corrections_of(geometry, base)
    logger.info("filter terms: %s", corrections.summary())
    return geometry, FilterFit(corrections, status, n_matches, residual)


def _sample_frames(
    img: np.ndarray, k: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear values and gradients of framelets ``img`` (n, rows, cols) at (frame k, x, y)."""
    _, rows, cols = img.shape
    x0 = np.clip(np.floor(x).astype(np.intp), 0, cols - 2)
    y0 = np.clip(np.floor(y).astype(np.intp), 0, rows - 2)
    fx, fy = x - x0, y - y0
    flat = img.reshape(-1)
    i = (k * rows + y0) * cols + x0
    a, b, c, d = flat[i], flat[i + 1], flat[i + cols], flat[i + cols + 1]
    top, bottom, left = b - a, d - c, c - a
    value = a + top * fx + left * fy + (bottom - top) * fx * fy
    return value, top + (bottom - top) * fy, left + (d - b - left) * fx


def _blurred_frames(data: np.ndarray, sigma: float, frames: np.ndarray) -> np.ndarray:
    """Framelets ``frames`` blurred by ``sigma`` (see :func:`_blurred_band`), in an array the
    size of ``data`` whose other framelets are left unset."""
    out = np.empty(data.shape, dtype=np.float32)
    for i in frames:  # one at a time: no second copy of the stack
        out[i] = _blurred_frame(data, i, sigma)
    return out


def _blurred_frame(data: np.ndarray, i: int, sigma: float) -> np.ndarray:
    """Framelet ``i`` of ``data`` (n, rows, cols), blurred whole (see :func:`_blurred_band`)."""
    return _blurred_band(data, 0, data.shape[1] - 1, sigma, np.array([i]))[0][0]


def _block_projection(
    w: np.ndarray, gain: np.ndarray, block: np.ndarray, n_blocks: int, columns: list[np.ndarray]
) -> list[np.ndarray]:
    """Each column minus its weighted least-squares fit by ``a_b * gain + c_b`` per block ``b``."""

    def total(v: np.ndarray) -> np.ndarray:
        return np.bincount(block, weights=w * v, minlength=n_blocks)

    s1, sg, sgg = total(np.ones_like(gain)), total(gain), total(gain * gain)
    ridge = 1e-9 * (s1 + sgg) + 1e-12
    det = (sgg + ridge) * (s1 + ridge) - sg * sg
    out = []
    for col in columns:
        sc, sgc = total(col), total(gain * col)
        a = ((s1 + ridge) * sgc - sg * sc) / det
        c = ((sgg + ridge) * sc - sg * sgc) / det
        out.append(col - a[block] * gain - c[block])
    return out


def fit_filter_offsets(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    *,
    reference: str = "GREEN",
    sigma: float = 1.0,
    fraction: float = 0.02,
    column_step: int = 2,
    block: int = 16,
    iterations: int = 4,
    max_frames: int | None = 16,
    limb_margin: int = 8,
    min_lit: float = 0.05,
    trim_rows: int = 4,
    saturation: float = SATURATION_DN,
    min_pixels: int = 2000,
) -> tuple[StripGeometry, FilterFit]:
    """Fit each filter's optical-centre offset against ``reference`` directly on the framelets.

    Every filter sees a direction in another frame than the reference does. Pixels of the
    reference framelets with the strongest gradient are mapped, through the camera model
    and the spin pointing, to where the other filter sees them; Gauss-Newton iterations
    then find the shift of that filter's optical centre that makes its (blurred) framelets
    match the reference there. The filters differ in colour, so the match allows a gain and
    an offset per ``block`` columns of every reference framelet, eliminated by projection;
    residuals are down-weighted robustly (Huber). No rendering is needed: this is the
    fast per-image complement of the shipped corrections (:data:`CAMERA_CORRECTIONS`),
    which absorbs what changes from one image to the next (the parallax of the moving
    spacecraft between the filters' views, for one).

    Parameters
    ----------
    stacks : mapping of str -> FilterStack or (n_frames, rows, 1648) float array
        Linear framelets per filter.
    geometry : StripGeometry
        Geometry with the fitted spin (:func:`fit_spin_rate`).
    reference : str
        Filter held fixed.
    sigma : float
        Gaussian blur of the framelets, pixels.
    fraction : float
        Fraction of each reference framelet's sampled pixels used: those with the
        strongest gradient.
    column_step : int
        Reference pixels are sampled on every ``column_step``-th column (and every row).
    block : int
        Columns per gain-and-offset block. The filters see different colours, so the
        smaller the block, the less a feature brighter in one filter than its
        surroundings pulls the fit: on the simulated Jupiter, 48-column blocks left RED
        0.10-0.11 px off its ground truth and 16-column ones 0.07 px; on the PJ43/44
        products the colour misregistration stayed within 0.01 px (median).
    iterations : int
        Most Gauss-Newton iterations; they stop once the shift changes by under 0.002 px.
    max_frames : int or None
        Reference framelets used, at most, evenly spread over the strip (None: all).
    limb_margin : int
        Pixels are used only this far (pixels) inside the lit disc: limbs and terminators
        look different through different filters (haze, limb darkening) and would bias the
        fit (on the embedded Io sample they pulled BLUE 0.4 px off the truth).
    min_lit : float
        "Lit" means above this fraction of the reference's 99th percentile.
    trim_rows : int
        Framelet edge rows not used.
    saturation : float
        Pixels at or above this linear DN are ignored.
    min_pixels : int
        Fewer usable pixels than this for a filter leaves it unchanged, with a
        :class:`CalibrationWarning`.

    Returns
    -------
    geometry : StripGeometry
        With the offsets applied.
    fit : FilterFit
        ``corrections`` holds the offsets found (relative to the input geometry),
        ``n_matches`` the pixels used and ``residual_px`` the median and 90th percentile
        of the shifts measured frame by frame after the fit.

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> from junoproc.framelets import separate_filters
    >>> from junoproc.pipeline import decompand_raw
    >>> raw = load_sample("io-pj57")
    >>> stacks = separate_filters(decompand_raw(raw), raw.metadata)
    >>> start = geometry_for(raw.metadata, corrections=CameraCorrections())
    >>> geometry, fit = fit_filter_offsets(stacks, fit_spin_rate(stacks, start)[0])
    >>> fit.status, sorted(fit.n_matches)
    ('fitted', ['BLUE', 'RED'])
    >>> all(abs(v) < 0.2 for xy in fit.corrections.centre_offset_px.values() for v in xy)
    True
    """
    if reference not in geometry.filters or reference not in stacks:
        raise ValueError(f"reference filter {reference} is not among {geometry.filters}")
    others = [f for f in geometry.filters if f != reference and f in stacks]
    data = {
        f: np.asarray(stacks[f].data if isinstance(stacks[f], FilterStack) else stacks[f])
        for f in [reference, *others]
    }
    n_frames, rows, cols = data[reference].shape
    sf = geometry.sampling_factor
    # reference frames used: evenly spread, at most max_frames of them
    ref_frames = _spread(n_frames, max_frames)
    ys = np.arange(trim_rows, rows - trim_rows)
    xs = np.arange(
        math.ceil((PHOTOACTIVE_COLUMNS.start + 8) / sf),
        (PHOTOACTIVE_COLUMNS.stop - 8) // sf,
        column_step,
    )
    x0, x1 = int(xs[0]), int(xs[-1]) + 1
    y0, y1 = int(ys[0]), int(ys[-1]) + 1
    cs = column_step

    def strongest(j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns (on the sampling grid) and values of frame ``j``'s strongest
        gradients; frame by frame, its arrays stay in the CPU cache."""
        frame = ref[j]
        lit = erode(frame > dark, limb_margin)
        grid = frame[y0:y1, x0:x1:cs]
        gx = frame[y0:y1, x0 + 1 : x1 + 1 : cs] - frame[y0:y1, x0 - 1 : x1 - 1 : cs]
        gy = frame[y0 + 1 : y1 + 1, x0:x1:cs] - frame[y0 - 1 : y1 - 1, x0:x1:cs]
        score = gx * gx
        score += gy * gy
        score[grid >= saturation] = 0.0
        score[~lit[y0:y1, x0:x1:cs]] = 0.0
        # the strongest gradients of every frame (not of the whole strip, which would be the
        # limb): a threshold per frame from every 8th score, the fraction is kept to about 1 %
        threshold = np.quantile(score.reshape(-1)[::8], 1.0 - fraction)
        i = np.flatnonzero(score > max(threshold, 1e-30))
        iy, ix = np.divmod(i, score.shape[1])
        return iy, ix, grid[iy, ix]

    # the reference frames and their strongest gradients, frame by frame on two cores
    # (OpenCV and numpy release the GIL)
    ref = np.empty((ref_frames.size, rows, cols), np.float32)

    def blur(j: int) -> None:
        ref[j] = _blurred_frame(data[reference], ref_frames[j], sigma)

    cores = 2 if (os.cpu_count() or 1) > 1 and ref_frames.size > 1 else 1
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(blur, range(ref_frames.size)))
        # away from the limb and the night side: there the filters differ most (haze, limb
        # darkening), and the strongest gradients of a frame would all be there
        dark = min_lit * max(float(np.percentile(ref[:, ::4, ::16], 99.0)), 1e-12)
        found = list(pool.map(strongest, range(ref_frames.size)))
    k = np.repeat(ref_frames, [f[0].size for f in found])
    iy, ix, v1 = (np.concatenate([f[i] for f in found]) for i in range(3))
    x, y = xs[ix].astype(np.float64), ys[iy].astype(np.float64)
    v1 = v1.astype(np.float64)
    ray = geometry.camera.pixel_to_ray(x, y, reference, sampling_factor=sf)
    d = np.empty_like(ray)
    for frame in range(n_frames):
        sel = k == frame
        d[sel] = _rows_times(ray[sel], geometry.pointing.rotation(geometry.times_s[frame]).T)
    n_blocks_x = cols // block + 1
    blocks = (k * n_blocks_x + (x * sf // block).astype(np.intp)).astype(np.intp)
    n_blocks = n_frames * n_blocks_x
    offsets: dict[str, tuple[float, float]] = {}
    n_matches: dict[str, int] = {}
    residual: dict[str, tuple[float, float]] = {}
    status = "fitted"

    def one(f: str):
        """Shift of ``f`` against the reference, with the final weights, columns, residuals."""
        # the frame in which f sees each direction nearest its middle row
        _, y_here = geometry.direction_to_pixel(d, f, k)
        few = slice(None, None, max(1, k.size // 500))
        _, y_next = geometry.direction_to_pixel(d[few], f, np.minimum(k[few] + 1, n_frames - 1))
        per_frame = np.where(k[few] + 1 < n_frames, y_next - y_here[few], np.nan)
        per_frame = np.nanmedian(per_frame) if np.isfinite(per_frame).any() else np.nan
        if not np.isfinite(per_frame) or per_frame == 0:
            kf = np.full(k.shape, -1)
        else:
            kf = k + np.rint(((rows - 1) / 2.0 - y_here) / per_frame).astype(np.intp)
        inside = (kf >= 0) & (kf < n_frames)
        kf = np.clip(kf, 0, n_frames - 1)
        xf, yf = geometry.direction_to_pixel(d, f, kf)
        with np.errstate(invalid="ignore"):
            inside &= (yf >= trim_rows) & (yf <= rows - 1 - trim_rows)
            inside &= (xf >= xs[0]) & (xf <= xs[-1])
        band = _blurred_frames(data[f], sigma, np.unique(kf[inside]))
        # in memory order of f's framelets: the samples then gather from nearby addresses
        order = np.nonzero(inside)[0]
        order = order[
            np.argsort((kf[order] * rows + yf[order].astype(np.intp)) * cols, kind="stable")
        ]
        kk, xf, yf, g1, bl = kf[order], xf[order], yf[order], v1[order], blocks[order]
        shift = np.zeros(2)
        used = 0
        jtj = np.zeros((2, 2))
        for _ in range(iterations):
            v2, fx, fy = _sample_frames(band, kk, xf + shift[0], yf + shift[1])
            ok = (v2 < saturation) & np.isfinite(v2)
            w = ok.astype(np.float64)
            r, jx, jy = _block_projection(w, g1, bl, n_blocks, [v2, fx, fy])
            a_r = np.abs(r[ok])
            used = int(ok.sum())
            if used < min_pixels:
                break
            c = 2.5 * max(float(1.4826 * np.median(a_r[:: max(1, a_r.size // 20000)])), 1e-6)
            w = np.where(ok, np.minimum(1.0, c / np.maximum(np.abs(r), 1e-12)), 0.0)
            jtj = np.array([[np.sum(w * jx * jx), np.sum(w * jx * jy)], [0.0, np.sum(w * jy * jy)]])
            jtj[1, 0] = jtj[0, 1]
            rhs = np.array([np.sum(w * jx * r), np.sum(w * jy * r)])
            if np.linalg.det(jtj) <= 1e-12 * max(jtj[0, 0] * jtj[1, 1], 1e-300):
                used = 0
                break
            delta = -np.linalg.solve(jtj, rhs)
            shift += delta
            if np.all(np.abs(delta) < 2e-3):
                break
        return used, shift, kk, w, jx, jy, r

    workers = max(1, min(len(others), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip(others, pool.map(one, others), strict=True))
    for f in others:
        used, shift, kk, w, jx, jy, r = results[f]
        n_matches[f] = used
        if used < min_pixels:
            warnings.warn(
                f"only {used} usable pixels to register {f} on {reference}: "
                f"keeping {f}'s optical centre",
                CalibrationWarning,
                stacklevel=2,
            )
            status = "nominal"
            continue
        # the remaining shift, frame by frame: a measure of how well one offset fits all
        sums = [
            np.bincount(kk, weights=w * a * b, minlength=n_frames)
            for a, b in ((jx, jx), (jx, jy), (jy, jy), (jx, r), (jy, r))
        ]
        det = sums[0] * sums[2] - sums[1] ** 2
        good = det > 1e-9 * np.maximum(sums[0] * sums[2], 1e-300)
        sx = -(sums[2] * sums[3] - sums[1] * sums[4])[good] / det[good]
        sy = -(sums[0] * sums[4] - sums[1] * sums[3])[good] / det[good]
        mag = np.hypot(sx, sy)
        residual[f] = (
            (float(np.median(mag)), float(np.percentile(mag, 90))) if mag.size else (math.nan,) * 2
        )
        offsets[f] = (float(shift[0] * sf), float(shift[1] * sf))
    corrections = CameraCorrections(
        geometry.pointing.axis_tilt_rad, offsets, source="fit_filter_offsets"
    )
    fitted = dataclasses.replace(geometry, camera=corrected_camera(geometry.camera, corrections))
    logger.info("filter offsets against %s: %s (residual %s)", reference, offsets, residual)
    return fitted, FilterFit(corrections, status, n_matches, residual)


def _with_terms(g0: Any, p: np.ndarray, fit_scale: bool) -> Any:
    """``g0`` with its optical centre moved by ``p[:2]`` and, if fitted, magnified by
    ``exp(p[2])`` across the lines only (the focal length along the rows is kept)."""
    if not fit_scale:
        return dataclasses.replace(g0, cx=g0.cx + p[0], cy=g0.cy + p[1])
    s = math.exp(p[2])
    return dataclasses.replace(
        g0,
        cx=g0.cx + p[0],
        cy=g0.cy + p[1],
        focal_length_mm=g0.focal_length_mm * s,
        y_scale=g0.y_scale / s,
    )


def _with_y_scales(geometry: StripGeometry, scales: Mapping[str, float]) -> StripGeometry:
    """``geometry`` with each filter in ``scales`` stretched along the rows about its middle row.

    The optical-centre row moves so that the middle row of the framelet keeps its
    direction: the stretch changes how far a spin step moves the scene across the framelet,
    not where the filter looks.
    """
    cam = geometry.camera
    middle = cam.framelet_lines / 2.0  # IK corner-origin coordinate of the middle row
    filters = []
    for g in cam.filters:
        s = scales.get(g.name)
        if s is not None:
            g = dataclasses.replace(g, y_scale=g.y_scale * s, cy=middle - s * (middle - g.cy))
        filters.append(g)
    return dataclasses.replace(geometry, camera=dataclasses.replace(cam, filters=tuple(filters)))


def _fit_y_scales(
    stacks: Mapping[str, FilterStack | np.ndarray], geometry: StripGeometry, reference: str
) -> StripGeometry:
    """Each filter's magnification along the rows relative to ``reference``, from the overlaps.

    :func:`fit_spin_rate` with ``fit_scale`` finds the magnification about each framelet's
    centre that makes the filter's overlaps agree at the common spin rate; the overlaps
    constrain it through how many rows one spin step spans, so it is applied along the rows
    only (:func:`_with_y_scales`). The geometry keeps the rate fitted with it.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        fitted, spin = fit_spin_rate(
            stacks, geometry, fit_twist=False, fit_scale=True, reference=reference
        )
    if spin.status != "fitted" or not spin.focal_scale:
        return geometry
    logger.info("along-row magnifications from the overlaps: %s", spin.focal_scale)
    return _with_y_scales(dataclasses.replace(geometry, pointing=fitted.pointing), spin.focal_scale)


def _matched_pixels(geometry, view, directions, centres, shifts, reference, f, locate):
    """Raw pixels of the reference and of filter ``f`` that see the same feature."""
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    shifts = np.asarray(shifts, dtype=np.float64).reshape(-1, 2)
    if centres.size == 0:
        return (np.zeros(0),) * 6

    def direction_at(rc):
        r, c = rc[:, 0], rc[:, 1]
        az = view.azimuth0_rad + view.step_rad * r
        el = view.elevation0_rad - view.step_rad * c
        return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)

    kg, xg, yg = locate(geometry, direction_at(centres), reference)
    kc, xc, yc = locate(geometry, direction_at(centres + shifts), f)
    ok = (kg >= 0) & (kc >= 0)
    return kg[ok], xg[ok], yg[ok], kc[ok], xc[ok], yc[ok]


def _measure_with_quality(
    image: np.ndarray, coverage: np.ndarray, channels, reference: str, *, tile: int = 48
):
    from .quality import channel_misregistration

    result = channel_misregistration(
        image, coverage, channels=channels, reference=reference, tile=tile, step=tile // 2
    )
    return {name: (c.centres, c.shifts) for name, c in result.channels.items()}


def geometry_for(
    metadata: Any,
    *,
    camera: Any = None,
    corrections: CameraCorrections | None = None,
    rate_rad_s: float | None = None,
    exposure_centre: bool = False,
) -> StripGeometry:
    """The starting geometry of a product: IK camera, FK mounting, IK timing, shipped corrections.

    Parameters
    ----------
    metadata : Metadata
    camera : CameraModel, optional
        Defaults to the IK's built-in model, with the methane optical centre from
        ``RATIONALE_DESC`` when the product gives one.
    corrections : CameraCorrections, optional
        Defaults to :data:`CAMERA_CORRECTIONS`.
    rate_rad_s : float, optional
        Starting spin rate (default: :data:`junoproc.pointing.DEFAULT_SPIN_RATE_RAD_S`).
    exposure_centre : bool
        Put frame times at the centre of the exposures.

    Returns
    -------
    StripGeometry

    Examples
    --------
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "3.2 <ms>",
    ...     "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 1152})
    >>> geometry_for(meta).times_s
    array([0.06188, 0.43488, 0.80788])
    """
    from .camera import CameraModel
    from .framelets import frame_times
    from .pointing import DEFAULT_SPIN_RATE_RAD_S, SpinPointing

    cam = (camera or CameraModel.default()).for_metadata(metadata)
    times = frame_times(
        metadata,
        exposure_centre=exposure_centre,
        bias_s=cam.start_time_bias_s,
        delta_s=cam.interframe_delta_s,
    )
    pointing = SpinPointing(
        rate_rad_s=rate_rad_s or DEFAULT_SPIN_RATE_RAD_S, epoch=metadata.start_time
    )
    geom = StripGeometry(
        cam, pointing, times, metadata.filters, sampling_factor=metadata.sampling_factor
    )
    return apply_corrections(geom, CAMERA_CORRECTIONS if corrections is None else corrections)
