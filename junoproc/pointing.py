"""Where the camera looks over time: fixed mounting rotations and a model of Juno's spin.

A :class:`Pointing` turns camera-frame vectors (``JUNO_JUNOCAM``, see :mod:`junoproc.camera`)
into a reference frame at times ``t``, given in seconds after an epoch (normally the product's
reported START_TIME, so that :func:`frame_times` can be used directly). :class:`SpinPointing` is
the model used without SPICE: a rigid rotation about the spacecraft spin axis at a constant
rate, with optional small corrections fitted from the images.

Mounting
--------
:data:`CAMERA_TO_SPACECRAFT` is the fixed rotation from ``JUNO_JUNOCAM`` to ``JUNO_SPACECRAFT``
defined by the frames kernel ``juno_v12.tf``: ``JUNO_JUNOCAM`` is a TK frame given by Euler
angles relative to ``JUNO_JUNOCAM_CUBE``, which is a TK frame given by a matrix relative to
``JUNO_SPACECRAFT``. Nominally +Z (boresight) of the camera is -X of the spacecraft, camera +X
(along the CCD lines) is -Z of the spacecraft (the spin axis) and camera +Y is -Y of the
spacecraft, so the CCD lines are parallel to the spin axis and the spin sweeps the scene across
framelet rows.

Spin sense
----------
The FK's spacecraft diagrams ("Spacecraft +Z side view", +Z out of the page) draw the spin as
counter-clockwise, i.e. Juno spins in the positive, right-handed sense about spacecraft +Z.
In the camera frame the spin axis is about -X, so a fixed direction seen near the boresight
drifts towards camera -Y: towards *lower* framelet rows, from the RED strip towards METHANE.
Consecutive framelets of one filter therefore overlap with the bottom rows of frame ``k``
showing what the top rows of frame ``k + 1`` show, and stacking framelets top to bottom in
time order builds a continuous strip.
Correlating the overlaps of five real RGB products of perijoves 43 and 44 confirms this: the
content of row ``y`` in frame ``k`` reappears at row ``y - 115`` (about) in frame ``k + 1``, with
correlation 0.99, against at most 0.72 for the opposite sense; with the FK mounting that
motion requires the positive sense. :attr:`SpinPointing.sense` is ``+1`` for it.

Examples
--------
>>> import numpy as np
>>> from junoproc.pointing import CAMERA_TO_SPACECRAFT, SpinPointing
>>> CAMERA_TO_SPACECRAFT.round(1) + 0.0      # nominal: 180 deg about Z, then 90 deg about Y
array([[ 0.,  0., -1.],
       [ 0., -1.,  0.],
       [-1.,  0.,  0.]])
>>> spin = SpinPointing()
>>> spin.rotation([0.0, 0.373]).shape
(2, 3, 3)
"""

from __future__ import annotations

import abc
import dataclasses
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .camera import INTERFRAME_DELTA_S, START_TIME_BIAS_S, CameraModel, read_text_kernel
from .exceptions import MetadataError
from .framelets import frame_times as _framelet_times

if TYPE_CHECKING:
    from astropy.time import Time
    from numpy.typing import ArrayLike

    from .metadata import Metadata

__all__ = [
    "CAMERA_TO_CUBE",
    "CAMERA_TO_SPACECRAFT",
    "CUBE_TO_SPACECRAFT",
    "DEFAULT_SPIN_RATE_RAD_S",
    "SPIN_AXIS_CAMERA",
    "SPIN_RATE_2RPM_RAD_S",
    "Pointing",
    "SpinPointing",
    "camera_to_spacecraft_from_kernel",
    "frame_rotation",
    "frame_times",
    "interpolated_offsets",
    "spin_angle_of",
]

#: Design spin rate of Juno, 2 rpm = 0.2094 rad/s (Hansen et al. 2017, reference section 3.4).
SPIN_RATE_2RPM_RAD_S = 2.0 * 2.0 * math.pi / 60.0

#: Default spin rate, 11.8495 deg/s = 0.20681 rad/s: the mean yaw rate B. Swift measured from
#: the reconstructed attitude kernels and uses as his default (Juno28g.nb, reference section
#: 3.4; measured values span 11.71 to 11.97 deg/s). At INTERFRAME_DELAY 0.371 s + 1 ms it moves
#: the scene about 114 rows per frame. It is a starting value: registering the framelet overlaps
#: of the PJ43/PJ44 sample products with this model gives 11.9 to 12.1 deg/s.
DEFAULT_SPIN_RATE_RAD_S = math.radians(11.8495)

