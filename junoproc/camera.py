"""The JunoCam camera model: pixels of each filter framelet to rays in the camera frame and back.

The model is the one the instrument kernel (IK) ``juno_junocam_v03.ti`` describes: a pinhole with
focal length ``FOCAL_LENGTH / PIXEL_SIZE`` = 1480.59 px, a per-filter optical centre
``(cx, cy)`` in framelet coordinates and a radial distortion
``r_pixel = r_ideal (1 + k1 r_ideal**2 + k2 r_ideal**4)`` shared by all filters. Rays are
expressed in the ``JUNO_JUNOCAM`` frame: +Z along the boresight, +X along the CCD lines towards
increasing sample, +Y towards increasing framelet row (and from METHANE towards RED on the CCD).

Pixel coordinates
-----------------
junoproc puts pixel centres at integer coordinates: array element ``[row, col]`` of a framelet
is the pixel centred on ``(x=col, y=row)`` and covering ``[x - 0.5, x + 0.5)`` in both axes. This
is the convention of the whole package (see :mod:`junoproc`).

The IK's framelet coordinates ``(X, Y)`` are *continuous* coordinates whose origin is the
upper-left **corner** of the framelet, so the first pixel spans ``[0, 1)`` and its centre is
``(0.5, 0.5)``. Three statements in the IK fix this reading:

* the FOV layout diagram labels the framelet corners ``0,0`` and ``1648,128``: the framelet
  spans ``[0, 1648] x [0, 128]``, which is an extent of edges, not a range of centres;
* the "FOV Definition" section computes the corner vectors "for pixels (23.5,0.5),
  (23.5,127.5), (1630.5,127.5), and (1630.5,0.5)": with corner-origin coordinates these are the
  centres of the four outermost photoactive pixels (columns 23 and 1630 are the first and last
  photoactive columns, IK Note 1; rows 0 and 127 the first and last rows). Read as centre-origin
  coordinates they would fall on the boundaries between pixels, which no one would call
  "pixels";
* the boresight is computed "for the pixel (827.0,64.0)", the middle of the photoactive area
  ``[23, 1631) x [0, 128)`` in corner-origin coordinates (in centre-origin coordinates the
  middle of columns 23..1630 and rows 0..127 would be ``(826.5, 63.5)``).

Hence ``X = x + 0.5`` and ``Y = y + 0.5`` for un-summed framelets. Code that feeds array
indices straight into the IK recipe sits half a pixel (0.34 mrad) off in both axes; a spin or
timing fit absorbs the row part, the column part is common to all filters.

Summed framelets (``SAMPLING_FACTOR`` 2, 64-row framelets) have pixels twice as large in
both axes: summed pixel ``(x, y)`` covers un-summed corner coordinates
``[2x, 2x + 2) x [2y, 2y + 2)``. In general ``X = s (x + 0.5)``, ``Y = s (y + 0.5)`` with
``s`` the sampling factor: the corner-origin coordinates scale by ``s``.
:func:`to_ik_coordinates` and :func:`from_ik_coordinates` convert.

Examples
--------
>>> from junoproc.camera import CameraModel
>>> cam = CameraModel.default()
>>> v = cam.pixel_to_ray(826.5, 63.5, "GREEN")   # IK "boresight pixel" (827.0, 64.0)
>>> v.round(8)
array([0.00863288, 0.04084925, 0.99912803])
>>> x, y = cam.ray_to_pixel(v, "GREEN")
>>> float(x), float(y)
(826.5, 63.5)
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .exceptions import MetadataError, MissingFileError, UnknownFilterError
from .metadata import FILTERS, FRAMELET_LINES, LINE_SAMPLES

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .metadata import Metadata

__all__ = [
    "CAMERA_NAIF_ID",
    "FILTER_NAIF_IDS",
    "FRAMELET_LINES",
    "INTERFRAME_DELTA_S",
    "LINE_SAMPLES",
    "PHOTOACTIVE_COLUMNS",
    "START_TIME_BIAS_S",
    "CameraModel",
    "FilterGeometry",
    "from_ik_coordinates",
    "parse_text_kernel",
    "pixel_to_ray",
    "ray_to_pixel",
    "read_text_kernel",
    "to_ik_coordinates",
]

#: NAIF ids of the filter bands (IK juno_junocam_v03.ti "Naming Conventions").
FILTER_NAIF_IDS: Mapping[str, int] = {
    "METHANE": -61504,
    "BLUE": -61501,
    "GREEN": -61502,
    "RED": -61503,
}
#: NAIF id of the whole camera, the JUNO_JUNOCAM frame (IK juno_junocam_v03.ti).
CAMERA_NAIF_ID = -61500

#: Photoactive columns of a readout line: 23 .. 1630 inclusive, 1608 columns (IK
#: juno_junocam_v03.ti Note 1: 23 dark pixels, then 1608 photoactive). Use as
#: ``framelet[..., PHOTOACTIVE_COLUMNS]``; ``.start`` and ``.stop - 1`` are the first and last.
PHOTOACTIVE_COLUMNS = slice(23, 1631)

#: Fixed bias to add to START_TIME, seconds (IK juno_junocam_v03.ti INS-6150x_START_TIME_BIAS).
START_TIME_BIAS_S = 0.06188
#: Correction to add to INTERFRAME_DELAY, seconds (IK juno_junocam_v03.ti
#: INS-6150x_INTERFRAME_DELTA).
INTERFRAME_DELTA_S = 0.001

# IK juno_junocam_v03.ti INS-6150x_FOCAL_LENGTH (mm, all bands)
_FOCAL_LENGTH_MM = 10.95637
# IK juno_junocam_v03.ti INS-6150x_PIXEL_SIZE (mm, all bands)
_PIXEL_SIZE_MM = 0.0074
# IK juno_junocam_v03.ti INS-6150x_DISTORTION_K1 (pixel units, all bands)
_K1 = -5.9624209455667325e-08
# IK juno_junocam_v03.ti INS-6150x_DISTORTION_K2 (pixel units, all bands)
_K2 = 2.7381910042256151e-14
# IK juno_junocam_v03.ti INS-6150x_DISTORTION_X (optical centre column, all bands)
_CX = 814.21
# IK juno_junocam_v03.ti INS-6150x_DISTORTION_Y (optical centre row of each band's framelet)
_CY = {"METHANE": 315.48, "BLUE": 158.48, "GREEN": 3.48, "RED": -151.52}

#: Newton iterations allowed when removing the distortion (it converges in 3 to 4).
_MAX_NEWTON = 30
#: Stop when the radius changes by less than this many pixels.
_NEWTON_TOL = 1e-10


def _check_sampling(sampling_factor: int) -> int:
    if isinstance(sampling_factor, bool) or int(sampling_factor) != sampling_factor:
        raise ValueError(f"sampling_factor must be a positive integer, got {sampling_factor!r}")
    s = int(sampling_factor)
    if s < 1:
        raise ValueError(f"sampling_factor must be a positive integer, got {sampling_factor!r}")
    return s


def to_ik_coordinates(
    x: ArrayLike, y: ArrayLike, *, sampling_factor: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """junoproc pixel coordinates to the IK's corner-origin framelet coordinates.

    Parameters
    ----------
    x, y : array_like of float
        Column and row in junoproc's convention (integer = pixel centre), any broadcastable
        shapes.
    sampling_factor : int, optional
        ``SAMPLING_FACTOR`` of the framelet (1, or 2 for summed 64-row framelets).

    Returns
    -------
    X, Y : float64 ndarray
        ``s (x + 0.5)`` and ``s (y + 0.5)``, in un-summed IK pixels, broadcast together.

    Examples
    --------
    >>> from junoproc.camera import to_ik_coordinates
    >>> X, Y = to_ik_coordinates(23, 0)
    >>> float(X), float(Y)
    (23.5, 0.5)
    >>> X, Y = to_ik_coordinates([0, 1], 0, sampling_factor=2)   # summed pixels
    >>> X, Y
    (array([1., 3.]), array([1., 1.]))
    """
    s = _check_sampling(sampling_factor)
    X, Y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return s * (X + 0.5), s * (Y + 0.5)


def from_ik_coordinates(
    X: ArrayLike, Y: ArrayLike, *, sampling_factor: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The IK's corner-origin framelet coordinates to junoproc pixel coordinates.

    The inverse of :func:`to_ik_coordinates`: ``x = X / s - 0.5``, ``y = Y / s - 0.5``.

    Parameters
    ----------
    X, Y : array_like of float
        IK framelet coordinates (origin at the framelet's upper-left corner, un-summed pixels).
    sampling_factor : int, optional
        ``SAMPLING_FACTOR`` of the framelet the result should index.

    Returns
    -------
    x, y : float64 ndarray
        Column and row with pixel centres at integers, broadcast together.

    Examples
    --------
    >>> from junoproc.camera import from_ik_coordinates
    >>> x, y = from_ik_coordinates(827.0, 64.0)    # the IK's boresight pixel
    >>> float(x), float(y)
    (826.5, 63.5)
    """
    s = _check_sampling(sampling_factor)
    X_, Y_ = np.broadcast_arrays(np.asarray(X, dtype=np.float64), np.asarray(Y, dtype=np.float64))
    return X_ / s - 0.5, Y_ / s - 0.5


