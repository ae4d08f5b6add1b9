"""Self-calibration of the spin model from the image itself.

Only the spin angle between frames is observable from a raw strip alone: the spin rate
and the IK's interframe correction are degenerate, and a constant start-time error
(the IK's "jitter of order 20 msec") is a rotation of the whole picture about the spin
axis, invisible without an outside reference. So junoproc fits, per image:

* the **spin rate**, from the ~14 rows by which consecutive framelets of one filter
  overlap (:func:`fit_spin_rate`; fast, on the framelets themselves, no rendering);

and, optionally (:func:`fit_geometry`), from features seen through different filters:

* the **camera mounting** relative to the spin axis (two small angles: a twist of the
  CCD lines about the boresight, and the boresight's elevation),
* each filter's **optical-centre offset** and **focal-length scale** relative to GREEN
  (lateral chromatic aberration).

The mounting and per-filter terms are properties of the camera, not of one image, so
:data:`CAMERA_CORRECTIONS` holds values fitted jointly by :func:`fit_filter_terms` over the
PJ43/PJ44 products (see ``docs/calibration.md``); :func:`geometry_for` applies them and is
what :func:`junoproc.process` starts from.

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
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .camera import PHOTOACTIVE_COLUMNS
from .exceptions import JunoprocWarning
from .framelets import FilterStack
from .render import StripGeometry

__all__ = [
    "CAMERA_CORRECTIONS",
    "CalibrationWarning",
    "CameraCorrections",
    "FilterFit",
    "SpinFit",
    "apply_corrections",
    "fit_filter_terms",
    "fit_spin_rate",
    "geometry_for",
]

logger = logging.getLogger(__name__)

#: Linear DN above which pixels are treated as saturated (the SQROOT table tops out at 2879;
#: lossy-compressed products plateau from about 2500).
SATURATION_DN = 2300.0


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
    source : str
        Where the values come from.
    """

    axis_tilt_rad: tuple[float, float] = (0.0, 0.0)
    centre_offset_px: Mapping[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    focal_scale: Mapping[str, float] = dataclasses.field(default_factory=dict)
    source: str = "none"

    def summary(self) -> dict[str, Any]:
        """JSON-friendly dictionary of the values."""
        return {
            "axis_tilt_mrad": [round(a * 1e3, 4) for a in self.axis_tilt_rad],
            "centre_offset_px": {
                k: [round(v, 4) for v in xy] for k, xy in self.centre_offset_px.items()
            },
            "focal_scale": {k: round(v, 6) for k, v in self.focal_scale.items()},
            "source": self.source,
        }


#: Corrections fitted jointly over the five PJ43/PJ44 RGB products by :func:`fit_filter_terms`
#: (script: ``docs/scripts/fit_camera_corrections.py``; values and residuals in
#: ``docs/calibration.md``).
CAMERA_CORRECTIONS = CameraCorrections(
    axis_tilt_rad=(0.0, 0.0),
    centre_offset_px={},
    focal_scale={},
    source="nominal (IK and FK values)",
)


def apply_corrections(geometry: StripGeometry, corrections: CameraCorrections) -> StripGeometry:
    """A geometry whose camera and mounting carry ``corrections``.

    Offsets and scales replace (they are not added to) what the camera had relative to
    the IK's nominal model only in the sense that they are applied to the given camera.

    Parameters
    ----------
    geometry : StripGeometry
    corrections : CameraCorrections

    Returns
    -------
    StripGeometry
    """
    cam = geometry.camera
    filters = []
    for g in cam.filters:
        dx, dy = corrections.centre_offset_px.get(g.name, (0.0, 0.0))
        s = corrections.focal_scale.get(g.name, 1.0)
        filters.append(
            dataclasses.replace(
                g, cx=g.cx + dx, cy=g.cy + dy, focal_length_mm=g.focal_length_mm * s
            )
        )
    camera = dataclasses.replace(cam, filters=tuple(filters))
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
    """

    rate_rad_s: float
    start_rate_rad_s: float
    status: str
    residual_px: float
    pair_shift_px: tuple[float, ...]
    n_pixels: int
    iterations: int
    twist_rad: float = math.nan

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
        }


def _frame_pair_map(
    geom: StripGeometry,
    f: str,
    x: np.ndarray,
    y: np.ndarray,
    step: float,
    twist: float | None = None,
):
    """Where pixels (x, y) of frame k fall in frame k+1 for a spin step (and mounting twist)."""
    pointing = geom.pointing
    if twist is not None:
        pointing = dataclasses.replace(pointing, axis_tilt_rad=(twist, pointing.axis_tilt_rad[1]))
    v = geom.camera.pixel_to_ray(x, y, f, sampling_factor=geom.sampling_factor)
    c = pointing.camera_to_spin
    d = v @ c.T
    cs, sn = math.cos(-step), math.sin(-step)
    d = np.stack([cs * d[:, 0] - sn * d[:, 1], sn * d[:, 0] + cs * d[:, 1], d[:, 2]], axis=-1)
    return geom.camera.ray_to_pixel(d @ c, f, sampling_factor=geom.sampling_factor)


def _bilinear(
    img: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values and gradients (d/dx, d/dy) of ``img`` at (x, y) by bilinear interpolation."""
    rows, cols = img.shape[-2:]
    x0 = np.clip(np.floor(x).astype(np.int64), 0, cols - 2)
    y0 = np.clip(np.floor(y).astype(np.int64), 0, rows - 2)
    fx, fy = x - x0, y - y0
    a, b = img[..., y0, x0], img[..., y0, x0 + 1]
    c, d = img[..., y0 + 1, x0], img[..., y0 + 1, x0 + 1]
    value = a * (1 - fx) * (1 - fy) + b * fx * (1 - fy) + c * (1 - fx) * fy + d * fx * fy
    gx = (b - a) * (1 - fy) + (d - c) * fy
    gy = (c - a) * (1 - fx) + (d - b) * fx
    return value, gx, gy


def fit_spin_rate(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    *,
    iterations: int = 6,
    fit_twist: bool = True,
    smoothing: Sequence[float] = (2.0, 1.0),
    trim_rows: int = 2,
    column_step: int = 2,
    min_pixels: int = 2000,
    saturation: float = SATURATION_DN,
) -> tuple[StripGeometry, SpinFit]:
    """Fit the spin rate so that consecutive framelets of each filter agree where they overlap.

    For frames ``k`` and ``k + 1`` of one filter, the bottom rows of framelet ``k`` see the
    same directions as the top rows of framelet ``k + 1``. For a trial spin step the camera
    model maps each overlap pixel of ``k`` into ``k + 1``; Gauss-Newton iterations on the
    intensity differences (using the image gradient, so sub-pixel) find the step that
    makes all overlaps of all filters agree. Saturated and structureless pixels carry
    no weight; residuals are down-weighted robustly (Huber).

    Parameters
    ----------
    stacks : mapping of str -> FilterStack or (n_frames, rows, 1648) float array
        Linear framelets per filter.
    geometry : StripGeometry
        Starting geometry; only the spin rate (and the twist) change.
    iterations : int
        Gauss-Newton iterations (converges in 3-4).
    fit_twist : bool
        Also fit the twist of the CCD lines about the boresight (the first
        ``axis_tilt_rad`` angle), which the overlaps constrain as well.
    smoothing : sequence of float
        Gaussian blur (pixels) of the framelets at each coarse-to-fine level: blurring
        widens the capture range and removes the bias of interpolating only one side.
    trim_rows : int
        Framelet edge rows not used.
    column_step : int
        Use every n-th column (speed).
    min_pixels : int
        Fewer usable overlap pixels than this keeps the starting rate, with a
        :class:`CalibrationWarning`.
    saturation : float
        Pixels at or above this linear DN are ignored.

    Returns
    -------
    geometry : StripGeometry
        With the fitted rate.
    fit : SpinFit
    """
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
    rows = geometry.rows
    xs = (
        np.arange(PHOTOACTIVE_COLUMNS.start + 8, PHOTOACTIVE_COLUMNS.stop - 8, column_step)
        / geometry.sampling_factor
    )
    from scipy.ndimage import gaussian_filter

    originals = {
        f: np.asarray(s.data if isinstance(s, FilterStack) else s, dtype=np.float32)
        for f, s in stacks.items()
        if f in geometry.filters
    }
    data = originals
    # overlap pixels of frame k: rows whose image in frame k+1 lands inside it (at the start step)
    setup = {}
    for f in data:
        yy, xx = np.meshgrid(
            np.arange(trim_rows, rows - trim_rows, dtype=np.float64), xs, indexing="ij"
        )
        x2, y2 = _frame_pair_map(geometry, f, xx.ravel(), yy.ravel(), step)
        inside = (
            (y2 >= trim_rows + 1) & (y2 <= rows - 2 - trim_rows) & (x2 >= xs[0]) & (x2 <= xs[-1])
        )
        setup[f] = (xx.ravel()[inside], yy.ravel()[inside])
    twist = geometry.pointing.axis_tilt_rad[0]
    n_used, shifts, it, converged = 0, [], 0, False
    h = 1e-5  # rad, for the numerical derivatives of the pair map
    fl = geometry.camera.geometry(next(iter(data))).fl_px / geometry.sampling_factor
    schedule = [s for s in smoothing for _ in range(iterations)] or [0.0] * iterations
    level = None
    for sigma in schedule:
        if sigma != level:
            level = sigma
            data = {
                f: gaussian_filter(d, (0, sigma, sigma)) if sigma > 0 else d
                for f, d in originals.items()
            }
        elif converged:
            continue
        converged = False
        it += 1
        normal = np.zeros((2, 2))
        rhs = np.zeros(2)
        pair_res: list[float] = []
        n_used = 0
        for f, (x, y) in setup.items():
            img = data[f]
            x2, y2 = _frame_pair_map(geometry, f, x, y, step, twist)
            xs_, ys_ = _frame_pair_map(geometry, f, x, y, step + h, twist)
            xt_, yt_ = _frame_pair_map(geometry, f, x, y, step, twist + h)
            v1, _, _ = _bilinear(img[:-1], x, y)
            v2, gx, gy = _bilinear(img[1:], x2, y2)
            j_step = gx * (xs_ - x2) / h + gy * (ys_ - y2) / h  # d(v2)/d(step), per frame pair
            j_twist = gx * (xt_ - x2) / h + gy * (yt_ - y2) / h
            r = v2 - v1
            ok = (v1 < saturation) & (v2 < saturation) & np.isfinite(r) & np.isfinite(j_step)
            scale = np.sqrt(np.maximum(v1, 1.0))  # shot-noise-like scale
            js, jt, rn = (np.where(ok, a / scale, 0.0) for a in (j_step, j_twist, r))
            mad = np.median(np.abs(rn[ok])) if ok.any() else 1.0
            c = 2.5 * max(mad, 1e-3)
            w = np.where(np.abs(rn) <= c, 1.0, c / np.maximum(np.abs(rn), 1e-12)) * ok
            normal += [
                [np.sum(w * js * js), np.sum(w * js * jt)],
                [np.sum(w * js * jt), np.sum(w * jt * jt)],
            ]
            rhs += [np.sum(w * js * rn), np.sum(w * jt * rn)]
            n_used += int(ok[np.abs(j_step) > 0].sum())
            for k in range(img.shape[0] - 1):
                dk = float(np.sum(w[k] * js[k] * js[k]))
                if dk > 0:  # remaining along-spin misfit of this pair, in pixels
                    pair_res.append(-float(np.sum(w[k] * js[k] * rn[k])) / dk * fl)
        if n_used < min_pixels or normal[0, 0] <= 0:
            warnings.warn(
                f"only {n_used} usable overlap pixels (need {min_pixels}): too little structure "
                "to fit the spin rate; keeping the nominal rate",
                CalibrationWarning,
                stacklevel=2,
            )
            return geometry, fail
        if fit_twist and normal[1, 1] > 1e-6 * normal[0, 0]:
            delta = -np.linalg.solve(normal, rhs)
        else:
            delta = np.array([-rhs[0] / normal[0, 0], 0.0])
        step += delta[0]
        twist += delta[1]
        shifts = pair_res
        converged = abs(delta[0]) * fl < 1e-4 and abs(delta[1]) * 800 < 1e-4
    rate = abs(step) / dt
    pointing = dataclasses.replace(
        geometry.pointing,
        rate_rad_s=rate,
        axis_tilt_rad=(twist, geometry.pointing.axis_tilt_rad[1]),
    )
    fitted = dataclasses.replace(geometry, pointing=pointing)
    arr = np.asarray(shifts)
    residual = float(1.4826 * np.median(np.abs(arr))) if arr.size else math.nan
    logger.info(
        "spin rate %.4f deg/s (started at %.4f), twist %.2f mrad, overlap residual %.3f px",
        math.degrees(rate),
        math.degrees(start),
        twist * 1e3,
        residual,
    )
    return fitted, SpinFit(rate, start, "fitted", residual, tuple(arr.tolist()), n_used, it, twist)


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
    offsets, scales = {}, {}
    for g, g0 in zip(geometry.camera.filters, base.camera.filters, strict=True):
        if (g.cx, g.cy) != (g0.cx, g0.cy):
            offsets[g.name] = (g.cx - g0.cx, g.cy - g0.cy)
        if g.focal_length_mm != g0.focal_length_mm:
            scales[g.name] = g.focal_length_mm / g0.focal_length_mm
    return CameraCorrections(
        geometry.pointing.axis_tilt_rad, offsets, scales, source="fit_filter_terms"
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
    min_matches: int = 8,
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
        Fit a focal-length factor per filter (lateral chromatic aberration) as well.
    min_matches : int
        Fewer matched tiles than this for a filter leaves it unchanged, with a warning.
    measure : callable, optional
        ``measure(image, coverage, channels, reference) -> {channel: (centres, shifts)}``
        with ``centres`` and ``shifts`` (n, 2) arrays of (row, col); by default built on
        :func:`junoproc.quality.channel_misregistration`.

    Returns
    -------
    geometry : StripGeometry
    fit : FilterFit
    """
    from scipy.optimize import least_squares

    from .render import locate, panorama_view, render

    if reference not in geometry.filters:
        raise ValueError(f"reference filter {reference} is not among {geometry.filters}")
    others = [f for f in geometry.filters if f != reference and f in stacks]
    base = geometry
    measure = measure or _measure_with_quality
    n_matches: dict[str, int] = {}
    residual: dict[str, tuple[float, float]] = {}
    status = "fitted"
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
                s = math.exp(p[2]) if fit_scale else 1.0
                g = dataclasses.replace(
                    g0, cx=g0.cx + p[0], cy=g0.cy + p[1], focal_length_mm=g0.focal_length_mm * s
                )
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
            s = math.exp(p[2]) if fit_scale else 1.0
            new_filters[f] = dataclasses.replace(
                g0, cx=g0.cx + p[0], cy=g0.cy + p[1], focal_length_mm=g0.focal_length_mm * s
            )
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


def _measure_with_quality(image: np.ndarray, coverage: np.ndarray, channels, reference: str):
    from .quality import channel_misregistration

    result = channel_misregistration(
        image, coverage, channels=channels, reference=reference, step=32
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