# FK juno_v12.tf TKFRAME_-61505_MATRIX (JUNO_JUNOCAM_CUBE relative to JUNO_SPACECRAFT), the nine
# numbers in the order the kernel lists them
_CUBE_MATRIX_LISTED = (
    -0.0059163, -0.0142817, -0.9998805,
    0.0023828, -0.9998954, 0.0142678,
    -0.9999797, -0.0022981, 0.0059497,
)  # fmt: skip
# FK juno_v12.tf TKFRAME_-61500_ANGLES (degrees; JUNO_JUNOCAM relative to JUNO_JUNOCAM_CUBE)
_CAMERA_ANGLES_DEG = (0.69, -0.469, 0.583)
# FK juno_v12.tf TKFRAME_-61500_AXES
_CAMERA_AXES = (3, 2, 1)

_ANGLE_UNITS = {
    "RADIANS": 1.0,
    "DEGREES": math.pi / 180.0,
    "ARCMINUTES": math.pi / (180.0 * 60.0),
    "ARCSECONDS": math.pi / (180.0 * 3600.0),
}


def frame_rotation(angle_rad: float, axis: int) -> np.ndarray:
    """SPICE's rotation of the *coordinate frame* by ``angle_rad`` about ``axis`` (1, 2 or 3).

    The returned matrix converts coordinates in the old frame into coordinates in a frame
    turned by ``+angle`` about the axis, which rotates vectors by ``-angle``; this is the
    ``[angle]_axis`` of the SPICE frames documentation.

    Parameters
    ----------
    angle_rad : float
    axis : {1, 2, 3}

    Returns
    -------
    (3, 3) float64 ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.pointing import frame_rotation
    >>> frame_rotation(np.pi / 2, 3) @ [1.0, 0.0, 0.0]      # +X becomes -Y of the new frame
    array([ 0., -1.,  0.])
    """
    if axis not in (1, 2, 3):
        raise ValueError(f"axis must be 1, 2 or 3, got {axis!r}")
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    i, j = [(1, 2), (2, 0), (0, 1)][axis - 1]
    m = np.eye(3)
    m[i, i] = c
    m[j, j] = c
    m[i, j] = s
    m[j, i] = -s
    return m


def _sharpen(m: np.ndarray) -> np.ndarray:
    """Make a nearly orthogonal matrix a rotation the way SPICE treats TKFRAME matrices.

    The first column is normalised, the third becomes the normalised cross product of the
    first two and the second the cross product of the third and the first (checked against
    ``pxform`` to 1e-16; the printed FK matrix is orthogonal only to ~4e-8).
    """
    c0 = m[:, 0] / np.linalg.norm(m[:, 0])
    c2 = np.cross(c0, m[:, 1])
    c2 /= np.linalg.norm(c2)
    c1 = np.cross(c2, c0)
    return np.stack([c0, c1, c2], axis=1)


def _tk_matrix(listed: Any) -> np.ndarray:
    # SPICE fills the 3x3 matrix column by column from the nine listed numbers, so the rows as
    # printed in the FK are the columns of the frame-to-RELATIVE matrix (equivalently the printed
    # layout is the RELATIVE-to-frame DCM).
    return _sharpen(np.asarray(listed, dtype=np.float64).reshape(3, 3).T)


def _tk_angles(angles_rad: Any, axes: Any) -> np.ndarray:
    # Frame-to-RELATIVE matrix of a TK frame given by angles: [a1]_ax1 [a2]_ax2 [a3]_ax3.
    m = np.eye(3)
    for angle, axis in zip(angles_rad, axes, strict=True):
        m = m @ frame_rotation(float(angle), int(axis))
    return m


#: Rows per product in :func:`_rows_times`. One block is ``rows x 3 x 3`` multiply-adds,
#: well under the 2**18 from which OpenBLAS (the BLAS of numpy's wheels) splits a product
#: over threads. Those threads keep spinning for a while after each product and take the
#: cores from junoproc's own workers: on the 2-core benchmark machine the whole default
#: pipeline ran about 15 % slower with them.
_ROW_BLOCK = 8192


