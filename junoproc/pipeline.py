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
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._accel import append_alpha
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
    "process_pair",
    "save",
]

logger = logging.getLogger(__name__)

#: Stitching methods ``process`` knows.
STITCH_METHODS: tuple[str, ...] = ("spin", "quicklook")
#: Views ``process`` can render.
VIEWS: tuple[str, ...] = ("panorama", "perspective")
#: Calibration levels of ``process``.
CALIBRATIONS: tuple[str, ...] = ("offsets", "rate", "full", "none")

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
        Measured values: fitted calibration, quality measures, view.
    view : EquirectangularView or PerspectiveView or None
        The rendered view (maps output pixels to directions); None for the quick look.
    geometry : StripGeometry or None
        The fitted camera, spin model and frame times; None for the quick look.
    """

    image: np.ndarray
    coverage: np.ndarray
    channels: tuple[str, ...]
    metadata: Metadata
    history: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    report: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    view: Any = None
    geometry: Any = None

    def view_step(self) -> float:
        """Angular size of an output pixel (radians) at the view's centre."""
        if self.view is None:
            raise ValueError("a quick look has no view")
        return float(getattr(self.view, "step_rad", None) or 1.0 / self.view.focal_px)

    def with_step(self, name: str, **params: Any) -> Processed:
        """A copy with one more history entry."""
        return dataclasses.replace(self, history=(*self.history, (name, dict(params))))


def decompand_raw(
    raw: RawImage, *, bin_centres: bool = False, out: np.ndarray | None = None
) -> np.ndarray:
    """Linear DN of a raw product, honouring its companding mode.

    16-bit products (PDS RDR) are linear already and are returned as float32.

    Parameters
    ----------
    raw : RawImage
    bin_centres : bool
        See :func:`junoproc.decompand.decompand`.
    out : float32 ndarray, optional
        Contiguous array of the strip's shape to write the result into (returned).

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
        if out is None:
            return raw.data.astype(np.float32)
        if out.shape != raw.data.shape or out.dtype != np.float32:
            raise ValueError(
                f"out must be float32 of shape {raw.data.shape}, got {out.dtype} {out.shape}"
            )
        np.copyto(out, raw.data)
        return out
    return decompand(raw.data, mode=raw.metadata.companding, bin_centres=bin_centres, out=out)


def _channels(stacks: Mapping[str, FilterStack]) -> tuple[str, ...]:
    colour = tuple(c for c in _RGB if c in stacks)
    return colour if colour else tuple(stacks)


def process(
    source: str | os.PathLike[str] | RawImage,
    *,
    stitch: str = "spin",
    view: str = "panorama",
    scale: float = 1.0,
    calibrate: str = "offsets",
    quality: bool = True,
    bin_centres: bool = False,
    trim_rows: int = 2,
    camera: Any = None,
    corrections: Any = None,
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
    calibrate : {"offsets", "rate", "full", "none"}
        ``"rate"`` fits the spin rate and CCD twist from framelet overlaps;
        ``"offsets"`` (default) then also each filter's optical-centre offset against GREEN
        on the framelets (:func:`junoproc.calibrate.fit_filter_offsets`; colour products;
        fast); ``"full"`` instead fits each filter's optical-centre offset and focal scale from
        features seen through several filters; ``"none"`` keeps the starting values.
    quality : bool
        Measure colour misregistration and seam residual into ``report``.
    bin_centres : bool
        Decompand to bin centres; see :func:`junoproc.decompand.decompand`.
    trim_rows : int
        Rows dropped at the top and bottom of each framelet.
    camera : CameraModel, optional
        Camera model to use instead of the IK's built-in one.
    corrections : CameraCorrections, optional
        Starting corrections of the camera and its mounting; by default those measured on
        real JunoCam products (:data:`junoproc.calibrate.CAMERA_CORRECTIONS`). Pass
        ``CameraCorrections()`` for the nominal IK/FK model (e.g. for data simulated with it).
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

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> result = process(load_sample("io-pj57"), view="perspective", quality=False)
    >>> result.channels, result.image.shape[-1], result.report["spin_fit"]["status"]
    (('RED', 'GREEN', 'BLUE'), 3, 'fitted')
    >>> abs(result.report["spin_fit"]["spin_rate_deg_s"] - 11.92) < 0.01  # truth: 11.9206
    True
    """
    for name, value, choices in (
        ("stitch", stitch, STITCH_METHODS),
        ("view", view, VIEWS),
        ("calibrate", calibrate, CALIBRATIONS),
    ):
        if value not in choices:
            raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")
    early = None
    if isinstance(source, RawImage):
        raw = source
    else:
        if stitch == "spin" and calibrate != "none" and (os.cpu_count() or 1) > 1:
            early = _Early(
                camera=camera,
                corrections=corrections,
                calibrate=calibrate,
                view=view,
                scale=scale,
                progress=progress,
            )
        raw = _load_telling(source, early)
    meta = raw.metadata
    ready = early.result(meta) if early is not None else None
    stacks, channels, history = _prepare(
        raw, bin_centres=bin_centres, out=ready.strip if ready is not None else None
    )
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
        corrections=corrections,
        progress=progress,
        early=ready,
    )


