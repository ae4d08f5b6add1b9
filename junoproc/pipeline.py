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
>>> result = process(raw, stitch="quicklook")
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

__all__ = ["STITCH_METHODS", "Processed", "decompand_raw", "process", "save"]

logger = logging.getLogger(__name__)

#: Stitching methods ``process`` knows.
STITCH_METHODS: tuple[str, ...] = ("quicklook",)

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
    stitch: str = "quicklook",
    bin_centres: bool = False,
    trim_rows: int = 0,
    progress: Progress = False,
) -> Processed:
    """Run the default chain on one product.

    Parameters
    ----------
    source : path or RawImage
        Anything :func:`junoproc.io.load` accepts (PNG, JSON, zip, PDS label, folder,
        product id), or a product loaded already.
    stitch : {"quicklook"}
        How framelets become one image. ``"quicklook"`` stacks each filter's framelets
        in frame order with no geometry (colour fringes and seams remain).
    bin_centres : bool
        Decompand to bin centres; see :func:`junoproc.decompand.decompand`.
    trim_rows : int
        Rows dropped at the top and bottom of each framelet in the quick look.
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
        Unknown ``stitch``.
    """
    if stitch not in STITCH_METHODS:
        raise ValueError(f"stitch={stitch!r} is not one of {', '.join(STITCH_METHODS)}")
    raw = source if isinstance(source, RawImage) else load(source)
    meta = raw.metadata
    history: list[tuple[str, Mapping[str, Any]]] = [("load", {"source": raw.source})]
    linear = decompand_raw(raw, bin_centres=bin_centres)
    history.append(("decompand", {"mode": meta.companding, "bin_centres": bin_centres}))
    stacks = separate_filters(linear, meta)
    history.append(("separate_filters", {"filters": list(meta.filters)}))
    channels = _channels(stacks)
    image = quicklook_composite(stacks, channels=channels, trim_rows=trim_rows)
    coverage = np.ones(image.shape[:2], dtype=np.float32)
    history.append(("stitch", {"method": stitch, "trim_rows": trim_rows}))
    logger.info("%s: %s image %s", meta.product_id, stitch, image.shape)
    return Processed(
        image=image,
        coverage=coverage,
        channels=channels,
        metadata=meta,
        history=tuple(history),
        report={"stitch": stitch},
    )


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