def _rows_times(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``v @ m`` for vectors ``v`` (..., 3) and a (3, 3) matrix, block of rows by block.

    The same numbers as ``v @ m``, always computed on the calling thread (see
    :data:`_ROW_BLOCK`).

    Examples
    --------
    >>> import numpy as np
    >>> v = np.arange(60000.0).reshape(-1, 3)
    >>> m = frame_rotation(0.3, 3)
    >>> bool(np.array_equal(_rows_times(v, m), v @ m))
    True
    """
    v = np.asarray(v, dtype=np.float64)
    flat = v.reshape(-1, 3)
    if flat.shape[0] <= _ROW_BLOCK:
        return v @ m
    out = np.empty(flat.shape)
    for r0 in range(0, flat.shape[0], _ROW_BLOCK):
        np.matmul(flat[r0 : r0 + _ROW_BLOCK], m, out=out[r0 : r0 + _ROW_BLOCK])
    return out.reshape(v.shape)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


#: JUNO_JUNOCAM_CUBE -> JUNO_SPACECRAFT (FK juno_v12.tf TKFRAME_-61505_MATRIX, made exactly
#: orthogonal as SPICE does). ``v_sc = CUBE_TO_SPACECRAFT @ v_cube``.
CUBE_TO_SPACECRAFT = _readonly(_tk_matrix(_CUBE_MATRIX_LISTED))

#: JUNO_JUNOCAM -> JUNO_JUNOCAM_CUBE (FK juno_v12.tf TKFRAME_-61500_ANGLES / _AXES).
CAMERA_TO_CUBE = _readonly(_tk_angles(np.radians(_CAMERA_ANGLES_DEG), _CAMERA_AXES))

#: JUNO_JUNOCAM -> JUNO_SPACECRAFT: ``v_sc = CAMERA_TO_SPACECRAFT @ v_cam``. Equals SPICE's
#: ``pxform('JUNO_JUNOCAM', 'JUNO_SPACECRAFT', et)`` with juno_v12.tf loaded.
CAMERA_TO_SPACECRAFT = _readonly(CUBE_TO_SPACECRAFT @ CAMERA_TO_CUBE)

#: Spacecraft +Z (the nominal spin axis) in camera coordinates, about (-1, 0.002, -0.002).
SPIN_AXIS_CAMERA = _readonly(CAMERA_TO_SPACECRAFT[2].copy())


def camera_to_spacecraft_from_kernel(path: str | os.PathLike[str]) -> np.ndarray:
    """Read the JUNO_JUNOCAM -> JUNO_SPACECRAFT rotation from a Juno frames kernel.

    Needs the TK frames ``JUNO_JUNOCAM_CUBE`` (id -61505, ``SPEC = 'MATRIX'``, relative to
    ``JUNO_SPACECRAFT``) and ``JUNO_JUNOCAM`` (id -61500, ``SPEC = 'ANGLES'``, relative to
    ``JUNO_JUNOCAM_CUBE``), as in ``juno_v12.tf``. No SPICE library is needed.

    Parameters
    ----------
    path : str or os.PathLike
        The FK.

    Returns
    -------
    (3, 3) float64 ndarray
        ``v_sc = R @ v_cam``.

    Raises
    ------
    MissingFileError
        The file does not exist.
    MetadataError
        The frames are missing or defined differently; the message names kernel and keyword.
    """
    path = Path(path)
    pool = read_text_kernel(path)

    def get(key: str, count: int | None = None) -> tuple[Any, ...]:
        if key not in pool:
            raise MetadataError(f"{path}: keyword {key} is missing from the kernel")
        values = pool[key]
        if count is not None and len(values) != count:
            raise MetadataError(f"{path}: {key} must have {count} values, got {len(values)}")
        return values

    def expect(key: str, wanted: str) -> None:
        value = str(get(key, 1)[0]).strip().upper()
        if value != wanted:
            raise MetadataError(f"{path}: {key} is {value!r}; junoproc expects {wanted!r}")

    expect("TKFRAME_-61505_SPEC", "MATRIX")
    expect("TKFRAME_-61505_RELATIVE", "JUNO_SPACECRAFT")
    expect("TKFRAME_-61500_SPEC", "ANGLES")
    expect("TKFRAME_-61500_RELATIVE", "JUNO_JUNOCAM_CUBE")
    units = str(get("TKFRAME_-61500_UNITS", 1)[0]).strip().upper()
    if units not in _ANGLE_UNITS:
        raise MetadataError(f"{path}: TKFRAME_-61500_UNITS {units!r} is not supported")
    matrix = get("TKFRAME_-61505_MATRIX", 9)
    angles = get("TKFRAME_-61500_ANGLES", 3)
    axes = get("TKFRAME_-61500_AXES", 3)
    if any(not isinstance(a, float) for a in (*matrix, *angles, *axes)):
        raise MetadataError(f"{path}: JUNOCAM TK frame values must be numbers")
    if any(a not in (1.0, 2.0, 3.0) for a in axes):
        raise MetadataError(f"{path}: TKFRAME_-61500_AXES must be 1, 2 or 3, got {axes}")
    scale = _ANGLE_UNITS[units]
    return _tk_matrix(matrix) @ _tk_angles([a * scale for a in angles], axes)


class Pointing(abc.ABC):
    """Orientation of the camera over time; subclasses implement :meth:`rotation`.

    Attributes
    ----------
    epoch : astropy.time.Time or None
        The instant ``t = 0``; None when only relative times matter.
    """

    epoch: Time | None

    @abc.abstractmethod
    def rotation(self, t: ArrayLike) -> np.ndarray:
        """Matrices turning camera-frame vectors into reference-frame vectors at times ``t``.

        Parameters
        ----------
        t : array_like of float
            Seconds after :attr:`epoch`, any shape ``(...)``.

        Returns
        -------
        (..., 3, 3) float64 ndarray
            ``v_ref = R[i] @ v_cam``.
        """

    def camera_to_reference(self, v_cam: ArrayLike, t: ArrayLike) -> np.ndarray:
        """Camera-frame vectors ``(..., 3)`` to the reference frame at times ``t``.

        ``v_cam[..., :]`` and ``t[...]`` broadcast against each other.
        """
        v = np.asarray(v_cam, dtype=np.float64)
        return np.einsum("...ij,...j->...i", self.rotation(t), v)

    def reference_to_camera(self, v_ref: ArrayLike, t: ArrayLike) -> np.ndarray:
        """Reference-frame vectors ``(..., 3)`` to the camera frame at times ``t``."""
        v = np.asarray(v_ref, dtype=np.float64)
        return np.einsum("...ji,...j->...i", self.rotation(t), v)


def _vector_rotation(angle_rad: float, axis: int) -> np.ndarray:
    # Active, right-handed rotation of vectors by angle about axis.
    return frame_rotation(angle_rad, axis).T


def _camera_to_spin_nominal() -> np.ndarray:
    z = SPIN_AXIS_CAMERA / np.linalg.norm(SPIN_AXIS_CAMERA)
    boresight = np.array([0.0, 0.0, 1.0])
    x = boresight - (boresight @ z) * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])  # rows: spin-frame axes in camera coordinates


_CAMERA_TO_SPIN_NOMINAL = _readonly(_camera_to_spin_nominal())


@dataclasses.dataclass(frozen=True)
class SpinPointing(Pointing):
    """Juno as a rigid body spinning at a constant rate about its +Z axis.

    The reference frame is an inertial *spin frame*: +Z is the spin axis (spacecraft +Z), and
    +X is chosen so that at spin angle 0, with no tilt, the camera boresight lies in the X-Z
    half-plane with positive X. The spin angle at time ``t`` is::

        angle(t) = phase_rad + sense * rate_rad_s * (t + time_offset_s + time_offset_fn(t))

    and ``rotation(t) = Rz(angle(t)) @ camera_to_spin``, where ``Rz`` turns vectors
    counter-clockwise about +Z and ``camera_to_spin`` is the camera orientation at angle 0.

    Attributes
    ----------
    rate_rad_s : float
        Spin rate, positive (default :data:`DEFAULT_SPIN_RATE_RAD_S`).
    phase_rad : float
        Spin angle at ``t = 0``.
    sense : {1, -1}
        +1 (default) for Juno's right-handed spin about spacecraft +Z, which moves the scene
        towards lower framelet rows (see the module notes).
    axis_tilt_rad : tuple of two floats
        Small corrections ``(a, b)`` of the camera's mounting relative to the spin axis:
        ``camera_to_spin = Rx(a) @ Ry(b) @ nominal``, rotations of vectors about spin-frame X
        and Y. ``a`` twists the CCD lines relative to the spin axis, ``b`` moves the boresight
        along the spin axis (elevation decreases by ``b``).
    time_offset_s : float
        Constant correction added to every time (start-time jitter).
    time_offset_fn : callable or None
        ``f(t) -> seconds`` added to the times (e.g. per-frame timing jitter, see
        :func:`interpolated_offsets`). Not compared by ``==``.
    epoch : astropy.time.Time or None
        Instant of ``t = 0``, normally the product's reported START_TIME.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.pointing import SpinPointing, spin_angle_of
    >>> spin = SpinPointing(rate_rad_s=0.2, phase_rad=0.1)
    >>> boresight = spin.camera_to_reference([0.0, 0.0, 1.0], [0.0, 1.0])
    >>> spin_angle_of(boresight)
    array([0.1, 0.3])
    >>> spin.camera_to_reference(spin.spin_axis_camera, 5.0).round(12) + 0.0
    array([0., 0., 1.])
    """

    rate_rad_s: float = DEFAULT_SPIN_RATE_RAD_S
    phase_rad: float = 0.0
    sense: int = 1
    axis_tilt_rad: tuple[float, float] = (0.0, 0.0)
    time_offset_s: float = 0.0
    time_offset_fn: Callable[[np.ndarray], ArrayLike] | None = dataclasses.field(
        default=None, compare=False
    )
    epoch: Time | None = None

    def __post_init__(self) -> None:
        rate = float(self.rate_rad_s)
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate_rad_s must be positive and finite, got {self.rate_rad_s!r}")
        if self.sense not in (1, -1):
            raise ValueError(f"sense must be +1 or -1, got {self.sense!r}")
        tilt = tuple(float(a) for a in self.axis_tilt_rad)
        if len(tilt) != 2 or not all(math.isfinite(a) for a in tilt):
            raise ValueError(f"axis_tilt_rad must be two finite angles, got {self.axis_tilt_rad!r}")
        for name in ("phase_rad", "time_offset_s"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "rate_rad_s", rate)
        object.__setattr__(self, "sense", int(self.sense))
        object.__setattr__(self, "axis_tilt_rad", tilt)
        m = _vector_rotation(tilt[0], 1) @ _vector_rotation(tilt[1], 2) @ _CAMERA_TO_SPIN_NOMINAL
        object.__setattr__(self, "_camera_to_spin", _readonly(m))

    @property
    def camera_to_spin(self) -> np.ndarray:
        """(3, 3) rotation from the camera frame to the spin frame at spin angle 0."""
        return self._camera_to_spin.copy()

    @property
    def spin_axis_camera(self) -> np.ndarray:
        """(3,) unit spin axis in camera coordinates (tilt included)."""
        return self._camera_to_spin[2].copy()

    def spin_angle(self, t: ArrayLike) -> np.ndarray:
        """Spin angle ``angle(t)`` in radians (not wrapped), same shape as ``t``.

        Examples
        --------
        >>> from junoproc.pointing import SpinPointing
        >>> SpinPointing(rate_rad_s=0.2, time_offset_s=0.5).spin_angle([0.0, 1.0])
        array([0.1, 0.3])
        """
        t_ = np.asarray(t, dtype=np.float64)
        tau = t_ + self.time_offset_s
        if self.time_offset_fn is not None:
            tau = tau + np.asarray(self.time_offset_fn(t_), dtype=np.float64)
        return self.phase_rad + self.sense * self.rate_rad_s * tau

    def rotation(self, t: ArrayLike) -> np.ndarray:
        """Camera -> spin frame matrices at times ``t``: ``(...) -> (..., 3, 3)``.

        Examples
        --------
        >>> import numpy as np
        >>> from junoproc.pointing import SpinPointing
        >>> r = SpinPointing().rotation(np.zeros((4, 5)))
        >>> r.shape, bool(np.allclose(r[0, 0] @ r[0, 0].T, np.eye(3)))
        ((4, 5, 3, 3), True)
        """
        angle = self.spin_angle(t)
        c, s = np.cos(angle), np.sin(angle)
        rz = np.zeros((*angle.shape, 3, 3))
        rz[..., 0, 0] = c
        rz[..., 0, 1] = -s
        rz[..., 1, 0] = s
        rz[..., 1, 1] = c
        rz[..., 2, 2] = 1.0
        return rz @ self._camera_to_spin


def spin_angle_of(v_ref: ArrayLike) -> np.ndarray:
    """Azimuth about the spin axis (+Z of the spin frame) of reference-frame vectors.

    Parameters
    ----------
    v_ref : (..., 3) array_like of float

    Returns
    -------
    (...) float64 ndarray
        ``atan2(v_y, v_x)`` in radians, in ``[-pi, pi]``.

    Examples
    --------
    >>> from junoproc.pointing import spin_angle_of
    >>> spin_angle_of([[1.0, 1.0, 5.0], [-1.0, 0.0, 0.0]]) / 3.141592653589793
    array([0.25, 1.  ])
    """
    v = np.asarray(v_ref, dtype=np.float64)
    if v.shape[-1:] != (3,):
        raise ValueError(f"v_ref must have shape (..., 3), got {v.shape}")
    return np.arctan2(v[..., 1], v[..., 0])


def interpolated_offsets(times_s: ArrayLike, offsets_s: ArrayLike) -> Callable[[Any], np.ndarray]:
    """A ``time_offset_fn`` interpolating offsets given at a few times (e.g. per frame).

    Linear between the given times, constant beyond them.

    Parameters
    ----------
    times_s : (n,) array_like of float
        Increasing times (seconds after the epoch).
    offsets_s : (n,) array_like of float
        Offsets to add at those times.

    Returns
    -------
    callable
        ``f(t) -> (...) float64 ndarray``.

    Examples
    --------
    >>> from junoproc.pointing import interpolated_offsets
    >>> f = interpolated_offsets([0.0, 1.0], [0.0, 0.01])
    >>> f([0.5, 2.0])
    array([0.005, 0.01 ])
    """
    tk = np.array(times_s, dtype=np.float64)
    dk = np.array(offsets_s, dtype=np.float64)
    if tk.ndim != 1 or tk.shape != dk.shape or tk.size == 0:
        raise ValueError("times_s and offsets_s must be 1-D of the same, non-zero length")
    if np.any(np.diff(tk) <= 0):
        raise ValueError("times_s must be strictly increasing")

    def offset(t: Any) -> np.ndarray:
        return np.interp(np.asarray(t, dtype=np.float64), tk, dk)

    return offset


def frame_times(
    meta: Metadata,
    camera: CameraModel | None = None,
    *,
    frames: ArrayLike | None = None,
    exposure_centre: bool = False,
) -> np.ndarray:
    """Frame times in seconds after the reported START_TIME, with the camera's corrections.

    ``t_k = start_time_bias_s + k (INTERFRAME_DELAY + interframe_delta_s)``, plus
    ``EXPOSURE_DURATION / 2`` when ``exposure_centre`` is true; ``k`` is the 0-based frame
    number. This is :func:`junoproc.framelets.frame_times` with the bias and delta taken from
    ``camera``.

    Parameters
    ----------
    meta : Metadata
    camera : CameraModel, optional
        Supplies the IK's START_TIME bias and INTERFRAME_DELAY delta; the default model when
        omitted.
    frames : array_like of int, optional
        Frame numbers; all frames by default.
    exposure_centre : bool, optional
        Give the middle of each exposure instead of its start.

    Returns
    -------
    (n,) float64 ndarray

    Examples
    --------
    >>> from junoproc.metadata import parse_metadata
    >>> from junoproc.pointing import frame_times
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "9.6 <ms>",
    ...     "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 1152})
    >>> frame_times(meta)
    array([0.06188, 0.43488, 0.80788])
    """
    bias = START_TIME_BIAS_S if camera is None else camera.start_time_bias_s
    delta = INTERFRAME_DELTA_S if camera is None else camera.interframe_delta_s
    return _framelet_times(
        meta,
        frames=None if frames is None else np.asarray(frames),
        exposure_centre=exposure_centre,
        bias_s=bias,
        delta_s=delta,
    )
