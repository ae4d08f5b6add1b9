"""JunoCam product metadata, parsed once into a frozen dataclass.

Two sources carry the same keywords: the mission website's ``NNNN-Metadata.json``
(values such as ``"9.600000 <ms>"`` are strings with the unit in angle brackets)
and PDS3 labels (``.LBL``; values come from :mod:`pvl` as numbers, quantities and
datetimes). Both end up as one :class:`Metadata` with typed fields; nothing
downstream parses keyword strings again.

Examples
--------
>>> from junoproc.metadata import parse_metadata
>>> meta = parse_metadata({
...     "PRODUCT_ID": "JNCE_2022186_43C00080_V01", "START_TIME": "2022-07-05T12:17:39.223",
...     "STOP_TIME": "2022-07-05T12:17:43.687", "INTERFRAME_DELAY": "0.372 <s>",
...     "EXPOSURE_DURATION": "9.600000 <ms>", "JNO:TDI_STAGES_COUNT": 3,
...     "FILTER_NAME": ["BLUE", "GREEN", "RED"], "LINES": 4608, "LINE_SAMPLES": 1648,
...     "SAMPLE_BIT_MODE_ID": "SQROOT", "TARGET_NAME": "JUPITER", "PJ": "43"})
>>> meta.filters, meta.n_frames, meta.exposure_s, meta.framelet_height
(('BLUE', 'GREEN', 'RED'), 12, 0.0096, 128)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import math
import re
import types
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from astropy.time import Time

from .exceptions import MetadataError, MetadataWarning, MissingFileError, UnknownFilterError

__all__ = [
    "FILTERS",
    "FRAMELET_LINES",
    "LINE_SAMPLES",
    "Metadata",
    "parse_metadata",
    "read_metadata_json",
]

logger = logging.getLogger(__name__)

#: JunoCam filter names, top to bottom on the CCD (IK juno_junocam_v03.ti FOV diagram).
FILTERS: tuple[str, ...] = ("METHANE", "BLUE", "GREEN", "RED")

#: Rows of one un-summed framelet (IK INS-6150x_FILTER_LINES = 128).
FRAMELET_LINES = 128

#: Samples of one readout line, dark and overscan columns included (IK INS-6150x_FILTER_SAMPLES).
LINE_SAMPLES = 1648

_REQUIRED = (
    "PRODUCT_ID",
    "START_TIME",
    "INTERFRAME_DELAY",
    "EXPOSURE_DURATION",
    "FILTER_NAME",
    "LINES",
)

_UNIT_TO_SECONDS = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "msec": 1e-3, "us": 1e-6}

_VALUE_UNIT = re.compile(
    r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:<\s*([^>]*)\s*>)?\s*$"
)

_METHANE_CY = re.compile(
    r"INS-61504_DISTORTION_Y\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
)


@dataclasses.dataclass(frozen=True)
class Metadata:
    """What junoproc knows about one JunoCam product.

    Times are :class:`astropy.time.Time` in UTC; durations are plain floats in
    seconds (the unit is in the field name). ``raw`` keeps every keyword as it was
    read, for provenance.

    Attributes
    ----------
    product_id : str
        For example ``"JNCE_2022186_43C00080_V01"``.
    start_time, stop_time : astropy.time.Time
        ``START_TIME`` and ``STOP_TIME`` (UTC) as reported, without the IK timing bias.
        ``stop_time`` is None when the product does not give it.
    interframe_delay_s : float
        ``INTERFRAME_DELAY`` as reported (the IK's 1 ms delta is *not* added here).
    exposure_s : float
        ``EXPOSURE_DURATION``.
    tdi_stages : int
        ``JNO:TDI_STAGES_COUNT``.
    filters : tuple of str
        ``FILTER_NAME``, in strip order.
    sampling_factor : int
        ``SAMPLING_FACTOR`` (1, or 2 for summed 64-row framelets).
    lines, line_samples : int
        Declared raster size.
    perijove : int or None
    target : str
    sclk_start : str or None
        ``SPACECRAFT_CLOCK_START_COUNT``.
    companding : str
        ``SAMPLE_BIT_MODE_ID``: ``"SQROOT"``, ``"LIN1"``, ``"LIN8"`` or ``"LIN16"``.
    sample_bits : int
    methane_cy_override : float or None
        Methane optical-centre row given in ``RATIONALE_DESC`` as
        ``INS-61504_DISTORTION_Y = <value>``, when present.
    title, rationale, compression, source_format : str
    raw : Mapping
        Every keyword read, unchanged.

    Examples
    --------
    >>> from junoproc.data import load_sample
    >>> meta = load_sample("io-pj57").metadata
    >>> meta.product_id, meta.target, meta.perijove, meta.tdi_stages
    ('JNCE_2023364_57C00099_V01', 'IO', 57, 1)
    >>> round(meta.interframe_delay_s, 3), meta.frame_height, meta.n_framelets
    (0.371, 384, 42)
    """

    product_id: str
    start_time: Time
    stop_time: Time | None
    interframe_delay_s: float
    exposure_s: float
    tdi_stages: int
    filters: tuple[str, ...]
    sampling_factor: int
    lines: int
    line_samples: int
    perijove: int | None
    target: str
    sclk_start: str | None
    companding: str
    sample_bits: int
    methane_cy_override: float | None
    title: str = ""
    rationale: str = ""
    compression: str = ""
    source_format: str = "json"
    raw: Mapping[str, Any] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @property
    def framelet_height(self) -> int:
        """Rows per framelet: 128 divided by the sampling factor."""
        return FRAMELET_LINES // self.sampling_factor

    @property
    def frame_height(self) -> int:
        """Rows of one frame in the strip: one framelet per filter."""
        return self.framelet_height * len(self.filters)

    @property
    def n_frames(self) -> int:
        """Number of frames (exposures) in the strip."""
        return self.lines // self.frame_height

    @property
    def n_framelets(self) -> int:
        """Number of framelets in the strip (frames times filters)."""
        return self.n_frames * len(self.filters)

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly dictionary of the typed fields (no ``raw``).

        Examples
        --------
        >>> from junoproc.metadata import parse_metadata
        >>> m = parse_metadata({"PRODUCT_ID": "X", "START_TIME": "2022-07-05T12:17:39.223",
        ...     "INTERFRAME_DELAY": "0.372 <s>", "EXPOSURE_DURATION": "3.2 <ms>",
        ...     "FILTER_NAME": ["METHANE"], "LINES": 256})
        >>> m.summary()["n_frames"], m.summary()["start_time"]
        (2, '2022-07-05T12:17:39.223')
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "raw":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Time):
                value = value.isot
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        out["framelet_height"] = self.framelet_height
        out["n_frames"] = self.n_frames
        return out


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def _get(raw: Mapping[str, Any], key: str, source: str | None) -> Any:
    if key not in raw or raw[key] is None:
        raise MetadataError(f"{_where(source)}required keyword {key} is missing")
    return raw[key]


def _seconds(value: Any, key: str, source: str | None, *, default_unit: str = "s") -> float:
    """Parse ``"9.6 <ms>"``, ``Quantity(9.6, 'MS')`` or a bare number into seconds."""
    unit = default_unit
    number: Any = value
    if hasattr(value, "value") and hasattr(value, "units"):  # pvl Quantity
        number, unit = value.value, str(value.units or default_unit)
    elif isinstance(value, str):
        m = _VALUE_UNIT.match(value)
        if not m:
            raise MetadataError(f"{_where(source)}cannot parse {key} = {value!r} as a duration")
        number, unit = m.group(1), (m.group(2) or default_unit)
    try:
        x = float(number)
    except (TypeError, ValueError):
        raise MetadataError(
            f"{_where(source)}cannot parse {key} = {value!r} as a duration"
        ) from None
    factor = _UNIT_TO_SECONDS.get(unit.strip().lower())
    if factor is None:
        raise MetadataError(f"{_where(source)}{key} has unknown unit {unit!r} (value {value!r})")
    if not math.isfinite(x) or x < 0:
        raise MetadataError(f"{_where(source)}{key} = {value!r} is not a non-negative duration")
    return x * factor


def _int(value: Any, key: str, source: str | None) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise MetadataError(
            f"{_where(source)}cannot parse {key} = {value!r} as an integer"
        ) from None


def _time(value: Any, key: str, source: str | None) -> Time:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return Time(value, scale="utc")
    text = str(value).strip().rstrip("Z")
    try:
        t = Time(text, format="isot", scale="utc")
    except ValueError:
        raise MetadataError(
            f"{_where(source)}cannot parse {key} = {value!r} as a UTC time"
        ) from None
    return t


def _text(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _filters(value: Any, source: str | None) -> tuple[str, ...]:
    if isinstance(value, str):
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            raise MetadataError(
                f"{_where(source)}cannot parse FILTER_NAME = {value!r} as a list of filters"
            ) from None
    if not items:
        raise MetadataError(f"{_where(source)}FILTER_NAME is empty")
    names = tuple(str(item).strip().upper() for item in items)
    for name in names:
        if name not in FILTERS:
            raise UnknownFilterError(
                f"{_where(source)}unknown filter {name!r} in FILTER_NAME "
                f"(JunoCam filters are {', '.join(FILTERS)})"
            )
    if len(set(names)) != len(names):
        raise MetadataError(f"{_where(source)}FILTER_NAME repeats a filter: {list(names)}")
    return names


def _perijove(raw: Mapping[str, Any]) -> int | None:
    for key in ("PJ", "ORBIT_NUMBER"):
        value = raw.get(key)
        if value not in (None, "", "N/A"):
            try:
                return int(str(value).strip())
            except ValueError:
                pass
    m = re.search(r"PERIJOVE\s+(\d+)", str(raw.get("MISSION_PHASE_NAME", "")))
    return int(m.group(1)) if m else None


def parse_metadata(raw: Mapping[str, Any], *, source: str | None = None) -> Metadata:
    """Parse JunoCam keywords into a :class:`Metadata`.

    Parameters
    ----------
    raw : Mapping
        Keywords as found in a website ``Metadata.json`` or a PDS3 label (flattened:
        the ``IMAGE`` object's keywords at top level).
    source : str, optional
        File name to put in error messages.

    Returns
    -------
    Metadata

    Raises
    ------
    MetadataError
        A required keyword is missing or unparseable.
    UnknownFilterError
        ``FILTER_NAME`` holds something that is not a JunoCam filter.

    Examples
    --------
    >>> m = parse_metadata({"PRODUCT_ID": "JNCE_2022186_43M00081_V01",
    ...     "START_TIME": "2022-07-05T12:18:09.446", "INTERFRAME_DELAY": "0.372 <s>",
    ...     "EXPOSURE_DURATION": "102.400000 <ms>", "FILTER_NAME": ["METHANE"],
    ...     "LINES": 1536, "RATIONALE_DESC": "INS-61504_DISTORTION_Y = 312.5"})
    >>> m.n_frames, m.methane_cy_override, round(m.exposure_s, 4)
    (12, 312.5, 0.1024)
    """
    if not isinstance(raw, Mapping):
        raise MetadataError(
            f"{_where(source)}metadata must be a mapping of keywords, got {type(raw).__name__}"
        )
    for key in _REQUIRED:
        _get(raw, key, source)

    product_id = _text(raw["PRODUCT_ID"])
    if not product_id:
        raise MetadataError(f"{_where(source)}PRODUCT_ID is empty")
    start = _time(raw["START_TIME"], "START_TIME", source)
    stop_value = raw.get("STOP_TIME")
    stop = None
    if stop_value not in (None, "", "N/A", "NULL", "UNK"):
        stop = _time(stop_value, "STOP_TIME", source)
    delay = _seconds(raw["INTERFRAME_DELAY"], "INTERFRAME_DELAY", source)
    if delay <= 0:
        raise MetadataError(
            f"{_where(source)}INTERFRAME_DELAY must be positive, got {raw['INTERFRAME_DELAY']!r}"
        )
    exposure = _seconds(raw["EXPOSURE_DURATION"], "EXPOSURE_DURATION", source, default_unit="ms")
    filters = _filters(raw["FILTER_NAME"], source)
    lines = _int(raw["LINES"], "LINES", source)
    samples = _int(raw.get("LINE_SAMPLES", LINE_SAMPLES), "LINE_SAMPLES", source)
    sampling = _int(raw.get("SAMPLING_FACTOR", 1), "SAMPLING_FACTOR", source)
    if sampling not in (1, 2, 4, 8):
        raise MetadataError(f"{_where(source)}SAMPLING_FACTOR must be 1, 2, 4 or 8, got {sampling}")
    tdi_raw = raw.get("JNO:TDI_STAGES_COUNT")
    if tdi_raw in (None, ""):
        tdi = max(1, round(exposure / 0.0032))  # one TDI step every 3.2 ms (Hansen et al. 2017)
    else:
        tdi = _int(tdi_raw, "JNO:TDI_STAGES_COUNT", source)
    bits = _int(raw.get("SAMPLE_BITS", 8), "SAMPLE_BITS", source)
    companding = _text(raw.get("SAMPLE_BIT_MODE_ID", "SQROOT" if bits == 8 else "LIN1")).upper()
    if lines <= 0 or samples <= 0:
        raise MetadataError(
            f"{_where(source)}LINES and LINE_SAMPLES must be positive, got {lines} x {samples}"
        )
    sclk = raw.get("SPACECRAFT_CLOCK_START_COUNT")
    rationale = _text(raw.get("RATIONALE_DESC"))
    m = _METHANE_CY.search(rationale)
    meta = Metadata(
        product_id=product_id,
        start_time=start,
        stop_time=stop,
        interframe_delay_s=delay,
        exposure_s=exposure,
        tdi_stages=tdi,
        filters=filters,
        sampling_factor=sampling,
        lines=lines,
        line_samples=samples,
        perijove=_perijove(raw),
        target=_text(raw.get("TARGET_NAME", "UNKNOWN")).upper() or "UNKNOWN",
        sclk_start=None if sclk in (None, "", "N/A") else _text(sclk),
        companding=companding,
        sample_bits=bits,
        methane_cy_override=float(m.group(1)) if m else None,
        title=_text(raw.get("TITLE")),
        rationale=rationale,
        compression=_text(raw.get("COMPRESSION_TYPE")),
        source_format=str(raw.get("_SOURCE_FORMAT", "json")),
        raw=types.MappingProxyType(dict(raw)),
    )
    _check_consistency(meta, source)
    return meta


def _check_consistency(meta: Metadata, source: str | None) -> None:
    """Checks that need only the metadata (the pixel checks live in the loaders)."""
    where = _where(source)
    if meta.line_samples != LINE_SAMPLES:
        raise MetadataError(
            f"{where}LINE_SAMPLES = {meta.line_samples}, JunoCam lines have {LINE_SAMPLES}"
        )
    if meta.lines % meta.frame_height:
        raise MetadataError(
            f"{where}LINES = {meta.lines} is not a multiple of {meta.frame_height} "
            f"({meta.framelet_height}-row framelets x {len(meta.filters)} filters)"
        )
    if meta.stop_time is not None:
        duration = float((meta.stop_time - meta.start_time).sec)
        expected = meta.n_frames * meta.interframe_delay_s
        mismatch = abs(duration - expected)
        if mismatch > meta.interframe_delay_s:
            raise MetadataError(
                f"{where}STOP_TIME - START_TIME = {duration:.3f} s, but {meta.n_frames} frames x "
                f"INTERFRAME_DELAY {meta.interframe_delay_s:.3f} s = {expected:.3f} s"
            )
        if mismatch > 0.005:
            warnings.warn(
                f"{where}STOP_TIME - START_TIME = {duration:.3f} s differs from {meta.n_frames} "
                f"frames x {meta.interframe_delay_s:.3f} s = {expected:.3f} s "
                f"by {mismatch * 1e3:.0f} ms",
                MetadataWarning,
                stacklevel=3,
            )


def read_metadata_json(path: str | Path, *, text: str | bytes | None = None) -> Metadata:
    """Read a mission-website ``NNNN-Metadata.json`` file.

    Parameters
    ----------
    path : str or Path
        The JSON file (or, with ``text``, the name to report in errors).
    text : str or bytes, optional
        The file's contents when they were read already (for example from a zip).

    Returns
    -------
    Metadata

    Raises
    ------
    MissingFileError
        The file does not exist.
    MetadataError
        The file is not JSON, not an object, or lacks required keywords.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "1-Metadata.json").write_text(json.dumps({"PRODUCT_ID": "X",
    ...     "START_TIME": "2022-07-05T12:17:39.223", "INTERFRAME_DELAY": "0.372 <s>",
    ...     "EXPOSURE_DURATION": "3.2 <ms>", "FILTER_NAME": ["BLUE", "GREEN", "RED"],
    ...     "LINES": 768}))
    >>> read_metadata_json(d / "1-Metadata.json").n_frames
    2
    """
    path = Path(path)
    if text is None:
        try:
            text = path.read_bytes()
        except FileNotFoundError:
            raise MissingFileError(f"{path}: metadata file not found") from None
        except OSError as exc:
            raise MetadataError(f"{path}: cannot read metadata ({exc.strerror or exc})") from None
    try:
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise MetadataError(f"{path}: expected a JSON object of keywords, got {type(raw).__name__}")
    return parse_metadata(raw, source=str(path))
