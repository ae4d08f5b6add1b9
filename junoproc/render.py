"""Geometric stitching: render framelets into a view by inverse mapping.

For every output pixel the renderer finds the direction it looks at (in the pointing's
reference frame), then, for each filter, the frame(s) whose framelet saw that direction,
the sub-pixel position there, and samples it. Overlapping framelets of one filter
(about 14 rows between consecutive frames) are blended with weights that fall off
towards the framelet edges ("feathering"), so no seam shows.

Frames are found analytically from the spin angle, never by trying every framelet:
the work is proportional to output pixels x filters. For the spin panorama
(:class:`EquirectangularView` built by :func:`panorama_view`) the pixel size is chosen
so that one frame's spin is a whole number of rows; every frame's footprint is then the
first frame's footprint shifted by whole rows, so the camera model is evaluated once
per filter and rendering is a gather plus a shifted add per frame.

Coordinates
-----------
The reference frame is the spin frame of :class:`junoproc.pointing.SpinPointing`: +Z is
the spin axis. *Azimuth* is the angle about +Z, *elevation* the angle from the X-Y plane.
Panorama rows run along increasing azimuth (the order in which frames see the scene, so
the panorama reads like the raw strip) and columns along decreasing elevation (the
direction of increasing CCD sample).

Examples
--------
>>> import numpy as np
>>> from junoproc.camera import CameraModel
>>> from junoproc.pointing import SpinPointing
>>> geom = StripGeometry(CameraModel.default(), SpinPointing(), times_s=np.array([0.0, 0.373]),
...                      filters=("GREEN",))
>>> view = panorama_view(geom, scale=0.25)
>>> stack = {"GREEN": np.ones((2, 128, 1648), np.float32)}
>>> out = render(stack, geom, view)
>>> out.image.shape[-1], float(np.nanmax(out.image)), float(out.coverage.max())
(1, 1.0, 1.0)
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from ._accel import opencv
from ._progress import Progress, track
from .camera import PHOTOACTIVE_COLUMNS, CameraModel
from .framelets import FilterStack
from .pointing import SpinPointing, _rows_times

__all__ = [
    "EquirectangularView",
    "PerspectiveView",
    "Rendered",
    "StripGeometry",
    "locate",
    "panorama_view",
    "perspective_view",
    "render",
]

logger = logging.getLogger(__name__)

_X_FIRST = PHOTOACTIVE_COLUMNS.start
_X_LAST = PHOTOACTIVE_COLUMNS.stop - 1
_CHUNK = 1 << 18  # output pixels per block in the general path


def _rz(angle: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (..., 3) about +Z by ``angle`` (broadcast over ...)."""
    c, s = np.cos(angle), np.sin(angle)
    x, y = v[..., 0], v[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, v[..., 2]], axis=-1)


def _wrap(a: np.ndarray | float) -> np.ndarray:
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


