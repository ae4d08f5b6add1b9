"""A forward model of JunoCam: synthetic raw strips of known scenes, for round-trip tests.

The simulator renders a raw strip the way the instrument takes it, one framelet at a time:
for every pixel of frame ``k``, filter ``f``, row ``y`` and column ``x`` (with ``supersample``
x ``supersample`` sub-pixel samples) it forms the view ray::

    d = pointing.rotation(t_k) @ camera.pixel_to_ray(x + dx, y + dy, f)

in the spin frame of :class:`~junoproc.pointing.SpinPointing`, at the *true* frame time
``t_k`` (reported START_TIME + true timing error + IK bias + ``k`` (INTERFRAME_DELAY + IK
delta)), and asks the scene what it sees along ``d``. No inverse mapping and no
shift-invariance shortcut is used, so a stitcher that works by inverse mapping shares no code
path with the simulator that could hide a common mistake. The linear result (DN) is given
photon and read noise if asked, square-root companded and returned with website-style
metadata and the true geometry (:class:`SimulatedProduct`).

Scenes (all immutable; directions are unit vectors in the spin frame, seen from the observer):

* :class:`Ellipsoid`: a triaxial body with an albedo map, optional thermal emission, a
  Lambert or Minnaert photometric law and a Sun direction (so a terminator);
* :class:`StarField`: point sources drawn as small Gaussian PSFs;
* :class:`Composite`: several scenes, nearest body in front, on a black sky.

:func:`io_scene` and :func:`jupiter_scene` build textured Io and Jupiter models (seeded, so
reproducible); :func:`pj57_io_product` is the PJ57-like close approach to Io used as the
project's sample, :func:`jupiter_product` a full-disc Jupiter approach view. :func:`radiance`
and :func:`truth_view` give the noise-free scene along any directions, in the product's linear
DN, to compare processed views with.

Units: lengths in km, angles in radians, times in seconds after the reported START_TIME (the
pointing epoch). Scene values are reflectance-like (I/F); ``SimulatedProduct.truth.dn_scale``
turns them into linear DN.

Examples
--------
>>> import numpy as np
>>> from junoproc.simulate import Ellipsoid, simulate_product, truth_view
>>> ball = Ellipsoid(radii_km=(1000.0, 1000.0, 1000.0), centre_km=(8000.0, 0.0, 0.0),
...                  sun_direction=(-1.0, 0.0, 0.0), albedo=0.6, name="IO")
>>> product = simulate_product(ball, n_frames=2, supersample=1, noise=False, phase_rad=-0.1)
>>> product.raw.shape, product.raw.dtype, product.metadata.n_frames
((768, 1648), dtype('uint8'), 2)
>>> float(product.linear.max()) <= 2400.0
True
>>> float(truth_view(product, np.array([1.0, 0.0, 0.0]), "RED"))   # disc centre, full phase
2400.0
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import re
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.time import Time, TimeDelta
from scipy import ndimage

from ._version import __version__
from .camera import PHOTOACTIVE_COLUMNS, CameraModel
from .decompand import SQROOT_TABLE, compand
from .exceptions import OutputExistsError, UnknownFilterError
from .metadata import FILTERS, FRAMELET_LINES, LINE_SAMPLES, Metadata, parse_metadata
from .pointing import DEFAULT_SPIN_RATE_RAD_S, SpinPointing, interpolated_offsets

if TYPE_CHECKING:
    import os

    from numpy.typing import ArrayLike

    from .io import RawImage

__all__ = [
    "IO_RADII_KM",
    "JUPITER_RADII_KM",
    "Composite",
    "Ellipsoid",
    "Scene",
    "SimulatedProduct",
    "SimulationTruth",
    "Spots",
    "StarField",
    "TextureMap",
    "body_orientation",
    "io_scene",
    "jupiter_product",
    "jupiter_scene",
    "phase_for_azimuth",
    "pj57_io_product",
    "radiance",
    "simulate_product",
    "truth_view",
    "write_product",
]

logger = logging.getLogger(__name__)

#: Io's triaxial radii, km (NAIF pck00010 BODY501_RADII).
IO_RADII_KM: tuple[float, float, float] = (1829.4, 1819.4, 1815.7)
#: Jupiter's radii, km (NAIF pck00010 BODY599_RADII).
JUPITER_RADII_KM: tuple[float, float, float] = (71492.0, 71492.0, 66854.0)

#: Largest linear DN of an 8-bit SQROOT product.
_MAX_DN = float(SQROOT_TABLE[-1])
#: Focal length of the default camera, pixels (sets the default star PSF width in radians).
_FL_PX = CameraModel.default()["GREEN"].fl_px
#: Default product id of the PJ57 Io sample (RGB) and its methane companion.
PJ57_PRODUCT_ID = "JNCE_2023364_57C00099_V01"
PJ57_METHANE_PRODUCT_ID = "JNCE_2023364_57M00100_V01"

_PRODUCT_ID = re.compile(r"JNC[A-Z]_\d{7}_(\d{2,3})[A-Z]\d{5}_V\d{2}", re.IGNORECASE)


# ------------------------------------------------------------------------------------------
# Small geometric helpers
# ------------------------------------------------------------------------------------------


def _unit(v: ArrayLike, what: str = "vector") -> np.ndarray:
    a = np.array(v, dtype=np.float64)
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{what} must be three finite numbers, got {v!r}")
    n = float(np.linalg.norm(a))
    if n == 0.0:
        raise ValueError(f"{what} must not be zero")
    return a / n


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def _filter_key(name: str) -> str:
    key = str(name).strip().upper()
    if key not in FILTERS:
        raise UnknownFilterError(
            f"unknown JunoCam filter {name!r}; expected one of {', '.join(FILTERS)}"
        )
    return key


def _rotate(v: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``m @ v[i]`` for every row of ``v`` (N, 3); faster than ``v @ m.T`` for tall ``v``."""
    return (m @ v.T).T


def body_orientation(pole: ArrayLike, prime_meridian_rad: float = 0.0) -> np.ndarray:
    """Body-fixed -> spin-frame rotation of a body with a given pole and prime meridian.

    The body's +Z is ``pole``. Its +X (longitude 0) is the spin-frame +Z axis projected on
    the equator (spin-frame +X when the pole is within 1 degree of +Z) and then turned by
    ``prime_meridian_rad`` about the pole; +Y completes a right-handed frame, so longitudes
    increase eastward.

    Parameters
    ----------
    pole : (3,) array_like
        North pole direction in the spin frame (normalised here).
    prime_meridian_rad : float, optional

    Returns
    -------
    (3, 3) float64 ndarray
        Columns are the body's X, Y, Z axes in spin-frame coordinates: ``v_spin = R @ v_body``.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.simulate import body_orientation
    >>> r = body_orientation([0.0, 1.0, 0.0])
    >>> r[:, 2], r[:, 0]
    (array([0., 1., 0.]), array([0., 0., 1.]))
    >>> bool(np.allclose(r.T @ r, np.eye(3)))
    True
    """
    z = _unit(pole, "pole")
    ref = np.array([0.0, 0.0, 1.0])
    if abs(float(ref @ z)) > math.cos(math.radians(1.0)):
        ref = np.array([1.0, 0.0, 0.0])
    x = ref - (ref @ z) * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    c, s = math.cos(prime_meridian_rad), math.sin(prime_meridian_rad)
    x, y = c * x + s * y, -s * x + c * y
    return np.stack([x, y, z], axis=1)


def _latlon_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    cl = np.cos(lat)
    return np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=-1)


