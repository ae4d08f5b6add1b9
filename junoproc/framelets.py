"""Separating a raw strip into per-filter framelet stacks, with framelet times.

A JunoCam raw strip is a column of framelets in time order. Each frame (one
exposure) contributes one framelet per filter, in ``FILTER_NAME`` order: an RGB
product's frame is BLUE rows 0-127, GREEN 128-255, RED 256-383; a methane
product's frame is one 128-row framelet. Summed products (``SAMPLING_FACTOR`` 2)
have 64-row framelets.

Frame times follow the IK "Timing" section: frame ``k`` (0-based) of every filter
starts at ``START_TIME + 0.06188 s + k (INTERFRAME_DELAY + 0.001 s)``.

Examples
--------
>>> import numpy as np
>>> from junoproc.metadata import parse_metadata
>>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "9.6 <ms>",
...     "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 768})
>>> strip = np.zeros((768, 1648), dtype=np.uint8)
>>> stacks = separate_filters(strip, meta)
>>> {name: s.data.shape for name, s in stacks.items()}
{'BLUE': (2, 128, 1648), 'GREEN': (2, 128, 1648), 'RED': (2, 128, 1648)}
>>> stacks["RED"].times_s
array([0.06188, 0.43488])
"""

from __future__ import annotations

import dataclasses

import numpy as np
from astropy.time import Time, TimeDelta

from .camera import INTERFRAME_DELTA_S, PHOTOACTIVE_COLUMNS, START_TIME_BIAS_S
from .metadata import LINE_SAMPLES, Metadata

__all__ = [
    "INTERFRAME_DELTA_S",
    "PHOTOACTIVE_COLUMNS",
    "START_TIME_BIAS_S",
    "FilterStack",
    "frame_times",
    "quicklook_composite",
    "separate_filters",
    "split_framelets",
]


@dataclasses.dataclass(frozen=True)
class FilterStack:
    """The framelets of one filter, in frame order, with their times.

    Attributes
    ----------
    filter : str
        ``"BLUE"``, ``"GREEN"``, ``"RED"`` or ``"METHANE"``.
    data : (n_frames, rows, 1648) ndarray
        Framelets; dtype as given (uint8 codes or float32 linear DN). Read-only view
        of the strip when the strip was read-only.
    frame_index : (n_frames,) int ndarray
        0-based frame number of each framelet.
    times_s : (n_frames,) float64 ndarray
        Seconds after ``start_time`` (START_TIME): the frame start with the IK bias and
        delta, plus half the exposure when separated with ``exposure_centre=True``.
    start_time : astropy.time.Time
        The product's START_TIME (UTC).

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> raw = load_sample("io-pj57")
    >>> red = separate_filters(raw.data, raw.metadata)["RED"]
    >>> red.n_frames, red.data.shape[1:], red.times[0].isot
    (14, (128, 1648), '2023-12-30T08:39:21.579')
    """

    filter: str
    data: np.ndarray
    frame_index: np.ndarray
    times_s: np.ndarray
    start_time: Time

    @property
    def times(self) -> Time:
        """Absolute framelet times as :class:`astropy.time.Time` (UTC)."""
        return self.start_time + TimeDelta(self.times_s, format="sec")

    @property
    def n_frames(self) -> int:
        """Number of framelets in the stack."""
        return int(self.data.shape[0])