@dataclasses.dataclass(frozen=True)
class StripGeometry:
    """Everything that maps framelet pixels of one product to directions and back.

    Attributes
    ----------
    camera : CameraModel
        Pixel <-> camera-ray model (per filter).
    pointing : SpinPointing
        Camera orientation at any time.
    times_s : (n_frames,) float64 ndarray
        Frame times relative to ``pointing``'s epoch (see :func:`junoproc.framelets.frame_times`).
    filters : tuple of str
        Filters present.
    sampling_factor : int
        1, or 2 for summed framelets.
    """

    camera: CameraModel
    pointing: SpinPointing
    times_s: np.ndarray
    filters: tuple[str, ...]
    sampling_factor: int = 1

    def __post_init__(self) -> None:
        t = np.array(self.times_s, dtype=np.float64).reshape(-1)
        if t.size == 0:
            raise ValueError("StripGeometry needs at least one frame time")
        t.setflags(write=False)
        object.__setattr__(self, "times_s", t)
        object.__setattr__(self, "filters", tuple(self.filters))

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.times_s.size)

    @property
    def rows(self) -> int:
        """Rows per framelet."""
        return self.camera.framelet_lines // self.sampling_factor

    @property
    def spin_angles(self) -> np.ndarray:
        """(n_frames,) spin angle of each frame, in radians, unwrapped."""
        return np.asarray(self.pointing.spin_angle(self.times_s), dtype=np.float64)

    @property
    def angle_step(self) -> float:
        """Mean spin angle between consecutive frames (radians; signed)."""
        a = self.spin_angles
        return (
            float((a[-1] - a[0]) / (a.size - 1))
            if a.size > 1
            else float(self.pointing.sense * self.pointing.rate_rad_s * 0.373)
        )

    def is_uniform(self, tol: float = 1e-9) -> bool:
        """True when frame spin angles are equally spaced (no per-frame jitter)."""
        a = self.spin_angles
        k = np.arange(a.size)
        return bool(np.all(np.abs(a - (a[0] + k * self.angle_step)) < tol))

    def pixel_to_direction(
        self, x: np.ndarray, y: np.ndarray, filter_name: str, frame: int
    ) -> np.ndarray:
        """Directions (..., 3) in the reference frame seen by framelet pixels ``(x, y)``."""
        v = self.camera.pixel_to_ray(x, y, filter_name, sampling_factor=self.sampling_factor)
        return _rows_times(v, self.pointing.rotation(self.times_s[frame]).T)

    def _camera_vectors(self, d: np.ndarray, angle: np.ndarray | float) -> np.ndarray:
        """Camera-frame vectors of reference directions ``d`` at spin angle(s) ``angle``."""
        return _rows_times(_rz(-np.asarray(angle), d), self.pointing.camera_to_spin)

    def direction_to_pixel(
        self, d: np.ndarray, filter_name: str, frame: int | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Framelet pixel ``(x, y)`` of frame(s) ``frame`` that sees directions ``d`` (..., 3)."""
        angle = self.spin_angles[np.asarray(frame)]
        v = self._camera_vectors(np.asarray(d, dtype=np.float64), angle)
        return self.camera.ray_to_pixel(v, filter_name, sampling_factor=self.sampling_factor)


@dataclasses.dataclass(frozen=True)
class EquirectangularView:
    """A panorama about the spin axis: equal steps in azimuth (rows) and elevation (columns).

    Attributes
    ----------
    azimuth0_rad : float
        Azimuth of row 0.
    elevation0_rad : float
        Elevation of column 0 (columns go towards lower elevation).
    step_rad : float
        Angular size of a pixel in both directions.
    shape : (int, int)
        Output (rows, cols).
    """

    azimuth0_rad: float
    elevation0_rad: float
    step_rad: float
    shape: tuple[int, int]

    def angles(self) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth of each row (rows,) and elevation of each column (cols,)."""
        rows, cols = self.shape
        return (
            self.azimuth0_rad + self.step_rad * np.arange(rows),
            self.elevation0_rad - self.step_rad * np.arange(cols),
        )

    def directions(self) -> np.ndarray:
        """(rows, cols, 3) unit directions in the spin frame."""
        az, el = self.angles()
        ca, sa = np.cos(az)[:, None], np.sin(az)[:, None]
        ce, se = np.cos(el)[None, :], np.sin(el)[None, :]
        return np.stack(np.broadcast_arrays(ce * ca, ce * sa, se + 0 * ca), axis=-1)

    def pixel_of(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of directions ``d`` (..., 3)."""
        d = np.asarray(d, dtype=np.float64)
        az = self.azimuth0_rad + _wrap(np.arctan2(d[..., 1], d[..., 0]) - self.azimuth0_rad)
        el = np.arcsin(np.clip(d[..., 2] / np.linalg.norm(d, axis=-1), -1, 1))
        return (az - self.azimuth0_rad) / self.step_rad, (self.elevation0_rad - el) / self.step_rad


@dataclasses.dataclass(frozen=True)
class PerspectiveView:
    """A pinhole camera in the reference frame.

    Attributes
    ----------
    orientation : (3, 3) ndarray
        Rows are the view's right, down and forward unit vectors in the reference frame.
    focal_px : float
        Focal length in output pixels.
    shape : (int, int)
        Output (rows, cols). The optical axis passes through the centre of the image.
    """

    orientation: np.ndarray
    focal_px: float
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        m = np.array(self.orientation, dtype=np.float64).reshape(3, 3)
        if not np.allclose(m @ m.T, np.eye(3), atol=1e-9):
            raise ValueError("orientation must be a rotation matrix (orthonormal rows)")
        m.setflags(write=False)
        object.__setattr__(self, "orientation", m)

    def directions(self) -> np.ndarray:
        """(rows, cols, 3) unit directions in the reference frame."""
        rows, cols = self.shape
        u = (np.arange(cols) - (cols - 1) / 2.0) / self.focal_px
        w = (np.arange(rows) - (rows - 1) / 2.0) / self.focal_px
        local = np.stack(np.broadcast_arrays(u[None, :], w[:, None], np.ones((rows, 1))), axis=-1)
        d = _rows_times(local, self.orientation)
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    def pixel_of(self, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, col) of directions ``d`` (..., 3); NaN behind the camera."""
        local = _rows_times(d, self.orientation.T)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(local[..., 2] > 0, local[..., 2], np.nan)
            rows, cols = self.shape
            return (
                local[..., 1] / z * self.focal_px + (rows - 1) / 2.0,
                local[..., 0] / z * self.focal_px + (cols - 1) / 2.0,
            )


View = EquirectangularView | PerspectiveView


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A rendered view.

    Attributes
    ----------
    image : (rows, cols, n_channels) float32 ndarray
        Values per channel; NaN where the channel has no data. From :func:`render`, a view
        of channel planes: ``image[..., c]`` is contiguous, the whole array is not.
    coverage : (rows, cols, n_channels) float32 ndarray
        Blending weight that reached each pixel, clipped to [0, 1] (0 = no data); laid out
        like ``image``.
    channels : tuple of str
    view : EquirectangularView or PerspectiveView
    """

    image: np.ndarray
    coverage: np.ndarray
    channels: tuple[str, ...]
    view: View

    def common_coverage(self) -> np.ndarray:
        """(rows, cols) float32: the coverage every channel has (the minimum over channels)."""
        out = _common_of(self)
        return out.copy() if out is self.__dict__.get("_common") else out


def locate(
    geometry: StripGeometry, d: np.ndarray, filter_name: str, *, frames: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The framelet pixel that best sees each direction (the frame where it is nearest mid-row).

    Parameters
    ----------
    geometry : StripGeometry
    d : (n, 3) array_like
        Directions in the reference frame.
    filter_name : str
    frames : sequence of int, optional
        Frames to consider (all by default).

    Returns
    -------
    frame : (n,) int ndarray
        -1 where no frame sees the direction.
    x, y : (n,) float64 ndarrays
        Framelet coordinates (NaN where unseen).

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.camera import CameraModel
    >>> from junoproc.pointing import SpinPointing
    >>> geom = StripGeometry(CameraModel.default(), SpinPointing(), np.arange(4) * 0.373, ("RED",))
    >>> d = geom.pixel_to_direction(np.array([500.0]), np.array([60.0]), "RED", 2)
    >>> k, x, y = locate(geom, d, "RED")
    >>> int(k[0]), round(float(x[0]), 6), round(float(y[0]), 6)
    (2, 500.0, 60.0)
    """
    d = np.asarray(d, dtype=np.float64).reshape(-1, 3)
    n = d.shape[0]
    best = np.full(n, np.inf)
    frame = np.full(n, -1, dtype=np.int64)
    bx = np.full(n, np.nan)
    by = np.full(n, np.nan)
    rows = geometry.rows
    x_lo, x_hi = _X_FIRST / geometry.sampling_factor, _X_LAST / geometry.sampling_factor
    for k in range(geometry.n_frames) if frames is None else frames:
        x, y = geometry.direction_to_pixel(d, filter_name, k)
        with np.errstate(invalid="ignore"):
            ok = (x >= x_lo) & (x <= x_hi) & (y >= 0) & (y <= rows - 1)
        score = np.where(ok, np.abs(y - (rows - 1) / 2.0), np.inf)
        better = score < best
        best[better], frame[better] = score[better], k
        bx[better], by[better] = x[better], y[better]
    return frame, bx, by


def _edge_points(geom: StripGeometry, filters: Sequence[str], n: int = 64) -> np.ndarray:
    """Directions of the outline of every framelet of the first and last frame."""
    rows = geom.rows
    xs = (
        np.r_[
            np.linspace(_X_FIRST, _X_LAST, n),
            np.full(n, _X_LAST),
            np.linspace(_X_FIRST, _X_LAST, n),
            np.full(n, _X_FIRST),
        ]
        / geom.sampling_factor
    )
    ys = np.r_[
        np.zeros(n),
        np.linspace(0, rows - 1, n),
        np.full(n, rows - 1.0),
        np.linspace(0, rows - 1, n),
    ]
    out = [geom.pixel_to_direction(xs, ys, f, k) for f in filters for k in {0, geom.n_frames - 1}]
    return np.concatenate(out)


def panorama_view(
    geometry: StripGeometry,
    *,
    scale: float = 1.0,
    filters: Sequence[str] | None = None,
    margin_px: int = 2,
) -> EquirectangularView:
    """The spin panorama that holds every framelet of a product.

    The pixel size is the camera's pixel (``1 / focal length`` radians) divided by
    ``scale``, adjusted by less than half a percent so that one frame's spin is a whole
    number of rows; that makes rendering fast and exact.

    Parameters
    ----------
    geometry : StripGeometry
    scale : float
        Output pixels per camera pixel (0.5 = half resolution).
    filters : sequence of str, optional
        Filters whose framelets must fit (all by default).
    margin_px : int
        Empty border around the covered area.

    Returns
    -------
    EquirectangularView

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.camera import CameraModel
    >>> from junoproc.pointing import SpinPointing
    >>> geom = StripGeometry(CameraModel.default(), SpinPointing(), np.arange(3) * 0.373,
    ...                      ("BLUE", "GREEN", "RED"))
    >>> view = panorama_view(geom)
    >>> n = abs(geom.angle_step) / view.step_rad
    >>> bool(abs(n - round(n)) < 1e-9), view.shape[1] > 1400  # 58 degrees across
    (True, True)
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    filters = tuple(filters or geometry.filters)
    fl = geometry.camera.geometry(filters[0]).fl_px / geometry.sampling_factor
    nominal = 1.0 / (fl * scale)
    step_angle = abs(geometry.angle_step)
    n = max(1, round(step_angle / nominal))
    step = step_angle / n if geometry.n_frames > 1 else nominal
    d = _edge_points(geometry, filters)
    centre = float(np.mean(geometry.spin_angles))
    az = centre + _wrap(np.arctan2(d[:, 1], d[:, 0]) - centre)
    el = np.arcsin(np.clip(d[:, 2], -1, 1))
    az0 = az.min() - margin_px * step
    el0 = el.max() + margin_px * step
    rows = math.ceil((az.max() - az0) / step) + margin_px + 1
    cols = math.ceil((el0 - el.min()) / step) + margin_px + 1
    return EquirectangularView(float(az0), float(el0), float(step), (rows, cols))


def perspective_view(
    geometry: StripGeometry,
    *,
    centre: np.ndarray | None = None,
    image: Rendered | None = None,
    fov_deg: float | None = None,
    scale: float = 1.0,
    shape: tuple[int, int] | None = None,
) -> PerspectiveView:
    """A pinhole view pointed at the target (or at ``centre``).

    The view keeps the panorama's orientation (down = increasing azimuth, right =
    decreasing elevation, i.e. increasing CCD sample).

    Parameters
    ----------
    geometry : StripGeometry
    centre : (3,) array_like, optional
        Direction to look at, in the reference frame. By default the brightness-weighted
        centre of the lit target found in ``image`` (a rendered panorama), or the middle
        of the strip without an image.
    image : Rendered, optional
        A rendering (normally a reduced-resolution panorama) used to find the target and
        its size.
    fov_deg : float, optional
        Full field of view across the larger side. By default the target's extent plus a
        20 % margin (or the strip's width without an image).
    scale : float
        Output pixels per camera pixel at the centre.
    shape : (int, int), optional
        Output size; by default what ``fov_deg`` needs at ``scale``.

    Returns
    -------
    PerspectiveView

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.camera import CameraModel
    >>> from junoproc.pointing import SpinPointing
    >>> geom = StripGeometry(CameraModel.default(), SpinPointing(), np.arange(4) * 0.373, ("RED",))
    >>> view = perspective_view(geom, fov_deg=10.0)
    >>> view.shape, round(view.focal_px, 1)
    ((260, 260), 1480.6)
    """
    fl = geometry.camera.geometry(geometry.filters[0]).fl_px / geometry.sampling_factor
    focal = fl * scale
    extent = None
    if centre is None and image is not None:
        centre, extent = _target_of(image)
    if centre is None:
        mid = geometry.n_frames // 2
        f = "GREEN" if "GREEN" in geometry.filters else geometry.filters[0]
        centre = geometry.pixel_to_direction(np.array(826.5), np.array(63.5), f, mid)
    c = np.asarray(centre, dtype=np.float64)
    c = c / np.linalg.norm(c)
    # right ~ decreasing elevation (-Z projected), down ~ increasing azimuth
    down = np.cross([0.0, 0.0, 1.0], c)
    if np.linalg.norm(down) < 1e-9:
        down = np.array([0.0, 1.0, 0.0])
    down = down / np.linalg.norm(down)
    right = np.cross(down, c)
    orientation = np.stack([right, down, c])
    if shape is None:
        if fov_deg is None:
            fov = 1.2 * extent if extent is not None else math.radians(58.0)
        else:
            fov = math.radians(fov_deg)
        # a target wider than the camera's 58-degree swath is better served by the panorama
        side = math.ceil(2 * focal * math.tan(min(fov, math.radians(60.0)) / 2))
        side = max(side, 16)
        shape = (side, side)
    return PerspectiveView(orientation, float(focal), (int(shape[0]), int(shape[1])))


def _target_of(image: Rendered) -> tuple[np.ndarray, float]:
    """Brightness-weighted centre direction of the lit target and its angular extent."""
    finite = np.isfinite(image.image)
    count = finite.sum(axis=-1)
    data = np.where(
        count > 0, np.where(finite, image.image, 0).sum(axis=-1) / np.maximum(count, 1), np.nan
    )
    valid = count > 0
    if not valid.any():
        raise ValueError("the rendered image has no data to find a target in")
    level = np.nanpercentile(data, 99.5)
    lit = valid & (data > 0.1 * level)
    if lit.sum() < 4:
        lit = valid
    rows, cols = np.nonzero(lit)
    w = data[rows, cols]
    view = image.view
    dirs = view.directions()
    d = (dirs[rows, cols] * w[:, None]).sum(axis=0)
    d /= np.linalg.norm(d)
    ang = np.arccos(np.clip(dirs[rows, cols] @ d, -1, 1))
    return d, float(2 * np.percentile(ang, 99.5))


def _feather(
    x: np.ndarray,
    y: np.ndarray,
    rows: int,
    trim: float,
    ramp_y: float,
    ramp_x: float,
    sampling: int,
) -> np.ndarray:
    """Blending weight of framelet positions; 0 outside the usable area."""
    lo, hi = trim, rows - 1 - trim
    x_lo, x_hi = _X_FIRST / sampling, _X_LAST / sampling
    inside = (x >= x_lo) & (x <= x_hi) & (y >= lo) & (y <= hi)
    wy = np.clip((np.minimum(y - lo, hi - y) + 0.5) / ramp_y, 0.0, 1.0)
    wx = np.clip((np.minimum(x - x_lo, x_hi - x) + 0.5) / ramp_x, 0.0, 1.0)
    return np.where(inside, wy * wx, 0.0).astype(np.float32)


def _bilinear_parts(x: np.ndarray, y: np.ndarray, rows: int, cols: int):
    """Integer corner, fractions, for bilinear sampling inside a framelet of rows x cols."""
    x0 = np.clip(np.floor(x), 0, cols - 2).astype(np.int64)
    y0 = np.clip(np.floor(y), 0, rows - 2).astype(np.int64)
    fx = (x - x0).astype(np.float32)
    fy = (y - y0).astype(np.float32)
    return y0 * cols + x0, fx, fy


def _as_stacks(
    stacks: Mapping[str, FilterStack | np.ndarray], filters: Sequence[str]
) -> dict[str, np.ndarray]:
    out = {}
    for f in filters:
        s = stacks[f]
        data = s.data if isinstance(s, FilterStack) else np.asarray(s)
        if data.ndim != 3:
            raise ValueError(f"framelets of {f} must be (n_frames, rows, cols), got {data.shape}")
        # every framelet of a separated strip is contiguous already; the stack need not be
        out[f] = np.asarray(data, dtype=np.float32)
    return out


def render(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    view: View,
    *,
    filters: Sequence[str] | None = None,
    trim_rows: float = 2.0,
    feather_rows: float = 6.0,
    feather_cols: float = 10.0,
    frames: Sequence[int] | None = None,
    progress: Progress = False,
) -> Rendered:
    """Render framelet stacks into a view.

    Parameters
    ----------
    stacks : mapping of str -> FilterStack or (n_frames, rows, 1648) array
        Linear framelets per filter (from :func:`junoproc.framelets.separate_filters`).
    geometry : StripGeometry
        Camera, pointing and frame times of the product.
    view : EquirectangularView or PerspectiveView
    filters : sequence of str, optional
        Output channels, in order; default: ``geometry.filters`` present in ``stacks``.
    trim_rows : float
        Rows at the top and bottom of every framelet that are never used.
    feather_rows, feather_cols : float
        Width of the weight ramps at framelet edges (rows) and at the ends of the
        photoactive area (columns).
    frames : sequence of int, optional
        Use only these frames (e.g. every other one, to compare overlaps).
    progress : bool or callable
        Progress over filters.

    Returns
    -------
    Rendered
        ``image`` (rows, cols, n_filters) float32 with NaN where there is no data, and
        ``coverage`` (rows, cols, n_filters) in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.camera import CameraModel
    >>> from junoproc.pointing import SpinPointing
    >>> geom = StripGeometry(CameraModel.default(), SpinPointing(), np.arange(4) * 0.373, ("RED",))
    >>> flat = {"RED": np.full((4, 128, 1648), 5.0, np.float32)}
    >>> out = render(flat, geom, panorama_view(geom, scale=0.2))
    >>> float(np.nanmin(out.image)), float(np.nanmax(out.image)), out.channels
    (5.0, 5.0, ('RED',))
    """
    filters = tuple(filters or [f for f in geometry.filters if f in stacks])
    if not filters:
        raise ValueError(f"no filter of {geometry.filters} is in the stacks ({tuple(stacks)})")
    planes, cover = _zero_planes(len(filters), view.shape)
    _render_into(
        stacks,
        geometry,
        view,
        filters,
        planes,
        cover,
        range(len(filters)),
        trim_rows=trim_rows,
        feather_rows=feather_rows,
        feather_cols=feather_cols,
        frames=frames,
        progress=progress,
    )
    return _from_planes(planes, cover, filters, view)


def _zero_planes(
    n: int, shape: tuple[int, int], *, memory: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed (n, rows, cols) float32 image and coverage planes, each plane contiguous (the
    image and coverage of a :class:`Rendered` are (rows, cols, n) views of them); in
    ``memory`` (zeroed, flat float32) when it is large enough."""
    size = n * shape[0] * shape[1]
    if memory is not None and memory.size >= 2 * size:
        return memory[:size].reshape(n, *shape), memory[size : 2 * size].reshape(n, *shape)
    return np.zeros((n, *shape), np.float32), np.zeros((n, *shape), np.float32)


def _common_of(rendered: Rendered) -> np.ndarray:
    """:meth:`Rendered.common_coverage` without the defensive copy of the cached array, for
    a caller that keeps the result and lets ``rendered`` go."""
    cached = rendered.__dict__.get("_common")
    if cached is not None and cached.shape == rendered.coverage.shape[:2]:
        return cached
    cover = rendered.coverage
    out = np.empty(cover.shape[:2], cover.dtype)
    return _least_into(out, [cover[..., c] for c in range(cover.shape[-1])])


def _least_into(out: np.ndarray, planes: Sequence[np.ndarray]) -> np.ndarray:
    """The element-wise minimum of ``planes`` (at least one), written into ``out``."""
    np.copyto(out, planes[0])
    for plane in planes[1:]:
        np.minimum(out, plane, out=out)
    return out


def _from_planes(
    planes: np.ndarray, cover: np.ndarray, filters: tuple[str, ...], view: View
) -> Rendered:
    """A :class:`Rendered` whose image and coverage are views of (C, rows, cols) planes."""
    common = np.empty(cover.shape[1:], cover.dtype)

    def least(rows: slice) -> None:
        _least_into(common[rows], cover[:, rows])

    # row halves on two cores (numpy releases the GIL): the planes are large
    half = cover.shape[1] // 2
    if half and cover[0].size >= 1 << 20 and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(least, (slice(0, half), slice(half, None))))
    else:
        least(slice(None))
    out = Rendered(
        image=np.moveaxis(planes, 0, -1),
        coverage=np.moveaxis(cover, 0, -1),
        channels=tuple(filters),
        view=view,
    )
    object.__setattr__(out, "_common", common)  # computed from the contiguous planes
    return out


def _render_into(
    stacks: Mapping[str, FilterStack | np.ndarray],
    geometry: StripGeometry,
    view: View,
    filters: Sequence[str],
    planes: np.ndarray,
    cover: np.ndarray,
    slots: Sequence[int],
    *,
    trim_rows: float = 2.0,
    feather_rows: float = 6.0,
    feather_cols: float = 10.0,
    frames: Sequence[int] | None = None,
    progress: Progress = False,
    maps: Mapping[str, tuple[int, np.ndarray, np.ndarray]] | None = None,
) -> None:
    """Render ``filters`` into ``planes[slots[i]]`` and ``cover[slots[i]]`` (see :func:`render`).

    Those planes must be zero: the weighted samples and the weights are summed into them
    (no other full-size array is made), then divided. ``maps``: footprints made already
    (:func:`_footprints`), for the panorama path.
    """
    data = _as_stacks(stacks, filters)
    for f, d in data.items():
        if d.shape[0] != geometry.n_frames:
            raise ValueError(
                f"{f}: {d.shape[0]} framelets but the geometry has {geometry.n_frames} frames"
            )
    fast = _panorama_path(geometry, view)
    use = np.zeros(geometry.n_frames, dtype=bool)
    use[np.arange(geometry.n_frames) if frames is None else np.asarray(frames, dtype=np.int64)] = (
        True
    )
    opts = {"trim": trim_rows, "ramp_y": feather_rows, "ramp_x": feather_cols, "use": use}
    worker = _render_panorama if fast else _render_general

    def one(i: int) -> None:
        acc, wsum = planes[slots[i]], cover[slots[i]]
        f = filters[i]
        extra = {"maps": maps.get(f)} if fast and maps else {}
        worker(data[f], geometry, view, f, acc=acc, wsum=wsum, **opts, **extra)
        # acc is 0 wherever wsum is (every sample is weighted): 0 / 0 gives the NaN of no data
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(acc, wsum, out=acc)
        np.minimum(wsum, 1.0, out=wsum)

    # filters are independent and numpy releases the GIL in the heavy loops: use the cores
    if len(filters) > 1 and not progress and (os.cpu_count() or 1) > 1:
        with ThreadPoolExecutor(max_workers=min(len(filters), os.cpu_count() or 1)) as pool:
            list(pool.map(one, range(len(filters))))
    else:
        for i in track(range(len(filters)), progress=progress, total=len(filters), desc="render"):
            one(i)
    logger.debug(
        "rendered %s into %s (%s path)", filters, view.shape, "shift" if fast else "general"
    )


def _panorama_path(geometry: StripGeometry, view: View) -> bool:
    """Whether ``view`` renders by the shift-invariant path (:func:`_render_panorama`): an
    equirectangular panorama whose rows per frame are a whole number, uniform frames."""
    if not (isinstance(view, EquirectangularView) and geometry.is_uniform()):
        return False
    if geometry.n_frames < 2:
        return False
    n = abs(geometry.angle_step) / view.step_rad
    return abs(n - round(n)) < 1e-6


def _footprints(
    geometry: StripGeometry, view: View, filters: Sequence[str]
) -> dict[str, tuple[int, np.ndarray, np.ndarray]] | None:
    """:func:`_panorama_maps` of ``filters``, or None when ``view`` takes the general path."""
    if not _panorama_path(geometry, view):
        return None
    return {f: _panorama_maps(geometry, view, f) for f in filters}


def _upsample2(a: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of ``a``, sampled on every other row and column, to ``shape``."""
    rows, cols = a.shape
    out = np.empty((2 * rows - 1, 2 * cols - 1), dtype=a.dtype)
    out[::2, ::2] = a
    out[1::2, ::2] = 0.5 * (a[:-1] + a[1:])
    out[:, 1::2] = 0.5 * (out[:, :-1:2] + out[:, 2::2])
    return out[: shape[0], : shape[1]]


#: Output columns per strip of the panorama path's footprint (see :func:`_render_panorama`).
_STRIP_COLS = 256


@functools.cache
def _accumulates_in_place(cv2: Any) -> bool:
    """Whether this OpenCV's ``accumulate`` writes into a numpy view with a row stride."""
    acc = np.zeros((4, 6), np.float32)
    cv2.accumulate(np.ones((2, 3), np.float32), acc[1:3, 2:5])
    return bool(acc.sum() == 6.0 and acc[1:3, 2:5].all())


def _panorama_maps(
    geom: StripGeometry, view: EquirectangularView, f: str
) -> tuple[int, np.ndarray, np.ndarray]:
    """The footprint of filter ``f``'s frame 0 in a panorama (see :func:`_render_panorama`).

    Returns the panorama row of the footprint box's first row, and the framelet coordinates
    ``x``, ``y`` of the box's pixels, (box_rows, cols) float64, -1e9 where no ray reaches the
    framelet. An optical-centre offset of ``f`` moves ``x`` and ``y`` by the same amount,
    so maps made before the offsets are known serve once shifted by them
    (:func:`_shifted_maps`).
    """
    cols_out = view.shape[1]
    theta0 = geom.spin_angles[0]
    # footprint of frame 0: rows of the panorama its framelet can reach
    d = _edge_points(dataclasses.replace(geom, times_s=geom.times_s[:1]), (f,))
    az = theta0 + _wrap(np.arctan2(d[:, 1], d[:, 0]) - theta0)
    r_lo = math.floor((az.min() - view.azimuth0_rad) / view.step_rad) - 1
    r_hi = math.ceil((az.max() - view.azimuth0_rad) / view.step_rad) + 2
    # at full resolution or finer, the camera model on every other row and column and
    # interpolated in between: the maps are smooth (measured on 44C00030 at scale 1: under
    # 1e-3 px from the exact ones) and this is four times cheaper
    fl_px = geom.camera.geometry(f).fl_px / geom.sampling_factor
    every = 2 if view.step_rad * fl_px <= 1.05 else 1
    # on even panorama rows: the same samples whatever the box (an offset of the optical
    # centre can move it by a row), so shifted maps (_shifted_maps) equal fresh ones
    r_lo -= r_lo % every
    az_rows = view.azimuth0_rad + view.step_rad * np.arange(r_lo, r_hi + every - 1, every)
    el_cols = view.elevation0_rad - view.step_rad * np.arange(0, cols_out + every - 1, every)
    ca, sa = np.cos(az_rows)[:, None], np.sin(az_rows)[:, None]
    ce, se = np.cos(el_cols)[None, :], np.sin(el_cols)[None, :]
    dirs = np.stack(np.broadcast_arrays(ce * ca, ce * sa, se + 0 * ca), axis=-1)
    x, y = geom.direction_to_pixel(dirs, f, 0)
    x = np.nan_to_num(x, nan=-1e9)
    y = np.nan_to_num(y, nan=-1e9)
    if every == 2:
        x, y = _upsample2(x, (r_hi - r_lo, cols_out)), _upsample2(y, (r_hi - r_lo, cols_out))
    return r_lo, x, y


#: Largest optical-centre offset (framelet pixels) by which :func:`_shifted_maps` moves a
#: footprint: its box has at least two rows to spare beyond the framelet's weighted rows.
_MAX_MAP_SHIFT_PX = 1.0


def _shifted_maps(
    maps: tuple[int, np.ndarray, np.ndarray], dx: float, dy: float
) -> tuple[int, np.ndarray, np.ndarray] | None:
    """Footprint maps of :func:`_panorama_maps` after the optical centre moved by (dx, dy)
    framelet pixels; None when that is too far for the footprint box."""
    if max(abs(dx), abs(dy)) > _MAX_MAP_SHIFT_PX:
        return None
    r_lo, x, y = maps
    return r_lo, x + dx, y + dy


def _render_panorama(
    stack: np.ndarray,
    geom: StripGeometry,
    view: EquirectangularView,
    f: str,
    *,
    acc: np.ndarray,
    wsum: np.ndarray,
    trim: float,
    ramp_y: float,
    ramp_x: float,
    use: np.ndarray,
    maps: tuple[int, np.ndarray, np.ndarray] | None = None,
) -> None:
    """Shift-invariant path: one footprint per filter, shifted by whole rows per frame.

    Adds the weighted samples to ``acc`` and the weights to ``wsum`` (both ``view.shape``).
    ``maps``: the footprint (:func:`_panorama_maps`), when made already.
    """
    rows_out, cols_out = view.shape
    n_frames, rows, cols = stack.shape
    shift = round(geom.angle_step / view.step_rad)  # signed rows per frame
    r_lo, x, y = maps if maps is not None else _panorama_maps(geom, view, f)
    r_hi = r_lo + x.shape[0]
    # (box_rows, cols_out) float32 weights, 0 outside the framelet's usable area
    wbox = _feather(x, y, rows, trim, ramp_y, ramp_x, geom.sampling_factor)
    box_rows = r_hi - r_lo
    frames = np.nonzero(use)[0]
    cv2 = opencv()
    if cv2 is not None:
        # OpenCV's bilinear remap with float maps: the same interpolation, several times faster.
        # The footprint is curved: strips of columns, each over the rows it covers, skip most
        # of the empty corners of the box.
        in_place = _accumulates_in_place(cv2)
        strips = []
        for c0 in range(0, cols_out, _STRIP_COLS):
            c1 = min(c0 + _STRIP_COLS, cols_out)
            hit = np.nonzero((wbox[:, c0:c1] > 0).any(axis=1))[0]
            if hit.size == 0:
                continue
            r0, r1 = int(hit[0]), int(hit[-1]) + 1
            wb = np.ascontiguousarray(wbox[r0:r1, c0:c1])
            xm = np.where(wb > 0, x[r0:r1, c0:c1], 0.0).astype(np.float32)
            ym = np.where(wb > 0, y[r0:r1, c0:c1], 0.0).astype(np.float32)
            strips.append((r0, r1, c0, c1, wb, xm, ym))
        for k in frames:
            top = r_lo + k * shift  # output row of the footprint's first row
            src = np.ascontiguousarray(stack[k])
            for r0, r1, c0, c1, wb, xm, ym in strips:
                # only the strip's rows inside the output
                s0, s1 = max(-top - r0, 0), min(rows_out - top - r0, r1 - r0)
                if s0 >= s1:
                    continue
                wb, xm, ym = wb[s0:s1], xm[s0:s1], ym[s0:s1]
                v = cv2.remap(src, xm, ym, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                a = acc[top + r0 + s0 : top + r0 + s1, c0:c1]
                w = wsum[top + r0 + s0 : top + r0 + s1, c0:c1]
                if in_place:  # a += v * wb, w += wb without temporaries
                    cv2.accumulateProduct(v, wb, a)
                    cv2.accumulate(wb, w)
                else:
                    v *= wb
                    a += v
                    w += wb
        return
    keep = np.nonzero(wbox.reshape(-1))[0]
    lin, fx, fy = _bilinear_parts(x.reshape(-1)[keep], y.reshape(-1)[keep], rows, cols)
    wk = wbox.reshape(-1)[keep]
    w00, w01 = (1 - fx) * (1 - fy) * wk, fx * (1 - fy) * wk
    w10, w11 = (1 - fx) * fy * wk, fx * fy * wk
    flat = np.ascontiguousarray(stack).reshape(n_frames, -1)
    vbox = np.zeros(box_rows * cols_out, np.float32)
    for k in frames:
        top = r_lo + k * shift  # output row of the footprint's first row
        s0, s1 = max(-top, 0), min(rows_out - top, box_rows)  # its rows inside the output
        if s0 >= s1:
            continue
        fk = flat[k]
        vbox[keep] = (
            fk[lin] * w00 + fk[lin + 1] * w01 + fk[lin + cols] * w10 + fk[lin + cols + 1] * w11
        )
        acc[top + s0 : top + s1] += vbox.reshape(box_rows, cols_out)[s0:s1]
        wsum[top + s0 : top + s1] += wbox[s0:s1]


def _render_general(
    stack: np.ndarray,
    geom: StripGeometry,
    view: View,
    f: str,
    *,
    acc: np.ndarray,
    wsum: np.ndarray,
    trim: float,
    ramp_y: float,
    ramp_x: float,
    use: np.ndarray,
) -> None:
    """Any view: per output pixel, candidate frames from the spin angle, then exact projection.

    Adds the weighted samples to ``acc`` and the weights to ``wsum`` (both ``view.shape``,
    contiguous).
    """
    n_frames, rows, cols = stack.shape
    angles = geom.spin_angles
    step = geom.angle_step
    # relative azimuth of the filter's middle row as a function of elevation, at spin angle 0
    xs = np.linspace(_X_FIRST, _X_LAST, 256) / geom.sampling_factor
    mid = (
        geom.camera.pixel_to_ray(
            xs, np.full_like(xs, (rows - 1) / 2.0), f, sampling_factor=geom.sampling_factor
        )
        @ geom.pointing.camera_to_spin.T
    )
    mid_el = np.arcsin(np.clip(mid[:, 2], -1, 1))
    mid_az = np.arctan2(mid[:, 1], mid[:, 0])
    order = np.argsort(mid_el)
    mid_el, mid_az = mid_el[order], mid_az[order]
    centre = float(np.mean(angles))
    dirs = view.directions().reshape(-1, 3)
    if not (acc.flags.c_contiguous and wsum.flags.c_contiguous):
        raise ValueError("acc and wsum must be contiguous (their flat views are summed into)")
    acc, wsum = acc.reshape(-1), wsum.reshape(-1)
    flat = stack.reshape(-1)
    for start in range(0, dirs.shape[0], _CHUNK):
        d = dirs[start : start + _CHUNK]
        az = centre + _wrap(np.arctan2(d[:, 1], d[:, 0]) - centre)
        el = np.arcsin(np.clip(d[:, 2], -1, 1))
        rel = np.interp(el, mid_el, mid_az)
        k_est = (az - rel - angles[0]) / step if n_frames > 1 else np.zeros_like(az)
        base = np.rint(k_est).astype(np.int64)
        for dk in (-1, 0, 1):
            k = base + dk
            ok = (k >= 0) & (k < n_frames)
            ok[ok] = use[k[ok]]
            if not ok.any():
                continue
            idx = np.nonzero(ok)[0]
            kk = k[idx]
            v = geom._camera_vectors(d[idx], angles[kk])
            x, y = geom.camera.ray_to_pixel(v, f, sampling_factor=geom.sampling_factor)
            x = np.nan_to_num(x, nan=-1e9)
            y = np.nan_to_num(y, nan=-1e9)
            w = _feather(x, y, rows, trim, ramp_y, ramp_x, geom.sampling_factor)
            hit = w > 0
            if not hit.any():
                continue
            idx, kk, x, y, w = idx[hit], kk[hit], x[hit], y[hit], w[hit]
            lin, fx, fy = _bilinear_parts(x, y, rows, cols)
            lin = lin + kk * rows * cols
            v = (
                flat[lin] * (1 - fx) * (1 - fy)
                + flat[lin + 1] * fx * (1 - fy)
                + flat[lin + cols] * (1 - fx) * fy
                + flat[lin + cols + 1] * fx * fy
            )
            acc[start + idx] += v * w  # idx is unique within one candidate offset
            wsum[start + idx] += w
