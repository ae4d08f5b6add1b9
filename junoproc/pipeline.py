"""The default processing chain, composed from the public stages.

``process`` reads a product and runs load -> decompand -> separate filters ->
stitch -> (later: colour) and returns a :class:`Processed` container holding
linear data, coverage, metadata and the processing history. ``save`` stretches
and writes it. Each stage is also available on its own: see :mod:`junoproc.io`,
:mod:`junoproc.decompand`, :mod:`junoproc.framelets`, :mod:`junoproc.stretch`
and :mod:`junoproc.writers`.

Examples
--------
>>> import numpy as np
>>> from junoproc.io import RawImage
>>> from junoproc.metadata import parse_metadata
>>> meta = parse_metadata({"PRODUCT_ID": "JNCE_2022186_43C00080_V01",
...     "START_TIME": "2022-07-05T12:17:39.223", "INTERFRAME_DELAY": "0.372 <s>",
...     "EXPOSURE_DURATION": "9.6 <ms>", "FILTER_NAME": ["BLUE", "GREEN", "RED"],
...     "LINES": 768})
>>> raw = RawImage(np.full((768, 1648), 24, np.uint8), meta, source="memory")
>>> result = process(raw, stitch="quicklook", trim_rows=0)
>>> result.image.shape, result.channels, float(result.image.max())
((256, 1608, 3), ('RED', 'GREEN', 'BLUE'), 25.0)
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._progress import Progress
from .decompand import decompand
from .framelets import FilterStack, quicklook_composite, separate_filters
from .io import RawImage, load
from .metadata import Metadata

__all__ = [
    "CALIBRATIONS",
    "STITCH_METHODS",
    "VIEWS",
    "Processed",
    "decompand_raw",
    "process",
    "save",
]

logger = logging.getLogger(__name__)

#: Stitching methods ``process`` knows.
STITCH_METHODS: tuple[str, ...] = ("spin", "quicklook")
#: Views ``process`` can render.
VIEWS: tuple[str, ...] = ("panorama", "perspective")
#: Calibration levels of ``process``.
CALIBRATIONS: tuple[str, ...] = ("rate", "full", "none")

#: Output channel order for colour products (R, G, B).
_RGB = ("RED", "GREEN", "BLUE")


@dataclasses.dataclass(frozen=True)
class Processed:
    """A processed product: linear image, coverage and provenance.

    Attributes
    ----------
    image : (rows, cols, n_channels) or (rows, cols) float32 ndarray
        Linear DN; NaN where no data.
    coverage : (rows, cols) float32 ndarray
        Fraction of the channels with data at each pixel (0 = no data, 1 = all).
    channels : tuple of str
        Filter of each channel, e.g. ``("RED", "GREEN", "BLUE")`` or ``("METHANE",)``.
    metadata : Metadata
    history : tuple of (str, dict)
        Each stage that ran, with its parameters.
    report : Mapping
        Measured values (filled by later stages: fitted calibration, quality).
    """

    image: np.ndarray
    coverage: np.ndarray
    channels: tuple[str, ...]
    metadata: Metadata
    history: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    report: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def with_step(self, name: str, **params: Any) -> Processed:
        """A copy with one more history entry."""
        return dataclasses.replace(self, history=(*self.history, (name, dict(params))))


def decompand_raw(raw: RawImage, *, bin_centres: bool = False) -> np.ndarray:
    """Linear DN of a raw product, honouring its companding mode.

    16-bit products (PDS RDR) are linear already and are returned as float32.

    Parameters
    ----------
    raw : RawImage
    bin_centres : bool
        See :func:`junoproc.decompand.decompand`.

    Returns
    -------
    linear : (lines, 1648) float32 ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "3.2 <ms>",
    ...     "FILTER_NAME": ["METHANE"], "LINES": 128})
    >>> decompand_raw(RawImage(np.full((128, 1648), 255, np.uint8), meta, "m"))[0, :2]
    array([2879., 2879.], dtype=float32)
    """
    if raw.data.dtype != np.uint8:
        return raw.data.astype(np.float32)
    return decompand(raw.data, mode=raw.metadata.companding, bin_centres=bin_centres)


def _channels(stacks: Mapping[str, FilterStack]) -> tuple[str, ...]:
    colour = tuple(c for c in _RGB if c in stacks)
    return colour if colour else tuple(stacks)


def process(
    source: str | os.PathLike[str] | RawImage,
    *,
    stitch: str = "spin",
    view: str = "panorama",
    scale: float = 1.0,
    calibrate: str = "rate",
    quality: bool = True,
    bin_centres: bool = False,
    trim_rows: int = 2,
    camera: Any = None,
    progress: Progress = False,
) -> Processed:
    """Run the default chain on one product.

    Parameters
    ----------
    source : path or RawImage
        Anything :func:`junoproc.io.load` accepts (PNG, JSON, zip, PDS label, folder,
        product id), or a product loaded already.
    stitch : {"spin", "quicklook"}
        ``"spin"`` (default) renders the framelets geometrically with the camera model and
        a spin model fitted to the image: seamless, with registered colours.
        ``"quicklook"`` stacks each filter's framelets in frame order with no geometry.
    view : {"panorama", "perspective"}
        ``"panorama"``: the whole strip as an equirectangular panorama about the spin axis.
        ``"perspective"``: a pinhole view pointed at the target.
    scale : float
        Output pixels per camera pixel.
    calibrate : {"rate", "full", "none"}
        ``"rate"`` fits the spin rate and CCD twist from framelet overlaps (fast);
        ``"full"`` also fits each filter's optical-centre offset and focal scale from
        features seen through several filters; ``"none"`` keeps the starting values.
    quality : bool
        Measure colour misregistration and seam residual into ``report``.
    bin_centres : bool
        Decompand to bin centres; see :func:`junoproc.decompand.decompand`.
    trim_rows : int
        Rows dropped at the top and bottom of each framelet.
    camera : CameraModel, optional
        Camera model to use instead of the IK's built-in one.
    progress : bool or callable
        Show progress for long stages (tqdm if installed).

    Returns
    -------
    Processed

    Raises
    ------
    JunoprocError
        Bad input (see :func:`junoproc.io.load`).
    ValueError
        Unknown option value.
    """
    for name, value, choices in (
        ("stitch", stitch, STITCH_METHODS),
        ("view", view, VIEWS),
        ("calibrate", calibrate, CALIBRATIONS),
    ):
        if value not in choices:
            raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")
    raw = source if isinstance(source, RawImage) else load(source)
    meta = raw.metadata
    history: list[tuple[str, Mapping[str, Any]]] = [("load", {"source": raw.source})]
    linear = decompand_raw(raw, bin_centres=bin_centres)
    history.append(("decompand", {"mode": meta.companding, "bin_centres": bin_centres}))
    stacks = separate_filters(linear, meta)
    history.append(("separate_filters", {"filters": list(meta.filters)}))
    channels = _channels(stacks)
    if stitch == "quicklook":
        image = quicklook_composite(stacks, channels=channels, trim_rows=trim_rows)
        coverage = np.ones(image.shape[:2], dtype=np.float32)
        history.append(("stitch", {"method": stitch, "trim_rows": trim_rows}))
        return Processed(image, coverage, channels, meta, tuple(history), {"stitch": stitch})
    return _process_spin(
        stacks,
        meta,
        channels,
        history,
        view=view,
        scale=scale,
        calibrate=calibrate,
        quality=quality,
        trim_rows=trim_rows,
        camera=camera,
        progress=progress,
    )


def _process_spin(
    stacks, meta, channels, history, *, view, scale, calibrate, quality, trim_rows, camera, progress
) -> Processed:
    from .calibrate import fit_filter_terms, fit_spin_rate, geometry_for
    from .render import panorama_view, perspective_view, render

    report: dict[str, Any] = {"stitch": "spin"}
    geometry = geometry_for(meta, camera=camera)
    if calibrate != "none":
        geometry, spin = fit_spin_rate(stacks, geometry)
        report["spin_fit"] = spin.summary()
        if calibrate == "full" and len(channels) > 1:
            geometry, terms = fit_filter_terms(stacks, geometry)
            geometry, spin = fit_spin_rate(stacks, geometry)
            report["filter_fit"] = terms.summary()
            report["spin_fit"] = spin.summary()
    history.append(("calibrate", {"level": calibrate}))
    if view == "panorama":
        out_view = panorama_view(geometry, scale=scale)
    else:
        coarse = render(stacks, geometry, panorama_view(geometry, scale=0.25), trim_rows=trim_rows)
        out_view = perspective_view(geometry, image=coarse, scale=scale)
    rendered = render(
        stacks, geometry, out_view, filters=channels, trim_rows=trim_rows, progress=progress
    )
    history.append(
        (
            "stitch",
            {
                "method": "spin",
                "view": view,
                "scale": scale,
                "trim_rows": trim_rows,
                "shape": list(out_view.shape),
            },
        )
    )
    report["view"] = {"kind": view, "shape": list(out_view.shape)}
    report["geometry"] = {
        "spin_rate_deg_s": float(np.degrees(geometry.pointing.rate_rad_s)),
        "axis_tilt_mrad": [a * 1e3 for a in geometry.pointing.axis_tilt_rad],
    }
    if quality:
        report["quality"] = _quality_report(stacks, geometry, rendered, out_view, trim_rows)
    image = rendered.image if len(channels) > 1 else rendered.image[..., 0]
    coverage = rendered.coverage.min(axis=-1)
    logger.info("%s: spin stitch %s %s", meta.product_id, view, out_view.shape)
    return Processed(image, coverage, channels, meta, tuple(history), report)


def _quality_report(stacks, geometry, rendered, view, trim_rows) -> dict[str, Any]:
    """Colour misregistration (colour products) and seam residual (every filter)."""
    from .quality import channel_misregistration, seam_residual
    from .render import render

    out: dict[str, Any] = {}
    channels = rendered.channels
    if len(channels) > 1 and "GREEN" in channels:
        mis = channel_misregistration(
            rendered.image, rendered.coverage, channels=channels, reference="GREEN"
        )
        out["misregistration"] = mis.summary()
    frames = np.arange(geometry.n_frames)
    seams = {}
    for f in channels:
        even = render(stacks, geometry, view, filters=(f,), trim_rows=trim_rows, frames=frames[::2])
        odd = render(stacks, geometry, view, filters=(f,), trim_rows=trim_rows, frames=frames[1::2])
        seams[f] = seam_residual(
            even.image[..., 0],
            odd.image[..., 0],
            weight_a=even.coverage[..., 0],
            weight_b=odd.coverage[..., 0],
        ).summary()
    out["seam_residual"] = seams
    return out


def save(
    result: Processed,
    path: str | os.PathLike[str],
    *,
    method: str = "asinh",
    percentile: tuple[float, float] = (0.5, 99.8),
    preset: str | None = None,
    weights: Sequence[float] | None = None,
    gamma: float | None = None,
    bit_depth: int = 8,
    alpha: bool = True,
    overwrite: bool = False,
) -> Path:
    """Stretch a processed product and write it (PNG, TIFF or FITS by suffix).

    PNG and TIFF get the stretched picture (8 or 16 bit), with coverage as an alpha
    channel when ``alpha`` is true so no-data is never mistaken for black sky. FITS
    gets the *linear* data as a (channel, row, col) float32 cube. Every format
    carries the metadata and the processing history.

    Parameters
    ----------
    result : Processed
    path : path-like
        Output file; its suffix picks the format.
    method, percentile, preset, weights, gamma
        Passed to :func:`junoproc.stretch.stretch`.
    bit_depth : {8, 16}
    alpha : bool
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        The written file.
    """
    from .stretch import stretch
    from .writers import write_image

    path = Path(path)
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, got {bit_depth}")
    history = [*result.history]
    suffix = path.suffix.lower()
    if suffix in (".fits", ".fit", ".fts"):
        data = result.image
        if data.ndim == 3:
            data = np.moveaxis(data, -1, 0)
        return _write(write_image, path, data, result, history, overwrite=overwrite)
    valid = result.coverage > 0
    out_dtype = np.uint8 if bit_depth == 8 else np.uint16
    params = {
        "method": method,
        "percentile": list(percentile),
        "preset": preset,
        "weights": None if weights is None else list(weights),
        "gamma": gamma,
        "bit_depth": bit_depth,
    }
    picture = stretch(
        result.image,
        method=method,
        percentile=percentile,
        preset=preset,
        weights=weights,
        gamma=gamma,
        mask=valid,
        out_dtype=out_dtype,
    )
    history.append(("stretch", params))
    if alpha:
        top = np.iinfo(out_dtype).max
        a = (np.clip(result.coverage, 0, 1) * top + 0.5).astype(out_dtype)
        planes = [picture] if picture.ndim == 2 else list(np.moveaxis(picture, -1, 0))
        picture = np.stack([*([planes[0]] * 3 if len(planes) == 1 else planes), a], axis=-1)
    return _write(write_image, path, picture, result, history, overwrite=overwrite)


def _write(
    writer: Any,
    path: Path,
    data: np.ndarray,
    result: Processed,
    history: list[tuple[str, Mapping[str, Any]]],
    *,
    overwrite: bool,
) -> Path:
    writer(path, data, metadata=result.metadata, history=history, overwrite=overwrite)
    logger.info("wrote %s", path)
    return path