def _load_telling(source: Any, hook: Any) -> RawImage:
    """:func:`junoproc.io.load`, calling ``hook(metadata)`` (if not None) once the metadata is
    known and before the pixels are decoded."""
    from . import io as _io

    token = _io._ON_METADATA.set(hook)
    try:
        return load(source)
    finally:
        _io._ON_METADATA.reset(token)


#: Spare rows (fraction) of the panorama memory made before the spin is fitted: the fit
#: changes the rate, and so the panorama's rows, by under 1 % on real products.
_EARLY_ROWS_MARGIN = 0.04


@dataclasses.dataclass(frozen=True)
class _Ready:
    """What :class:`_Early` made: the starting geometry, the spin fit's overlaps (or None),
    memory for the linear strip (or None) and zeroed memory for the panorama's planes and
    coverage (flat float32, or None), all of it touched already."""

    geometry: Any
    overlaps: Any
    strip: np.ndarray | None
    memory: np.ndarray | None


def _touched(a: np.ndarray) -> np.ndarray:
    """``a`` (new, zeroed or uninitialised) with a zero written into every memory page: the
    operating system has mapped (and zeroed) each page once this returns. (Reading would
    not do: an unwritten page is read from a shared page of zeros.)"""
    a.reshape(-1)[:: max(1, 4096 // a.itemsize)] = 0
    return a


class _Early:
    """Work on another core while the loader decodes the pixels (Pillow releases the GIL
    meanwhile), from the metadata alone: the starting geometry, the spin fit's overlaps
    (:func:`~junoproc.calibrate.spin_overlaps`), and the large arrays' memory, whose first
    touch (the operating system zeroing each page) would otherwise cost the stages time.
    """

    def __init__(
        self,
        *,
        camera: Any,
        corrections: Any,
        calibrate: str,
        view: str,
        scale: float,
        progress: Progress,
    ) -> None:
        self._options = {"camera": camera, "corrections": corrections}
        self._chain = {"calibrate": calibrate, "view": view, "progress": progress}
        self._scale = scale
        self._meta: Metadata | None = None
        self._future: Any = None

    def __call__(self, meta: Metadata) -> None:
        if self._future is not None:
            return
        from concurrent.futures import ThreadPoolExecutor

        self._meta = meta
        pool = ThreadPoolExecutor(max_workers=1)
        self._future = pool.submit(self._make, meta)
        pool.shutdown(wait=False)

    def _make(self, meta: Metadata) -> _Ready:
        from .calibrate import geometry_for, spin_overlaps
        from .metadata import LINE_SAMPLES
        from .render import panorama_view

        geometry = geometry_for(meta, **self._options)
        if geometry.n_frames < 2:
            return _Ready(geometry, None, None, None)
        filters = [f for f in meta.filters if f in geometry.filters]
        overlaps = spin_overlaps(geometry, filters=filters)
        strip = None
        if meta.sample_bits == 8:  # 16-bit products are linear: no decompanding
            strip = _touched(np.empty((meta.lines, LINE_SAMPLES), np.float32))
        memory = None
        channels = _channels(filters)
        if _renders_during_offsets(channels=channels, **self._chain):
            rows, cols = panorama_view(geometry, scale=self._scale).shape
            rows = math.ceil(rows * (1 + _EARLY_ROWS_MARGIN)) + 2
            memory = _touched(np.zeros(2 * len(channels) * rows * cols, np.float32))
        return _Ready(geometry, overlaps, strip, memory)

    def result(self, meta: Metadata) -> _Ready | None:
        """What was made for ``meta``; None if nothing was (then it is made in turn, with
        the errors that brings)."""
        if self._future is None or self._meta is not meta:
            return None
        try:
            return self._future.result()
        except Exception:
            logger.debug("early work failed; done again in turn", exc_info=True)
            return None


def _prepare(raw: RawImage, *, bin_centres: bool = False, out: np.ndarray | None = None):
    """Decompand and separate a product: (stacks, output channels, history so far).
    ``out``: memory for the linear strip, used if it fits."""
    meta = raw.metadata
    history: list[tuple[str, Mapping[str, Any]]] = [("load", {"source": raw.source})]
    fits = out is not None and out.shape == raw.data.shape
    linear = decompand_raw(raw, bin_centres=bin_centres, out=out if fits else None)
    history.append(("decompand", {"mode": meta.companding, "bin_centres": bin_centres}))
    stacks = separate_filters(linear, meta)
    history.append(("separate_filters", {"filters": list(meta.filters)}))
    return stacks, _channels(stacks), history


def _process_spin(
    stacks,
    meta,
    channels,
    history,
    *,
    view,
    scale,
    calibrate,
    quality,
    trim_rows,
    camera,
    corrections,
    progress,
    early=None,
) -> Processed:
    from .calibrate import fit_filter_offsets, fit_filter_terms, fit_spin_rate, geometry_for
    from .render import _common_of, panorama_view, perspective_view, render

    report: dict[str, Any] = {"stitch": "spin"}
    if early is not None:
        geometry, overlaps = early.geometry, early.overlaps
    else:
        geometry, overlaps = geometry_for(meta, camera=camera, corrections=corrections), None
    rendered = out_view = None
    if calibrate != "none":
        # a single band constrains the twist poorly: keep the camera's (shipped) value
        geometry, spin = fit_spin_rate(
            stacks, geometry, fit_twist=len(channels) > 1, overlaps=overlaps
        )
        report["spin_fit"] = spin.summary()
        if calibrate == "offsets" and len(channels) > 1 and "GREEN" in channels:
            if view == "panorama":
                # the offsets leave the spin, and so the panorama, as they are
                out_view = panorama_view(geometry, scale=scale)
            if _renders_during_offsets(
                calibrate=calibrate, view=view, channels=channels, progress=progress
            ):
                geometry, offsets, rendered = _offsets_while_rendering(
                    stacks,
                    geometry,
                    out_view,
                    channels,
                    trim_rows,
                    memory=early.memory if early is not None else None,
                )
            else:
                geometry, offsets = fit_filter_offsets(stacks, geometry)
            report["filter_fit"] = offsets.summary()
        if calibrate == "full" and len(channels) > 1:
            geometry, terms = fit_filter_terms(stacks, geometry)
            geometry, spin = fit_spin_rate(stacks, geometry)
            report["filter_fit"] = terms.summary()
            report["spin_fit"] = spin.summary()
    history.append(("calibrate", {"level": calibrate}))
    if out_view is None and view == "panorama":
        out_view = panorama_view(geometry, scale=scale)
    elif out_view is None:
        coarse = render(stacks, geometry, panorama_view(geometry, scale=0.25), trim_rows=trim_rows)
        out_view = perspective_view(geometry, image=coarse, scale=scale)
    if rendered is None:
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
    coverage = _common_of(rendered)  # rendered is not kept: no copy needed
    logger.info("%s: spin stitch %s %s", meta.product_id, view, out_view.shape)
    return Processed(image, coverage, channels, meta, tuple(history), report, out_view, geometry)


def _renders_during_offsets(
    *, calibrate: str, view: str, channels: Sequence[str], progress: Progress
) -> bool:
    """Whether :func:`process` takes the path of :func:`_offsets_while_rendering`: filter
    offsets and a panorama of a colour product with GREEN, two cores, no progress bar."""
    return (
        calibrate == "offsets"
        and view == "panorama"
        and len(channels) > 1
        and "GREEN" in channels
        and not progress
        and (os.cpu_count() or 1) > 1
    )


def _offsets_while_rendering(stacks, geometry, view, channels, trim_rows, *, memory=None):
    """:func:`~junoproc.calibrate.fit_filter_offsets` with GREEN rendered meanwhile.

    GREEN is the reference of the offsets, so its geometry is final once the spin is
    fitted: it renders on one core while the offsets are fitted on the other, then the
    other filters render with their offsets. Returns (geometry, offsets fit, rendered).
    ``memory``: zeroed flat float32 memory for the planes and coverage, used if large
    enough.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .calibrate import fit_filter_offsets
    from .render import _footprints, _from_planes, _render_into, _shifted_maps, _zero_planes

    planes, cover = _zero_planes(len(channels), view.shape, memory=memory)
    others = [c for c in channels if c != "GREEN"]

    def green_then_footprints():
        _render_into(
            stacks,
            geometry,
            view,
            ("GREEN",),
            planes,
            cover,
            [channels.index("GREEN")],
            trim_rows=trim_rows,
        )
        # the other filters' footprints, before their offsets are known: an offset of the
        # optical centre only shifts them
        return _footprints(geometry, view, others)

    with ThreadPoolExecutor(max_workers=1) as pool:
        green = pool.submit(green_then_footprints)
        try:
            fitted, offsets = fit_filter_offsets(stacks, geometry)
        finally:
            footprints = green.result()
    maps = {}
    sf = geometry.sampling_factor
    for f, m in (footprints or {}).items():
        dx, dy = offsets.corrections.centre_offset_px.get(f, (0.0, 0.0))
        shifted = _shifted_maps(m, dx / sf, dy / sf)  # un-summed pixels -> framelet pixels
        if shifted is not None:
            maps[f] = shifted
    _render_into(
        stacks,
        fitted,
        view,
        others,
        planes,
        cover,
        [channels.index(c) for c in others],
        trim_rows=trim_rows,
        maps=maps,
    )
    return fitted, offsets, _from_planes(planes, cover, tuple(channels), view)


def process_pair(
    colour: str | os.PathLike[str] | RawImage,
    companion: str | os.PathLike[str] | RawImage,
    *,
    view: str = "panorama",
    scale: float = 1.0,
    calibrate: str = "offsets",
    reference: str = "RED",
    trim_rows: int = 2,
    progress: Progress = False,
) -> Processed:
    """Render a colour product and a companion (e.g. its METHANE partner) into one view.

    The two products are taken seconds apart, so their spin phases differ by an amount no
    image alone can tell to a pixel (start-time jitter, spin-rate uncertainty). The
    companion's phase is predicted from the time difference and the colour product's
    fitted spin rate, then refined (azimuth and elevation) by registering the companion's
    panorama against the ``reference`` filter of the colour product.

    Parameters
    ----------
    colour, companion : path or RawImage
        Two products of the same scene; their filters must differ.
    view, scale, calibrate, trim_rows, progress
        As for :func:`process`.
    reference : str
        Filter of ``colour`` the companion is registered against (RED resembles METHANE best).

    Returns
    -------
    Processed
        Channels: the colour product's (R, G, B) followed by the companion's filters.
        ``report["companion"]`` holds the alignment found.

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> pair = process_pair(load_sample("io-pj57"), load_sample("io-pj57-methane"))
    >>> pair.channels
    ('RED', 'GREEN', 'BLUE', 'METHANE')
    """
    from .calibrate import fit_spin_rate, geometry_for
    from .render import render

    if calibrate not in CALIBRATIONS or view not in VIEWS:
        raise ValueError(f"calibrate must be one of {CALIBRATIONS} and view one of {VIEWS}")
    first = colour if isinstance(colour, RawImage) else load(colour)
    second = companion if isinstance(companion, RawImage) else load(companion)
    overlap = set(first.metadata.filters) & set(second.metadata.filters)
    if overlap:
        raise ValueError(
            f"the two products share filters {sorted(overlap)}; a companion adds new ones"
        )
    stacks1, channels, history1 = _prepare(first)
    base = _process_spin(
        stacks1,
        first.metadata,
        channels,
        history1,
        view=view,
        scale=scale,
        calibrate=calibrate,
        quality=False,
        trim_rows=trim_rows,
        camera=None,
        corrections=None,
        progress=progress,
    )
    if reference not in base.channels:
        raise ValueError(f"reference filter {reference} is not in {base.channels}")
    meta2 = second.metadata
    stacks2, _, _ = _prepare(second)
    geom2 = geometry_for(meta2)
    if calibrate != "none":
        geom2, _ = fit_spin_rate(stacks2, geom2)
    ref_geom = base.geometry
    dt = float((meta2.start_time - first.metadata.start_time).sec)
    predicted = float(ref_geom.pointing.spin_angle(dt) - ref_geom.pointing.spin_angle(0.0))
    geom2 = dataclasses.replace(
        geom2,
        pointing=dataclasses.replace(
            geom2.pointing,
            phase_rad=predicted % (2 * np.pi),
            axis_tilt_rad=ref_geom.pointing.axis_tilt_rad[:1] + geom2.pointing.axis_tilt_rad[1:],
        ),
    )
    d_az, d_el = _register_companion(stacks1, ref_geom, stacks2, geom2, reference, trim_rows)
    geom2 = dataclasses.replace(
        geom2,
        pointing=dataclasses.replace(
            geom2.pointing,
            phase_rad=geom2.pointing.phase_rad + d_az,
            axis_tilt_rad=(geom2.pointing.axis_tilt_rad[0], geom2.pointing.axis_tilt_rad[1] + d_el),
        ),
    )
    extra = render(stacks2, geom2, base.view, trim_rows=trim_rows, progress=progress)
    image = base.image if base.image.ndim == 3 else base.image[..., None]
    image = np.concatenate([image, extra.image], axis=-1)
    coverage = np.minimum(base.coverage, extra.common_coverage())
    history = (*base.history, ("companion", {"source": second.source, "reference": reference}))
    report = dict(base.report)
    report["companion"] = {
        "product_id": meta2.product_id,
        "time_offset_s": dt,
        "phase_correction_px": d_az / base.view_step(),
        "elevation_correction_px": d_el / base.view_step(),
    }
    return dataclasses.replace(
        base,
        image=image,
        coverage=coverage,
        channels=base.channels + extra.channels,
        history=history,
        report=report,
    )


def _register_companion(stacks1, geom1, stacks2, geom2, reference, trim_rows, scale=1.0):
    """(azimuth, elevation) corrections, radians, that register ``stacks2`` onto ``stacks1``."""
    from scipy.ndimage import gaussian_gradient_magnitude
    from skimage.registration import phase_cross_correlation

    from .render import panorama_view, render

    view = panorama_view(geom1, scale=scale)
    a = render(stacks1, geom1, view, filters=(reference,), trim_rows=trim_rows)
    b = render(stacks2, geom2, view, trim_rows=trim_rows)
    both = (a.coverage[..., 0] > 0) & (b.coverage[..., 0] > 0)
    if both.sum() < 1000:
        logger.warning(
            "the companion hardly overlaps the colour product; its phase is only predicted"
        )
        return 0.0, 0.0
    ga = gaussian_gradient_magnitude(np.where(both, a.image[..., 0], 0.0), 1.5)
    gb = gaussian_gradient_magnitude(np.where(both, b.image[..., 0], 0.0), 1.5)
    inner = gaussian_gradient_magnitude(both.astype(float), 1.5) == 0
    ga, gb = ga * inner, gb * inner
    ga /= max(float(ga.std()), 1e-12)
    gb /= max(float(gb.std()), 1e-12)
    shift, _, _ = phase_cross_correlation(ga, gb, upsample_factor=20, normalization=None)
    # gb shifted by `shift` lines up with ga: its content belongs `shift` further on, i.e. at
    # larger azimuth (rows) and lower elevation (columns)
    return float(shift[0] * view.step_rad), float(shift[1] * view.step_rad)


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

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from junoproc.data import load_sample
    >>> from junoproc.writers import read_png
    >>> result = process(load_sample("io-pj57"), stitch="quicklook")
    >>> out = save(result, pathlib.Path(tempfile.mkdtemp()) / "quick.png")
    >>> read_png(out).shape[-1]  # RGB + coverage as alpha
    4
    """
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
    out_dtype = np.uint8 if bit_depth == 8 else np.uint16
    params = {
        "method": method,
        "percentile": list(percentile),
        "preset": preset,
        "weights": None if weights is None else list(weights),
        "gamma": gamma,
        "bit_depth": bit_depth,
    }
    picture = _picture(
        result.image,
        result.coverage,
        alpha=alpha,
        out_dtype=out_dtype,
        method=method,
        percentile=percentile,
        preset=preset,
        weights=weights,
        gamma=gamma,
    )
    history.append(("stretch", params))
    return _write(write_image, path, picture, result, history, overwrite=overwrite)


def _picture(
    image: np.ndarray, coverage: np.ndarray, *, alpha: bool, out_dtype: Any, **options: Any
) -> np.ndarray:
    """``stretch(image, mask=coverage > 0, out_dtype=out_dtype, **options)``, as RGBA with
    the coverage as alpha if ``alpha`` (the alpha channel is made on another core while
    the picture is stretched)."""
    from concurrent.futures import ThreadPoolExecutor

    from .stretch import stretch

    # the coverage is the mask as it is (> 0): only the pixels sampled for the interval
    # are compared
    if not alpha:
        return stretch(image, mask=coverage, out_dtype=out_dtype, **options)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_alpha_of, coverage, np.dtype(out_dtype))
        picture = stretch(image, mask=coverage, out_dtype=out_dtype, **options)
        return _with_alpha(picture, coverage, alpha=pending.result())


def _with_alpha(
    picture: np.ndarray, coverage: np.ndarray, *, alpha: np.ndarray | None = None
) -> np.ndarray:
    """An integer picture (grey or RGB) as RGBA, the coverage as alpha in its full range
    (``alpha``: :func:`_alpha_of` the coverage, when made already)."""
    if alpha is None:
        alpha = _alpha_of(coverage, picture.dtype)
    if picture.ndim == 2:
        picture = np.repeat(picture[..., None], 3, axis=-1)
    return append_alpha(picture, alpha)


def _alpha_of(coverage: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The coverage as an alpha channel of integer ``dtype`` in its full range."""
    top = np.iinfo(dtype).max
    # clip(coverage, 0, 1) * top rounded half up (in float64: exact for 16 bits too), row
    # block by row block: in the CPU cache
    alpha = np.empty(coverage.shape, dtype)
    step = max(1, (1 << 16) // max(1, coverage[:1].size))
    buf = np.empty((min(step, len(coverage)), *coverage.shape[1:]), np.float64)
    for r0 in range(0, len(coverage), step):
        b = buf[: min(step, len(coverage) - r0)]
        np.clip(coverage[r0 : r0 + step], 0, 1, out=b)
        b *= top
        b += 0.5
        alpha[r0 : r0 + step] = b
    return alpha


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
