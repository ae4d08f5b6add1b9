"""Quality measures for stitched JunoCam images: colour registration, seams and limb continuity.

Three measures judge a stitched image, each from the data alone (no SPICE, no model):

:func:`channel_misregistration`
    How far each colour channel sits from a reference channel, tile by tile, measured
    by phase correlation of gradient-magnitude images.
:func:`seam_residual`
    How well two renderings of the *same* filter from disjoint framelet sets (for
    example the even frames and the odd frames) agree where they overlap. The overlaps
    are narrow strips (10-20 px), so the shift comes from an iterated least-squares
    (Lucas-Kanade) fit rather than from phase correlation, which cannot resolve
    anything on a strip that narrow.
:func:`limb_continuity`
    How smoothly the edge of a bright body (the limb) runs across framelet boundaries,
    from a sub-pixel half-maximum edge position in every image row or column.

Trustworthiness comes first. A measure that cannot find usable data reports NaN and a
count of 0, never a comforting 0.0. Tiles and segments are only used when they are lit,
carry structure well above the noise, hold no saturated or missing pixels, and give a
match that explains the data (a correlation test). Dark sky with hot pixels or stars,
saturated plateaus and pure noise are the classic sources of convincing-looking garbage.

Sign convention (all shift measures)
------------------------------------
A shift ``s = (dy, dx)`` of a *moving* image against a *reference* means
``moving(u) ≈ reference(u - s)``: a feature at ``u`` in the reference appears at
``u + s`` in the moving image. ``scipy.ndimage.shift(reference, s)`` produces such a
moving image.

Intensity thresholds (``saturation``) are in linear DN, as produced by
:func:`junoproc.decompand.decompand` (0..2879 for SQROOT products). For data on another
scale, pass a suitable ``saturation`` or ``None``.

Examples
--------
>>> import numpy as np
>>> from scipy import ndimage as ndi
>>> from junoproc.quality import channel_misregistration
>>> rng = np.random.default_rng(1)
>>> green = 500 + 300 * ndi.gaussian_filter(rng.normal(size=(256, 256)), 3) / 0.1
>>> red = ndi.shift(green, (0.3, -0.5), mode="nearest")
>>> res = channel_misregistration(np.dstack([red, green]), channels=("RED", "GREEN"))
>>> dy, dx = res.channels["RED"].median_shift
>>> print(f"{dy:.2f} {dx:.2f}")
0.30 -0.50
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage as ndi

__all__ = [
    "ChannelShift",
    "LimbResult",
    "LimbTrace",
    "MisregistrationResult",
    "SeamResult",
    "channel_misregistration",
    "limb_continuity",
    "seam_residual",
]

#: Default channel names of a three-channel colour image (row, col, channel).
RGB_NAMES: tuple[str, str, str] = ("RED", "GREEN", "BLUE")

# MAD -> standard deviation for Gaussian data.
_MAD_TO_STD = 1.482602218505602
# At most this many pixels go into a global percentile (a strided subsample beyond).
_MAX_PERCENTILE_SAMPLES = 1_000_000


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    """A float for JSON: NaN and infinities become ``None``."""
    value = float(value)
    return value if math.isfinite(value) else None


def _median(values: NDArray[np.floating]) -> float:
    return float(np.median(values)) if values.size else math.nan


def _percentile(values: NDArray[np.floating], q: float) -> float:
    return float(np.percentile(values, q)) if values.size else math.nan


def _bright_level(values: NDArray[np.floating], q: float = 99.0) -> float:
    """High percentile of a 1-D array of finite values (subsampled when huge)."""
    if values.size == 0:
        return math.nan
    stride = max(1, values.size // _MAX_PERCENTILE_SAMPLES)
    return float(np.percentile(values[::stride], q))


def _tile_sums(values: NDArray[np.floating], tile: int, step: int) -> NDArray[np.float64]:
    """Sums of ``values`` over every ``tile`` × ``tile`` box at origins ``(k*step, l*step)``."""
    h, w = values.shape
    if tile % step == 0:
        # block sums by reshaping, then sliding sums of (tile / step)² blocks
        m = tile // step
        nr, nc = h // step, w // step
        blocks = values[: nr * step, : nc * step].reshape(nr, step, nc, step).sum(axis=(1, 3))
        if m == 1:
            return blocks.astype(np.float64)
        cs = np.zeros((nr + 1, nc + 1))
        cs[1:, 1:] = blocks.cumsum(axis=0).cumsum(axis=1)
        return cs[m:, m:] - cs[:-m, m:] - cs[m:, :-m] + cs[:-m, :-m]
    rows = np.arange(0, h - tile + 1, step)
    cols = np.arange(0, w - tile + 1, step)
    down = np.zeros((h + 1, w))
    np.cumsum(values, axis=0, out=down[1:])
    band = down[rows + tile] - down[rows]
    across = np.zeros((rows.size, w + 1))
    np.cumsum(band, axis=1, out=across[:, 1:])
    return across[:, cols + tile] - across[:, cols]


def _check_coverage(coverage: ArrayLike | None, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """Boolean (H, W, C) validity from an optional (H, W) or (H, W, C) coverage."""
    h, w, c = shape
    if coverage is None:
        return np.ones(shape, bool)
    cov = np.asarray(coverage)
    if cov.shape == (h, w):
        cov = cov[:, :, None]
    elif cov.shape != (h, w, c):
        raise ValueError(
            f"coverage has shape {cov.shape}; expected {(h, w)} or {(h, w, c)} for an "
            f"image of shape {shape}"
        )
    return np.broadcast_to(cov > 0, shape)


def _bilinear(image: NDArray[np.floating], y: NDArray, x: NDArray) -> NDArray[np.float64]:
    """Bilinear samples of ``image`` at ``(y, x)``; NaN outside or next to NaN pixels."""
    h, w = image.shape
    y0 = np.floor(y)
    x0 = np.floor(x)
    fy = y - y0
    fx = x - x0
    inside = (y0 >= 0) & (x0 >= 0) & (y0 <= h - 2) & (x0 <= w - 2)
    iy = np.where(inside, y0, 0).astype(np.intp)
    ix = np.where(inside, x0, 0).astype(np.intp)
    top = image[iy, ix] * (1 - fx) + image[iy, ix + 1] * fx
    bottom = image[iy + 1, ix] * (1 - fx) + image[iy + 1, ix + 1] * fx
    out = top * (1 - fy) + bottom * fy
    return np.where(inside, out, np.nan)


# --------------------------------------------------------------------------------------
# 1. colour misregistration
# --------------------------------------------------------------------------------------


class _ShiftStatistics:
    """Statistics of an ``(n, 2)`` array of ``(dy, dx)`` shifts held as ``shifts`` (or of
    the shift lengths a subclass's ``magnitude`` pools)."""

    shifts: NDArray[np.float64]

    @property
    def magnitude(self) -> NDArray[np.float64]:
        """Shift length per measurement in pixels, shape (n,)."""
        return np.hypot(self.shifts[:, 0], self.shifts[:, 1])

    @property
    def median_px(self) -> float:
        """Median shift length in pixels (NaN without measurements)."""
        return _median(self.magnitude)

    @property
    def p90_px(self) -> float:
        """90th percentile of the shift length in pixels (NaN without measurements)."""
        return _percentile(self.magnitude, 90.0)


@dataclass(frozen=True)
class ChannelShift(_ShiftStatistics):
    """Tile shifts of one channel against the reference channel.

    Attributes
    ----------
    name : str
        Channel name.
    centres : ndarray, shape (n, 2), float64
        Tile centres ``(row, col)`` in image pixels.
    shifts : ndarray, shape (n, 2), float64
        Shift ``(dy, dx)`` per tile in pixels, ``moving(u) ≈ reference(u - shift)``.
    correlation : ndarray, shape (n,), float64
        Peak normalised correlation of the two gradient tiles (0..1).
    """

    name: str
    centres: NDArray[np.float64]
    shifts: NDArray[np.float64]
    correlation: NDArray[np.float64]

    @property
    def n_tiles(self) -> int:
        """Number of tiles that passed every test."""
        return int(self.shifts.shape[0])

    @property
    def median_shift(self) -> tuple[float, float]:
        """Component-wise median ``(dy, dx)`` in pixels: the channel's overall offset."""
        return (_median(self.shifts[:, 0]), _median(self.shifts[:, 1]))

    def summary(self) -> dict[str, Any]:
        """JSON-friendly statistics (``None`` for NaN)."""
        dy, dx = self.median_shift
        return {
            "n_tiles": self.n_tiles,
            "median_px": _json_float(self.median_px),
            "p90_px": _json_float(self.p90_px),
            "median_dy": _json_float(dy),
            "median_dx": _json_float(dx),
        }


@dataclass(frozen=True)
class MisregistrationResult(_ShiftStatistics):
    """Result of :func:`channel_misregistration`.

    Attributes
    ----------
    reference : str
        Name of the reference channel.
    channels : Mapping[str, ChannelShift]
        Per measured channel, the accepted tiles and their shifts.
    tile, step : int
        Tile size and tile spacing in pixels.
    n_candidates : int
        Tiles that were fully covered (before the lit, saturation and structure tests),
        summed over the measured channels.
    """

    reference: str
    channels: Mapping[str, ChannelShift]
    tile: int
    step: int
    n_candidates: int = 0

    @property
    def magnitude(self) -> NDArray[np.float64]:
        """Shift lengths of all accepted tiles of all channels pooled, shape (n,)."""
        parts = [c.magnitude for c in self.channels.values()]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def n_tiles(self) -> int:
        """Accepted tiles over all measured channels."""
        return int(self.magnitude.size)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly summary: pooled statistics plus one entry per channel."""
        return {
            "reference": self.reference,
            "tile": self.tile,
            "step": self.step,
            "n_candidates": self.n_candidates,
            "n_tiles": self.n_tiles,
            "median_px": _json_float(self.median_px),
            "p90_px": _json_float(self.p90_px),
            "channels": {name: c.summary() for name, c in self.channels.items()},
        }


def _resolve_channels(
    n_channels: int, channels: Sequence[str] | None, reference: int | str | None
) -> tuple[list[str], int]:
    if channels is None:
        names = list(RGB_NAMES) if n_channels == 3 else [f"C{i}" for i in range(n_channels)]
    else:
        names = [str(c).upper() for c in channels]
        if len(names) != n_channels:
            raise ValueError(f"{len(names)} channel names for an image with {n_channels} channels")
        if len(set(names)) != len(names):
            raise ValueError(f"channel names must be unique, got {names}")
    if reference is None:
        ref = names.index("GREEN") if "GREEN" in names else 0
    elif isinstance(reference, str):
        if reference.upper() not in names:
            raise ValueError(f"reference channel {reference!r} is not one of {names}")
        ref = names.index(reference.upper())
    else:
        ref = int(reference)
        if not -n_channels <= ref < n_channels:
            raise ValueError(f"reference index {reference} out of range for {n_channels} channels")
        ref %= n_channels
    return names, ref


@dataclass
class _ChannelTiles:
    """Per-channel tile statistics on the tile grid (internal)."""

    covered: NDArray[np.bool_]
    unsaturated: NDArray[np.bool_]
    mean: NDArray[np.float64]
    bright: float


def _channel_tiles(
    data: NDArray[np.float64],
    valid: NDArray[np.bool_],
    tile: int,
    step: int,
    saturation: float | None,
) -> _ChannelTiles:
    n_pix = tile * tile
    filled = np.where(valid, data, 0.0)
    covered = _tile_sums(valid.astype(np.float64), tile, step) > n_pix - 0.5
    mean = _tile_sums(filled, tile, step) / n_pix
    if saturation is None:
        unsaturated = np.ones_like(covered)
    else:
        unsaturated = _tile_sums((filled > saturation).astype(np.float64), tile, step) < 0.5
    return _ChannelTiles(covered, unsaturated, mean, _bright_level(data[valid]))


#: Tiles processed together (bounds the memory of the batched FFTs).
_CHUNK = 256


def _patches(channel: NDArray[np.floating], origins: NDArray[np.intp], tile: int) -> NDArray:
    view = np.lib.stride_tricks.sliding_window_view(channel, (tile, tile))
    # float32 halves the memory traffic; ample for gradients and correlations
    return view[origins[:, 0], origins[:, 1]].astype(np.float32)


def _gradients(patches: NDArray[np.float64], sigma: float) -> NDArray[np.float64]:
    """Gaussian gradient magnitude of a stack of patches, shape (n, tile, tile)."""
    sig = (0.0, sigma, sigma)
    gy = ndi.gaussian_filter(patches, sig, order=(0, 1, 0), mode="nearest")
    gx = ndi.gaussian_filter(patches, sig, order=(0, 0, 1), mode="nearest")
    return np.sqrt(gy * gy + gx * gx)


def _tile_structure(
    channel: NDArray[np.floating], origins: NDArray[np.intp], tile: int, sigma: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Structure measures of the tiles at ``origins`` (n, 2).

    Returns the standard deviation of the Gaussian gradient magnitude per tile and the
    structure-to-noise ratio: the gradient energy divided by the energy that white
    noise at the tile's robust noise level would give, minus one. The noise level
    comes from the MAD of second differences along rows (variance ``6 s²`` for white
    noise of variance ``s²``), which smooth structure barely affects and sharp edges,
    being rare, do not move; fine texture inflates it, which only makes the test
    stricter.
    """
    std = np.empty(len(origins))
    snr = np.empty(len(origins))
    # white noise of variance s² gives s² / (4 π σ⁴) of Gaussian-derivative energy
    gain = 1.0 / (4.0 * math.pi * sigma**4)
    for lo in range(0, len(origins), _CHUNK):
        patches = _patches(channel, origins[lo : lo + _CHUNK], tile)
        grad = _gradients(patches, sigma)
        std[lo : lo + len(patches)] = grad.std(axis=(1, 2), dtype=np.float64)
        rows = patches[:, ::2, :]  # every other row is plenty for a median
        d2 = rows[:, :, 2:] - 2.0 * rows[:, :, 1:-1] + rows[:, :, :-2]
        noise2 = (_MAD_TO_STD * np.median(np.abs(d2).reshape(len(patches), -1), axis=1)) ** 2
        noise_energy = noise2 / 6.0 * gain
        energy = (grad * grad).mean(axis=(1, 2), dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            snr[lo : lo + len(patches)] = np.where(
                noise_energy > 0, energy / noise_energy - 1.0, np.inf
            )
    return std, snr


def _windowed_gradients(
    channel: NDArray[np.floating],
    origins: NDArray[np.intp],
    tile: int,
    sigma: float,
    window: NDArray[np.float64],
) -> NDArray[np.float64]:
    grad = _gradients(_patches(channel, origins, tile), sigma)
    grad -= grad.mean(axis=(1, 2), keepdims=True)
    return grad * window


def _phase_correlate(
    ref: NDArray[np.float64], mov: NDArray[np.float64], upsample: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Batched cross-correlation registration of tile stacks, shape (n, h, w).

    The same algorithm as :func:`skimage.registration.phase_cross_correlation` with
    ``normalization=None`` (Guizar-Sicairos et al. 2008): the integer peak of the
    FFT cross-correlation, refined by an upsampled DFT on a 1.5-pixel neighbourhood
    computed by matrix multiplication; all tiles at once instead of one call per
    tile. Returns the shifts (n, 2) with ``mov(u) ≈ ref(u - shift)`` and the peak
    correlation coefficient (n,) in 0..1.
    """
    n, h, w = ref.shape
    f_ref = np.fft.fft2(ref)
    f_mov = np.fft.fft2(mov)
    product = f_ref * f_mov.conj()
    cc = np.abs(np.fft.ifft2(product)).reshape(n, -1)
    cc = cc.astype(np.float64)
    py, px = np.unravel_index(cc.argmax(axis=1), (h, w))
    peak = np.stack([py, px], axis=1).astype(np.float64)
    size = np.array([h, w], dtype=np.float64)
    peak = np.where(peak > np.fix(size / 2), peak - size, peak)
    norm = np.sqrt(
        (ref * ref).sum(axis=(1, 2), dtype=np.float64)
        * (mov * mov).sum(axis=(1, 2), dtype=np.float64)
    )
    if upsample == 1:
        cc_max = cc.max(axis=1)
    else:
        peak = np.round(peak * upsample) / upsample
        region = int(np.ceil(upsample * 1.5))
        centre = np.trunc(region / 2.0)
        offset = centre - peak * upsample  # (n, 2)
        grid = np.arange(region, dtype=np.float64)
        ky = np.exp(
            -2j
            * np.pi
            * (grid[None, :, None] - offset[:, 0, None, None])
            * np.fft.fftfreq(h, upsample)[None, None, :]
        )
        kx = np.exp(
            -2j
            * np.pi
            * (grid[None, :, None] - offset[:, 1, None, None])
            * np.fft.fftfreq(w, upsample)[None, None, :]
        )
        ky = ky.astype(product.dtype)
        kx = kx.astype(product.dtype)
        up = np.abs((ky @ product.conj()) @ kx.transpose(0, 2, 1)).reshape(n, -1)
        uy, ux = np.unravel_index(up.argmax(axis=1), (region, region))
        peak = peak + (np.stack([uy, ux], axis=1) - centre) / upsample
        cc_max = up.max(axis=1).astype(np.float64) / (h * w)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(norm > 0, np.clip(cc_max / norm, 0.0, 1.0), 0.0)
    return -peak, rho


def channel_misregistration(
    image: ArrayLike,
    coverage: ArrayLike | None = None,
    *,
    reference: int | str | None = None,
    channels: Sequence[str] | None = None,
    tile: int = 64,
    step: int | None = None,
    upsample: int = 20,
    saturation: float | None = 2300.0,
    min_lit: float = 0.03,
    min_structure: float = 0.2,
    min_snr: float = 1.0,
    min_correlation: float = 0.5,
    max_shift: float | None = None,
    sigma: float = 1.0,
) -> MisregistrationResult:
    """Sub-pixel misregistration of colour channels against a reference channel.

    The image is cut into ``tile`` × ``tile`` tiles. On every tile that passes the
    tests below, the Gaussian gradient magnitude (``sigma``) of the channel and of the
    reference are mean-subtracted, multiplied by a Hann window and cross-correlated
    with the algorithm of :func:`skimage.registration.phase_cross_correlation`
    (without spectral normalisation, ``upsample_factor=upsample``), batched over
    tiles. Gradient images make the measure insensitive to the different brightness
    of the channels. Where the shift exceeds half a pixel, the moving tile is cut
    again at the rounded shift and the remainder measured, which removes the pull
    towards zero of a window that does not move with the content.

    A tile is used only if, in both the channel and the reference:

    * it is fully covered (finite data and ``coverage > 0`` in every pixel);
    * it holds no pixel above ``saturation``;
    * it is lit: its mean is at least ``min_lit`` times the channel's bright level
      (the 99th percentile of all covered pixels);
    * it has structure: the standard deviation of its gradient magnitude is at least
      ``min_structure`` times the 95th percentile of that value over the fully covered,
      lit, unsaturated tiles, *and* its gradient energy exceeds the energy expected from
      the pixel noise (estimated on the tile) by a factor ``1 + min_snr``;

    and the result is accepted only if the correlation peak is at least
    ``min_correlation`` and the shift is at most ``max_shift`` (``tile / 4``).

    Parameters
    ----------
    image : array_like, shape (H, W, C), float
        Colour image, linear data. NaN marks pixels without data.
    coverage : array_like, shape (H, W) or (H, W, C), optional
        Coverage weights or a boolean mask; pixels with ``coverage <= 0`` have no data.
    reference : int or str, optional
        Reference channel, by index or name. Default ``"GREEN"`` if there is such a
        channel, else channel 0.
    channels : sequence of str, optional
        Channel names, default ``("RED", "GREEN", "BLUE")`` for three channels and
        ``"C0", "C1", ...`` otherwise.
    tile : int
        Tile size in pixels (at least 16).
    step : int, optional
        Spacing of the tiles, default ``tile`` (no overlap).
    upsample : int
        Sub-pixel upsampling factor of the correlation (precision ``1 / upsample`` px).
    saturation : float or None
        Tiles with any pixel above this value are skipped; ``None`` disables the test.
    min_lit : float
        Fraction of the bright level below which a tile counts as dark.
    min_structure : float
        Relative structure threshold (see above).
    min_snr : float
        Required ratio of structure gradient energy to noise gradient energy.
    min_correlation : float
        Minimum peak correlation (0..1) of the two windowed gradient tiles.
    max_shift : float, optional
        Largest plausible shift in pixels, default ``tile / 4``.
    sigma : float
        Gaussian scale of the gradient in pixels.

    Returns
    -------
    MisregistrationResult
        Tile centres and shifts per channel, with ``median_px``, ``p90_px`` and
        ``n_tiles`` per channel and pooled. Statistics are NaN and ``n_tiles`` is 0
        when no tile qualifies.

    Notes
    -----
    Shifts follow ``moving(u) ≈ reference(u - shift)``. Accuracy on clean textured
    data is a few hundredths of a pixel; the tile size trades robustness against
    spatial resolution of a shift field that varies across the image (smaller tiles
    follow variations better but fail on weak structure).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(1000.0, 30.0, size=(128, 128, 3))   # no structure at all
    >>> res = channel_misregistration(noise)
    >>> res.n_tiles, res.median_px
    (0, nan)
    """
    img = np.asarray(image)
    if not np.issubdtype(img.dtype, np.floating):
        img = img.astype(np.float64)
    if img.ndim != 3 or img.shape[2] < 2:
        raise ValueError(f"image must have shape (H, W, C) with C >= 2, got {img.shape}")
    tile = int(tile)
    if tile < 16:
        raise ValueError(f"tile must be at least 16 px, got {tile}")
    step = tile if step is None else int(step)
    if step < 1:
        raise ValueError(f"step must be positive, got {step}")
    if upsample < 1:
        raise ValueError(f"upsample must be >= 1, got {upsample}")
    max_shift = tile / 4.0 if max_shift is None else float(max_shift)
    names, ref = _resolve_channels(img.shape[2], channels, reference)
    movers = [k for k in range(img.shape[2]) if k != ref]
    empty = {
        names[k]: ChannelShift(names[k], np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0))
        for k in movers
    }
    if img.shape[0] < tile or img.shape[1] < tile:
        return MisregistrationResult(names[ref], empty, tile, step)

    valid = np.isfinite(img) & _check_coverage(coverage, img.shape)
    stats = {
        k: _channel_tiles(img[:, :, k], valid[:, :, k], tile, step, saturation)
        for k in [ref, *movers]
    }
    window = np.outer(np.hanning(tile), np.hanning(tile)).astype(np.float32)
    results: dict[str, ChannelShift] = {}
    n_candidates = 0
    rs = stats[ref]
    height, width = img.shape[:2]
    for k in movers:
        ms = stats[k]
        base = rs.covered & ms.covered & rs.unsaturated & ms.unsaturated
        n_candidates += int(base.sum())
        lit = base & (rs.mean >= min_lit * rs.bright) & (ms.mean >= min_lit * ms.bright)
        origins = np.argwhere(lit) * step
        centres = np.zeros((0, 2))
        shifts = np.zeros((0, 2))
        corr = np.zeros(0)
        if origins.shape[0]:
            std_ref, snr_ref = _tile_structure(img[:, :, ref], origins, tile, sigma)
            std_mov, snr_mov = _tile_structure(img[:, :, k], origins, tile, sigma)
            keep = (
                (std_ref >= min_structure * np.percentile(std_ref, 95))
                & (std_mov >= min_structure * np.percentile(std_mov, 95))
                & (snr_ref >= min_snr)
                & (snr_mov >= min_snr)
                & (std_ref > 0)
                & (std_mov > 0)
            )
            origins = origins[keep]
            shifts = np.zeros((len(origins), 2))
            corr = np.zeros(len(origins))
            for lo in range(0, len(origins), _CHUNK):
                part = origins[lo : lo + _CHUNK]
                g_ref = _windowed_gradients(img[:, :, ref], part, tile, sigma, window)
                g_mov = _windowed_gradients(img[:, :, k], part, tile, sigma, window)
                sh, rho = _phase_correlate(g_ref, g_mov, upsample)
                # The window stays put while the content moves, which pulls the estimate
                # towards zero. Re-cut the moving tile at the rounded shift and measure
                # the remainder, so that both windows see the same content.
                offset = np.rint(sh).astype(np.intp)
                moved = part + offset
                redo = (
                    offset.any(axis=1)
                    & (rho >= min_correlation)
                    & (moved[:, 0] >= 0)
                    & (moved[:, 1] >= 0)
                    & (moved[:, 0] <= height - tile)
                    & (moved[:, 1] <= width - tile)
                )
                for idx in np.nonzero(redo)[0]:
                    i2, j2 = moved[idx]
                    patch = img[i2 : i2 + tile, j2 : j2 + tile, k]
                    redo[idx] = bool(valid[i2 : i2 + tile, j2 : j2 + tile, k].all()) and (
                        saturation is None or float(patch.max()) <= saturation
                    )
                if redo.any():
                    g_new = _windowed_gradients(img[:, :, k], moved[redo], tile, sigma, window)
                    rest, rho[redo] = _phase_correlate(g_ref[redo], g_new, upsample)
                    sh[redo] = offset[redo] + rest
                shifts[lo : lo + len(part)] = sh
                corr[lo : lo + len(part)] = rho
            good = (corr >= min_correlation) & (np.hypot(shifts[:, 0], shifts[:, 1]) <= max_shift)
            centres = origins[good] + (tile - 1) / 2.0
            shifts = shifts[good]
            corr = corr[good]
        results[names[k]] = ChannelShift(
            names[k],
            np.asarray(centres, dtype=np.float64).reshape(-1, 2),
            np.asarray(shifts, dtype=np.float64).reshape(-1, 2),
            np.asarray(corr, dtype=np.float64),
        )
    return MisregistrationResult(names[ref], results, tile, step, n_candidates)


# --------------------------------------------------------------------------------------
# 2. same-filter seam residual
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeamResult(_ShiftStatistics):
    """Result of :func:`seam_residual`.

    Attributes
    ----------
    shift : tuple of float
        Global ``(dy, dx)`` of layer B against layer A in pixels from all usable overlap
        pixels at once, ``b(u) ≈ a(u - shift)``; NaN when not measurable.
    shift_sigma : tuple of float
        Formal 1-σ uncertainty of ``shift`` in pixels.
    centres : ndarray, shape (n, 2), float64
        Centres ``(row, col)`` of the accepted overlap segments.
    shifts : ndarray, shape (n, 2), float64
        Per-segment ``(dy, dx)`` in pixels.
    sigmas : ndarray, shape (n, 2), float64
        Formal 1-σ uncertainty of the per-segment shifts.
    n_pixels : ndarray, shape (n,), int64
        Usable pixels per accepted segment.
    n_segments_tried : int
        Segments with enough usable pixels to attempt a fit.
    n_overlap : int
        Usable overlap pixels (both layers valid, lit, unsaturated).
    intensity_bias : float
        Median of ``(b - a) / ((a + b) / 2)`` over the usable overlap (relative units).
    intensity_rms : float
        Robust RMS of the same relative difference: ``sqrt(bias² + (1.4826 MAD)²)``.
    """

    shift: tuple[float, float]
    shift_sigma: tuple[float, float]
    centres: NDArray[np.float64]
    shifts: NDArray[np.float64]
    sigmas: NDArray[np.float64]
    n_pixels: NDArray[np.int64]
    n_segments_tried: int
    n_overlap: int
    intensity_bias: float
    intensity_rms: float

    @property
    def n_segments(self) -> int:
        """Accepted segments."""
        return int(self.shifts.shape[0])

    def summary(self) -> dict[str, Any]:
        """JSON-friendly statistics (``None`` for NaN)."""
        return {
            "shift_dy": _json_float(self.shift[0]),
            "shift_dx": _json_float(self.shift[1]),
            "shift_sigma_dy": _json_float(self.shift_sigma[0]),
            "shift_sigma_dx": _json_float(self.shift_sigma[1]),
            "n_segments": self.n_segments,
            "n_segments_tried": self.n_segments_tried,
            "median_px": _json_float(self.median_px),
            "p90_px": _json_float(self.p90_px),
            "n_overlap": self.n_overlap,
            "intensity_bias": _json_float(self.intensity_bias),
            "intensity_rms": _json_float(self.intensity_rms),
        }


@dataclass(frozen=True)
class _Fit:
    shift: NDArray[np.float64]
    sigma: NDArray[np.float64]
    r2: float
    n: int


def _fit_translation(
    a: NDArray[np.float64],
    grad_a: tuple[NDArray[np.float64], NDArray[np.float64]],
    b_val: NDArray[np.float64],
    b_grad: tuple[NDArray[np.float64], NDArray[np.float64]],
    yy: NDArray[np.float64],
    xx: NDArray[np.float64],
    *,
    iterations: int,
    fit_gain: bool,
    max_shift: float,
) -> _Fit | None:
    """Gauss-Newton fit of ``b(u) ≈ g · a(u - s) + o`` over the pixels ``(yy, xx)``.

    ``a`` and its gradients are resampled bilinearly at ``u - s`` every iteration; the
    Jacobian uses the mean of both images' gradients (faster, more symmetric
    convergence). Returns None when the fit is not determined.
    """
    s = np.zeros(2)
    gain, offset = 1.0, 0.0
    for _ in range(iterations):
        ys, xs = yy - s[0], xx - s[1]
        av = _bilinear(a, ys, xs)
        gy = _bilinear(grad_a[0], ys, xs)
        gx = _bilinear(grad_a[1], ys, xs)
        ok = np.isfinite(av) & np.isfinite(gy) & np.isfinite(gx)
        if ok.sum() < 16:
            return None
        av, gy, gx = av[ok], gy[ok], gx[ok]
        bv = b_val[ok]
        jy = -0.5 * (gain * gy + b_grad[0][ok])
        jx = -0.5 * (gain * gx + b_grad[1][ok])
        resid = bv - (gain * av + offset)
        cols = [jy, jx, av, np.ones_like(av)] if fit_gain else [jy, jx, np.ones_like(av)]
        jac = np.stack(cols, axis=1)
        normal = jac.T @ jac
        try:
            delta = np.linalg.solve(normal, jac.T @ resid)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(delta)):
            return None
        s += delta[:2]
        if fit_gain:
            gain += delta[2]
        offset += delta[-1]
        if math.hypot(s[0], s[1]) > max_shift:
            return None
        if math.hypot(delta[0], delta[1]) < 1e-4:
            break
    # final residual and formal covariance at the solution
    ys, xs = yy - s[0], xx - s[1]
    av = _bilinear(a, ys, xs)
    ok = np.isfinite(av)
    n = int(ok.sum())
    n_par = jac.shape[1]
    if n <= n_par + 2:
        return None
    resid = b_val[ok] - (gain * av[ok] + offset)
    rss = float(resid @ resid)
    bc = b_val[ok] - b_val[ok].mean()
    tss = float(bc @ bc)
    r2 = 1.0 - rss / tss if tss > 0 else 0.0
    try:
        cov = np.linalg.inv(normal) * (rss / (n - n_par))
    except np.linalg.LinAlgError:
        return None
    sig = np.sqrt(np.clip(np.diag(cov)[:2], 0.0, None))
    return _Fit(s.copy(), sig, r2, n)


def _segments(overlap: NDArray[np.bool_], length: int, min_pixels: int) -> list[NDArray[np.intp]]:
    """Split each connected overlap region into pieces of ``length`` px along its long axis.

    Returns a list of (n, 2) arrays of ``(row, col)`` pixel indices.
    """
    labels, n_labels = ndi.label(overlap, structure=np.ones((3, 3), bool))
    if n_labels == 0:
        return []
    pieces: list[NDArray[np.intp]] = []
    for sl, lab in zip(ndi.find_objects(labels), range(1, n_labels + 1), strict=True):
        local = np.argwhere(labels[sl] == lab)
        if local.shape[0] < min_pixels:
            continue
        pix = local + np.array([sl[0].start, sl[1].start])
        centred = pix - pix.mean(axis=0)
        # long axis of the region from the pixel scatter
        _, vecs = np.linalg.eigh(centred.T @ centred)
        t = centred @ vecs[:, -1]
        extent = t.max() - t.min()
        n_bins = max(1, round(float(extent) / length))
        edges = np.linspace(t.min(), t.max() + 1e-9, n_bins + 1)
        which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, n_bins - 1)
        pieces.extend(pix[which == b] for b in range(n_bins))
    return pieces


def seam_residual(
    layer_a: ArrayLike,
    layer_b: ArrayLike,
    *,
    weight_a: ArrayLike | None = None,
    weight_b: ArrayLike | None = None,
    segment: int = 64,
    min_overlap: int = 256,
    saturation: float | None = 2300.0,
    min_lit: float = 0.03,
    min_correlation: float = 0.5,
    max_sigma: float = 0.1,
    max_shift: float = 3.0,
    iterations: int = 8,
    fit_gain: bool = True,
) -> SeamResult:
    """Residual misalignment of two same-filter renderings in their overlap strips.

    ``layer_a`` and ``layer_b`` render the *same* filter into the *same* view from
    disjoint sets of framelets (for example even and odd frames). Where both have data
    they should agree; any shift between them is a stitching error. The overlap of
    consecutive framelets is a narrow strip, so the shift is found by least squares:
    minimise ``sum (b(u) - g·a(u - s) - o)²`` over ``s = (dy, dx)`` (plus a gain ``g``
    and offset ``o`` that absorb flat-field differences) by Gauss-Newton iterations
    with bilinear resampling of ``a`` and its gradient.

    Each connected overlap region is split into segments ``segment`` px long along its
    long axis; each segment gets its own shift. A segment counts only if it has at
    least ``min_overlap`` usable pixels, the fit converges within ``max_shift``, the
    model explains the data (``R² >= min_correlation²``) and both shift components have
    a formal uncertainty of at most ``max_sigma`` px (which rejects segments whose
    structure runs along a single direction). A global shift is fitted from all usable
    pixels at once.

    Parameters
    ----------
    layer_a, layer_b : array_like, shape (H, W), float
        The two renderings, linear data, NaN where a layer has no data.
    weight_a, weight_b : array_like, shape (H, W), optional
        Coverage weights or masks; pixels with weight ``<= 0`` have no data.
    segment : int
        Segment length along a strip in pixels.
    min_overlap : int
        Minimum usable pixels of a segment (and of the whole overlap).
    saturation : float or None
        Pixels above this value in either layer are excluded; ``None`` disables.
    min_lit : float
        Pixels below ``min_lit`` times a layer's bright level (99th percentile) are
        excluded as dark sky.
    min_correlation : float
        Minimum correlation (square root of R²) between ``b`` and the fitted model.
    max_sigma : float
        Largest accepted formal 1-σ uncertainty of a segment shift component, px.
    max_shift : float
        Largest plausible shift in pixels; fits that run further are rejected.
    iterations : int
        Maximum Gauss-Newton iterations (each resamples ``a``).
    fit_gain : bool
        Also fit a relative gain (an offset is always fitted).

    Returns
    -------
    SeamResult
        Global and per-segment shifts, ``median_px``/``p90_px``/``n_segments``, and the
        robust relative intensity disagreement. NaN and 0 when nothing is measurable.

    Notes
    -----
    Shifts follow ``b(u) ≈ a(u - shift)``. The pixel noise is not modelled; with
    structure-poor overlaps the formal uncertainty and R² tests do the rejecting.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import ndimage as ndi
    >>> rng = np.random.default_rng(3)
    >>> scene = 800 + 4000 * ndi.gaussian_filter(rng.normal(size=(300, 120)), 2.5)
    >>> a = scene.copy(); a[:, 60:] = np.nan            # left part
    >>> b = ndi.shift(scene, (0.0, 0.25), order=3, mode="nearest"); b[:, :45] = np.nan
    >>> res = seam_residual(a, b)                         # overlap: columns 45..59
    >>> print(f"{res.shift[0]:.2f} {res.shift[1]:.2f}")
    0.00 0.25
    """
    a = np.asarray(layer_a, dtype=np.float64)
    b = np.asarray(layer_b, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"layers must be 2-D and of equal shape, got {a.shape} and {b.shape}")
    valid_a = np.isfinite(a)
    valid_b = np.isfinite(b)
    for name, weight, valid in (("weight_a", weight_a, valid_a), ("weight_b", weight_b, valid_b)):
        if weight is not None:
            w = np.asarray(weight)
            if w.shape != a.shape:
                raise ValueError(f"{name} has shape {w.shape}, expected {a.shape}")
            valid &= w > 0
    a = np.where(valid_a, a, np.nan)
    b = np.where(valid_b, b, np.nan)
    both = valid_a & valid_b
    usable = both.copy()
    bright_a = _bright_level(a[valid_a])
    bright_b = _bright_level(b[valid_b])
    if both.any():
        usable &= np.where(both, a, 0.0) >= min_lit * bright_a
        usable &= np.where(both, b, 0.0) >= min_lit * bright_b
        if saturation is not None:
            usable &= np.where(both, np.maximum(a, b), 0.0) <= saturation

    nan2 = (math.nan, math.nan)
    n_usable = int(usable.sum())
    bias = rms = math.nan
    if n_usable:
        av, bv = a[usable], b[usable]
        rel = (bv - av) / (0.5 * (av + bv))
        bias = float(np.median(rel))
        spread = _MAD_TO_STD * float(np.median(np.abs(rel - bias)))
        rms = math.hypot(bias, spread)

    grad_a = tuple(np.gradient(a))
    grad_b = tuple(np.gradient(b))
    kwargs = {"iterations": int(iterations), "fit_gain": fit_gain, "max_shift": max_shift}

    def fit(pix: NDArray[np.intp]) -> _Fit | None:
        r, c = pix[:, 0], pix[:, 1]
        keep = np.isfinite(grad_b[0][r, c]) & np.isfinite(grad_b[1][r, c])
        r, c = r[keep], c[keep]
        if r.size < min_overlap:
            return None
        return _fit_translation(
            a,
            grad_a,
            b[r, c],
            (grad_b[0][r, c], grad_b[1][r, c]),
            r.astype(np.float64),
            c.astype(np.float64),
            **kwargs,
        )

    def acceptable(f: _Fit | None) -> bool:
        return (
            f is not None
            and f.r2 >= min_correlation**2
            and bool(np.all(f.sigma <= max_sigma))
            and math.hypot(*f.shift) <= max_shift
        )

    centres, shifts, sigmas, counts = [], [], [], []
    tried = 0
    for piece in _segments(both, int(segment), int(min_overlap)):
        pix = piece[usable[piece[:, 0], piece[:, 1]]]
        if pix.shape[0] < min_overlap:
            continue
        tried += 1
        f = fit(pix)
        if not acceptable(f):
            continue
        centres.append(pix.mean(axis=0))
        shifts.append(f.shift)
        sigmas.append(f.sigma)
        counts.append(f.n)

    shift = sigma = nan2
    if n_usable >= min_overlap:
        g = fit(np.argwhere(usable))
        if acceptable(g):
            shift = (float(g.shift[0]), float(g.shift[1]))
            sigma = (float(g.sigma[0]), float(g.sigma[1]))

    return SeamResult(
        shift=shift,
        shift_sigma=sigma,
        centres=np.asarray(centres, dtype=np.float64).reshape(-1, 2),
        shifts=np.asarray(shifts, dtype=np.float64).reshape(-1, 2),
        sigmas=np.asarray(sigmas, dtype=np.float64).reshape(-1, 2),
        n_pixels=np.asarray(counts, dtype=np.int64),
        n_segments_tried=tried,
        n_overlap=n_usable,
        intensity_bias=bias,
        intensity_rms=rms,
    )


# --------------------------------------------------------------------------------------
# 3. limb continuity
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimbTrace:
    """The limb found on one side of the body, one position per profile.

    Attributes
    ----------
    side : {"first", "last"}
        ``"first"``: the sky-to-body edge met first along a profile (left limb for row
        profiles, top limb for column profiles); ``"last"``: the body-to-sky edge met last.
    positions : ndarray, shape (n_profiles,), float64
        Sub-pixel limb position along each profile (column for row profiles, row for
        column profiles); NaN where no limb was found.
    steps : ndarray, shape (n_profiles,), float64
        ``steps[i]``: jump of the limb between profiles ``i - 1`` and ``i`` beyond the
        local trend, measured normal to the limb, in pixels (signed); NaN where not
        measurable. ``steps[0]`` is always NaN.
    at_boundary : ndarray, shape (n_profiles,), bool
        True where the gap between profiles ``i - 1`` and ``i`` is a framelet boundary.
    """

    side: str
    positions: NDArray[np.float64]
    steps: NDArray[np.float64]
    at_boundary: NDArray[np.bool_]


def _step_stats(values: NDArray[np.float64]) -> dict[str, Any]:
    mag = np.abs(values[np.isfinite(values)])
    return {
        "n": int(mag.size),
        "median_px": _median(mag),
        "p90_px": _percentile(mag, 90.0),
        "max_px": float(mag.max()) if mag.size else math.nan,
    }


@dataclass(frozen=True)
class LimbResult:
    """Result of :func:`limb_continuity`.

    Attributes
    ----------
    traces : tuple of LimbTrace
        One trace per analysed side.
    profiles : {"rows", "columns"}
        Whether each profile was an image row or an image column.
    """

    traces: tuple[LimbTrace, ...]
    profiles: str

    def _pooled(self, which: str) -> NDArray[np.float64]:
        parts = []
        for t in self.traces:
            sel = {"all": np.ones_like(t.at_boundary), "boundary": t.at_boundary}.get(
                which, ~t.at_boundary
            )
            parts.append(t.steps[sel])
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def n_steps(self) -> int:
        """Measured gaps between adjacent profiles, all traces pooled."""
        return int(np.isfinite(self._pooled("all")).sum())

    @property
    def median_step_px(self) -> float:
        """Median absolute limb step over all measured gaps (NaN if none)."""
        return _step_stats(self._pooled("all"))["median_px"]

    @property
    def max_step_px(self) -> float:
        """Largest absolute limb step over all measured gaps (NaN if none)."""
        return _step_stats(self._pooled("all"))["max_px"]

    @property
    def boundary(self) -> dict[str, Any]:
        """Step statistics (n, median_px, p90_px, max_px) at framelet boundaries."""
        return _step_stats(self._pooled("boundary"))

    @property
    def elsewhere(self) -> dict[str, Any]:
        """Step statistics (n, median_px, p90_px, max_px) away from framelet boundaries."""
        return _step_stats(self._pooled("elsewhere"))

    def summary(self) -> dict[str, Any]:
        """JSON-friendly statistics (``None`` for NaN)."""

        def clean(d: dict[str, Any]) -> dict[str, Any]:
            return {k: (v if k == "n" else _json_float(v)) for k, v in d.items()}

        return {
            "profiles": self.profiles,
            "sides": [t.side for t in self.traces],
            "all": clean(_step_stats(self._pooled("all"))),
            "boundary": clean(self.boundary),
            "elsewhere": clean(self.elsewhere),
        }


def _first_edges(
    smooth: NDArray[np.float64],
    valid: NDArray[np.bool_],
    threshold: float,
    window: int,
    min_contrast: float,
) -> NDArray[np.float64]:
    """Sub-pixel position of the first dark-to-bright edge in each row of ``smooth``.

    The rough position is the first pixel at or above ``threshold``; it is refined to
    the crossing of the local half level, halfway between the sky (mean of the three
    outermost samples of a ``2 window + 1`` window) and the body (maximum of the inner
    half), by linear interpolation. Rows whose window leaves the data or lacks contrast
    give NaN.
    """
    n, length = smooth.shape
    out = np.full(n, np.nan)
    above = (smooth >= threshold) & valid
    has = above.any(axis=1)
    first = np.argmax(above, axis=1)
    ok = has & (first - window >= 0) & (first + window < length)
    rows = np.nonzero(ok)[0]
    if rows.size == 0:
        return out
    offs = np.arange(-window, window + 1)
    cols = first[rows, None] + offs[None, :]
    win = smooth[rows[:, None], cols]
    win_ok = valid[rows[:, None], cols].all(axis=1)
    sky = win[:, :3].mean(axis=1)
    body = win[:, window:].max(axis=1)
    inner = win[:, window:].mean(axis=1)
    # everything before the rough edge must be sky, the part after it body
    dark_before = win[:, :window].max(axis=1) < threshold
    good = win_ok & dark_before & (body - sky >= min_contrast) & (inner >= threshold)
    half = 0.5 * (sky + body)
    crossing = win >= half[:, None]
    k = np.argmax(crossing, axis=1)
    good &= crossing.any(axis=1) & (k >= 2) & (k <= 2 * window - 1)
    k = np.clip(k, 2, 2 * window - 1)
    r = np.arange(rows.size)
    # cubic through the samples k-2 .. k+1 (at t = -1, 0, 1, 2); the crossing lies in
    # [0, 1]. Start from the linear estimate and polish with a few Newton steps.
    p_m, p0, p1, p2 = (win[r, k + d] - half for d in (-2, -1, 0, 1))
    c0 = p0
    c1 = -p_m / 3.0 - p0 / 2.0 + p1 - p2 / 6.0
    c2 = (p_m + p1) / 2.0 - p0
    c3 = (p2 - p_m) / 6.0 + (p0 - p1) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -p0 / (p1 - p0)
        for _ in range(4):
            value = ((c3 * t + c2) * t + c1) * t + c0
            slope = (3.0 * c3 * t + 2.0 * c2) * t + c1
            t = np.clip(t - value / slope, 0.0, 1.0)
    pos = first[rows] - window + (k - 1) + t
    good &= np.isfinite(pos)
    out[rows[good]] = pos[good]
    return out


def _window_median(values: NDArray[np.float64], half: int, min_count: int) -> NDArray[np.float64]:
    """Median of the finite neighbours ``values[i ± 1..half]`` (excluding ``i``) per ``i``."""
    n = values.size
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    neigh = np.delete(windows, half, axis=1)
    srt = np.sort(neigh, axis=1)  # NaN sort last
    count = np.isfinite(srt).sum(axis=1)
    idx = np.arange(n)
    lo = srt[idx, np.clip((count - 1) // 2, 0, None)]
    hi = srt[idx, np.clip(count // 2, 0, 2 * half - 1)]
    med = 0.5 * (lo + hi)
    return np.where(count >= min_count, med, np.nan)


def _boundary_flags(
    boundaries: ArrayLike | None,
    n_profiles: int,
    positions: NDArray[np.float64],
    image: NDArray[Any] | None,
    tolerance: int,
) -> NDArray[np.bool_]:
    """Which gaps (between profiles ``i - 1`` and ``i``) are framelet boundaries."""
    flags = np.zeros(n_profiles, bool)
    if image is not None:
        # value of the boundary image at the limb on every profile
        length = image.shape[1]
        ok = np.isfinite(positions)
        col = np.clip(np.round(np.where(ok, positions, 0.0)), 0, length - 1).astype(np.intp)
        at_limb = image[np.arange(n_profiles), col]
        if image.dtype == bool:
            flags[1:] = at_limb[1:] & ok[1:]
        else:  # labels: a boundary wherever the label changes
            flags[1:] = (at_limb[1:] != at_limb[:-1]) & ok[1:] & ok[:-1]
    elif boundaries is not None:
        arr = np.asarray(boundaries)
        if arr.dtype == bool:
            if arr.shape != (n_profiles,):
                raise ValueError(
                    f"a boolean boundaries vector needs shape ({n_profiles},), got {arr.shape}"
                )
            flags = arr.copy()
        else:
            idx = arr.astype(np.intp).ravel()
            idx = idx[(idx >= 0) & (idx < n_profiles)]
            flags[idx] = True
    if tolerance > 0 and flags.any():
        flags = ndi.binary_dilation(flags, iterations=int(tolerance))
    flags[0] = False
    return flags


def limb_continuity(
    image: ArrayLike,
    coverage: ArrayLike | None = None,
    *,
    profiles: Literal["rows", "columns"] = "rows",
    side: Literal["first", "last", "both"] = "both",
    channel: int | None = None,
    boundaries: ArrayLike | None = None,
    boundary_tolerance: int = 0,
    sigma: float = 1.5,
    threshold: float = 0.25,
    window: int = 10,
    half_width: int = 8,
    min_contrast: float = 0.1,
    max_slope: float = 3.0,
) -> LimbResult:
    """Continuity of a bright body's limb across framelet boundaries.

    Every image row (``profiles="rows"``) or column (``"columns"``) is one profile
    across the limb. Each profile is smoothed with a 1-D Gaussian (``sigma``) *along
    the profile only*, so that steps between profiles are not blurred away. The limb
    position on a profile is where the smoothed profile crosses half-way between the
    local sky and the local body level, with linear sub-pixel interpolation.

    The step at gap ``i`` (between profiles ``i - 1`` and ``i``) is the difference of
    the two positions minus the local trend, which is the median of the neighbouring
    differences within ``half_width`` profiles on either side. The median ignores other
    isolated steps nearby, and a smoothly curving limb leaves no residual. Steps are
    converted to the distance normal to the limb, ``step / sqrt(1 + slope²)``; gaps
    where the limb runs at more than ``max_slope`` px per profile (nearly along the
    profiles) are skipped.

    Parameters
    ----------
    image : array_like, shape (H, W) or (H, W, C), float
        Linear image; NaN marks pixels without data.
    coverage : array_like, shape (H, W) or (H, W, C), optional
        Coverage weights or mask; pixels with ``coverage <= 0`` have no data.
    profiles : {"rows", "columns"}
        Direction of the profiles. Choose it so that framelet boundaries lie *between*
        adjacent profiles: boundaries along image rows -> ``"rows"``.
    side : {"first", "last", "both"}
        Which limb crossing(s) to use: the first sky-to-body edge along each profile,
        the last body-to-sky edge, or both (e.g. both edges of a disk).
    channel : int, optional
        Channel of a colour image to use; default the mean of all channels.
    boundaries : array_like, optional
        Where framelet boundaries fall, in one of four forms:

        * profile indices ``i``: a boundary between profiles ``i - 1`` and ``i``;
        * a boolean vector of length ``n_profiles``, True at such ``i``;
        * a boolean image, shape (H, W), True on the first pixel row (column) of each
          new framelet: gap ``i`` is a boundary if the image is True at the limb on
          profile ``i``;
        * an integer label image, shape (H, W), e.g. the index of the framelet that
          contributes most to each pixel: gap ``i`` is a boundary if the labels at the
          limb differ between profiles ``i - 1`` and ``i``.
    boundary_tolerance : int
        Also count gaps within this many profiles of a boundary as boundary gaps.
    sigma : float
        Gaussian smoothing along the profile, in pixels.
    threshold : float
        Rough detection level as a fraction of the image's bright level (99th
        percentile); the sky in front of the limb must stay below it.
    window : int
        Half-width in pixels of the window used to refine the edge.
    half_width : int
        Neighbouring gaps on each side used for the local trend.
    min_contrast : float
        Minimum body-minus-sky contrast, as a fraction of the bright level.
    max_slope : float
        Largest limb slope (pixels of position change per profile) still measured.

    Returns
    -------
    LimbResult
        Per-side traces (positions, signed steps, boundary flags) and pooled
        statistics: ``median_step_px``, ``max_step_px``, ``boundary`` and ``elsewhere``.

    Notes
    -----
    Limitations: the detector assumes one dark-to-bright transition per profile side;
    moons, stars or bright rings in the sky in front of the limb, or a body that fills
    the profile, give no or wrong positions. The half-level edge follows the body's
    brightness profile, so a terminator (a soft, gradual edge) is noisier than a sharp
    limb, and a body's own bright or dark features close to the limb can bias a
    profile. Steps closer than ``half_width`` profiles to the end of a trace or to a
    gap in it rely on fewer neighbours. A step is only seen if it is larger than the
    position noise (a few hundredths of a pixel on clean data).

    Examples
    --------
    >>> import numpy as np
    >>> yy, xx = np.mgrid[0:200, 0:200]
    >>> disk = np.clip(80.5 - np.hypot(yy - 100.0, xx - 100.0), 0, 1) * 1000.0
    >>> disk[110:, :] = np.roll(disk[110:, :], 1, axis=1)   # 1 px jump below row 110
    >>> res = limb_continuity(disk, boundaries=[110])
    >>> print(f"{res.boundary['median_px']:.1f} {res.elsewhere['max_px'] < 0.1}")
    1.0 True
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 3:
        valid3 = np.isfinite(img) & _check_coverage(coverage, img.shape)
        if channel is None:
            data = img.mean(axis=2)
            valid = valid3.all(axis=2)
        else:
            data = img[:, :, int(channel)]
            valid = valid3[:, :, int(channel)]
    elif img.ndim == 2:
        data = img
        valid = np.isfinite(img)
        if coverage is not None:
            cov = np.asarray(coverage)
            if cov.shape != img.shape:
                raise ValueError(f"coverage has shape {cov.shape}, expected {img.shape}")
            valid &= cov > 0
    else:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    if profiles not in ("rows", "columns"):
        raise ValueError(f"profiles must be 'rows' or 'columns', got {profiles!r}")
    if side not in ("first", "last", "both"):
        raise ValueError(f"side must be 'first', 'last' or 'both', got {side!r}")

    mask = None
    if boundaries is not None:
        arr = np.asarray(boundaries)
        if arr.ndim == 2:
            if arr.shape != data.shape:
                raise ValueError(f"boundary image has shape {arr.shape}, expected {data.shape}")
            if arr.dtype != bool and not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"a boundary image must be boolean or integer, not {arr.dtype}")
            mask = arr
    if profiles == "columns":
        data, valid = data.T, valid.T
        mask = None if mask is None else mask.T

    filled = np.where(valid, data, 0.0)
    smooth = ndi.gaussian_filter1d(filled, sigma, axis=1, mode="nearest")
    bright = _bright_level(smooth[valid])
    n_profiles, length = smooth.shape
    sides = ("first", "last") if side == "both" else (side,)
    traces = []
    for which in sides:
        if not math.isfinite(bright) or bright <= 0:
            pos = np.full(n_profiles, np.nan)
        elif which == "first":
            pos = _first_edges(smooth, valid, threshold * bright, window, min_contrast * bright)
        else:
            flipped = _first_edges(
                smooth[:, ::-1], valid[:, ::-1], threshold * bright, window, min_contrast * bright
            )
            pos = (length - 1) - flipped
        diff = np.full(n_profiles, np.nan)
        diff[1:] = pos[1:] - pos[:-1]
        trend = _window_median(diff, half_width, min_count=2 * half_width)
        steps = (diff - trend) / np.sqrt(1.0 + trend**2)
        steps[~(np.abs(trend) <= max_slope)] = np.nan
        flags = _boundary_flags(boundaries, n_profiles, pos, mask, boundary_tolerance)
        traces.append(LimbTrace(which, pos, steps, flags))
    return LimbResult(tuple(traces), profiles)