def split_framelets(strip: np.ndarray, *, framelet_height: int = 128) -> np.ndarray:
    """Cut a strip into its framelets, in strip order.

    Parameters
    ----------
    strip : (lines, 1648) ndarray
        A raw strip of any dtype.
    framelet_height : int
        Rows per framelet (128, or 64 for summed products).

    Returns
    -------
    framelets : (lines // framelet_height, framelet_height, 1648) ndarray
        A view of ``strip`` (no copy).

    Raises
    ------
    ValueError
        ``strip`` is not 2-D or its height is not a multiple of ``framelet_height``.

    Examples
    --------
    >>> import numpy as np
    >>> split_framelets(np.zeros((256, 1648), np.uint8)).shape
    (2, 128, 1648)
    """
    arr = np.asarray(strip)
    if arr.ndim != 2:
        raise ValueError(f"strip must be 2-D (lines, samples), got shape {arr.shape}")
    if framelet_height <= 0 or arr.shape[0] % framelet_height:
        raise ValueError(
            f"strip height {arr.shape[0]} is not a multiple of the framelet height "
            f"{framelet_height}"
        )
    return arr.reshape(arr.shape[0] // framelet_height, framelet_height, arr.shape[1])


def frame_times(
    metadata: Metadata,
    *,
    frames: np.ndarray | None = None,
    exposure_centre: bool = False,
    bias_s: float = START_TIME_BIAS_S,
    delta_s: float = INTERFRAME_DELTA_S,
) -> np.ndarray:
    """Times of frames, in seconds after START_TIME.

    ``t_k = bias + k (INTERFRAME_DELAY + delta)``, plus ``EXPOSURE_DURATION / 2`` when
    ``exposure_centre`` is true (the time-delay-integration exposure is centred there).

    Parameters
    ----------
    metadata : Metadata
    frames : (n,) int array_like, optional
        0-based frame numbers; all frames by default.
    exposure_centre : bool
        Add half the exposure duration.
    bias_s, delta_s : float
        START_TIME bias and INTERFRAME_DELAY correction; the IK's values by default.

    Returns
    -------
    times_s : (n,) float64 ndarray

    Examples
    --------
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "9.6 <ms>",
    ...     "FILTER_NAME": ["METHANE"], "LINES": 384})
    >>> frame_times(meta)
    array([0.06188, 0.43488, 0.80788])
    >>> frame_times(meta, frames=[1], exposure_centre=True)
    array([0.43968])
    """
    k = np.arange(metadata.n_frames) if frames is None else np.asarray(frames)
    t = bias_s + k.astype(np.float64) * (metadata.interframe_delay_s + delta_s)
    if exposure_centre:
        t = t + metadata.exposure_s / 2.0
    return t


def separate_filters(
    strip: np.ndarray,
    metadata: Metadata,
    *,
    exposure_centre: bool = False,
) -> dict[str, FilterStack]:
    """Separate a strip into one framelet stack per filter.

    Parameters
    ----------
    strip : (lines, 1648) ndarray
        The raw strip (uint8 codes) or its decompanded version (float32); any dtype.
    metadata : Metadata
        Gives the filter order, framelet height and frame timing.
    exposure_centre : bool
        Report times at the centre of each exposure instead of its start.

    Returns
    -------
    stacks : dict of str -> FilterStack
        One entry per filter, in ``metadata.filters`` order. ``data`` are views of
        ``strip`` of shape ``(n_frames, framelet_height, 1648)``.

    Raises
    ------
    ValueError
        The strip's shape does not match the metadata.

    See Also
    --------
    junoproc.decompand.decompand : usually applied first.
    quicklook_composite : a first look at the stacks.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:18:09.446",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "102.4 <ms>",
    ...     "FILTER_NAME": ["METHANE"], "LINES": 384})
    >>> stacks = separate_filters(np.zeros((384, 1648), np.uint8), meta)
    >>> stacks["METHANE"].data.shape, stacks["METHANE"].frame_index
    ((3, 128, 1648), array([0, 1, 2]))
    """
    arr = np.asarray(strip)
    expected = (metadata.lines, metadata.line_samples)
    if arr.ndim != 2 or arr.shape != expected:
        raise ValueError(
            f"strip of {metadata.product_id} has shape {arr.shape}, metadata says {expected}"
        )
    if arr.shape[1] != LINE_SAMPLES:
        raise ValueError(f"strip is {arr.shape[1]} samples wide, JunoCam lines have {LINE_SAMPLES}")
    n_filters = len(metadata.filters)
    framelets = split_framelets(arr, framelet_height=metadata.framelet_height)
    per_frame = framelets.reshape(metadata.n_frames, n_filters, *framelets.shape[1:])
    frames = np.arange(metadata.n_frames)
    times = frame_times(metadata, exposure_centre=exposure_centre)
    times.setflags(write=False)
    frames.setflags(write=False)
    return {
        name: FilterStack(
            filter=name,
            data=per_frame[:, i],
            frame_index=frames,
            times_s=times,
            start_time=metadata.start_time,
        )
        for i, name in enumerate(metadata.filters)
    }


def quicklook_composite(
    stacks: dict[str, FilterStack],
    *,
    channels: tuple[str, ...] = ("RED", "GREEN", "BLUE"),
    trim_rows: int = 0,
    photoactive_only: bool = True,
) -> np.ndarray:
    """A quick look: each filter's framelets stacked in frame order, no geometry.

    This is *not* a geometric stitch: the filters see a given direction at different
    times and the lens distortion is not removed, so colours are misregistered and
    framelet seams show. It is meant for a first glance at a product.

    Parameters
    ----------
    stacks : dict of str -> FilterStack
        From :func:`separate_filters`.
    channels : tuple of str
        Filters to use as output channels, in order. Filters absent from ``stacks``
        are dropped; with a single filter present the result is 2-D.
    trim_rows : int
        Rows to drop at the top and bottom of every framelet (edge rows are often noisy).
    photoactive_only : bool
        Keep only :data:`PHOTOACTIVE_COLUMNS`.

    Returns
    -------
    image : (n_frames * rows, cols, n_channels) or (n_frames * rows, cols) float32 ndarray

    Raises
    ------
    ValueError
        None of ``channels`` is in ``stacks``, or the stacks differ in shape.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
    ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "9.6 <ms>",
    ...     "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 768})
    >>> stacks = separate_filters(np.ones((768, 1648), np.float32), meta)
    >>> quicklook_composite(stacks, trim_rows=2).shape
    (248, 1608, 3)
    """
    present = [c for c in channels if c in stacks]
    if not present:
        raise ValueError(f"none of the channels {channels} is among the filters {tuple(stacks)}")
    shapes = {stacks[c].data.shape for c in present}
    if len(shapes) != 1:
        raise ValueError(f"filter stacks differ in shape: {sorted(shapes)}")
    planes = []
    for c in present:
        data = stacks[c].data
        rows = data.shape[1]
        if not 0 <= 2 * trim_rows < rows:
            raise ValueError(f"trim_rows={trim_rows} leaves nothing of {rows}-row framelets")
        data = data[:, trim_rows : rows - trim_rows]
        if photoactive_only:
            data = data[..., PHOTOACTIVE_COLUMNS]
        planes.append(data.reshape(-1, data.shape[-1]).astype(np.float32))
    if len(planes) == 1:
        return planes[0]
    return np.stack(planes, axis=-1)
