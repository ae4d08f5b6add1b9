"""Map linear JunoCam data to display values: colour weights, intervals and stretches.

:func:`stretch` is a thin, friendly layer over :mod:`astropy.visualization`: an
*interval* (``PercentileInterval``, ``ManualInterval``, ``MinMaxInterval``) picks the
data values that become 0 and 1, then a *stretch* (``AsinhStretch``, ``SqrtStretch``,
``LogStretch``, ``PowerStretch``, ...) bends the [0, 1] range. astropy does the maths;
junoproc adds NaN handling (stitched mosaics use NaN for "no data"), a coverage mask,
colour weights and integer output.

.. hint::

   Which ``method``? ``"asinh"`` (the default) keeps bright belts from saturating
   while lifting dark regions and the terminator; ``"linear"`` is the honest
   choice for measurements; ``"gamma"`` (``gamma=2.2``) gives the familiar
   display-gamma look; ``"log"`` reveals faint haze and moons near a bright limb.

Colour images are ``(rows, cols, channel)`` in R, G, B order.

Examples
--------
>>> import numpy as np
>>> from junoproc.stretch import stretch
>>> stretch(np.array([0.0, 1.0, 2.0, np.nan, 4.0]), method="linear", interval=(0, 4))
array([0.  , 0.25, 0.5 , 0.  , 1.  ], dtype=float32)
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from astropy.visualization import (
    AsinhStretch,
    AsymmetricPercentileInterval,
    BaseInterval,
    BaseStretch,
    LinearStretch,
    LogStretch,
    ManualInterval,
    MinMaxInterval,
    PercentileInterval,
    PowerStretch,
    SinhStretch,
    SqrtStretch,
)
from numpy.typing import ArrayLike, DTypeLike

__all__ = [
    "COLOUR_PRESETS",
    "METHODS",
    "apply_weights",
    "stretch",
    "to_uint8",
    "to_uint16",
]

logger = logging.getLogger(__name__)

#: Per-channel (R, G, B) multipliers that white-balance JunoCam colour; see :func:`apply_weights`.
COLOUR_PRESETS: dict[str, tuple[float, float, float]] = {
    # Leave the channels as they are.
    "none": (1.0, 1.0, 1.0),
    # kmgill/junocam_processing default configuration (R 0.902, G 1.0, B 1.8879).
    "kmgill": (0.902, 1.0, 1.8879),
    # G. Eichstädt, PJ43/44 image notes on missionjuno.swri.edu (gallery id 13594).
    "eichstaedt-pj43": (0.768, 1.000, 2.630),
}

#: Stretch methods :func:`stretch` understands, with their default ``a`` (None: no ``a``).
METHODS: dict[str, float | None] = {
    "linear": None,
    "sqrt": None,
    "asinh": 0.1,
    "log": 1000.0,
    "sinh": 1.0 / 3.0,
    "power": None,
    "gamma": None,
}

_DEFAULT_PERCENTILE = (0.5, 99.5)
#: Pixels a percentile interval is computed from, at most (about: whole rows are sampled).
_INTERVAL_SAMPLES = 250_000
#: Entries of the lookup table used for 8-bit output (error well under one output level).
_LUT_SIZE = 1 << 20
_DEFAULT_GAMMA = 2.2
#: Elements per block of the 8-bit mapping (a few hundred kB of temporaries: in cache).
_BLOCK_ELEMENTS = 1 << 17


def _preset(name: str) -> tuple[float, ...]:
    key = name.strip().lower()
    if key not in COLOUR_PRESETS:
        raise ValueError(
            f"unknown colour preset {name!r}; choose one of {', '.join(COLOUR_PRESETS)}"
        )
    return COLOUR_PRESETS[key]


def _work_dtype(dtype: np.dtype) -> type[np.floating]:
    return np.float64 if dtype == np.float64 else np.float32


def _check_numeric(image: np.ndarray, name: str = "image") -> None:
    if image.dtype.kind not in "uifb":
        raise ValueError(f"{name} must be numeric, got dtype {image.dtype}")


def apply_weights(image: ArrayLike, weights: str | float | Sequence[float]) -> np.ndarray:
    """Multiply each colour channel by its weight (white balance).

    Parameters
    ----------
    image : (rows, cols, C) or (rows, cols) array_like
        Linear data, any numeric dtype; NaN stays NaN.
    weights : str, float or sequence of C floats
        A :data:`COLOUR_PRESETS` name (``"kmgill"``, ``"eichstaedt-pj43"``,
        ``"none"``; case-insensitive), one factor for every channel, or one per
        channel (R, G, B order for colour images). Must be finite and >= 0.

    Returns
    -------
    ndarray, same shape as ``image``
        ``float64`` for ``float64`` input, otherwise ``float32``. A new array.

    Raises
    ------
    ValueError
        Unknown preset, wrong number of weights, negative or non-finite weights.

    See Also
    --------
    stretch, COLOUR_PRESETS

    Examples
    --------
    >>> import numpy as np
    >>> rgb = np.ones((1, 1, 3), dtype=np.float32)
    >>> apply_weights(rgb, "kmgill")[0, 0]
    array([0.902 , 1.    , 1.8879], dtype=float32)
    >>> apply_weights(np.array([[1, 2, 3]], dtype=np.uint16), 2.0)
    array([[2., 4., 6.]], dtype=float32)
    """
    data = np.asarray(image)
    _check_numeric(data)
    factors = np.asarray(_preset(weights) if isinstance(weights, str) else weights, dtype=float)
    if factors.ndim > 1 or not np.all(np.isfinite(factors)) or np.any(factors < 0):
        raise ValueError(
            f"weights must be a preset name, a number or a sequence of finite numbers >= 0, "
            f"got {weights!r}"
        )
    if factors.ndim == 1:
        channels = data.shape[-1] if data.ndim == 3 else None
        if channels != factors.size:
            raise ValueError(
                f"weights has {factors.size} values but image shape {data.shape} has "
                f"{channels or 'no'} colour channels; pass (rows, cols, {factors.size}) data"
            )
    dtype = _work_dtype(data.dtype)
    return np.multiply(data, factors.astype(dtype), dtype=dtype)


def _make_interval(percentile: float | Sequence[float] | None, interval: Any) -> BaseInterval:
    if interval is not None and percentile is not None:
        raise ValueError("pass either percentile= or interval=, not both")
    if interval is None:
        pct = _DEFAULT_PERCENTILE if percentile is None else percentile
        if np.ndim(pct) == 0:
            if not 0 < float(pct) <= 100:
                raise ValueError(f"percentile must be in (0, 100], got {pct!r}")
            return PercentileInterval(float(pct))
        if len(pct) != 2 or not 0 <= pct[0] < pct[1] <= 100:
            raise ValueError(
                f"percentile must be (low, high) with 0 <= low < high <= 100, got {pct!r}"
            )
        return AsymmetricPercentileInterval(float(pct[0]), float(pct[1]))
    if isinstance(interval, BaseInterval):
        return interval
    if isinstance(interval, str):
        if interval.lower() == "minmax":
            return MinMaxInterval()
        raise ValueError(
            f"interval must be (low, high), 'minmax' or an astropy interval, got {interval!r}"
        )
    if len(interval) != 2:
        raise ValueError(f"interval must be (low, high), got {interval!r}")
    lo, hi = (None if v is None else float(v) for v in interval)
    if lo is not None and hi is not None and not hi > lo:
        raise ValueError(f"interval must have low < high, got {interval!r}")
    return ManualInterval(lo, hi)


def _make_stretch(method: str, a: float | None, gamma: float | None) -> BaseStretch:
    if not isinstance(method, str) or method.lower() not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    method = method.lower()
    if gamma is not None and not gamma > 0:
        raise ValueError(f"gamma must be > 0, got {gamma!r}")
    if a is not None and method in ("linear", "sqrt", "gamma"):
        raise ValueError(f"method={method!r} takes no parameter a (got a={a!r})")
    if method == "gamma":
        return PowerStretch(1.0 / (gamma or _DEFAULT_GAMMA))
    if method == "power":
        if a is None:
            raise ValueError("method='power' needs the exponent a (e.g. a=0.5)")
        base: BaseStretch = PowerStretch(a)
    elif method == "linear":
        base = LinearStretch()
    elif method == "sqrt":
        base = SqrtStretch()
    else:
        classes = {"asinh": AsinhStretch, "log": LogStretch, "sinh": SinhStretch}
        base = classes[method](METHODS[method] if a is None else a)
    if gamma is not None:
        base = PowerStretch(1.0 / gamma) + base  # astropy: right-hand stretch runs first
    return base


def _selection(data: np.ndarray, mask: ArrayLike | None) -> np.ndarray | None:
    """``mask`` checked: booleans, or numbers meaning True where > 0 (:func:`_selected`
    reads them so), of shape ``data.shape`` or (colour images) ``data.shape[:2]``."""
    if mask is None:
        return None
    sel = np.asarray(mask)
    if sel.dtype.kind != "b":
        _check_numeric(sel, "mask")
    if not (sel.shape == data.shape or (data.ndim == 3 and sel.shape == data.shape[:2])):
        raise ValueError(f"mask must have shape {data.shape[:2]} or {data.shape}, got {sel.shape}")
    return sel


def _selected(sel: np.ndarray) -> np.ndarray:
    """Part of a :func:`_selection` as booleans: coverage counts or weights are True where
    > 0. Only the sampled part is compared, not the whole mask."""
    return sel if sel.dtype.kind == "b" else sel > 0


def _interval_sample(
    values: np.ndarray, sel: np.ndarray | None, step: int, dtype: type[np.floating]
) -> np.ndarray:
    """About one in ``step`` elements of ``values``, evenly spread, finite and selected.

    Images with enough rows give every ``step``-th row (whole rows are read, not every
    cache line of the image); others every ``step``-th element in C order. ``sel`` has
    the shape of ``values`` or, for (rows, cols, C) ``values``, of one channel. Only the
    sampled elements are tested, so no full-size mask is built.
    """
    if step > 1 and values.ndim > 1 and values.shape[0] >= 4 * step:
        sample = np.asarray(values[::step], dtype=dtype)
        keep = np.isfinite(sample)
        if sel is not None:
            rows = _selected(sel[::step])
            keep &= rows if rows.shape == sample.shape else rows[..., None]
        return sample[keep]
    sample = np.asarray(values.reshape(-1)[::step], dtype=dtype)
    keep = np.isfinite(sample)
    if sel is not None:
        flat = sel.reshape(-1)
        if sel.shape == values.shape:
            keep &= _selected(flat[::step])
        else:  # one mask value per pixel, shared by its channels
            keep &= _selected(flat[np.arange(0, values.size, step) // values.shape[-1]])
    return sample[keep]


@functools.lru_cache(maxsize=16)
def _uint8_table(method: str, a: float | None, gamma: float | None) -> np.ndarray:
    """``to_uint8(stretcher(np.linspace(0, 1, _LUT_SIZE), clip=True))`` for the stretcher
    ``_make_stretch(method, a, gamma)``, computed cheaply, once per process (a batch of
    products reuses it), read-only.

    The stretches of :func:`_make_stretch` are non-decreasing, so the table is a
    staircase of 256 steps: a bisection (on all 255 steps at once) finds the first index
    of each, evaluating the stretch at about 21 x 255 points instead of 2**20 (the
    transcendental functions alone would take 15-40 ms).
    """
    stretcher = _make_stretch(method, a, gamma)
    top = _LUT_SIZE - 1

    def level(i: np.ndarray) -> np.ndarray:
        x = i * (1.0 / top)  # exactly np.linspace(0, 1, _LUT_SIZE)[i]
        x[i == top] = 1.0
        return to_uint8(stretcher(x, clip=True))

    targets = np.arange(1, 256)
    lo = np.zeros(targets.size, dtype=np.intp)  # first index reaching level L is in lo..hi
    hi = np.full(targets.size, _LUT_SIZE, dtype=np.intp)  # _LUT_SIZE: never reached
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        reached = level(np.minimum(mid, top)) >= targets
        reached |= mid >= _LUT_SIZE
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid + 1)
    edges = np.concatenate([[0], lo, [_LUT_SIZE]])
    table = np.repeat(np.arange(256, dtype=np.uint8), np.diff(edges))
    table.flags.writeable = False
    return table


def _planar(values: np.ndarray) -> bool:
    """Whether ``values`` is (rows, cols, C) seen over C contiguous channel planes (the layout
    of :func:`junoproc.render.render`'s images)."""
    return values.ndim == 3 and not values.flags.c_contiguous and values[..., 0].flags.c_contiguous


def _lut_into(
    values: np.ndarray,
    lo: float,
    hi: float,
    table: np.ndarray,
    out: np.ndarray,
    dtype: type[np.floating],
) -> None:
    """``out = table[index]``, the interval ``lo .. hi`` mapped onto the table's indices.

    Works through blocks of rows small enough to stay in the CPU cache: on a full
    mosaic each full-size temporary would cost more in memory traffic and page faults
    than the arithmetic itself. The arithmetic (in ``dtype``, the scalars being weak)
    and the non-finite handling (index 0) are those of a whole-array computation.
    Channel planes (``values`` and ``out`` both planar, see :func:`_planar`) are mapped
    half-plane by half-plane on the cores: numpy releases the GIL in its loops, and the
    halves share two cores out evenly among three channels.
    """
    if _planar(values) and _planar(out) and values.shape[0] > 1:
        from concurrent.futures import ThreadPoolExecutor

        half = values.shape[0] // 2
        parts = [
            (slice(r0, r1), c)
            for c in range(values.shape[-1])
            for r0, r1 in ((0, half), (half, values.shape[0]))
        ]

        def one(part: tuple[slice, int]) -> None:
            rows, c = part
            _lut_into(values[rows, :, c], lo, hi, table, out[rows, :, c], dtype)

        workers = max(1, min(len(parts), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, parts))
        return
    span = float(hi) - float(lo)
    scale = (_LUT_SIZE - 1) / span if span > 0 else 0.0
    lo = float(lo)
    n_rows = values.shape[0]
    row = max(1, values[0].size) if values.ndim > 1 else 1
    block = max(1, _BLOCK_ELEMENTS // row)
    shape = (min(block, n_rows), *values.shape[1:])
    buf = np.empty(shape, dtype=dtype)
    finite = np.empty(shape, dtype=bool)
    index = np.empty(shape, dtype=np.intp)
    for r0 in range(0, n_rows, block):
        src = values[r0 : r0 + block]
        n = src.shape[0]
        x, ok, k = buf[:n], finite[:n], index[:n]
        np.subtract(src, dtype(lo), out=x)
        x *= scale
        x += 0.5
        np.clip(x, 0.0, _LUT_SIZE - 1, out=x)  # NaN stays NaN
        np.isfinite(src, out=ok)
        # truncation: x >= 0, so the floor of x + 0.5, i.e. the nearest entry; a NaN's
        # index is arbitrary (and replaced below)
        with np.errstate(invalid="ignore"):
            k[...] = x
        np.take(table, k, out=out[r0 : r0 + block], mode="clip")
        if ok.all():
            continue
        # non-finite: table[0]; multiplying by the mask is far cheaper than a masked copy
        if table[0] == 0:
            out[r0 : r0 + block] *= ok
        else:
            np.copyto(out[r0 : r0 + block], table[0], where=~ok)


def stretch(
    image: ArrayLike,
    *,
    method: str = "asinh",
    percentile: float | Sequence[float] | None = None,
    interval: Any = None,
    a: float | None = None,
    gamma: float | None = None,
    weights: str | float | Sequence[float] | None = None,
    preset: str | None = None,
    per_channel: bool = False,
    mask: ArrayLike | None = None,
    out_dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """Scale linear data to [0, 1] (or 8/16-bit integers) for display.

    Steps: optional colour weights (:func:`apply_weights`), an interval mapping
    ``low -> 0`` and ``high -> 1`` (clipped), then the stretch ``method``, then an
    optional display ``gamma``. Interval and stretch are astropy's.

    Parameters
    ----------
    image : (rows, cols), (rows, cols, C) or (n,) array_like
        Linear data, any numeric dtype. Non-finite values (NaN for "no data", inf)
        are ignored when the interval is computed and come out as 0. Not modified.
    method : {"asinh", "linear", "sqrt", "log", "sinh", "power", "gamma"}
        The astropy stretch: ``AsinhStretch(a=0.1)``, ``LinearStretch``,
        ``SqrtStretch``, ``LogStretch(a=1000)``, ``SinhStretch(a=1/3)``,
        ``PowerStretch(a)`` (``a`` required) or ``"gamma"``, i.e.
        ``PowerStretch(1 / gamma)`` with ``gamma=2.2`` by default.
    percentile : float or (float, float), default (0.5, 99.5)
        Interval from percentiles of the valid pixels: ``(low, high)`` in percent,
        or one number for a central interval (``99`` means 0.5 to 99.5).
    interval : (low, high), "minmax" or astropy interval, optional
        Use instead of ``percentile``. ``(low, high)`` are data values (after
        weights); either may be None to take the data's min or max.
    a : float, optional
        The stretch's parameter (asinh, log, sinh: astropy's ``a``; power: exponent).
    gamma : float, optional
        With ``method="gamma"``, the display gamma. With any other method, an extra
        ``x ** (1 / gamma)`` applied after the stretch.
    weights : str, float or sequence of C floats, optional
        Colour weights or a :data:`COLOUR_PRESETS` name, applied first.
    preset : str, optional
        A :data:`COLOUR_PRESETS` name; the same as ``weights=<name>``.
    per_channel : bool, default False
        Colour images only. False: one interval over all channels together (after
        weights), which keeps the colour balance. True: each channel gets its own
        interval (each spans 0..1; the balance is lost).
    mask : (rows, cols) or image-shaped bool or numeric array_like, optional
        Pixels that set the interval: True (or > 0, so a stitch coverage map works
        as is). Like scikit-image, True means *use*. Pixels outside the mask are
        still stretched, they just do not choose the interval.
    out_dtype : {numpy.float32, numpy.float64, numpy.uint8, numpy.uint16}
        Floats are in [0, 1]; integers span the full range (see :func:`to_uint8`).

    Returns
    -------
    ndarray, shape of ``image``, dtype ``out_dtype``
        A new array. 8-bit output of channel planes seen as (rows, cols, C) (the
        images of :func:`junoproc.render.render`) keeps that layout, as numpy's
        element-wise functions do; ``numpy.ascontiguousarray`` interleaves it.

    Raises
    ------
    ValueError
        Unknown ``method`` or preset, inconsistent options, a mask of the wrong
        shape, or no valid pixel to compute the interval from.

    See Also
    --------
    apply_weights, to_uint8, to_uint16, astropy.visualization.AsinhStretch

    Examples
    --------
    >>> import numpy as np
    >>> ramp = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    >>> stretch(ramp, method="linear", interval="minmax")
    array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    >>> stretch(ramp, method="sqrt", interval=(0, 40), out_dtype=np.uint8)
    array([  0, 128, 180, 221, 255], dtype=uint8)
    >>> stretch(ramp, method="gamma", gamma=2.0, interval=(0, 40)).round(3)
    array([0.   , 0.5  , 0.707, 0.866, 1.   ], dtype=float32)
    >>> stretch(ramp, method="cubic")
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'cubic'; choose one of linear, sqrt, asinh, log, sinh, power, gamma
    """
    data = np.asarray(image)
    _check_numeric(data)
    if data.ndim not in (1, 2, 3):
        raise ValueError(f"image must be (rows, cols) or (rows, cols, C), got shape {data.shape}")
    out = np.dtype(out_dtype)
    if out not in (np.float32, np.float64, np.uint8, np.uint16):
        raise ValueError(f"out_dtype must be float32, float64, uint8 or uint16, got {out}")
    stretcher = _make_stretch(method, a, gamma)
    limits = _make_interval(percentile, interval)
    if weights is not None and preset is not None:
        raise ValueError("pass either weights= or preset=, not both")
    if preset is not None or weights is not None:
        work = apply_weights(data, preset if preset is not None else weights)
        if out == np.float32 and work.dtype != np.float32:
            work = work.astype(np.float32)
        dtype = work.dtype.type
    else:
        dtype = np.float64 if out == np.float64 else np.float32
        # 8-bit output reads the data block by block and needs no working copy
        work = data if out == np.uint8 else np.array(data, dtype=dtype)
    sel = _selection(work, mask)

    if per_channel and work.ndim == 3:
        groups = [
            (work[..., c], None if sel is None else sel[..., c] if sel.ndim == 3 else sel)
            for c in range(work.shape[-1])
        ]
    else:
        groups = [(work, sel)]
    exact = isinstance(limits, (MinMaxInterval, ManualInterval))
    # before the interval clips +inf to 1
    finite = None if out == np.uint8 else np.isfinite(work)
    result = table = None
    if out == np.uint8:
        # channel planes in, channel planes out (as numpy's ufuncs keep a layout)
        result = (
            np.moveaxis(np.empty((work.shape[-1], *work.shape[:2]), np.uint8), 0, -1)
            if _planar(work)
            else np.empty(work.shape, dtype=np.uint8)
        )
        key = [None if v is None else float(v) for v in (a, gamma)]
        table = _uint8_table(method, *key)
    for c, (values, use) in enumerate(groups):
        if isinstance(limits, ManualInterval) and None not in (limits.vmin, limits.vmax):
            lo, hi = limits.vmin, limits.vmax
        else:
            # percentiles of evenly spaced samples: as good for display, far cheaper
            step = 1 if exact else max(1, -(-values.size // _INTERVAL_SAMPLES))
            chosen = _interval_sample(values, use, step, dtype)
            if chosen.size == 0:
                raise ValueError(
                    "no finite pixel inside the mask to set the interval; "
                    "pass interval=(low, high) or check the mask"
                )
            lo, hi = limits.get_limits(chosen)
        logger.debug("stretch %s: interval %.6g .. %.6g", method, lo, hi)
        if result is not None:
            # 8-bit output through a fine lookup table of the same astropy stretch: the
            # transcendental function is not evaluated per pixel
            target = result[..., c] if len(groups) > 1 else result
            _lut_into(values, lo, hi, table, target, dtype)
        else:
            ManualInterval(float(lo), float(hi))(values, clip=True, out=values)
    if result is not None:
        return result
    stretcher(work, clip=True, out=work)
    work[~finite] = 0.0
    if out == np.uint16:
        return to_uint16(work)
    return work.astype(out, copy=False)


def _to_uint(x: ArrayLike, top: int, dtype: type[np.integer]) -> np.ndarray:
    data = np.asarray(x)
    if data.dtype.kind not in "fb":
        raise ValueError(
            f"expected floats in [0, 1], got {data.dtype}; "
            "use stretch(..., out_dtype=...) to scale integer data"
        )
    work = np.array(data, dtype=_work_dtype(data.dtype))
    np.nan_to_num(work, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
    np.clip(work, 0.0, 1.0, out=work)
    work *= top
    np.rint(work, out=work)
    return work.astype(dtype)


def to_uint8(x: ArrayLike) -> np.ndarray:
    """Convert [0, 1] floats to ``uint8`` 0..255 (rounded, clipped, NaN -> 0).

    Parameters
    ----------
    x : array_like of float or bool
        Values in [0, 1]; outside values are clipped (+inf -> 255).

    Returns
    -------
    uint8 ndarray, shape of ``x``

    Raises
    ------
    ValueError
        ``x`` holds integers (their scale is ambiguous).

    See Also
    --------
    to_uint16, stretch

    Examples
    --------
    >>> to_uint8([0.0, 0.2, 0.5, 1.2, float("nan")])
    array([  0,  51, 128, 255,   0], dtype=uint8)
    """
    return _to_uint(x, 255, np.uint8)


def to_uint16(x: ArrayLike) -> np.ndarray:
    """Convert [0, 1] floats to ``uint16`` 0..65535 (rounded, clipped, NaN -> 0).

    Parameters
    ----------
    x : array_like of float or bool
        Values in [0, 1]; outside values are clipped (+inf -> 65535).

    Returns
    -------
    uint16 ndarray, shape of ``x``

    Raises
    ------
    ValueError
        ``x`` holds integers (their scale is ambiguous).

    See Also
    --------
    to_uint8, stretch

    Examples
    --------
    >>> to_uint16([-1.0, 0.0, 0.25, 1.0, float("nan")])
    array([    0,     0, 16384, 65535,     0], dtype=uint16)
    """
    return _to_uint(x, 65535, np.uint16)