@dataclasses.dataclass(frozen=True)
class FilterGeometry:
    """Optics of one filter band: pinhole, optical centre and radial distortion.

    Attributes
    ----------
    name : str
        ``"METHANE"``, ``"BLUE"``, ``"GREEN"`` or ``"RED"``.
    naif_id : int
        NAIF instrument id (-61504, -61501, -61502, -61503).
    focal_length_mm, pixel_size_mm : float
        IK ``FOCAL_LENGTH`` and ``PIXEL_SIZE``.
    k1, k2 : float
        Radial distortion coefficients in pixel units (IK ``DISTORTION_K1``, ``_K2``).
    cx, cy : float
        Optical centre in the IK's corner-origin framelet coordinates, un-summed pixels
        (IK ``DISTORTION_X``, ``DISTORTION_Y``). ``cy`` lies outside the framelet for all
        filters but GREEN.
    y_scale : float, optional
        Stretch of the distorted detector offsets along the framelet rows (``y - cy``, the
        spin direction) only, about the optical centre: to first order a focal length of
        ``fl_px * y_scale`` in ``y``. 1.0 (the IK's square pixels) by default;
        self-calibration (:mod:`junoproc.calibrate`) sets it from the framelet overlaps,
        which want BLUE about 0.3 % smaller and RED about 0.2 % larger than GREEN.

    Examples
    --------
    >>> from junoproc.camera import CameraModel
    >>> g = CameraModel.default()["GREEN"]
    >>> g.naif_id, round(g.fl_px, 4)
    (-61502, 1480.5905)
    """

    name: str
    naif_id: int
    focal_length_mm: float
    pixel_size_mm: float
    k1: float
    k2: float
    cx: float
    cy: float
    y_scale: float = 1.0

    def __post_init__(self) -> None:
        for field in ("focal_length_mm", "pixel_size_mm", "k1", "k2", "cx", "cy", "y_scale"):
            value = float(getattr(self, field))
            if not math.isfinite(value):
                raise ValueError(f"{self.name}: {field} must be finite, got {value!r}")
            object.__setattr__(self, field, value)
        if self.focal_length_mm <= 0 or self.pixel_size_mm <= 0 or self.y_scale <= 0:
            raise ValueError(f"{self.name}: focal length, pixel size and y_scale must be positive")

    @property
    def fl_px(self) -> float:
        """Focal length in pixels, ``focal_length_mm / pixel_size_mm``."""
        return self.focal_length_mm / self.pixel_size_mm

    def distort(self, u: ArrayLike, w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Ideal (pinhole) offsets from the optical centre to distorted offsets, in pixels.

        Parameters
        ----------
        u, w : array_like of float
            Ideal offsets ``fl_px * v_x / v_z`` and ``fl_px * v_y / v_z``.

        Returns
        -------
        du, dw : float64 ndarray
            Offsets on the detector: ``(u, w) (1 + k1 r**2 + k2 r**4)``, ``r**2 = u**2 + w**2``.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> du, dw = CameraModel.default()["RED"].distort(800.0, 0.0)
        >>> round(float(du - 800.0), 2)      # barrel distortion pulls the corners in
        -21.56
        """
        u_, w_ = np.broadcast_arrays(
            np.asarray(u, dtype=np.float64), np.asarray(w, dtype=np.float64)
        )
        r2 = u_ * u_ + w_ * w_
        scale = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
        return u_ * scale, w_ * scale

    def undistort(self, du: ArrayLike, dw: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Distorted detector offsets to ideal (pinhole) offsets: the inverse of :meth:`distort`.

        The radial equation ``r (1 + k1 r**2 + k2 r**4) = rho`` is solved by Newton's method
        started at ``r = rho``, to 1e-10 px. With the IK's coefficients the left side is
        strictly increasing in ``r`` (its derivative ``1 + 3 k1 r**2 + 5 k2 r**4`` has no real
        root), so the solution is unique. (The IK's recipe of five fixed-point steps is off by
        up to 8e-7 px at the framelet corners.)

        Parameters
        ----------
        du, dw : array_like of float
            Offsets from the optical centre on the detector, in un-summed pixels.

        Returns
        -------
        u, w : float64 ndarray
            Ideal offsets. Non-finite input gives NaN.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> red = CameraModel.default()["RED"]
        >>> u, w = red.undistort(*red.distort(800.0, -60.0))
        >>> round(float(u), 9), round(float(w), 9)
        (800.0, -60.0)
        """
        du_, dw_ = np.broadcast_arrays(
            np.asarray(du, dtype=np.float64), np.asarray(dw, dtype=np.float64)
        )
        k1, k2 = self.k1, self.k2
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            rho = np.hypot(du_, dw_)
            r = rho.copy()
            for _ in range(_MAX_NEWTON):
                r2 = r * r
                f = r * (1.0 + k1 * r2 + k2 * r2 * r2) - rho
                fp = 1.0 + 3.0 * k1 * r2 + 5.0 * k2 * r2 * r2
                step = f / fp
                r = r - step
                if not np.any(np.abs(step) > _NEWTON_TOL):  # NaN steps do not hold us up
                    break
            scale = np.divide(r, rho, out=np.ones_like(rho), where=rho > 0)
        return du_ * scale, dw_ * scale

    def pixel_to_ray(self, x: ArrayLike, y: ArrayLike, *, sampling_factor: int = 1) -> np.ndarray:
        """Unit view vectors in the JUNO_JUNOCAM frame of framelet pixels of this filter.

        Parameters
        ----------
        x, y : array_like of float
            Column and row inside the framelet, junoproc convention (integer = pixel centre);
            any broadcastable shapes.
        sampling_factor : int, optional
            ``SAMPLING_FACTOR`` of the framelet; 2 for summed framelets (pixel coordinates scale
            by 2, see the module notes).

        Returns
        -------
        v : (..., 3) float64 ndarray
            Unit vectors; ``...`` is the broadcast shape of ``x`` and ``y``.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> green = CameraModel.default()["GREEN"]
        >>> green.pixel_to_ray(814.21 - 0.5, 3.48 - 0.5)      # the optical centre
        array([0., 0., 1.])
        >>> green.pixel_to_ray([23, 1630], [0, 0]).shape
        (2, 3)
        """
        X, Y = to_ik_coordinates(x, y, sampling_factor=sampling_factor)
        dw = Y - self.cy
        if self.y_scale != 1.0:
            dw = dw / self.y_scale
        u, w = self.undistort(X - self.cx, dw)
        v = np.stack([u, w, np.full_like(u, self.fl_px)], axis=-1)
        with np.errstate(invalid="ignore"):
            return v / np.linalg.norm(v, axis=-1, keepdims=True)

    def ray_to_pixel(
        self, v: ArrayLike, *, sampling_factor: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Framelet pixel coordinates of view vectors in the JUNO_JUNOCAM frame.

        Parameters
        ----------
        v : (..., 3) array_like of float
            View vectors of any length. Vectors with ``v_z <= 0`` (at or behind the image
            plane) give NaN.
        sampling_factor : int, optional
            ``SAMPLING_FACTOR`` of the framelet the coordinates should index.

        Returns
        -------
        x, y : (...) float64 ndarray
            Column and row, junoproc convention (integer = pixel centre). Values are not
            clipped to the framelet.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> x, y = CameraModel.default()["BLUE"].ray_to_pixel([0.0, 0.0, 1.0])
        >>> float(x), float(y)
        (813.71, 157.98)
        """
        v_ = np.asarray(v, dtype=np.float64)
        if v_.shape[-1:] != (3,):
            raise ValueError(f"v must have shape (..., 3), got {v_.shape}")
        vz = np.where(v_[..., 2] > 0, v_[..., 2], np.nan)
        fl = self.fl_px
        with np.errstate(invalid="ignore", over="ignore"):
            du, dw = self.distort(fl * v_[..., 0] / vz, fl * v_[..., 1] / vz)
        if self.y_scale != 1.0:
            dw = dw * self.y_scale
        return from_ik_coordinates(du + self.cx, dw + self.cy, sampling_factor=sampling_factor)


def _default_filters() -> tuple[FilterGeometry, ...]:
    return tuple(
        FilterGeometry(
            name=name,
            naif_id=FILTER_NAIF_IDS[name],
            focal_length_mm=_FOCAL_LENGTH_MM,
            pixel_size_mm=_PIXEL_SIZE_MM,
            k1=_K1,
            k2=_K2,
            cx=_CX,
            cy=_CY[name],
        )
        for name in FILTERS
    )


@dataclasses.dataclass(frozen=True)
class CameraModel:
    """The four filter bands of JunoCam plus the IK's frame-timing corrections.

    Build it with :meth:`default` (the IK constants compiled in) or :meth:`from_kernel` (read
    an IK text kernel); adjust it per product with :meth:`for_metadata`.

    Attributes
    ----------
    filters : tuple of FilterGeometry
        One entry per band, in CCD order METHANE, BLUE, GREEN, RED.
    start_time_bias_s : float
        Seconds to add to START_TIME (IK ``START_TIME_BIAS``, 0.06188).
    interframe_delta_s : float
        Seconds to add to INTERFRAME_DELAY (IK ``INTERFRAME_DELTA``, 0.001).
    framelet_lines, line_samples : int
        Size of an un-summed framelet, 128 x 1648.
    source : str
        Where the values came from (``"built-in"`` or the kernel path); not compared.

    Examples
    --------
    >>> from junoproc.camera import CameraModel
    >>> cam = CameraModel.default()
    >>> cam.filter_names
    ('METHANE', 'BLUE', 'GREEN', 'RED')
    >>> cam["methane"].cy, cam.with_methane_cy(320.0)["METHANE"].cy
    (315.48, 320.0)
    """

    filters: tuple[FilterGeometry, ...]
    start_time_bias_s: float = START_TIME_BIAS_S
    interframe_delta_s: float = INTERFRAME_DELTA_S
    framelet_lines: int = FRAMELET_LINES
    line_samples: int = LINE_SAMPLES
    source: str = dataclasses.field(default="built-in", compare=False)

    def __post_init__(self) -> None:
        filters = tuple(self.filters)
        names = [f.name for f in filters]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate filter names in {names}")
        object.__setattr__(self, "filters", filters)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def default(cls) -> CameraModel:
        """The model with the constants of IK ``juno_junocam_v03.ti`` compiled in.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> CameraModel.default()["RED"].cy
        -151.52
        """
        return _DEFAULT

    @classmethod
    def from_kernel(cls, path: str | os.PathLike[str]) -> CameraModel:
        """Read the camera model from a JunoCam IK text kernel (no SPICE library needed).

        Reads, for each band id -61504, -61501, -61502, -61503: ``FOCAL_LENGTH``,
        ``PIXEL_SIZE``, ``DISTORTION_K1``, ``DISTORTION_K2``, ``DISTORTION_X``,
        ``DISTORTION_Y``; and ``INS-61500_START_TIME_BIAS`` and
        ``INS-61500_INTERFRAME_DELTA``. Per-band timing keywords, where present, must agree
        with the camera's (one frame timing serves all bands).

        Parameters
        ----------
        path : str or os.PathLike
            The IK, e.g. ``juno_junocam_v03.ti``.

        Returns
        -------
        CameraModel

        Raises
        ------
        MissingFileError
            The file does not exist.
        MetadataError
            A keyword is missing, malformed or inconsistent; the message names the kernel and
            the keyword.
        """
        path = Path(path)
        pool = read_text_kernel(path)

        def scalar(key: str) -> float:
            if key not in pool:
                raise MetadataError(f"{path}: keyword {key} is missing from the kernel")
            values = pool[key]
            if len(values) != 1 or not isinstance(values[0], float):
                raise MetadataError(f"{path}: keyword {key} must be one number, got {values!r}")
            return values[0]

        filters = []
        for name in FILTERS:
            naif = FILTER_NAIF_IDS[name]
            prefix = f"INS{naif}_"
            filters.append(
                FilterGeometry(
                    name=name,
                    naif_id=naif,
                    focal_length_mm=scalar(prefix + "FOCAL_LENGTH"),
                    pixel_size_mm=scalar(prefix + "PIXEL_SIZE"),
                    k1=scalar(prefix + "DISTORTION_K1"),
                    k2=scalar(prefix + "DISTORTION_K2"),
                    cx=scalar(prefix + "DISTORTION_X"),
                    cy=scalar(prefix + "DISTORTION_Y"),
                )
            )
        timing = {}
        for item in ("START_TIME_BIAS", "INTERFRAME_DELTA"):
            value = scalar(f"INS{CAMERA_NAIF_ID}_{item}")
            for naif in FILTER_NAIF_IDS.values():
                key = f"INS{naif}_{item}"
                if key in pool and scalar(key) != value:
                    raise MetadataError(
                        f"{path}: {key} = {scalar(key)} differs from "
                        f"INS{CAMERA_NAIF_ID}_{item} = {value}; junoproc uses one frame timing "
                        "for all bands"
                    )
            timing[item] = value
        return cls(
            filters=tuple(filters),
            start_time_bias_s=timing["START_TIME_BIAS"],
            interframe_delta_s=timing["INTERFRAME_DELTA"],
            source=str(path),
        )

    def with_methane_cy(self, value: float) -> CameraModel:
        """A copy whose METHANE optical-centre row is ``value`` (IK ``INS-61504_DISTORTION_Y``).

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> CameraModel.default().with_methane_cy(312.5)["METHANE"].cy
        312.5
        """
        methane = self["METHANE"]
        new = dataclasses.replace(methane, cy=float(value))
        filters = tuple(new if f.name == "METHANE" else f for f in self.filters)
        return dataclasses.replace(self, filters=filters)

    def for_metadata(self, meta: Metadata) -> CameraModel:
        """The model to use for one product: applies ``meta.methane_cy_override`` if set.

        Parameters
        ----------
        meta : Metadata

        Returns
        -------
        CameraModel
            ``self`` when the product does not override anything.
        """
        if meta.methane_cy_override is None:
            return self
        return self.with_methane_cy(meta.methane_cy_override)

    # -- access ------------------------------------------------------------------------------

    @property
    def filter_names(self) -> tuple[str, ...]:
        """Names of the bands, in CCD order."""
        return tuple(f.name for f in self.filters)

    def geometry(self, filter_name: str) -> FilterGeometry:
        """The :class:`FilterGeometry` of one band; the name is case-insensitive.

        Raises
        ------
        UnknownFilterError
            The name is not one of the bands.
        """
        key = str(filter_name).strip().upper()
        for f in self.filters:
            if f.name == key:
                return f
        known = ", ".join(self.filter_names)
        raise UnknownFilterError(f"unknown JunoCam filter {filter_name!r}; expected one of {known}")

    def __getitem__(self, filter_name: str) -> FilterGeometry:
        return self.geometry(filter_name)

    # -- geometry ----------------------------------------------------------------------------

    def pixel_to_ray(
        self, x: ArrayLike, y: ArrayLike, filter_name: str, *, sampling_factor: int = 1
    ) -> np.ndarray:
        """Unit view vectors (..., 3) in JUNO_JUNOCAM; see :meth:`FilterGeometry.pixel_to_ray`.

        Examples
        --------
        >>> from junoproc.camera import CameraModel
        >>> CameraModel.default().pixel_to_ray(23, 0, "METHANE").round(4)   # IK FOV corner
        array([-0.4735, -0.1886,  0.8603])
        """
        return self.geometry(filter_name).pixel_to_ray(x, y, sampling_factor=sampling_factor)

    def ray_to_pixel(
        self, v: ArrayLike, filter_name: str, *, sampling_factor: int = 1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates ``(x, y)``; see :meth:`FilterGeometry.ray_to_pixel`."""
        return self.geometry(filter_name).ray_to_pixel(v, sampling_factor=sampling_factor)


_DEFAULT = CameraModel(filters=_default_filters())


def pixel_to_ray(
    x: ArrayLike,
    y: ArrayLike,
    filter_name: str,
    *,
    sampling_factor: int = 1,
    camera: CameraModel | None = None,
) -> np.ndarray:
    """Unit view vectors in JUNO_JUNOCAM of framelet pixels, with the default camera model.

    Parameters
    ----------
    x, y : array_like of float
        Column and row (integer = pixel centre), broadcastable.
    filter_name : str
        ``"METHANE"``, ``"BLUE"``, ``"GREEN"`` or ``"RED"``.
    sampling_factor : int, optional
        1, or 2 for summed framelets.
    camera : CameraModel, optional
        Defaults to :meth:`CameraModel.default`.

    Returns
    -------
    v : (..., 3) float64 ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.camera import pixel_to_ray
    >>> rows, cols = np.mgrid[0:128, 23:1631]
    >>> pixel_to_ray(cols, rows, "RED").shape
    (128, 1608, 3)
    """
    cam = _DEFAULT if camera is None else camera
    return cam.pixel_to_ray(x, y, filter_name, sampling_factor=sampling_factor)


def ray_to_pixel(
    v: ArrayLike,
    filter_name: str,
    *,
    sampling_factor: int = 1,
    camera: CameraModel | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Framelet pixel coordinates of JUNO_JUNOCAM view vectors, with the default camera model.

    Parameters
    ----------
    v : (..., 3) array_like of float
    filter_name : str
    sampling_factor : int, optional
    camera : CameraModel, optional
        Defaults to :meth:`CameraModel.default`.

    Returns
    -------
    x, y : (...) float64 ndarray
        NaN where ``v_z <= 0``.

    Examples
    --------
    >>> from junoproc.camera import pixel_to_ray, ray_to_pixel
    >>> x, y = ray_to_pixel(pixel_to_ray(100.0, 20.0, "BLUE"), "BLUE")
    >>> round(float(x), 9), round(float(y), 9)
    (100.0, 20.0)
    """
    cam = _DEFAULT if camera is None else camera
    return cam.ray_to_pixel(v, filter_name, sampling_factor=sampling_factor)


# -- text kernels ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<string>'(?:[^']|'')*')       # quoted string, '' escapes a quote
    | (?P<append>\+=)
    | (?P<assign>=)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<comma>,)
    | (?P<word>(?:[^\s=(),'+]|\+(?!=))+)   # a name, a number or an @date
    | (?P<space>\s+)
    | (?P<quote>')                   # a quote that opens no complete string
    """,
    re.VERBOSE,
)

_NUMBER = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?$")


def _value(token: str, kind: str, where: str) -> float | str:
    if kind == "string":
        return token[1:-1].replace("''", "'")
    if _NUMBER.match(token):
        return float(token.replace("D", "E").replace("d", "e"))
    if token.startswith("@"):
        return token
    raise MetadataError(f"{where}: cannot read {token!r} as a number, string or @date")


def parse_text_kernel(text: str, *, source: str = "<text kernel>") -> dict[str, tuple[Any, ...]]:
    r"""Assignments of the data blocks of a SPICE text kernel (IK, FK, ...), without SPICE.

    Only text between a ``\begindata`` line and the next ``\begintext`` line is read. An
    assignment is ``NAME = value`` or ``NAME = ( value value, ... )``, possibly over several
    lines; ``NAME += ...`` appends. Values are numbers (``D`` or ``E`` exponents), quoted strings
    (``''`` is a quote) or ``@`` dates (kept as text). A later assignment replaces an earlier one.

    Parameters
    ----------
    text : str
        Kernel contents.
    source : str, optional
        Name used in error messages.

    Returns
    -------
    dict
        Keyword -> tuple of values (float or str), in order of appearance.

    Raises
    ------
    MetadataError
        Malformed assignment; the message names ``source`` and the line.

    Examples
    --------
    >>> from junoproc.camera import parse_text_kernel
    >>> parse_text_kernel('''comment
    ... \\begindata
    ... A = ( 1.5D-3, 2 )  B = 'x''y'
    ... A += 7
    ... \\begintext
    ... C = 1''')
    {'A': (0.0015, 2.0, 7.0), 'B': ("x'y",)}
    """
    pool: dict[str, tuple[Any, ...]] = {}
    tokens: list[tuple[str, str, int]] = []
    in_data = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        marker = line.strip().lower()
        if marker == "\\begindata":
            in_data = True
            continue
        if marker == "\\begintext":
            in_data = False
            continue
        if not in_data:
            continue
        for m in _TOKEN.finditer(line):
            kind = m.lastgroup or "space"
            if kind == "quote":
                raise MetadataError(f"{source}, line {lineno}: unterminated string")
            if kind != "space":
                tokens.append((kind, m.group(), lineno))

    i = 0
    n = len(tokens)
    while i < n:
        kind, name, lineno = tokens[i]
        where = f"{source}, line {lineno}"
        if kind != "word" or _NUMBER.match(name):
            raise MetadataError(f"{where}: expected a keyword name, found {name!r}")
        if i + 1 >= n or tokens[i + 1][0] not in ("assign", "append"):
            raise MetadataError(f"{where}: expected '=' or '+=' after {name}")
        append = tokens[i + 1][0] == "append"
        i += 2
        if i >= n:
            raise MetadataError(f"{where}: {name} has no value")
        values: list[Any] = []
        if tokens[i][0] == "open":
            i += 1
            while True:
                if i >= n:
                    raise MetadataError(f"{where}: unclosed '(' in the value of {name}")
                kind, tok, vline = tokens[i]
                i += 1
                if kind == "close":
                    break
                if kind == "comma":
                    continue
                if kind not in ("word", "string"):
                    raise MetadataError(f"{source}, line {vline}: unexpected {tok!r} in {name}")
                values.append(_value(tok, kind, f"{source}, line {vline}"))
        else:
            kind, tok, vline = tokens[i]
            if kind not in ("word", "string"):
                raise MetadataError(f"{source}, line {vline}: unexpected {tok!r} in {name}")
            values.append(_value(tok, kind, f"{source}, line {vline}"))
            i += 1
        if append and name in pool:
            pool[name] = pool[name] + tuple(values)
        else:
            pool[name] = tuple(values)
    return pool


def read_text_kernel(path: str | os.PathLike[str]) -> dict[str, tuple[Any, ...]]:
    """Read a SPICE text kernel's data blocks; see :func:`parse_text_kernel`.

    Raises
    ------
    MissingFileError
        The file does not exist.
    MetadataError
        The kernel is malformed.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: text kernel not found")
    # latin-1 never fails; kernels are ASCII but comments sometimes are not
    return parse_text_kernel(path.read_text(encoding="latin-1"), source=str(path))