# ------------------------------------------------------------------------------------------
# Surface textures
# ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class TextureMap:
    """Per-filter values on an equirectangular latitude/longitude grid, bilinearly sampled.

    Attributes
    ----------
    planes : Mapping of str -> (nlat, nlon) float32 ndarray
        One read-only grid per filter. Row ``i`` is centred on latitude
        ``-pi/2 + (i + 0.5) pi / nlat``, column ``j`` on east longitude
        ``(j + 0.5) 2 pi / nlon``; longitude wraps, latitude is clamped.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.simulate import TextureMap
    >>> tex = TextureMap({"RED": np.arange(8.0).reshape(2, 4)})
    >>> tex(np.array([-0.8, 0.8]), np.array([0.25 * np.pi, 0.25 * np.pi]), "red")
    array([0., 4.])
    """

    planes: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        planes = {}
        shape = None
        for name, plane in self.planes.items():
            a = np.array(plane, dtype=np.float32)
            if a.ndim != 2 or min(a.shape) < 1:
                raise ValueError(f"texture plane {name!r} must be 2-D, got shape {a.shape}")
            if shape is not None and a.shape != shape:
                raise ValueError("texture planes must share one shape")
            shape = a.shape
            planes[_filter_key(name)] = _readonly(a)
        if not planes:
            raise ValueError("a TextureMap needs at least one plane")
        object.__setattr__(self, "planes", types.MappingProxyType(planes))

    @property
    def shape(self) -> tuple[int, int]:
        """``(nlat, nlon)`` of the grids."""
        return next(iter(self.planes.values())).shape

    def __call__(self, lat: ArrayLike, lon: ArrayLike, filter_name: str) -> np.ndarray:
        """Bilinear sample at planetocentric latitude and east longitude (radians).

        Returns a float64 array of the broadcast shape; raises
        :class:`~junoproc.exceptions.UnknownFilterError` for a filter without a plane.
        """
        key = _filter_key(filter_name)
        if key not in self.planes:
            raise UnknownFilterError(f"texture has no {key} plane (has {', '.join(self.planes)})")
        plane = self.planes[key]
        nlat, nlon = plane.shape
        lat_, lon_ = np.broadcast_arrays(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
        fy = np.clip((lat_ + math.pi / 2) * (nlat / math.pi) - 0.5, 0.0, nlat - 1.0)
        fx = np.mod(lon_, 2 * math.pi) * (nlon / (2 * math.pi)) - 0.5
        y0 = np.minimum(np.floor(fy).astype(np.intp), max(nlat - 2, 0))
        wy = fy - y0
        y1 = np.minimum(y0 + 1, nlat - 1)
        x0f = np.floor(fx)
        wx = fx - x0f
        x0 = np.mod(x0f.astype(np.intp), nlon)
        x1 = np.mod(x0 + 1, nlon)
        top = plane[y0, x0] * (1.0 - wx) + plane[y0, x1] * wx
        bottom = plane[y1, x0] * (1.0 - wx) + plane[y1, x1] * wx
        return top * (1.0 - wy) + bottom * wy


@dataclasses.dataclass(frozen=True, eq=False)
class Spots:
    """Gaussian spots on a sphere, e.g. thermal emission of volcanic hot spots.

    ``value(p) = sum_i brightness_f[i] exp(-theta_i**2 / (2 sigma_i**2))`` with ``theta_i`` the
    angle between the surface point's direction and spot ``i``'s centre.

    Attributes
    ----------
    lat_rad, lon_rad : (n,) float64 ndarray
        Spot centres (planetocentric latitude, east longitude).
    sigma_rad : (n,) float64 ndarray
        Gaussian widths as angles seen from the body centre.
    brightness : Mapping of str -> (n,) float64 ndarray
        Peak value per filter; filters not listed give 0.

    Examples
    --------
    >>> from junoproc.simulate import Spots
    >>> hot = Spots([0.0], [1.0], [0.01], {"RED": [2.0]})
    >>> hot([0.0, 0.0], [1.0, 1.01], "RED").round(4), hot([0.0], [1.0], "BLUE")
    (array([2.    , 1.2131]), array([0.]))
    """

    lat_rad: np.ndarray
    lon_rad: np.ndarray
    sigma_rad: np.ndarray
    brightness: Mapping[str, np.ndarray]

    def __post_init__(self) -> None:
        lat = np.array(self.lat_rad, dtype=np.float64).ravel()
        lon = np.array(self.lon_rad, dtype=np.float64).ravel()
        sigma = np.array(self.sigma_rad, dtype=np.float64).ravel()
        if not (lat.shape == lon.shape == sigma.shape):
            raise ValueError("lat_rad, lon_rad and sigma_rad must have the same length")
        if np.any(sigma <= 0):
            raise ValueError("spot widths must be positive")
        bright = {}
        for name, b in self.brightness.items():
            arr = np.array(b, dtype=np.float64).ravel()
            if arr.shape != lat.shape:
                raise ValueError(f"brightness of {name} must have {lat.size} values")
            bright[_filter_key(name)] = _readonly(arr)
        object.__setattr__(self, "lat_rad", _readonly(lat))
        object.__setattr__(self, "lon_rad", _readonly(lon))
        object.__setattr__(self, "sigma_rad", _readonly(sigma))
        object.__setattr__(self, "brightness", types.MappingProxyType(bright))
        object.__setattr__(self, "_centres", _readonly(_latlon_vectors(lat, lon)))

    def __len__(self) -> int:
        return int(self.lat_rad.size)

    def __call__(self, lat: ArrayLike, lon: ArrayLike, filter_name: str) -> np.ndarray:
        """Spot value at the given points, float64 of the broadcast shape of ``lat, lon``."""
        key = _filter_key(filter_name)
        lat_, lon_ = np.broadcast_arrays(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
        out = np.zeros(lat_.shape)
        bright = self.brightness.get(key)
        if bright is None or not len(self):
            return out
        p = _latlon_vectors(lat_, lon_)
        for centre, sigma, b in zip(self._centres, self.sigma_rad, bright, strict=True):
            if b == 0.0:
                continue
            # chord length ~ angle for the small spots this is meant for
            cos_cut = math.cos(min(6.0 * sigma, math.pi))
            dot = p @ centre
            near = dot > cos_cut
            if not near.any():
                continue
            chord2 = 2.0 - 2.0 * dot[near]
            out[near] += b * np.exp(-chord2 / (2.0 * sigma * sigma))
        return out


def _lattice_noise(points: np.ndarray, freq: float, rng: np.random.Generator) -> np.ndarray:
    """Trilinear value noise at unit vectors ``points`` (3, N), zero mean, ~unit variance."""
    n = math.ceil(2.0 * freq) + 3
    lattice = rng.standard_normal((n, n, n)).astype(np.float32)
    coords = (points + 1.0) * freq + 1.0
    return ndimage.map_coordinates(lattice, coords, order=1, mode="nearest", prefilter=False)


def _fbm(
    points: np.ndarray, freqs: Sequence[float], gain: float, rng: np.random.Generator
) -> np.ndarray:
    total = np.zeros(points.shape[1], dtype=np.float32)
    amp = 1.0
    for f in freqs:
        total += amp * _lattice_noise(points, f, rng)
        amp *= gain
    total -= total.mean()
    total /= max(float(total.std()), 1e-12)
    return total


def _smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class _Grid:
    """An equirectangular grid of ``nlat`` x ``2 nlat`` cells and helpers to draw on it."""

    def __init__(self, nlat: int) -> None:
        self.nlat = int(nlat)
        self.nlon = 2 * self.nlat
        self.step = math.pi / self.nlat
        self.lat = -math.pi / 2 + (np.arange(self.nlat) + 0.5) * self.step
        self.lon = (np.arange(self.nlon) + 0.5) * self.step
        lat2, lon2 = np.meshgrid(self.lat, self.lon, indexing="ij")
        self.points = _latlon_vectors(lat2, lon2).reshape(-1, 3).T.astype(np.float32)

    def noise(self, freqs: Sequence[float], gain: float, rng: np.random.Generator) -> np.ndarray:
        return _fbm(self.points, freqs, gain, rng).reshape(self.nlat, self.nlon)

    def grain(self, rng: np.random.Generator, sigma_cells: float = 0.6) -> np.ndarray:
        g = ndimage.gaussian_filter(
            rng.standard_normal((self.nlat, self.nlon)).astype(np.float32),
            sigma_cells,
            mode=("nearest", "wrap"),
        )
        return g / max(float(g.std()), 1e-12)

    def stamp(
        self,
        field: np.ndarray,
        lat0: float,
        lon0: float,
        a_rad: float,
        b_rad: float,
        angle: float,
        edge_rad: float,
        *,
        mode: str = "max",
        weight: float = 1.0,
    ) -> None:
        """Draw a sharp-edged ellipse (1 inside, 0 outside, tanh edge) into ``field``."""
        reach = max(a_rad, b_rad) + 3.0 * edge_rad
        i0 = max(int((lat0 - reach + math.pi / 2) / self.step) - 1, 0)
        i1 = min(int((lat0 + reach + math.pi / 2) / self.step) + 2, self.nlat)
        cos0 = max(math.cos(lat0), 0.05)
        half = min(reach / cos0, math.pi)
        j0 = int((lon0 - half) / self.step) - 1
        j1 = int((lon0 + half) / self.step) + 2
        cols = np.arange(j0, j1) % self.nlon
        lat = self.lat[i0:i1, None]
        dlon = np.angle(np.exp(1j * (self.lon[cols][None, :] - lon0)))
        east = dlon * np.cos(lat)
        north = lat - lat0
        c, s = math.cos(angle), math.sin(angle)
        u = (c * east + s * north) / a_rad
        v = (-s * east + c * north) / b_rad
        rho = np.sqrt(u * u + v * v)
        inside = 0.5 * (1.0 - np.tanh((rho - 1.0) * min(a_rad, b_rad) / edge_rad))
        block = field[i0:i1][:, cols]
        if mode == "max":
            block = np.maximum(block, weight * inside)
        else:
            block = block + weight * inside
        field[i0:i1, cols] = block


# ------------------------------------------------------------------------------------------
# Scenes
# ------------------------------------------------------------------------------------------


Albedo = float | Mapping[str, float] | Callable[[np.ndarray, np.ndarray, str], np.ndarray]


@dataclasses.dataclass(frozen=True, eq=False)
class Ellipsoid:
    """A triaxial body lit by the Sun, seen from the observer.

    Attributes
    ----------
    radii_km : tuple of three floats
        Semi-axes along the body's X, Y, Z (Z = pole).
    centre_km : (3,) float64 ndarray
        Body centre relative to the observer at ``t = 0``, spin frame, km.
    sun_direction : (3,) float64 ndarray
        Unit vector from the body towards the Sun, spin frame (normalised here).
    orientation : (3, 3) float64 ndarray
        Body-fixed -> spin-frame rotation (see :func:`body_orientation`); identity by default.
    albedo : float, mapping or callable
        Normal albedo: one number, a ``{filter: value}`` mapping, or ``f(lat, lon, filter)``
        returning an array (planetocentric latitude, east longitude, radians), e.g. a
        :class:`TextureMap`.
    emission : callable, optional
        ``f(lat, lon, filter)`` added regardless of illumination (e.g. :class:`Spots` for
        volcanic hot spots, visible on the night side too).
    photometry : {"lambert", "minnaert"}
        ``A cos(i)`` or ``A cos(i)**k cos(e)**(k - 1)`` (Minnaert, ``k = minnaert_k``).
    minnaert_k : float
    name : str
        Target name, used as TARGET_NAME (e.g. ``"IO"``).

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.simulate import Ellipsoid, radiance
    >>> moon = Ellipsoid(radii_km=(100.0, 100.0, 100.0), centre_km=(1000.0, 0.0, 0.0),
    ...                  sun_direction=(-1.0, 0.0, 0.0), albedo={"RED": 0.5, "GREEN": 0.4})
    >>> radiance(moon, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "RED")
    array([0.5, 0. ])
    >>> round(moon.angular_radius_rad(), 6)
    0.100167
    """

    radii_km: tuple[float, float, float]
    centre_km: np.ndarray
    sun_direction: np.ndarray
    orientation: np.ndarray | None = None
    albedo: Albedo = 0.5
    emission: Callable[[np.ndarray, np.ndarray, str], np.ndarray] | None = None
    photometry: str = "lambert"
    minnaert_k: float = 1.0
    name: str = "BODY"

    def __post_init__(self) -> None:
        radii = tuple(float(r) for r in self.radii_km)
        if len(radii) != 3 or not all(math.isfinite(r) and r > 0 for r in radii):
            raise ValueError(f"radii_km must be three positive numbers, got {self.radii_km!r}")
        centre = np.array(self.centre_km, dtype=np.float64)
        if centre.shape != (3,) or not np.all(np.isfinite(centre)):
            raise ValueError(f"centre_km must be three finite numbers, got {self.centre_km!r}")
        orient = np.eye(3) if self.orientation is None else np.array(self.orientation, np.float64)
        if orient.shape != (3, 3) or not np.allclose(orient.T @ orient, np.eye(3), atol=1e-9):
            raise ValueError("orientation must be a 3x3 rotation matrix")
        if np.linalg.det(orient) < 0:
            raise ValueError("orientation must be a proper rotation (determinant +1)")
        photometry = str(self.photometry).strip().lower()
        if photometry not in ("lambert", "minnaert"):
            raise ValueError(f"photometry must be 'lambert' or 'minnaert', got {self.photometry!r}")
        k = float(self.minnaert_k)
        if not (0.0 < k <= 2.0):
            raise ValueError(f"minnaert_k must be in (0, 2], got {self.minnaert_k!r}")
        albedo = self.albedo
        if isinstance(albedo, Mapping):
            albedo = types.MappingProxyType({_filter_key(f): float(v) for f, v in albedo.items()})
        elif not callable(albedo):
            albedo = float(albedo)
        object.__setattr__(self, "radii_km", radii)
        object.__setattr__(self, "centre_km", _readonly(centre))
        object.__setattr__(self, "sun_direction", _readonly(_unit(self.sun_direction, "sun")))
        object.__setattr__(self, "orientation", _readonly(orient))
        object.__setattr__(self, "photometry", photometry)
        object.__setattr__(self, "minnaert_k", k)
        object.__setattr__(self, "albedo", albedo)
        object.__setattr__(self, "name", str(self.name).strip().upper() or "BODY")

    @property
    def distance_km(self) -> float:
        """Distance from the observer (at ``t = 0``) to the body centre."""
        return float(np.linalg.norm(self.centre_km))

    def angular_radius_rad(self) -> float:
        """Half-angle of the cone around the centre direction holding the whole body."""
        return math.asin(min(max(self.radii_km) / self.distance_km, 1.0))

    def sub_observer_latlon(self) -> tuple[float, float]:
        """Planetocentric latitude and east longitude (radians) below the observer at t = 0."""
        v = self.orientation.T @ (-self.centre_km)
        return math.asin(v[2] / np.linalg.norm(v)), math.atan2(v[1], v[0])

    def phase_angle_rad(self) -> float:
        """Sun - body centre - observer angle at ``t = 0``."""
        to_obs = -self.centre_km / self.distance_km
        return math.acos(float(np.clip(to_obs @ self.sun_direction, -1.0, 1.0)))

    def _albedo(self, lat: np.ndarray, lon: np.ndarray, key: str) -> np.ndarray:
        a = self.albedo
        if isinstance(a, float):
            return np.full(lat.shape, a)
        if isinstance(a, Mapping):
            return np.full(lat.shape, float(a.get(key, 0.0)))
        return np.asarray(a(lat, lon, key), dtype=np.float64)

    def _render(
        self, d: np.ndarray, key: str, observer: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n = d.shape[0]
        value = np.zeros(n)
        depth = np.full(n, np.inf)
        rel = self.centre_km - observer
        dist = float(np.linalg.norm(rel))
        rmax = max(self.radii_km)
        if dist > rmax * (1.0 + 1e-9):
            cos_lim = math.sqrt(1.0 - (rmax / dist) ** 2) - 1e-9
            idx = np.flatnonzero(d @ (rel / dist) >= cos_lim)
        else:
            idx = np.arange(n)
        if idx.size == 0:
            return value, depth
        r = self.orientation
        u = _rotate(d[idx], r.T)  # body frame
        p = r.T @ (-rel)  # observer in the body frame
        inv = 1.0 / np.array(self.radii_km)
        us = u * inv
        ps = p * inv
        a = np.einsum("ij,ij->i", us, us)
        b = 2.0 * (us @ ps)
        c = float(ps @ ps) - 1.0
        disc = b * b - 4.0 * a * c
        hit = disc >= 0.0
        t = np.full(idx.size, np.inf)
        t[hit] = (-b[hit] - np.sqrt(disc[hit])) / (2.0 * a[hit])
        hit &= t > 0.0
        if not hit.any():
            return value, depth
        idx, u, t = idx[hit], u[hit], t[hit]
        q = p + t[:, None] * u
        normal = q * (inv * inv)
        normal /= np.linalg.norm(normal, axis=1)[:, None]
        lat = np.arcsin(np.clip(q[:, 2] / np.linalg.norm(q, axis=1), -1.0, 1.0))
        lon = np.arctan2(q[:, 1], q[:, 0])
        cos_i = normal @ (r.T @ self.sun_direction)
        lit = np.clip(cos_i, 0.0, None)
        if self.photometry == "minnaert" and self.minnaert_k != 1.0:
            cos_e = np.clip(-np.einsum("ij,ij->i", normal, u), 1e-3, 1.0)
            k = self.minnaert_k
            shade = lit**k * cos_e ** (k - 1.0)
        else:
            shade = lit
        v = self._albedo(lat, lon, key) * shade
        if self.emission is not None:
            v = v + np.asarray(self.emission(lat, lon, key), dtype=np.float64)
        value[idx] = v
        depth[idx] = t
        return value, depth

    def summary(self) -> dict[str, Any]:
        """JSON-friendly description (geometry and photometry, not the texture)."""
        lat, lon = self.sub_observer_latlon()
        return {
            "type": "Ellipsoid",
            "name": self.name,
            "radii_km": list(self.radii_km),
            "centre_km": self.centre_km.tolist(),
            "distance_km": self.distance_km,
            "angular_radius_rad": self.angular_radius_rad(),
            "sun_direction": self.sun_direction.tolist(),
            "phase_angle_deg": math.degrees(self.phase_angle_rad()),
            "orientation": self.orientation.tolist(),
            "sub_observer_lat_deg": math.degrees(lat),
            "sub_observer_lon_deg": math.degrees(lon),
            "photometry": self.photometry,
            "minnaert_k": self.minnaert_k,
            "albedo": type(self.albedo).__name__,
            "emission": None if self.emission is None else type(self.emission).__name__,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class StarField:
    """Point sources at infinity, drawn as circular Gaussian PSFs.

    A star of flux ``F`` gives ``F / (2 pi s**2) exp(-theta**2 / (2 (s w)**2))`` at angle
    ``theta`` from it, with ``s = psf_sigma_px`` and ``w = pixel_scale_rad``, so that summed
    over (un-summed) pixels it totals ``F``.

    Attributes
    ----------
    directions : (n, 3) float64 ndarray
        Unit vectors in the spin frame (normalised here).
    flux : Mapping of str -> (n,) ndarray, or (n,) array_like
        Per-filter fluxes, or one flux for every filter.
    psf_sigma_px : float
        PSF standard deviation in pixels (0.7 by default).
    pixel_scale_rad : float
        Angle of one pixel, ``1 / focal length in px`` by default.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.simulate import StarField, radiance
    >>> stars = StarField([[1.0, 0.0, 0.0]], [10.0])
    >>> peak = radiance(stars, [1.0, 0.0, 0.0], "GREEN")
    >>> round(float(peak), 4), float(radiance(stars, [0.0, 1.0, 0.0], "GREEN"))
    (3.2481, 0.0)
    """

    directions: np.ndarray
    flux: Any
    psf_sigma_px: float = 0.7
    pixel_scale_rad: float = 1.0 / _FL_PX

    def __post_init__(self) -> None:
        d = np.array(self.directions, dtype=np.float64).reshape(-1, 3)
        norms = np.linalg.norm(d, axis=1)
        if not np.all(np.isfinite(d)) or np.any(norms == 0):
            raise ValueError("star directions must be finite, non-zero vectors")
        d = d / norms[:, None]
        if isinstance(self.flux, Mapping):
            flux = {_filter_key(f): np.array(v, np.float64).ravel() for f, v in self.flux.items()}
        else:
            common = np.array(self.flux, np.float64).ravel()
            flux = {f: common for f in FILTERS}
        for f, v in flux.items():
            if v.shape != (d.shape[0],):
                raise ValueError(f"flux of {f} must have one value per star ({d.shape[0]})")
            _readonly(v)
        sigma = float(self.psf_sigma_px)
        scale = float(self.pixel_scale_rad)
        if not (sigma > 0 and scale > 0):
            raise ValueError("psf_sigma_px and pixel_scale_rad must be positive")
        object.__setattr__(self, "directions", _readonly(d))
        object.__setattr__(self, "flux", types.MappingProxyType(flux))
        object.__setattr__(self, "psf_sigma_px", sigma)
        object.__setattr__(self, "pixel_scale_rad", scale)

    @classmethod
    def random(
        cls,
        n_stars: int,
        *,
        seed: int = 0,
        centre: ArrayLike = (1.0, 0.0, 0.0),
        radius_rad: float = 0.6,
        flux_range: tuple[float, float] = (2.0, 200.0),
    ) -> StarField:
        """Stars spread uniformly over a cap, with log-uniform, slightly coloured fluxes.

        Examples
        --------
        >>> from junoproc.simulate import StarField
        >>> StarField.random(5, seed=1).directions.shape
        (5, 3)
        """
        rng = np.random.default_rng(seed)
        axis = _unit(centre, "centre")
        helper = np.array([0.0, 0.0, 1.0]) if abs(axis[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        e1 = np.cross(axis, helper)
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(axis, e1)
        cos_t = 1.0 - rng.uniform(0.0, 1.0, n_stars) * (1.0 - math.cos(radius_rad))
        sin_t = np.sqrt(1.0 - cos_t**2)
        phi = rng.uniform(0.0, 2 * math.pi, n_stars)
        dirs = (
            cos_t[:, None] * axis
            + (sin_t * np.cos(phi))[:, None] * e1
            + (sin_t * np.sin(phi))[:, None] * e2
        )
        lo, hi = (math.log(v) for v in flux_range)
        base = np.exp(rng.uniform(lo, hi, n_stars))
        colour = rng.uniform(-0.3, 0.3, n_stars)  # blue-red slope
        flux = {
            "BLUE": base * (1 - colour),
            "GREEN": base,
            "RED": base * (1 + colour),
            "METHANE": base * 0.3 * (1 + colour),
        }
        return cls(dirs, flux)

    def _render(
        self, d: np.ndarray, key: str, observer: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        n = d.shape[0]
        value = np.zeros(n)
        depth = np.full(n, np.inf)
        flux = self.flux.get(key)
        if flux is None or n == 0 or not len(flux):
            return value, depth
        sigma = self.psf_sigma_px * self.pixel_scale_rad
        cut = 6.0 * sigma
        # cheap cap around all directions first, then each remaining star
        mean = d.sum(axis=0)
        norm = float(np.linalg.norm(mean))
        if norm > 1e-6 * n:
            mean /= norm
            spread = math.acos(float(np.clip((d @ mean).min(), -1.0, 1.0)))
            near_cap = self.directions @ mean >= math.cos(min(spread + cut, math.pi))
        else:
            near_cap = np.ones(len(flux), dtype=bool)
        cos_cut = math.cos(cut)
        norm_factor = 1.0 / (2.0 * math.pi * self.psf_sigma_px**2)
        for s in np.flatnonzero(near_cap & (flux != 0)):
            dot = d @ self.directions[s]
            near = np.flatnonzero(dot >= cos_cut)
            if near.size == 0:
                continue
            diff = d[near] - self.directions[s]
            chord2 = np.einsum("ij,ij->i", diff, diff)
            value[near] += flux[s] * norm_factor * np.exp(-chord2 / (2.0 * sigma * sigma))
        return value, depth

    def summary(self) -> dict[str, Any]:
        """JSON-friendly description."""
        return {
            "type": "StarField",
            "n_stars": int(self.directions.shape[0]),
            "psf_sigma_px": self.psf_sigma_px,
            "pixel_scale_rad": self.pixel_scale_rad,
            "directions": self.directions.tolist() if self.directions.shape[0] <= 20 else None,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Composite:
    """Several scenes on a black sky: the nearest body hides what lies behind it.

    Bodies at finite distance occlude each other and the stars; scenes at infinity (stars)
    add up where no body is hit.

    Attributes
    ----------
    scenes : tuple
        :class:`Ellipsoid`, :class:`StarField` or nested :class:`Composite` scenes.

    Examples
    --------
    >>> from junoproc.simulate import Composite, Ellipsoid, StarField, radiance
    >>> ball = Ellipsoid((10.0, 10.0, 10.0), (100.0, 0.0, 0.0), (-1.0, 0.0, 0.0), albedo=0.5)
    >>> star = StarField([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [1.0, 1.0])
    >>> radiance(Composite((ball, star)), [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "RED").round(4)
    array([0.5   , 0.3248])
    """

    scenes: tuple[Any, ...]

    def __post_init__(self) -> None:
        scenes = tuple(self.scenes)
        if not scenes:
            raise ValueError("a Composite needs at least one scene")
        for s in scenes:
            if not hasattr(s, "_render"):
                raise TypeError(f"not a scene: {type(s).__name__}")
        object.__setattr__(self, "scenes", scenes)

    def _render(
        self, d: np.ndarray, key: str, observer: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        parts = [s._render(d, key, observer) for s in self.scenes]
        depth = np.min(np.stack([p[1] for p in parts]), axis=0)
        value = np.zeros(d.shape[0])
        for v, z in parts:
            value += np.where(z == depth, v, 0.0)
        return value, depth

    def summary(self) -> dict[str, Any]:
        """JSON-friendly description."""
        return {"type": "Composite", "scenes": [s.summary() for s in self.scenes]}


Scene = Ellipsoid | StarField | Composite


def radiance(
    scene: Scene,
    directions: ArrayLike,
    filter_name: str,
    *,
    observer_km: ArrayLike | None = None,
) -> np.ndarray:
    """Noise-free scene value along view directions (reflectance-like units).

    Parameters
    ----------
    scene : Ellipsoid, StarField or Composite
    directions : (..., 3) array_like of float
        View directions in the spin frame (normalised here; the input is not modified).
    filter_name : str
        ``"BLUE"``, ``"GREEN"``, ``"RED"`` or ``"METHANE"``.
    observer_km : (3,) array_like, optional
        Observer position relative to its ``t = 0`` position, spin frame (default: origin).

    Returns
    -------
    (...) float64 ndarray
        Multiply by ``product.truth.dn_scale`` for linear DN (or use :func:`truth_view`).

    Examples
    --------
    >>> from junoproc.simulate import Ellipsoid, radiance
    >>> ball = Ellipsoid((10.0, 10.0, 10.0), (100.0, 0.0, 0.0), (0.0, 1.0, 0.0), albedo=0.5)
    >>> radiance(ball, [[1.0, 0.0, 0.0], [0.995, 0.0999, 0.0]], "GREEN").round(3)  # side-lit
    array([0.   , 0.495])
    """
    key = _filter_key(filter_name)
    d = np.array(directions, dtype=np.float64)
    if d.shape[-1:] != (3,):
        raise ValueError(f"directions must have shape (..., 3), got {d.shape}")
    shape = d.shape[:-1]
    flat = d.reshape(-1, 3)
    norms = np.linalg.norm(flat, axis=1)
    if np.any(~np.isfinite(norms)) or np.any(norms == 0):
        raise ValueError("directions must be finite, non-zero vectors")
    flat = flat / norms[:, None]
    obs = np.zeros(3) if observer_km is None else np.array(observer_km, dtype=np.float64)
    if obs.shape != (3,):
        raise ValueError(f"observer_km must be three numbers, got {observer_km!r}")
    value, _ = scene._render(flat, key, obs)
    return value.reshape(shape)


# ------------------------------------------------------------------------------------------
# Io and Jupiter
# ------------------------------------------------------------------------------------------

# Colours (B, G, R, METHANE) of the Io texture ingredients, reflectance-like.
_IO_BASE = {"BLUE": 0.36, "GREEN": 0.62, "RED": 0.74, "METHANE": 0.17}
_IO_FROST = {"BLUE": 0.72, "GREEN": 0.80, "RED": 0.84, "METHANE": 0.26}
_IO_RED = {"BLUE": 0.16, "GREEN": 0.30, "RED": 0.55, "METHANE": 0.11}
_IO_DARK = {"BLUE": 0.05, "GREEN": 0.06, "RED": 0.08, "METHANE": 0.03}
_IO_HOT = {"BLUE": 0.0, "GREEN": 0.15, "RED": 1.0, "METHANE": 1.3}


@functools.lru_cache(maxsize=4)
def _io_texture(seed: int, nlat: int) -> tuple[TextureMap, Spots]:
    rng = np.random.default_rng(seed)
    grid = _Grid(nlat)
    regions = grid.noise((1.5, 3.0, 6.0), 0.55, rng)  # large bright / red regions
    mottle = grid.noise((12.0, 24.0, 48.0, 96.0), 0.7, rng)  # km-scale mottling
    grain = grid.grain(rng)
    frost = _smoothstep(regions, 0.35, 0.9)
    reddish = _smoothstep(-regions, 0.5, 1.2)
    lat = grid.lat[:, None]
    polar = _smoothstep(np.abs(lat) * np.ones((1, grid.nlon)), math.radians(45), math.radians(78))
    dark = np.zeros((grid.nlat, grid.nlon), np.float32)
    bright = np.zeros((grid.nlat, grid.nlon), np.float32)
    km = 1.0 / IO_RADII_KM[0]  # radians per km
    for _ in range(420):  # paterae and dark flows: sharp-edged, some elongated
        lat0 = math.asin(rng.uniform(-0.97, 0.97))
        lon0 = rng.uniform(0.0, 2 * math.pi)
        a = math.exp(rng.uniform(math.log(6.0), math.log(70.0))) * km
        b = a * rng.uniform(0.35, 1.0)
        grid.stamp(
            dark, lat0, lon0, a, b, rng.uniform(0, math.pi), 1.5 * km, weight=rng.uniform(0.5, 1.0)
        )
    for _ in range(260):  # bright frost patches and rims
        lat0 = math.asin(rng.uniform(-0.97, 0.97))
        lon0 = rng.uniform(0.0, 2 * math.pi)
        a = math.exp(rng.uniform(math.log(5.0), math.log(45.0))) * km
        grid.stamp(
            bright,
            lat0,
            lon0,
            a,
            a * rng.uniform(0.5, 1.0),
            rng.uniform(0, math.pi),
            2.0 * km,
            weight=rng.uniform(0.4, 0.9),
        )
    modulation = (1.0 + 0.12 * mottle + 0.05 * grain).astype(np.float32)
    planes = {}
    for f in FILTERS:
        base = _IO_BASE[f] * (1 - frost) + _IO_FROST[f] * frost
        base = base * (1 - 0.6 * reddish) + _IO_RED[f] * 0.6 * reddish
        base = base * (1 - 0.4 * polar) + _IO_RED[f] * 0.6 * 0.4 * polar
        base = base * (1 - bright) + _IO_FROST[f] * bright
        base = base * (1 - dark) + _IO_DARK[f] * dark
        base = base * modulation
        planes[f] = np.clip(base, 0.01, 1.0)
    # a dozen small volcanic hot spots, glowing in RED and METHANE
    n_hot = 12
    hot = Spots(
        lat_rad=np.arcsin(rng.uniform(-0.85, 0.85, n_hot)),
        lon_rad=rng.uniform(0.0, 2 * math.pi, n_hot),
        sigma_rad=rng.uniform(3.0, 7.0, n_hot) * km,
        brightness={f: _IO_HOT[f] * rng.uniform(0.4, 1.0, n_hot) for f in FILTERS},
    )
    return TextureMap(planes), hot


@functools.lru_cache(maxsize=8)
def _io_scene_cached(
    centre_km: tuple[float, float, float],
    pole: tuple[float, float, float],
    prime_meridian_rad: float,
    sun_direction: tuple[float, float, float],
    seed: int,
    resolution: int,
    hot_spots: bool,
    minnaert_k: float,
) -> Ellipsoid:
    texture, hot = _io_texture(seed, resolution)
    return Ellipsoid(
        radii_km=IO_RADII_KM,
        centre_km=np.array(centre_km),
        sun_direction=np.array(sun_direction),
        orientation=body_orientation(pole, prime_meridian_rad),
        albedo=texture,
        emission=hot if hot_spots else None,
        photometry="lambert" if minnaert_k == 1.0 else "minnaert",
        minnaert_k=minnaert_k,
        name="IO",
    )


def _tuple3(v: ArrayLike, what: str) -> tuple[float, float, float]:
    a = np.array(v, dtype=np.float64).ravel()
    if a.shape != (3,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{what} must be three finite numbers, got {v!r}")
    return (float(a[0]), float(a[1]), float(a[2]))


def io_scene(
    *,
    centre_km: ArrayLike = (11500.0, 0.0, 0.0),
    pole: ArrayLike = (-0.25, 0.35, 0.90),
    prime_meridian_rad: float = 2.2,
    sun_direction: ArrayLike = (-0.21, 0.77, 0.60),
    seed: int = 57,
    resolution: int = 768,
    hot_spots: bool = True,
    minnaert_k: float = 1.0,
) -> Ellipsoid:
    """A textured Io: yellow plains, white frost, red polar and dark regions, hot spots.

    The albedo map (``resolution`` x ``2 resolution`` cells, 7.5 km at the default) mixes
    large seeded regions of frost and red deposits, darker poles, hundreds of sharp-edged
    dark paterae and bright patches and fine mottling, with a different colour per filter
    (yellowish in RGB, dark in METHANE). A dozen small volcanic hot spots emit mostly in RED
    and METHANE and show on the night side too. Results are cached, so repeated calls with
    the same arguments are free.

    Parameters
    ----------
    centre_km : (3,) array_like
        Io's centre relative to the observer, spin frame. The default, 11 500 km along +X,
        makes Io 0.32 rad (about 470 px) across.
    pole : (3,) array_like
        Io's north pole in the spin frame.
    prime_meridian_rad : float
        See :func:`body_orientation`.
    sun_direction : (3,) array_like
        Towards the Sun from Io; the default lights Io from the side (phase angle ~78 deg
        with the default centre), so the terminator crosses the disc.
    seed : int
        Seed of the texture.
    resolution : int
        Latitude cells of the albedo map.
    hot_spots : bool
        Include the volcanic hot spots.
    minnaert_k : float
        1 for Lambert, else the Minnaert exponent.

    Returns
    -------
    Ellipsoid

    Examples
    --------
    >>> from junoproc.simulate import io_scene, radiance
    >>> io = io_scene(resolution=64)
    >>> io.name, round(io.angular_radius_rad(), 4)
    ('IO', 0.1597)
    >>> blue, red = (float(radiance(io, [0.995, 0.07, 0.07], f)) for f in ("BLUE", "RED"))
    >>> red > blue > 0
    True
    """
    if int(resolution) < 8:
        raise ValueError(f"resolution must be at least 8, got {resolution!r}")
    return _io_scene_cached(
        _tuple3(centre_km, "centre_km"),
        _tuple3(pole, "pole"),
        float(prime_meridian_rad),
        _tuple3(sun_direction, "sun_direction"),
        int(seed),
        int(resolution),
        bool(hot_spots),
        float(minnaert_k),
    )


# Jupiter's bands: (southern edge latitude deg, colour B, G, R, METHANE) from south to north.
_JUPITER_BANDS = (
    (-90.0, (0.30, 0.33, 0.36, 0.42)),  # south polar region, methane-bright haze
    (-62.0, (0.40, 0.45, 0.48, 0.30)),
    (-45.0, (0.55, 0.58, 0.60, 0.34)),
    (-36.0, (0.38, 0.42, 0.48, 0.20)),
    (-29.0, (0.66, 0.68, 0.70, 0.36)),  # STrZ
    (-20.0, (0.36, 0.41, 0.50, 0.16)),  # SEB
    (-7.0, (0.70, 0.71, 0.70, 0.40)),  # EZ
    (7.0, (0.32, 0.38, 0.50, 0.14)),  # NEB
    (17.0, (0.68, 0.69, 0.70, 0.36)),  # NTrZ
    (24.0, (0.40, 0.44, 0.52, 0.18)),  # NTB
    (31.0, (0.62, 0.64, 0.66, 0.33)),
    (40.0, (0.45, 0.48, 0.52, 0.24)),
    (48.0, (0.57, 0.59, 0.61, 0.30)),
    (60.0, (0.36, 0.39, 0.42, 0.40)),  # north polar region
)


@functools.lru_cache(maxsize=2)
def _jupiter_texture(seed: int, nlat: int) -> TextureMap:
    rng = np.random.default_rng(seed)
    grid = _Grid(nlat)
    # wavy band edges: latitude displaced by smooth noise
    warp = grid.noise((3.0, 6.0, 12.0, 24.0), 0.6, rng)
    detail = grid.noise((16.0, 32.0, 64.0), 0.75, rng)
    grain = grid.grain(rng, 0.7)
    lat = grid.lat[:, None] + math.radians(1.2) * warp
    lat_deg = np.degrees(lat)
    # colour profiles along latitude, sampled finely once, then looked up at the warped latitude
    edges = np.array([b[0] for b in _JUPITER_BANDS])
    colours = np.array([b[1] for b in _JUPITER_BANDS])  # (n, 4)
    fine = np.linspace(-100.0, 100.0, 8001)
    steps = 0.5 * (1.0 + np.tanh((fine[:, None] - edges[None, 1:]) / 0.6))  # (8001, n - 1)
    profiles = colours[0] + steps @ np.diff(colours, axis=0)  # (8001, 4)
    planes = {
        f: np.interp(lat_deg, fine, profiles[:, fi]).astype(np.float32)
        for fi, f in enumerate(("BLUE", "GREEN", "RED", "METHANE"))
    }
    # fine zonal ripples
    ripple_lat = np.radians(np.linspace(-90, 90, 2048))
    ripple = np.convolve(rng.standard_normal(2048), np.hanning(9), mode="same")
    ripple = np.interp(lat, ripple_lat, ripple / np.abs(ripple).max()).astype(np.float32)
    # ovals: a great red spot, white ovals and brown barges
    red_spot = np.zeros((grid.nlat, grid.nlon), np.float32)
    grid.stamp(
        red_spot,
        math.radians(-22.0),
        math.radians(40.0),
        math.radians(8.0),
        math.radians(5.0),
        0.0,
        math.radians(0.4),
    )
    white = np.zeros_like(red_spot)
    brown = np.zeros_like(red_spot)
    for _ in range(40):
        lat0 = math.radians(rng.choice([-1, 1]) * rng.uniform(25, 62))
        size = math.radians(rng.uniform(0.6, 3.0))
        grid.stamp(
            white,
            lat0,
            rng.uniform(0, 2 * math.pi),
            size,
            size * rng.uniform(0.5, 0.8),
            0.0,
            math.radians(0.15),
            weight=rng.uniform(0.6, 1.0),
        )
    for _ in range(15):
        lat0 = math.radians(rng.uniform(14, 20))
        size = math.radians(rng.uniform(1.0, 2.5))
        grid.stamp(
            brown, lat0, rng.uniform(0, 2 * math.pi), size, size * 0.45, 0.0, math.radians(0.2)
        )
    spot_colour = {"BLUE": 0.40, "GREEN": 0.42, "RED": 0.62, "METHANE": 0.55}
    white_colour = {"BLUE": 0.80, "GREEN": 0.80, "RED": 0.80, "METHANE": 0.42}
    brown_colour = {"BLUE": 0.22, "GREEN": 0.27, "RED": 0.38, "METHANE": 0.10}
    modulation = (1.0 + 0.05 * ripple + 0.10 * detail + 0.04 * grain).astype(np.float32)
    out = {}
    for f, value in planes.items():
        v = value * modulation
        v = v * (1 - red_spot) + spot_colour[f] * red_spot
        v = v * (1 - white) + white_colour[f] * white
        v = v * (1 - brown) + brown_colour[f] * brown
        out[f] = np.clip(v, 0.01, 1.0)
    return TextureMap(out)


@functools.lru_cache(maxsize=4)
def _jupiter_scene_cached(
    centre_km: tuple[float, float, float],
    pole: tuple[float, float, float],
    prime_meridian_rad: float,
    sun_direction: tuple[float, float, float],
    seed: int,
    resolution: int,
    minnaert_k: float,
) -> Ellipsoid:
    return Ellipsoid(
        radii_km=JUPITER_RADII_KM,
        centre_km=np.array(centre_km),
        sun_direction=np.array(sun_direction),
        orientation=body_orientation(pole, prime_meridian_rad),
        albedo=_jupiter_texture(seed, resolution),
        photometry="lambert" if minnaert_k == 1.0 else "minnaert",
        minnaert_k=minnaert_k,
        name="JUPITER",
    )


def jupiter_scene(
    *,
    centre_km: ArrayLike = (300000.0, 0.0, 0.0),
    pole: ArrayLike = (0.15, 0.40, 0.90),
    prime_meridian_rad: float = 0.3,
    sun_direction: ArrayLike = (-0.80, 0.45, 0.40),
    seed: int = 5,
    resolution: int = 1024,
    minnaert_k: float = 0.9,
) -> Ellipsoid:
    """A banded Jupiter with wavy band edges, a red spot, white ovals and brown barges.

    Zones are bright and neutral, belts darker and browner; in METHANE the belts are darker
    still and the polar haze and the red spot bright. The albedo map has ``resolution`` x
    ``2 resolution`` cells (220 km at the default, about one pixel at the default distance).
    Minnaert photometry (``k = 0.9``) darkens the limb. Cached like :func:`io_scene`.

    Parameters
    ----------
    centre_km : (3,) array_like
        Jupiter's centre relative to the observer; 300 000 km along +X by default (the disc
        is then about 0.48 rad, 710 px, across).
    pole, prime_meridian_rad : see :func:`body_orientation`
        The default pole is tilted from the spin axis so the bands run obliquely across the
        framelets.
    sun_direction : (3,) array_like
        Towards the Sun; the default phase angle is about 37 deg.
    seed, resolution, minnaert_k : see :func:`io_scene`.

    Returns
    -------
    Ellipsoid

    Examples
    --------
    >>> from junoproc.simulate import jupiter_scene
    >>> jup = jupiter_scene(resolution=64)
    >>> jup.name, round(jup.angular_radius_rad(), 3)
    ('JUPITER', 0.24)
    """
    if int(resolution) < 8:
        raise ValueError(f"resolution must be at least 8, got {resolution!r}")
    return _jupiter_scene_cached(
        _tuple3(centre_km, "centre_km"),
        _tuple3(pole, "pole"),
        float(prime_meridian_rad),
        _tuple3(sun_direction, "sun_direction"),
        int(seed),
        int(resolution),
        float(minnaert_k),
    )


# ------------------------------------------------------------------------------------------
# Products
# ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class SimulationTruth:
    """What really happened when a :class:`SimulatedProduct` was taken.

    Attributes
    ----------
    pointing : SpinPointing
        The true pointing, with ``epoch`` = reported START_TIME and the timing errors built
        in (``time_offset_s`` = ``time_jitter_s``, ``time_offset_fn`` = per-frame jitter), so
        ``pointing.rotation(frame_times(metadata, camera))`` are the true orientations.
    camera : CameraModel
        The camera that took the product (``methane_cy`` applied).
    scene : Ellipsoid, StarField or Composite
    time_jitter_s : float
        True START_TIME minus reported START_TIME.
    per_frame_jitter_s : (n_frames,) float64 ndarray or None
        Extra timing error of each frame.
    frame_times_s : (n_frames,) float64 ndarray
        True times at which the framelets were taken, seconds after the reported START_TIME.
    nominal_frame_times_s : (n_frames,) float64 ndarray
        The same times as the metadata and IK give them (what a processor would compute;
        with ``exposure_centre`` both include half the exposure).
    exposure_centre : bool
        Whether framelets were taken at mid-exposure rather than at the IK frame time.
    spin_rate_rad_s, phase_rad : float
    axis_tilt_rad : tuple of two floats
    observer_velocity_km_s : (3,) float64 ndarray
        Observer velocity in the spin frame; it sits at ``v t`` at time ``t``.
    dn_scale : float
        Linear DN per unit of scene value.
    supersample, seed : int
    noise : bool
    read_noise_dn : float
    """

    pointing: SpinPointing
    camera: CameraModel
    scene: Any
    time_jitter_s: float
    per_frame_jitter_s: np.ndarray | None
    frame_times_s: np.ndarray
    nominal_frame_times_s: np.ndarray
    spin_rate_rad_s: float
    phase_rad: float
    axis_tilt_rad: tuple[float, float]
    observer_velocity_km_s: np.ndarray
    dn_scale: float
    supersample: int
    noise: bool
    read_noise_dn: float
    seed: int
    exposure_centre: bool = False

    def summary(self) -> dict[str, Any]:
        """JSON-friendly dictionary (written as ``<id>-truth.json`` by :func:`write_product`)."""
        return {
            "simulator": f"junoproc.simulate {__version__}",
            "spin_rate_rad_s": self.spin_rate_rad_s,
            "spin_rate_deg_s": math.degrees(self.spin_rate_rad_s),
            "phase_rad": self.phase_rad,
            "sense": self.pointing.sense,
            "axis_tilt_rad": list(self.axis_tilt_rad),
            "time_jitter_s": self.time_jitter_s,
            "per_frame_jitter_s": None
            if self.per_frame_jitter_s is None
            else self.per_frame_jitter_s.tolist(),
            "frame_times_s": self.frame_times_s.tolist(),
            "nominal_frame_times_s": self.nominal_frame_times_s.tolist(),
            "epoch": None if self.pointing.epoch is None else self.pointing.epoch.isot,
            "observer_velocity_km_s": self.observer_velocity_km_s.tolist(),
            "camera_source": self.camera.source,
            "methane_cy": self.camera["METHANE"].cy,
            "start_time_bias_s": self.camera.start_time_bias_s,
            "interframe_delta_s": self.camera.interframe_delta_s,
            "dn_scale": self.dn_scale,
            "supersample": self.supersample,
            "exposure_centre": self.exposure_centre,
            "noise": self.noise,
            "read_noise_dn": self.read_noise_dn,
            "seed": self.seed,
            "scene": self.scene.summary(),
        }


@dataclasses.dataclass(frozen=True, eq=False)
class SimulatedProduct:
    """A synthetic JunoCam product: raw strip, website metadata and the truth behind them.

    Attributes
    ----------
    raw : (lines, 1648) uint8 ndarray
        SQROOT-companded strip, read-only; framelets in time order, filters cycling in
        ``FILTER_NAME`` order.
    metadata_json : dict
        Website ``Metadata.json`` keywords (a fresh copy is returned by :meth:`keywords`).
    truth : SimulationTruth
    linear : (lines, 1648) float32 ndarray
        The noise-free linear strip in DN (before noise, clipping and companding), read-only.
    """

    raw: np.ndarray
    metadata_json: dict[str, Any]
    truth: SimulationTruth
    linear: np.ndarray

    @functools.cached_property
    def metadata(self) -> Metadata:
        """The keywords parsed by :func:`junoproc.metadata.parse_metadata`."""
        return parse_metadata(self.metadata_json, source=f"simulated {self.product_id}")

    @property
    def product_id(self) -> str:
        """``PRODUCT_ID``."""
        return str(self.metadata_json["PRODUCT_ID"])

    @property
    def camera(self) -> CameraModel:
        """The true camera model (``truth.camera``)."""
        return self.truth.camera

    def keywords(self) -> dict[str, Any]:
        """A deep copy of :attr:`metadata_json`, safe to modify."""
        return json.loads(json.dumps(self.metadata_json))

    def raw_image(self) -> RawImage:
        """The product as a :class:`junoproc.io.RawImage`, as if loaded from disk."""
        from .io import RawImage

        source = f"simulated:{self.product_id}"
        return RawImage(data=self.raw, metadata=self.metadata, source=source)


def _format_number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if float(text) != value:
        text = repr(float(value))
    return text


def _true_times(
    n_frames: int, ifd: float, camera: CameraModel, jitter: float, per_frame: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(n_frames, dtype=np.float64)
    nominal = camera.start_time_bias_s + k * (ifd + camera.interframe_delta_s)
    true = nominal + jitter + (0.0 if per_frame is None else per_frame)
    return nominal, true


def phase_for_azimuth(
    azimuth_rad: float,
    *,
    filters: Sequence[str] = ("BLUE", "GREEN", "RED"),
    n_frames: int = 12,
    interframe_delay_s: float = 0.371,
    spin_rate_rad_s: float = DEFAULT_SPIN_RATE_RAD_S,
    time_jitter_s: float = 0.0,
    axis_tilt_rad: tuple[float, float] = (0.0, 0.0),
    camera: CameraModel | None = None,
    sampling_factor: int = 1,
) -> float:
    """Spin phase that centres a spin-frame azimuth in the part of the sweep all filters see.

    Filter ``f`` sees, in frame ``k``, azimuths from ``angle(t_k) + a_f(first row)`` to
    ``angle(t_k) + a_f(last row)`` (``a_f`` measured at the optical-centre column). The
    common coverage of all filters over all frames runs from the largest first-frame start
    to the smallest last-frame end; the returned phase puts ``azimuth_rad`` in its middle.

    Parameters
    ----------
    azimuth_rad : float
        Target azimuth about the spin axis (``atan2(y, x)`` in the spin frame).
    filters, n_frames, interframe_delay_s, spin_rate_rad_s, time_jitter_s : optional
        As for :func:`simulate_product`.
    axis_tilt_rad, camera, sampling_factor : optional
        As for :func:`simulate_product`.

    Returns
    -------
    float
        ``phase_rad`` in ``[-pi, pi)``.

    Examples
    --------
    >>> from junoproc.simulate import phase_for_azimuth
    >>> round(phase_for_azimuth(0.0, n_frames=14), 4)
    -0.5536
    """
    cam = CameraModel.default() if camera is None else camera
    keys = [_filter_key(f) for f in filters]
    rows = FRAMELET_LINES // sampling_factor
    spin = SpinPointing(rate_rad_s=spin_rate_rad_s, axis_tilt_rad=axis_tilt_rad)
    r0 = spin.rotation(0.0)
    _, true = _true_times(int(n_frames), interframe_delay_s, cam, time_jitter_s, None)
    starts, ends = [], []
    for key in keys:
        x = cam[key].cx / sampling_factor - 0.5
        v = (
            r0
            @ cam.pixel_to_ray(
                np.array([x, x]), np.array([0.0, rows - 1.0]), key, sampling_factor=sampling_factor
            ).T
        )
        az = np.arctan2(v[1], v[0])
        starts.append(spin_rate_rad_s * true[0] + az.min())
        ends.append(spin_rate_rad_s * true[-1] + az.max())
    centre = 0.5 * (max(starts) + min(ends))
    return float((azimuth_rad - centre + math.pi) % (2 * math.pi) - math.pi)


def _scene_target(scene: Any) -> str:
    if isinstance(scene, Ellipsoid):
        return scene.name
    if isinstance(scene, Composite):
        for s in scene.scenes:
            name = _scene_target(s)
            if name != "SKY":
                return name
    return "SKY"


def _main_body(scene: Any) -> Ellipsoid | None:
    if isinstance(scene, Ellipsoid):
        return scene
    if isinstance(scene, Composite):
        bodies = [b for b in (_main_body(s) for s in scene.scenes) if b is not None]
        if bodies:
            return min(bodies, key=lambda b: b.distance_km)
    return None


def simulate_product(
    scene: Scene,
    *,
    product_id: str = PJ57_PRODUCT_ID,
    filters: Sequence[str] = ("BLUE", "GREEN", "RED"),
    n_frames: int = 12,
    start_time: str = "2023-12-30T08:39:21.517",
    interframe_delay_s: float = 0.371,
    tdi_stages: int = 1,
    exposure_s: float | None = None,
    spin_rate_rad_s: float = DEFAULT_SPIN_RATE_RAD_S,
    phase_rad: float = 0.0,
    time_jitter_s: float = 0.0,
    per_frame_jitter_s: ArrayLike | None = None,
    axis_tilt_rad: tuple[float, float] = (0.0, 0.0),
    observer_velocity_km_s: ArrayLike = (0.0, 0.0, 0.0),
    camera: CameraModel | None = None,
    methane_cy: float | None = None,
    sampling_factor: int = 1,
    supersample: int = 2,
    exposure_centre: bool = False,
    dn_scale: float | None = None,
    peak_dn: float = 2400.0,
    noise: bool = True,
    read_noise_dn: float = 1.5,
    seed: int = 0,
    target_name: str | None = None,
    title: str | None = None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> SimulatedProduct:
    """Render a raw JunoCam strip of a scene by forward ray casting, with its metadata.

    Every photoactive pixel of every framelet is sampled at ``supersample**2`` points
    ``(x + dx, y + dy)``, ``dx, dy`` in ``(i + 0.5) / supersample - 0.5``; each point's ray
    ``pointing.rotation(t_k) @ camera.pixel_to_ray(...)`` (spin frame, true time ``t_k``) is
    traced into the scene and the samples are averaged. Dark and overscan columns get 0 DN
    before noise.

    Parameters
    ----------
    scene : Ellipsoid, StarField or Composite
    product_id : str
        ``JNC?_YYYYDDD_PPFNNNNN_VNN``; the perijove (``PP``) goes into PJ and ORBIT_NUMBER.
    filters : sequence of str
        FILTER_NAME, in strip order.
    n_frames : int
    start_time : str
        Reported START_TIME (UTC, ISO); kept to milliseconds. Also the pointing epoch.
    interframe_delay_s : float
        Reported INTERFRAME_DELAY (the IK's 1 ms delta is added for the true timing).
    tdi_stages : int
        JNO:TDI_STAGES_COUNT.
    exposure_s : float, optional
        EXPOSURE_DURATION; ``0.0032 * tdi_stages`` by default.
    spin_rate_rad_s : float
        True spin rate (real values are within ~1 % of the default).
    phase_rad : float
        True spin angle at the reported START_TIME (see :func:`phase_for_azimuth`).
    time_jitter_s : float
        True minus reported START_TIME; the metadata keep the reported value.
    per_frame_jitter_s : (n_frames,) array_like, optional
        Extra true timing error of each frame.
    axis_tilt_rad : tuple of two floats
        See :class:`~junoproc.pointing.SpinPointing`.
    observer_velocity_km_s : (3,) array_like
        Observer motion in the spin frame (default at rest, so the spin model is exact).
    camera : CameraModel, optional
        True camera; :meth:`CameraModel.default` by default.
    methane_cy : float, optional
        METHANE optical-centre row; applied to the camera and written into RATIONALE_DESC
        as ``INS-61504_DISTORTION_Y = <value>`` like real products do.
    sampling_factor : int
        SAMPLING_FACTOR (2 gives 64-row framelets of summed pixels; columns past the summed
        photoactive area are dark).
    supersample : int
        Sub-samples per pixel and axis (1 = pixel centres only).
    exposure_centre : bool
        Take each framelet at the middle of its exposure (``t_k + exposure_s / 2``) instead of
        at the IK frame time ``t_k``; the exposure itself is instantaneous either way (TDI
        compensates the spin, so there is no smear).
    dn_scale : float, optional
        Linear DN per unit of scene value. By default chosen so the brightest noise-free
        pixel is ``peak_dn``; give a value (or a ``peak_dn`` above 2879) to allow saturation.
    peak_dn : float
    noise : bool
        Add Poisson noise (on DN) and Gaussian read noise before companding.
    read_noise_dn : float
    seed : int
        Seed of the noise.
    target_name, title : str, optional
        TARGET_NAME (default from the scene) and TITLE.
    extra_metadata : Mapping, optional
        Keywords added to or replacing the generated ones.

    Returns
    -------
    SimulatedProduct

    Raises
    ------
    ValueError
        Invalid arguments.
    UnknownFilterError
        A filter name is not a JunoCam filter.

    Examples
    --------
    >>> from junoproc.simulate import StarField, simulate_product
    >>> sky = StarField([[1.0, 0.0, 0.0]], [50.0])
    >>> p = simulate_product(sky, filters=["RED"], n_frames=2, supersample=1, noise=False,
    ...                      phase_rad=-0.12, product_id="JNCE_2023364_57R00001_V01")
    >>> p.metadata.filters, p.raw.shape, p.metadata_json["EXPOSURE_DURATION"]
    (('RED',), (256, 1648), '3.200000 <ms>')
    """
    t_start = time.perf_counter()
    m = _PRODUCT_ID.fullmatch(str(product_id).strip())
    if m is None:
        raise ValueError(f"product_id {product_id!r} is not of the form JNCE_YYYYDDD_PPFNNNNN_VNN")
    pid = m.group(0).upper()
    keys = tuple(_filter_key(f) for f in filters)
    if not keys or len(set(keys)) != len(keys):
        raise ValueError(f"filters must be distinct and non-empty, got {filters!r}")
    if isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames must be a positive integer, got {n_frames!r}")
    n_frames = int(n_frames)
    if sampling_factor not in (1, 2):
        raise ValueError(f"sampling_factor must be 1 or 2, got {sampling_factor!r}")
    if isinstance(supersample, bool) or int(supersample) != supersample or supersample < 1:
        raise ValueError(f"supersample must be a positive integer, got {supersample!r}")
    supersample = int(supersample)
    if not (interframe_delay_s > 0 and math.isfinite(interframe_delay_s)):
        raise ValueError(f"interframe_delay_s must be positive, got {interframe_delay_s!r}")
    if isinstance(tdi_stages, bool) or int(tdi_stages) != tdi_stages or tdi_stages < 1:
        raise ValueError(f"tdi_stages must be a positive integer, got {tdi_stages!r}")
    tdi_stages = int(tdi_stages)
    exposure = 0.0032 * tdi_stages if exposure_s is None else float(exposure_s)
    if not (exposure > 0 and math.isfinite(exposure)):
        raise ValueError(f"exposure_s must be positive, got {exposure_s!r}")
    if not math.isfinite(time_jitter_s):
        raise ValueError("time_jitter_s must be finite")
    if read_noise_dn < 0:
        raise ValueError("read_noise_dn must not be negative")
    per_frame = None
    if per_frame_jitter_s is not None:
        per_frame = np.array(per_frame_jitter_s, dtype=np.float64)
        if per_frame.shape != (n_frames,) or not np.all(np.isfinite(per_frame)):
            raise ValueError(f"per_frame_jitter_s must be {n_frames} finite values")
        _readonly(per_frame)
    velocity = np.array(observer_velocity_km_s, dtype=np.float64)
    if velocity.shape != (3,) or not np.all(np.isfinite(velocity)):
        raise ValueError("observer_velocity_km_s must be three finite numbers")
    _readonly(velocity)
    if not hasattr(scene, "_render"):
        raise TypeError(f"scene must be an Ellipsoid, StarField or Composite, got {type(scene)}")

    cam = CameraModel.default() if camera is None else camera
    if methane_cy is not None:
        cam = cam.with_methane_cy(float(methane_cy))
    try:
        epoch = Time(str(start_time).strip().rstrip("Z"), format="isot", scale="utc", precision=3)
    except ValueError:
        raise ValueError(f"start_time {start_time!r} is not an ISO UTC time") from None
    epoch = Time(epoch.isot, format="isot", scale="utc", precision=3)  # reported: ms precision
    stop = epoch + TimeDelta(n_frames * interframe_delay_s, format="sec")
    stop.precision = 3

    nominal, true = _true_times(n_frames, interframe_delay_s, cam, float(time_jitter_s), per_frame)
    if exposure_centre:
        nominal = nominal + exposure / 2.0
        true = true + exposure / 2.0
    base = SpinPointing(
        rate_rad_s=spin_rate_rad_s, phase_rad=phase_rad, axis_tilt_rad=axis_tilt_rad, epoch=epoch
    )
    truth_pointing = dataclasses.replace(
        base,
        time_offset_s=float(time_jitter_s),
        time_offset_fn=None if per_frame is None else interpolated_offsets(nominal, per_frame),
    )

    # --- forward ray casting ------------------------------------------------------------
    s = sampling_factor
    rows = FRAMELET_LINES // s
    cols = np.arange(LINE_SAMPLES)
    first, end = PHOTOACTIVE_COLUMNS.start, PHOTOACTIVE_COLUMNS.stop
    photo = cols[(s * cols >= first) & (s * cols + s <= end)]
    offsets = (np.arange(supersample) + 0.5) / supersample - 0.5
    xs = photo[None, :, None, None] + offsets[None, None, None, :]
    ys = np.arange(rows)[:, None, None, None] + offsets[None, None, :, None]
    xs, ys = np.broadcast_arrays(xs, ys)
    n_sub = supersample * supersample
    strip = np.zeros((n_frames * len(keys) * rows, LINE_SAMPLES), dtype=np.float64)
    rotations = base.rotation(true)
    for fi, key in enumerate(keys):
        rays = cam.pixel_to_ray(xs, ys, key, sampling_factor=s).reshape(-1, 3)
        for k in range(n_frames):
            d = _rotate(rays, rotations[k])
            value, _ = scene._render(d, key, velocity * true[k])
            block = value.reshape(rows, photo.size, n_sub).mean(axis=2)
            r0 = (k * len(keys) + fi) * rows
            strip[r0 : r0 + rows, photo] = block

    peak = float(strip.max())
    if dn_scale is None:
        scale = peak_dn / peak if peak > 0 else 1.0
    else:
        scale = float(dn_scale)
        if not (scale > 0 and math.isfinite(scale)):
            raise ValueError(f"dn_scale must be positive, got {dn_scale!r}")
    linear = strip * scale
    if noise:
        rng = np.random.default_rng(seed)
        observed = rng.poisson(np.clip(linear, 0.0, None)).astype(np.float64)
        if read_noise_dn > 0:
            observed += rng.normal(0.0, read_noise_dn, size=observed.shape)
    else:
        observed = linear
    saturated = int(np.count_nonzero(observed > _MAX_DN + 0.5))
    if saturated:
        logger.info("%s: %d pixels saturate (> %.0f DN)", pid, saturated, _MAX_DN)
    raw = _readonly(compand(observed))
    linear32 = _readonly(linear.astype(np.float32))

    # --- metadata -----------------------------------------------------------------------
    perijove = int(m.group(1))
    target = (target_name or _scene_target(scene)).strip().upper()
    body = _main_body(scene)
    rationale = "Simulated with junoproc.simulate"
    if methane_cy is not None:
        rationale += f"; INS-61504_DISTORTION_Y = {float(methane_cy)}"
    keywords: dict[str, Any] = {
        "COMPRESSION_TYPE": "HUFFMAN",
        "DATA_SET_ID": "JUNO-J-JUNOCAM-2-EDR-L0-V1.0",
        "DESCRIPTION": "Synthetic product rendered by junoproc.simulate (not spacecraft data)",
        "EXPOSURE_DURATION": f"{_format_number(exposure * 1e3, 6)} <ms>",
        "FILE_NAME": f"{pid}-raw.png",
        "FILE_RECORDS": int(raw.shape[0]),
        "FILTER_NAME": list(keys),
        "FOCAL_PLANE_TEMPERATURE": "273.0 <K>",
        "IMAGE_TIME": epoch.isot,
        "INSTRUMENT_HOST_NAME": "JUNO",
        "INSTRUMENT_ID": "JNC",
        "INSTRUMENT_NAME": "JUNO EPO CAMERA",
        "INTERFRAME_DELAY": f"{_format_number(interframe_delay_s, 3)} <s>",
        "JNO:TDI_STAGES_COUNT": tdi_stages,
        "LINES": int(raw.shape[0]),
        "LINE_PREFIX_BYTES": 0,
        "LINE_SAMPLES": LINE_SAMPLES,
        "LINE_SUFFIX_BYTES": 0,
        "MISSION_PHASE_NAME": f"PERIJOVE {perijove}",
        "ORBIT_NUMBER": perijove,
        "PJ": str(perijove),
        "PROCESSING_LEVEL_ID": 2,
        "PRODUCER_ID": "JUNOPROC_SIMULATOR",
        "PRODUCT_CREATION_TIME": (epoch + TimeDelta(3 * 86400.0, format="sec")).isot[:19],
        "PRODUCT_ID": pid,
        "PRODUCT_VERSION_ID": int(pid[-2:]),
        "RATIONALE_DESC": rationale,
        "RECORD_BYTES": LINE_SAMPLES,
        "SAMPLE_BITS": 8,
        "SAMPLE_BIT_MASK": "2#11111111#",
        "SAMPLE_BIT_MODE_ID": "SQROOT",
        "SAMPLE_TYPE": "UNSIGNED_INTEGER",
        "SAMPLING_FACTOR": sampling_factor,
        "SEQUENCE_ID": f"jm{perijove}",
        "SOFTWARE_NAME": f"JUNOPROC.SIMULATE {__version__}",
        "SOLAR_DISTANCE": "N/A",
        "SOURCE_PRODUCT_ID": "SIMULATED",
        "SPACECRAFT_ALTITUDE": "N/A",
        "SPACECRAFT_CLOCK_START_COUNT": "N/A",
        "SPACECRAFT_CLOCK_STOP_COUNT": "N/A",
        "SPACECRAFT_NAME": "JUNO",
        "STANDARD_DATA_PRODUCT_ID": "JUNOCAM-EDR",
        "START_TIME": epoch.isot,
        "STOP_TIME": stop.isot,
        "SUB_SPACECRAFT_LATITUDE": "N/A",
        "SUB_SPACECRAFT_LONGITUDE": "N/A",
        "TARGET_NAME": target,
        "TITLE": title or f"PJ{perijove} {target.title()} (simulated)",
        "TOKEN_ID": [],
    }
    if body is not None:
        lat, lon = body.sub_observer_latlon()
        altitude = body.distance_km - float(np.mean(body.radii_km))
        keywords["SPACECRAFT_ALTITUDE"] = f"{altitude:.1f} <km>"
        keywords["SUB_SPACECRAFT_LATITUDE"] = f"{math.degrees(lat):.4f}"
        keywords["SUB_SPACECRAFT_LONGITUDE"] = f"{math.degrees(lon) % 360.0:.4f}"
    if extra_metadata:
        keywords.update(json.loads(json.dumps(dict(extra_metadata))))

    truth = SimulationTruth(
        pointing=truth_pointing,
        camera=cam,
        scene=scene,
        time_jitter_s=float(time_jitter_s),
        per_frame_jitter_s=per_frame,
        frame_times_s=_readonly(true),
        nominal_frame_times_s=_readonly(nominal),
        spin_rate_rad_s=float(spin_rate_rad_s),
        phase_rad=float(phase_rad),
        axis_tilt_rad=base.axis_tilt_rad,
        observer_velocity_km_s=velocity,
        dn_scale=scale,
        supersample=supersample,
        noise=bool(noise),
        read_noise_dn=float(read_noise_dn),
        seed=int(seed),
        exposure_centre=bool(exposure_centre),
    )
    product = SimulatedProduct(raw=raw, metadata_json=keywords, truth=truth, linear=linear32)
    product.metadata  # noqa: B018 - parse now so bad extra_metadata fails here
    logger.info(
        "simulated %s: %d frames x %s, %d x %d rays per framelet, in %.2f s",
        pid, n_frames, "/".join(keys), rows * photo.size, n_sub, time.perf_counter() - t_start,
    )  # fmt: skip
    return product


def truth_view(
    product: SimulatedProduct,
    directions: ArrayLike,
    filter_name: str,
    *,
    time_s: float = 0.0,
) -> np.ndarray:
    """Noise-free linear DN the product's scene shows along spin-frame directions.

    Parameters
    ----------
    product : SimulatedProduct
    directions : (..., 3) array_like
        Unit view directions in the spin frame (e.g. a stitched view's direction grid).
    filter_name : str
    time_s : float
        Time after the reported START_TIME; only matters with observer motion.

    Returns
    -------
    (...) float64 ndarray
        ``radiance(scene, directions, filter) * truth.dn_scale``, directly comparable with
        decompanded pixels (up to noise and companding).

    Examples
    --------
    >>> from junoproc.simulate import StarField, simulate_product, truth_view
    >>> p = simulate_product(StarField([[1.0, 0.0, 0.0]], [5.0]), n_frames=2, supersample=1,
    ...                      noise=False, filters=["GREEN"], dn_scale=100.0,
    ...                      product_id="JNCE_2023364_57G00001_V01")
    >>> round(float(truth_view(p, [1.0, 0.0, 0.0], "GREEN")), 2)
    162.4
    """
    observer = product.truth.observer_velocity_km_s * float(time_s)
    return radiance(product.truth.scene, directions, filter_name, observer_km=observer) * (
        product.truth.dn_scale
    )


def write_product(
    product: SimulatedProduct,
    folder: str | os.PathLike[str],
    *,
    website_id: int = 9999,
    overwrite: bool = False,
) -> Path:
    """Write a product in the mission website's layout.

    Creates ``<folder>/<product_id>/ImageSet/<product_id>-raw.png`` (8-bit greyscale),
    ``<folder>/<product_id>/DataSet/<website_id>-Metadata.json`` and
    ``<folder>/<product_id>/<product_id>-truth.json`` (true spin rate, phase, timing errors,
    tilt, camera, scene summary; it has no ``PRODUCT_ID`` keyword, so loaders ignore it).

    Parameters
    ----------
    product : SimulatedProduct
    folder : str or os.PathLike
        Parent folder (created if needed).
    website_id : int
        The ``NNNN`` of the metadata file name.
    overwrite : bool
        Replace existing files instead of raising.

    Returns
    -------
    pathlib.Path
        The product folder, which :func:`junoproc.io.load` accepts.

    Raises
    ------
    OutputExistsError
        A file exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import load
    >>> from junoproc.simulate import StarField, simulate_product, write_product
    >>> p = simulate_product(StarField([[1.0, 0.0, 0.0]], [5.0]), n_frames=2, supersample=1,
    ...                      filters=["METHANE"], product_id="JNCE_2023364_57M00001_V01")
    >>> folder = write_product(p, tempfile.mkdtemp())
    >>> folder.name, bool((load(folder).data == p.raw).all())
    ('JNCE_2023364_57M00001_V01', True)
    """
    import imageio.v3 as iio

    if isinstance(website_id, bool) or int(website_id) != website_id or website_id < 0:
        raise ValueError(f"website_id must be a non-negative integer, got {website_id!r}")
    pid = product.product_id
    root = Path(folder) / pid
    png = root / "ImageSet" / f"{pid}-raw.png"
    meta = root / "DataSet" / f"{int(website_id)}-Metadata.json"
    truth = root / f"{pid}-truth.json"
    if not overwrite:
        for p in (png, meta, truth):
            if p.exists():
                raise OutputExistsError(f"{p}: exists already (pass overwrite=True to replace it)")
    png.parent.mkdir(parents=True, exist_ok=True)
    meta.parent.mkdir(parents=True, exist_ok=True)
    iio.imwrite(png, np.ascontiguousarray(product.raw), extension=".png")
    meta.write_text(json.dumps(product.metadata_json, indent=2) + "\n", encoding="utf-8")
    summary = {"product_id": pid, **product.truth.summary()}
    truth.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    logger.info("wrote %s", root)
    return root


# ------------------------------------------------------------------------------------------
# Ready-made products
# ------------------------------------------------------------------------------------------


def _ready_made(
    scene: Ellipsoid,
    defaults: dict[str, Any],
    methane_defaults: dict[str, Any],
    methane: bool,
    overrides: dict[str, Any],
) -> SimulatedProduct:
    kwargs = dict(defaults)
    if methane:
        kwargs.update(methane_defaults)
    kwargs.update(overrides)
    kwargs.setdefault("scene", scene)
    if "phase_rad" not in overrides:
        target = kwargs["scene"]
        body = _main_body(target)
        centre = body.centre_km if body is not None else np.array([1.0, 0.0, 0.0])
        cam = kwargs.get("camera") or CameraModel.default()
        if kwargs.get("methane_cy") is not None:
            cam = cam.with_methane_cy(kwargs["methane_cy"])
        kwargs["phase_rad"] = phase_for_azimuth(
            math.atan2(centre[1], centre[0]),
            filters=kwargs["filters"],
            n_frames=kwargs["n_frames"],
            interframe_delay_s=kwargs["interframe_delay_s"],
            spin_rate_rad_s=kwargs["spin_rate_rad_s"],
            time_jitter_s=kwargs["time_jitter_s"],
            axis_tilt_rad=kwargs.get("axis_tilt_rad", (0.0, 0.0)),
            camera=cam,
            sampling_factor=kwargs.get("sampling_factor", 1),
        )
    scene_ = kwargs.pop("scene")
    return simulate_product(scene_, **kwargs)


def pj57_io_product(*, methane: bool = False, **overrides: Any) -> SimulatedProduct:
    """The PJ57-like close approach to Io: the project's embedded sample.

    Io (:func:`io_scene` defaults) is 11 500 km away, 0.32 rad (about 470 px) across,
    side-lit (phase angle ~78 deg) so the terminator crosses the disc, and centred in the
    part of the sweep that all three filters see (:func:`phase_for_azimuth`): 14 RGB frames at
    INTERFRAME_DELAY 0.371 s, 3.2 ms exposures (TDI 1). The true spin rate is 0.6 % above
    :data:`~junoproc.pointing.DEFAULT_SPIN_RATE_RAD_S` and the true START_TIME 13.7 ms later
    than reported, for the self-calibration to find. The observer is at rest, so the spin
    model describes the geometry exactly. Photon noise is on, read noise off (a noisy black
    sky would make the PNG ten times larger); pass ``read_noise_dn`` to change that.

    Parameters
    ----------
    methane : bool
        Make the METHANE companion instead (``JNCE_2023364_57M00100_V01``, TDI 32, 102.4 ms,
        same scene, phase chosen for the METHANE strip).
    **overrides
        Any :func:`simulate_product` keyword (and ``scene``); the phase is recomputed from
        the others unless ``phase_rad`` is given.

    Returns
    -------
    SimulatedProduct
    """
    defaults = {
        "product_id": PJ57_PRODUCT_ID,
        "filters": ("BLUE", "GREEN", "RED"),
        "n_frames": 14,
        "start_time": "2023-12-30T08:39:21.517",
        "interframe_delay_s": 0.371,
        "tdi_stages": 1,
        "spin_rate_rad_s": DEFAULT_SPIN_RATE_RAD_S * 1.006,
        "time_jitter_s": 0.0137,
        "supersample": 2,
        "noise": True,
        "read_noise_dn": 0.0,  # shot noise only: a black sky keeps the PNG ~0.25 MB
        "seed": 57,
        "title": "PJ57 Io close approach (simulated)",
    }
    methane_defaults = {
        "product_id": PJ57_METHANE_PRODUCT_ID,
        "filters": ("METHANE",),
        "tdi_stages": 32,
        "start_time": "2023-12-30T08:39:51.903",
        "title": "PJ57 Io close approach, methane (simulated)",
    }
    return _ready_made(io_scene(), defaults, methane_defaults, methane, overrides)


def jupiter_product(*, methane: bool = False, **overrides: Any) -> SimulatedProduct:
    """A Jupiter approach view: the whole banded, gibbous disc with limb and terminator.

    Jupiter (:func:`jupiter_scene` defaults) is 300 000 km away, 0.48 rad (about 710 px)
    across, centred in the common RGB coverage of 12 frames at INTERFRAME_DELAY 0.371 s,
    TDI 2 (6.4 ms). True spin rate 0.4 % below the default, START_TIME error -8.2 ms.

    Parameters
    ----------
    methane : bool
        METHANE companion (``JNCE_2023364_57M00012_V01``, TDI 32, 102.4 ms).
    **overrides
        As for :func:`pj57_io_product`.

    Returns
    -------
    SimulatedProduct
    """
    defaults = {
        "product_id": "JNCE_2023364_57C00011_V01",
        "filters": ("BLUE", "GREEN", "RED"),
        "n_frames": 12,
        "start_time": "2023-12-30T03:11:04.289",
        "interframe_delay_s": 0.371,
        "tdi_stages": 2,
        "spin_rate_rad_s": DEFAULT_SPIN_RATE_RAD_S * 0.996,
        "time_jitter_s": -0.0082,
        "supersample": 2,
        "noise": True,
        "read_noise_dn": 0.0,
        "seed": 11,
        "title": "PJ57 Jupiter approach (simulated)",
    }
    methane_defaults = {
        "product_id": "JNCE_2023364_57M00012_V01",
        "filters": ("METHANE",),
        "tdi_stages": 32,
        "start_time": "2023-12-30T03:11:34.677",
        "title": "PJ57 Jupiter approach, methane (simulated)",
    }
    return _ready_made(jupiter_scene(), defaults, methane_defaults, methane, overrides)
