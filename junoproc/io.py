"""Read JunoCam raw framelet strips: website PNG + JSON, zip bundles and PDS3 products.

Every loader returns a :class:`RawImage`: the strip as a read-only ``(lines, 1648)``
array, its :class:`~junoproc.metadata.Metadata`, and the path of the pixel file.
All loaders run the same pixel/metadata consistency checks, and nothing is written
to disk: zip bundles are read in place.

Supported inputs
----------------
* Mission-website products: ``<PRODUCT_ID>-raw.png`` (8-bit greyscale) with its
  ``NNNN-Metadata.json``, loose, in the website's ``ImageSet/`` + ``DataSet/``
  layout, or inside the ``NNNN-ImageSet.zip`` / ``NNNN-Data.zip`` downloads.
* PDS3 EDR (8-bit) and RDR (16-bit) products: a detached ``.LBL`` label and its
  ``.IMG`` raster (labels are parsed with :mod:`pvl`, the ``pds`` extra).

:func:`load` accepts any of these (or a folder, or a bare product id) and picks
the right loader.

Examples
--------
>>> import tempfile
>>> from junoproc.io import load, _write_example_product
>>> folder = _write_example_product(tempfile.mkdtemp())
>>> raw = load(folder)
>>> raw.product_id, raw.data.shape, raw.data.dtype, raw.metadata.n_frames
('JNCE_2022186_43M00081_V01', (256, 1648), dtype('uint8'), 2)
"""

from __future__ import annotations

import contextvars
import dataclasses
import io
import json
import logging
import os
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO, Any, Union

import numpy as np

from .exceptions import (
    ArchiveError,
    FileFormatError,
    ImageTooLargeError,
    MetadataError,
    MissingFileError,
)
from .metadata import LINE_SAMPLES, Metadata, parse_metadata, read_metadata_json

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_JSON_BYTES",
    "MAX_PIXELS",
    "MAX_PNG_MEMBER_BYTES",
    "RawImage",
    "find_products",
    "load",
    "load_pds",
    "load_png",
    "load_zip",
    "read_metadata_zip",
    "read_png",
]

logger = logging.getLogger(__name__)

#: Called with a product's metadata once the loaders know it, before the pixels are decoded
#: (see :func:`_metadata_known`): :func:`junoproc.process` starts work that needs no pixels.
_ON_METADATA: contextvars.ContextVar[Callable[[Metadata], None] | None] = contextvars.ContextVar(
    "junoproc_on_metadata", default=None
)


def _metadata_known(meta: Metadata) -> None:
    """Tell the caller that set :data:`_ON_METADATA` the metadata; never fails a load."""
    hook = _ON_METADATA.get()
    if hook is None:
        return
    try:
        hook(meta)
    except Exception:  # an optimisation only: the load goes on
        logger.debug("metadata hook failed", exc_info=True)


PathLike = Union[str, "os.PathLike[str]"]

#: Largest image (width x height) :func:`read_png` decodes. The longest JunoCam strips
#: are 1648 x ~30 000 = ~50 million pixels; anything beyond this is refused unread.
MAX_PIXELS = 64_000_000

#: Largest zip member read as a PNG strip (uncompressed bytes).
MAX_PNG_MEMBER_BYTES = 512 * 1024 * 1024

#: Largest metadata JSON read, from disk or from a zip (real ones are ~1.7 kB).
MAX_JSON_BYTES = 1024 * 1024

#: Largest uncompressed/compressed size ratio accepted for a zip member over 64 kiB.
#: Deflated PNGs barely shrink; ratios near DEFLATE's limit (~1000) mean a zip bomb.
MAX_COMPRESSION_RATIO = 100

_RATIO_MIN_BYTES = 64 * 1024
_MAX_ZIP_MEMBERS = 10_000
_MAX_LABEL_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOUR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"}

#: Product ids: ``JNC{E|R|M}_YYYYDDD_OOFNNNNN_VXX`` (JunoCam EDR/RDR SIS, product naming).
_PRODUCT_ID = re.compile(r"JNC[A-Z]_\d{7}_\d{2,3}[A-Z]\d{5}_V\d{2}", re.IGNORECASE)

_PDS_SUFFIXES = (".img", ".lbl")


# --------------------------------------------------------------------------------------
# RawImage
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class RawImage:
    """One JunoCam raw strip with its metadata.

    Attributes
    ----------
    data : numpy.ndarray
        The strip, shape ``(lines, 1648)``, read-only. ``uint8`` companded DN for
        EDR products and website PNGs, ``uint16`` for 16-bit PDS RDR products.
        Framelets are stacked in time order, filters cycling in ``FILTER_NAME`` order.
    metadata : Metadata
        The product's keywords, parsed.
    source : str
        Where the pixels came from, e.g. ``"x/ImageSet/<id>-raw.png"`` or, for a zip
        member, ``"x/13414-ImageSet.zip!ImageSet/<id>-raw.png"``.

    Notes
    -----
    A writeable ``data`` array passed in is copied before being made read-only, so
    the caller's array keeps its flags.

    Examples
    --------
    >>> import numpy as np
    >>> from junoproc.metadata import parse_metadata
    >>> meta = parse_metadata({"PRODUCT_ID": "JNCE_2022186_43M00081_V01",
    ...     "START_TIME": "2022-07-05T12:18:09.446", "INTERFRAME_DELAY": "0.372 <s>",
    ...     "EXPOSURE_DURATION": "102.4 <ms>", "FILTER_NAME": ["METHANE"], "LINES": 128})
    >>> raw = RawImage(np.zeros((128, 1648), np.uint8), meta, "memory")
    >>> raw.product_id, raw.data.flags.writeable
    ('JNCE_2022186_43M00081_V01', False)
    """

    data: np.ndarray
    metadata: Metadata
    source: str

    def __post_init__(self) -> None:
        data = self.data
        if not isinstance(data, np.ndarray):
            raise TypeError(f"RawImage.data must be a numpy array, got {type(data).__name__}")
        if data.flags.writeable:
            data = data.copy()
            data.setflags(write=False)
            object.__setattr__(self, "data", data)

    @property
    def product_id(self) -> str:
        """The product id from the metadata, e.g. ``"JNCE_2022186_43C00080_V01"``."""
        return self.metadata.product_id

    def __repr__(self) -> str:
        return (
            f"RawImage(product_id={self.product_id!r}, shape={self.data.shape}, "
            f"dtype={self.data.dtype}, source={self.source!r})"
        )


# --------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------


def read_png(
    path_or_bytes: PathLike | bytes | bytearray | memoryview,
    *,
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
) -> np.ndarray:
    """Decode a greyscale 8- or 16-bit PNG, refusing oversized or malformed files.

    The header (signature and ``IHDR`` chunk) is checked before any pixel is
    decompressed, so a file claiming a huge raster is refused without allocating it.

    Parameters
    ----------
    path_or_bytes : str, os.PathLike or bytes
        A PNG file, or its contents.
    name : str, optional
        Name to use in error messages (default: the path, or ``"<bytes>"``).
    max_pixels : int, optional
        Largest width x height accepted (default :data:`MAX_PIXELS`).

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, dtype ``uint8`` or ``uint16`` (native byte order);
        a fresh, writeable array.

    Raises
    ------
    MissingFileError
        The file does not exist.
    FileFormatError
        Not a PNG, truncated or corrupt, or not single-channel greyscale of 8 or 16 bits.
    ImageTooLargeError
        The header claims more than ``max_pixels`` pixels.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.fromarray(np.full((4, 1648), 7, np.uint8)).save(buf, format="PNG")
    >>> a = read_png(buf.getvalue(), name="strip.png")
    >>> a.shape, a.dtype, int(a.max())
    ((4, 1648), dtype('uint8'), 7)
    >>> read_png(b"GIF89a...", name="x.png")
    Traceback (most recent call last):
    ...
    junoproc.exceptions.FileFormatError: x.png: not a PNG file (starts with b'GIF89a..')
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        blob = bytes(path_or_bytes)
        name = name or "<bytes>"
    else:
        path = Path(path_or_bytes)
        name = name or str(path)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise MissingFileError(f"{name}: PNG file not found") from None
        except IsADirectoryError:
            raise FileFormatError(f"{name}: is a folder, not a PNG file") from None
        except OSError as exc:
            raise FileFormatError(f"{name}: cannot read ({exc.strerror or exc})") from None

    width, height, bit_depth = _check_png_header(blob, name, max_pixels)
    return _decode_png(blob, name, width, height, bit_depth, max_pixels)


def _check_png_header(blob: bytes, name: str, max_pixels: int) -> tuple[int, int, int]:
    """Validate the signature and IHDR chunk; return (width, height, bit depth)."""
    if blob[:8] != _PNG_SIGNATURE:
        raise FileFormatError(f"{name}: not a PNG file (starts with {blob[:8]!r})")
    if len(blob) < 33:
        raise FileFormatError(
            f"{name}: truncated or corrupt PNG (only {len(blob)} bytes, no complete IHDR chunk)"
        )
    length, ctype = struct.unpack(">I4s", blob[8:16])
    if ctype != b"IHDR" or length != 13:
        raise FileFormatError(f"{name}: truncated or corrupt PNG (first chunk is not a valid IHDR)")
    body = blob[16:29]
    (crc,) = struct.unpack(">I", blob[29:33])
    if zlib.crc32(b"IHDR" + body) != crc:
        raise FileFormatError(f"{name}: truncated or corrupt PNG (IHDR checksum mismatch)")
    width, height, bit_depth, colour, _comp, _filt, _interlace = struct.unpack(">IIBBBBB", body)
    if width == 0 or height == 0:
        raise FileFormatError(f"{name}: PNG claims an empty {width} x {height} image")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{name}: PNG claims {width} x {height} = {width * height:,} pixels, more than the "
            f"limit of {max_pixels:,} (raise max_pixels if this is really a JunoCam strip)"
        )
    if colour != 0:
        kind = _PNG_COLOUR_TYPES.get(colour, f"colour type {colour}")
        raise FileFormatError(
            f"{name}: PNG is {kind}, but a raw JunoCam strip is single-channel greyscale "
            "(the -red/-green/-blue/-mapprojected PNGs are map-projected previews, not raw data)"
        )
    if bit_depth not in (8, 16):
        raise FileFormatError(
            f"{name}: PNG has {bit_depth}-bit samples, raw JunoCam strips have 8 (or 16)"
        )
    return width, height, bit_depth


def _decode_png(
    blob: bytes, name: str, width: int, height: int, bit_depth: int, max_pixels: int
) -> np.ndarray:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # Our own IHDR check enforces max_pixels; Pillow's global bomb limit must
            # neither warn (an error under strict warning filters) nor disagree silently.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(blob), formats=["PNG"]) as img:
                if img.size != (width, height):
                    raise FileFormatError(
                        f"{name}: truncated or corrupt PNG (decoder sees {img.size[0]} x "
                        f"{img.size[1]}, header says {width} x {height})"
                    )
                img.load()
                data = np.asarray(img)
    except Image.DecompressionBombError:
        raise ImageTooLargeError(
            f"{name}: PNG of {width} x {height} pixels exceeds Pillow's MAX_IMAGE_PIXELS "
            f"limit (junoproc's own limit is {max_pixels:,})"
        ) from None
    except FileFormatError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, zlib.error, struct.error) as exc:
        raise FileFormatError(f"{name}: truncated or corrupt PNG ({exc})") from None
    if data.shape != (height, width):
        raise FileFormatError(
            f"{name}: PNG decoded to shape {data.shape}, expected a single-channel "
            f"{height} x {width} raster"
        )
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    return np.array(data, dtype=dtype, copy=True)


# --------------------------------------------------------------------------------------
# Consistency checks shared by every loader
# --------------------------------------------------------------------------------------


def _product_id_in(name: str) -> str | None:
    """The JunoCam product id contained in a file name, upper-cased, or None."""
    m = _PRODUCT_ID.search(Path(name.replace("\\", "/")).name)
    return m.group(0).upper() if m else None


def _check_pixels(data: np.ndarray, meta: Metadata, source: str) -> None:
    """Check a decoded strip against its metadata; errors name ``source``."""
    if data.ndim != 2:
        raise FileFormatError(f"{source}: expected a 2-D strip, got an array of shape {data.shape}")
    height, width = data.shape
    if width != LINE_SAMPLES:
        raise FileFormatError(
            f"{source}: image is {width} px wide, JunoCam strips are {LINE_SAMPLES}"
        )
    if height % meta.frame_height:
        raise MetadataError(
            f"{source}: {height} rows is not a multiple of {meta.frame_height} "
            f"({meta.framelet_height}-row framelets x {len(meta.filters)} filters "
            f"{'/'.join(meta.filters)})"
        )
    if height != meta.lines:
        raise MetadataError(
            f"{source}: image has {height} rows but the metadata ({meta.product_id}) "
            f"says LINES = {meta.lines}"
        )
    bits = data.dtype.itemsize * 8
    if bits != meta.sample_bits:
        raise MetadataError(
            f"{source}: pixels are {bits}-bit, but the metadata says "
            f"SAMPLE_BITS = {meta.sample_bits}"
        )
    named = _product_id_in(source.rsplit("!", 1)[-1])
    if named is not None and named != meta.product_id.upper():
        raise MetadataError(
            f"{source}: file name is for product {named}, but the metadata is for {meta.product_id}"
        )


def _make_raw(data: np.ndarray, meta: Metadata, source: str) -> RawImage:
    _check_pixels(data, meta, source)
    data.setflags(write=False)
    logger.debug("loaded %s: %s %s from %s", meta.product_id, data.shape, data.dtype, source)
    return RawImage(data=data, metadata=meta, source=source)


# --------------------------------------------------------------------------------------
# Finding files
# --------------------------------------------------------------------------------------


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return []


def _child_dir(folder: Path, name: str) -> Path | None:
    """The sub-folder of ``folder`` called ``name``, compared case-insensitively."""
    for p in _children(folder):
        if p.name.lower() == name.lower() and p.is_dir():
            return p
    return None


def _unique_dirs(folders: Iterable[Path | None]) -> list[Path]:
    seen: list[Path] = []
    for f in folders:
        if f is not None and f.is_dir() and f not in seen:
            seen.append(f)
    return seen


def _near_folders(folder: Path, sibling: str) -> list[Path]:
    """``folder``, ``folder/<sibling>``, and for website layouts the product folder above."""
    product = folder.parent if folder.name.lower() in ("imageset", "dataset") else None
    return _unique_dirs(
        [
            folder,
            _child_dir(folder, sibling),
            product,
            _child_dir(product, sibling) if product is not None else None,
        ]
    )


def _is_raw_png(p: Path | str) -> bool:
    return str(p).lower().endswith("-raw.png")


def _raw_pngs(folder: Path) -> list[Path]:
    return [p for p in _children(folder) if p.is_file() and _is_raw_png(p.name)]


def _json_product_id(blob: bytes) -> str | None:
    try:
        raw = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(raw, dict) and isinstance(raw.get("PRODUCT_ID"), str):
        return raw["PRODUCT_ID"].strip().upper()
    return None


def _find_metadata(product_id: str | None, folders: Sequence[Path], looking_for: str) -> Metadata:
    """Find the metadata JSON for ``product_id`` in loose files or zips in ``folders``.

    With ``product_id`` None (a file name without an id) the only metadata found is used.
    """
    found: list[tuple[str, bytes]] = []
    for folder in folders:
        for p in _children(folder):
            if p.suffix.lower() != ".json" or not p.is_file():
                continue
            if p.stat().st_size > MAX_JSON_BYTES:
                logger.warning("%s: skipped, larger than %d bytes", p, MAX_JSON_BYTES)
                continue
            blob = p.read_bytes()
            pid = _json_product_id(blob)
            if pid is None:
                continue
            if product_id is not None and pid == product_id.upper():
                logger.debug("metadata for %s: %s", product_id, p)
                return read_metadata_json(p, text=blob)
            found.append((str(p), blob))
    for folder in folders:
        for p in _children(folder):
            if p.suffix.lower() != ".zip" or not p.is_file():
                continue
            try:
                members = _read_zip_jsons(p)
            except ArchiveError as exc:
                logger.warning("skipping %s while looking for metadata: %s", p, exc)
                continue
            for member, blob in members:
                pid = _json_product_id(blob)
                if pid is None:
                    continue
                if product_id is not None and pid == product_id.upper():
                    logger.debug("metadata for %s: %s!%s", product_id, p, member)
                    return read_metadata_json(f"{p}!{member}", text=blob)
                found.append((f"{p}!{member}", blob))
    places = ", ".join(str(f) for f in folders) or "(no folder)"
    if product_id is None and len(found) == 1:
        return read_metadata_json(found[0][0], text=found[0][1])
    what = f"metadata JSON with PRODUCT_ID {product_id}" if product_id else "single metadata JSON"
    extra = f" (found {len(found)} for other products)" if found else ""
    raise MissingFileError(
        f"{looking_for}: found no {what} (NNNN-Metadata.json, loose or in a NNNN-Data.zip) "
        f"in {places}{extra}; pass metadata=..."
    )


def _resolve_metadata(
    metadata: Metadata | PathLike | None,
    product_id: str | None,
    near: Path,
    sibling: str,
    looking_for: str,
) -> Metadata:
    if isinstance(metadata, Metadata):
        return metadata
    if metadata is None:
        return _find_metadata(product_id, _near_folders(near, sibling), looking_for)
    path = Path(metadata)
    if path.suffix.lower() == ".zip":
        return read_metadata_zip(path, product_id=product_id)
    if path.is_file() and path.stat().st_size > MAX_JSON_BYTES:
        raise MetadataError(f"{path}: larger than {MAX_JSON_BYTES} bytes, not a metadata JSON")
    return read_metadata_json(path)


# --------------------------------------------------------------------------------------
# Website PNG + JSON
# --------------------------------------------------------------------------------------


def load_png(
    png_path: PathLike,
    *,
    metadata: Metadata | PathLike | None = None,
    max_pixels: int = MAX_PIXELS,
) -> RawImage:
    """Load a mission-website ``<PRODUCT_ID>-raw.png`` strip and its metadata.

    Parameters
    ----------
    png_path : str or os.PathLike
        The raw strip PNG (8-bit greyscale, 1648 samples wide).
    metadata : Metadata, str or os.PathLike, optional
        The metadata, or the path of its ``NNNN-Metadata.json`` (or ``NNNN-Data.zip``).
        By default it is searched for, by ``PRODUCT_ID``, in the PNG's folder, a
        ``DataSet/`` folder beside it, the product folder above an ``ImageSet/``
        folder, and any zip in those folders.
    max_pixels : int, optional
        Passed to :func:`read_png`.

    Returns
    -------
    RawImage
        ``data`` of shape ``(LINES, 1648)``, dtype ``uint8``.

    Raises
    ------
    MissingFileError
        The PNG or its metadata cannot be found.
    FileFormatError, ImageTooLargeError
        The PNG is unusable (see :func:`read_png`) or not 1648 pixels wide.
    MetadataError
        The metadata is unusable or disagrees with the pixels.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> folder = _write_example_product(tempfile.mkdtemp())
    >>> png = folder / "ImageSet" / "JNCE_2022186_43M00081_V01-raw.png"
    >>> raw = load_png(png)
    >>> raw.data.shape, raw.metadata.filters
    ((256, 1648), ('METHANE',))
    """
    png = Path(png_path)
    if not png.is_file():
        raise MissingFileError(f"{png}: PNG file not found")
    with open(png, "rb") as handle:  # a file that is no PNG is reported as such first
        _check_png_header(handle.read(33), str(png), max_pixels)
    pid = _product_id_in(png.name)
    meta = _resolve_metadata(metadata, pid, png.parent, "DataSet", str(png))
    _metadata_known(meta)
    data = read_png(png, max_pixels=max_pixels)
    return _make_raw(data, meta, str(png))


# --------------------------------------------------------------------------------------
# Zip bundles
# --------------------------------------------------------------------------------------


def _check_member_name(zip_path: PathLike, name: str) -> None:
    """Refuse member names that would escape a folder if the zip were ever extracted."""
    unified = name.replace("\\", "/")
    parts = unified.split("/")
    if (
        unified.startswith("/")
        or re.match(r"^[A-Za-z]:", unified)
        or ".." in parts
        or "\x00" in name
    ):
        raise ArchiveError(
            f"{zip_path}: refusing unsafe member name {name!r} (absolute, drive letter or '..')"
        )


def _check_member_size(
    zip_path: PathLike, info: zipfile.ZipInfo, limit: int, max_ratio: float
) -> None:
    if info.file_size > limit:
        raise ArchiveError(
            f"{zip_path}: member {info.filename!r} declares {info.file_size:,} bytes "
            f"uncompressed, over the {limit:,}-byte limit (zip bomb?)"
        )
    if info.file_size > _RATIO_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > max_ratio:
            raise ArchiveError(
                f"{zip_path}: member {info.filename!r} compresses {ratio:.0f}:1 "
                f"({info.compress_size:,} -> {info.file_size:,} bytes), over the "
                f"{max_ratio:g}:1 limit (zip bomb?)"
            )


def _read_limited(stream: IO[bytes], limit: int, what: str) -> bytes:
    """Read ``stream`` in chunks, giving up as soon as more than ``limit`` bytes arrive.

    Zip headers can lie about sizes, so the limit is enforced on what is actually read.
    """
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise ArchiveError(f"{what}: more than {limit:,} bytes when uncompressed (zip bomb?)")
        parts.append(chunk)
    return b"".join(parts)


class _SafeZip:
    """A zip opened for reading in place, with every member name checked."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MissingFileError(f"{self.path}: zip file not found")
        try:
            self.zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise ArchiveError(f"{self.path}: not a readable zip file ({exc})") from None
        try:
            infos = self.zf.infolist()
            if len(infos) > _MAX_ZIP_MEMBERS:
                raise ArchiveError(
                    f"{self.path}: {len(infos)} members, more than the {_MAX_ZIP_MEMBERS} accepted"
                )
            for info in infos:
                _check_member_name(self.path, info.filename)
            self.infos = [i for i in infos if not i.is_dir()]
        except BaseException:
            self.zf.close()
            raise

    def __enter__(self) -> _SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zf.close()

    def members(self, predicate: Any) -> list[zipfile.ZipInfo]:
        return [i for i in self.infos if predicate(i.filename)]

    def read(self, info: zipfile.ZipInfo, limit: int, max_ratio: float) -> bytes:
        _check_member_size(self.path, info, limit, max_ratio)
        what = f"{self.path}!{info.filename}"
        try:
            with self.zf.open(info) as stream:
                return _read_limited(stream, limit, what)
        except ArchiveError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            EOFError,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ) as exc:
            raise ArchiveError(f"{what}: corrupt zip member ({exc})") from None


def _is_json_member(name: str) -> bool:
    return name.lower().endswith(".json") and not PurePosixPath(name).name.startswith(".")


def _read_zip_jsons(path: PathLike, *, limit: int = MAX_JSON_BYTES) -> list[tuple[str, bytes]]:
    with _SafeZip(path) as z:
        return [
            (i.filename, z.read(i, limit, MAX_COMPRESSION_RATIO))
            for i in z.members(_is_json_member)
        ]


def read_metadata_zip(
    path: PathLike, *, product_id: str | None = None, max_json_bytes: int = MAX_JSON_BYTES
) -> Metadata:
    """Read the metadata from a website ``NNNN-Data.zip``, without extracting it.

    Parameters
    ----------
    path : str or os.PathLike
        The zip, holding ``DataSet/NNNN-Metadata.json``.
    product_id : str, optional
        Which product's JSON to use when the zip holds several.
    max_json_bytes : int, optional
        Largest JSON member accepted (default :data:`MAX_JSON_BYTES`).

    Returns
    -------
    Metadata
        With ``raw`` and error messages naming ``"<zip>!<member>"``.

    Raises
    ------
    MissingFileError
        The zip is missing, or holds no (matching) JSON.
    ArchiveError
        The zip is corrupt or unsafe, or holds several JSONs and no ``product_id`` was given.
    MetadataError
        The JSON is unusable.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> folder = _write_example_product(tempfile.mkdtemp(), zipped=True)
    >>> read_metadata_zip(folder / "13415-Data.zip").product_id
    'JNCE_2022186_43M00081_V01'
    """
    path = Path(path)
    members = _read_zip_jsons(path, limit=max_json_bytes)
    if not members:
        raise MissingFileError(f"{path}: no .json member (expected DataSet/NNNN-Metadata.json)")
    if product_id is not None:
        wanted = product_id.upper()
        members = [m for m in members if _json_product_id(m[1]) == wanted]
        if not members:
            raise MissingFileError(f"{path}: no metadata JSON with PRODUCT_ID {product_id}")
    if len(members) > 1:
        names = ", ".join(m[0] for m in members)
        raise ArchiveError(f"{path}: holds several metadata JSONs ({names}); pass product_id=...")
    member, blob = members[0]
    return read_metadata_json(f"{path}!{member}", text=blob)


def load_zip(
    path_or_paths: PathLike | Sequence[PathLike],
    *,
    metadata: Metadata | PathLike | None = None,
    product_id: str | None = None,
    max_png_bytes: int = MAX_PNG_MEMBER_BYTES,
    max_json_bytes: int = MAX_JSON_BYTES,
    max_ratio: float = MAX_COMPRESSION_RATIO,
    max_pixels: int = MAX_PIXELS,
) -> RawImage:
    """Load a product from website zip bundles, reading them in place.

    Parameters
    ----------
    path_or_paths : str, os.PathLike or sequence of them
        ``NNNN-ImageSet.zip`` (holding ``ImageSet/<id>-raw.png``) and/or
        ``NNNN-Data.zip`` (holding ``DataSet/NNNN-Metadata.json``), or one zip with both.
    metadata : Metadata, str or os.PathLike, optional
        Use this metadata instead of a JSON from the zips. When neither is given
        and the zips hold no matching JSON, the metadata is searched for beside
        the first zip, as :func:`load_png` does.
    product_id : str, optional
        Which strip to load when the zips hold several ``-raw.png`` members.
    max_png_bytes, max_json_bytes : int, optional
        Largest uncompressed member accepted, for the strip and for JSONs. Both the
        declared size and the bytes actually read are checked.
    max_ratio : float, optional
        Largest compression ratio accepted for members over 64 kiB.
    max_pixels : int, optional
        Passed to :func:`read_png`.

    Returns
    -------
    RawImage
        ``source`` is ``"<zip>!<member>"``.

    Raises
    ------
    MissingFileError
        A zip is missing, or no strip / metadata is found.
    ArchiveError
        A zip is corrupt, has unsafe member names, or a member is too large.
    FileFormatError, MetadataError
        As for :func:`load_png`.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> folder = _write_example_product(tempfile.mkdtemp(), zipped=True)
    >>> raw = load_zip([folder / "13415-ImageSet.zip", folder / "13415-Data.zip"])
    >>> raw.source.endswith("13415-ImageSet.zip!ImageSet/JNCE_2022186_43M00081_V01-raw.png")
    True
    """
    if isinstance(path_or_paths, (str, os.PathLike)):
        zips = [Path(path_or_paths)]
    else:
        zips = [Path(p) for p in path_or_paths]
    zips = list(dict.fromkeys(zips))
    if not zips:
        raise MissingFileError("load_zip: no zip files given")

    strips: list[tuple[Path, zipfile.ZipInfo]] = []
    jsons: list[tuple[str, bytes]] = []
    opened: list[_SafeZip] = []
    try:
        for zp in zips:
            z = _SafeZip(zp)
            opened.append(z)
            for info in z.members(_is_raw_png):
                strips.append((zp, info))
            if metadata is None:
                jsons.extend(
                    (f"{zp}!{i.filename}", z.read(i, max_json_bytes, max_ratio))
                    for i in z.members(_is_json_member)
                )
        listed = ", ".join(str(z) for z in zips)
        if product_id is not None:
            strips = [s for s in strips if _product_id_in(s[1].filename) == product_id.upper()]
        if not strips:
            what = f"{product_id}-raw.png" if product_id else "*-raw.png"
            raise MissingFileError(f"{listed}: no {what} member (expected ImageSet/<id>-raw.png)")
        if len(strips) > 1:
            names = ", ".join(f"{z}!{i.filename}" for z, i in strips)
            raise ArchiveError(f"{listed}: several raw strips ({names}); pass product_id=...")
        zp, info = strips[0]
        zsafe = opened[zips.index(zp)]
        source = f"{zp}!{info.filename}"
        pid = _product_id_in(info.filename)
        blob = zsafe.read(info, max_png_bytes, max_ratio)
        meta = _metadata_from_zips(metadata, jsons, pid, zp, source)
    finally:
        for z in opened:
            z.zf.close()
    _metadata_known(meta)
    data = read_png(blob, name=source, max_pixels=max_pixels)
    return _make_raw(data, meta, source)


def _metadata_from_zips(
    metadata: Metadata | PathLike | None,
    jsons: list[tuple[str, bytes]],
    pid: str | None,
    first_zip: Path,
    source: str,
) -> Metadata:
    if metadata is not None:
        return _resolve_metadata(metadata, pid, first_zip.parent, "DataSet", source)
    matching = [j for j in jsons if pid is not None and _json_product_id(j[1]) == pid]
    if not matching and pid is None and len(jsons) == 1:
        matching = jsons
    if matching:
        name, blob = matching[0]
        return read_metadata_json(name, text=blob)
    logger.debug("no metadata in the zips for %s; searching beside %s", source, first_zip)
    return _find_metadata(pid, _near_folders(first_zip.parent, "DataSet"), source)


# --------------------------------------------------------------------------------------
# PDS3
# --------------------------------------------------------------------------------------


def _import_pvl() -> Any:
    try:
        with warnings.catch_warnings():
            # pvl warns (ImportWarning, PendingDeprecationWarning) about optional extras.
            warnings.simplefilter("ignore", ImportWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import pvl
    except ImportError:
        raise FileFormatError(
            "reading PDS3 labels needs pvl: pip install 'junoproc[pds]'"
        ) from None
    return pvl


def _find_by_name(folder: Path, name: str) -> Path | None:
    exact = folder / name
    if exact.is_file():
        return exact
    for p in _children(folder):
        if p.name.lower() == name.lower() and p.is_file():
            return p
    return None


def _label_for(img: Path) -> Path:
    for p in _children(img.parent):
        if p.stem.lower() == img.stem.lower() and p.suffix.lower() == ".lbl" and p.is_file():
            return p
    raise MissingFileError(
        f"{img}: no detached PDS3 label {img.stem}.LBL beside it "
        "(attached labels are not supported)"
    )


def _parse_label(label: Path) -> Any:
    pvl = _import_pvl()
    try:
        size = label.stat().st_size
    except FileNotFoundError:
        raise MissingFileError(f"{label}: PDS3 label not found") from None
    if size > _MAX_LABEL_BYTES:
        raise FileFormatError(f"{label}: {size:,} bytes, too large for a detached PDS3 label")
    text = label.read_bytes().decode("latin-1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return pvl.loads(text)
    except Exception as exc:  # pvl raises its own LexerError/ParseError and ValueErrors
        raise FileFormatError(f"{label}: not a readable PDS3 label ({exc})") from None


def _is_quantity(value: Any) -> bool:
    return hasattr(value, "value") and hasattr(value, "units")


def _image_pointer(label: Path, pointer: Any, record_bytes: int | None) -> tuple[Path, int]:
    """Resolve ``^IMAGE`` to (data file, byte offset)."""
    name: str | None = None
    where: Any = 1
    if isinstance(pointer, str):
        name = pointer
    elif isinstance(pointer, (list, tuple)) and len(pointer) == 2 and isinstance(pointer[0], str):
        name, where = pointer
    elif isinstance(pointer, int) or _is_quantity(pointer):
        where = pointer  # attached label: the raster is in the label file itself
    else:
        raise FileFormatError(f"{label}: cannot understand ^IMAGE = {pointer!r}")

    if _is_quantity(where):
        if str(where.units).strip().upper() != "BYTES":
            raise FileFormatError(f"{label}: ^IMAGE offset has unknown unit {where.units!r}")
        offset = int(where.value) - 1  # PDS3 byte pointers count from 1
    elif isinstance(where, int) and not isinstance(where, bool):
        if where > 1 and not record_bytes:
            raise FileFormatError(
                f"{label}: ^IMAGE points to record {where} but RECORD_BYTES is missing"
            )
        offset = (where - 1) * (record_bytes or 0)  # PDS3 record pointers count from 1
    else:
        raise FileFormatError(f"{label}: cannot understand ^IMAGE = {pointer!r}")
    if offset < 0:
        raise FileFormatError(f"{label}: ^IMAGE = {pointer!r} points before the start of the file")

    if name is None:
        return label, offset
    data_file = _find_by_name(label.parent, name)
    if data_file is None:
        raise MissingFileError(f"{label}: ^IMAGE points to {name}, which is not in {label.parent}")
    return data_file, offset


def _pds_dtype(label: Path, bits: int, sample_type: str) -> np.dtype:
    sample_type = sample_type.upper()
    if bits == 8:
        return np.dtype(np.uint8)
    if bits != 16 or "REAL" in sample_type or "FLOAT" in sample_type:
        raise FileFormatError(
            f"{label}: SAMPLE_BITS = {bits}, SAMPLE_TYPE = {sample_type} is not supported "
            "(JunoCam EDRs are 8-bit, RDRs 16-bit integers)"
        )
    # PDS3 SAMPLE_TYPE: LSB_/PC_/VAX_ are little-endian; MSB_ and plain are big-endian.
    little = sample_type.startswith(("LSB_", "PC_", "VAX_"))
    signed = "UNSIGNED" not in sample_type
    return np.dtype(("<" if little else ">") + ("i2" if signed else "u2"))


def _label_int(label: Path, raw: dict[str, Any], key: str, default: int | None = None) -> int:
    value = raw.get(key, default)
    if value is None:
        raise FileFormatError(f"{label}: keyword {key} is missing")
    if _is_quantity(value):
        value = value.value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FileFormatError(f"{label}: cannot parse {key} = {value!r} as an integer") from None


def load_pds(path: PathLike) -> RawImage:
    """Load a PDS3 JunoCam EDR or RDR product (detached ``.LBL`` + ``.IMG``).

    Parameters
    ----------
    path : str or os.PathLike
        The ``.LBL`` label, or the ``.IMG`` raster (its label is found beside it,
        case-insensitively).

    Returns
    -------
    RawImage
        ``data`` of shape ``(LINES, LINE_SAMPLES)``: ``uint8`` for 8-bit EDRs,
        ``uint16`` (native byte order) for 16-bit RDRs. ``metadata.source_format``
        is ``"pds3"``.

    Raises
    ------
    MissingFileError
        The label or the raster it points to cannot be found.
    FileFormatError
        :mod:`pvl` is not installed, the label is unreadable, the sample type is
        unsupported, or the raster is truncated.
    MetadataError
        The label's keywords are unusable or disagree with the raster.

    Notes
    -----
    The label is flattened: top-level keywords plus those of the ``IMAGE`` object
    (``LINES``, ``LINE_SAMPLES``, ``SAMPLE_BITS``, ``SAMPLE_TYPE``, ...) become one
    mapping for :func:`~junoproc.metadata.parse_metadata`. ``LINE_PREFIX_BYTES``
    and ``LINE_SUFFIX_BYTES`` are skipped.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> folder = _write_example_product(tempfile.mkdtemp(), pds=True)
    >>> raw = load_pds(folder / "JNCE_2022186_43M00081_V01.LBL")
    >>> raw.data.shape, raw.data.dtype, raw.metadata.source_format
    ((256, 1648), dtype('uint8'), 'pds3')
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"{path}: PDS3 file not found")
    label = _label_for(path) if path.suffix.lower() == ".img" else path
    tree = _parse_label(label)

    raw: dict[str, Any] = {}
    image: Any = None
    for key, value in tree.items():
        if key == "IMAGE" and hasattr(value, "items"):
            image = value
        elif not hasattr(value, "items"):
            raw.setdefault(key, value)
    if image is None:
        raise FileFormatError(f"{label}: no OBJECT = IMAGE in the label")
    for key, value in image.items():
        if not hasattr(value, "items"):
            raw[key] = value
    raw["_SOURCE_FORMAT"] = "pds3"
    if "^IMAGE" not in raw:
        raise FileFormatError(f"{label}: no ^IMAGE pointer in the label")
    meta = parse_metadata(raw, source=str(label))

    record_bytes = raw.get("RECORD_BYTES")
    data_file, offset = _image_pointer(
        label, raw["^IMAGE"], _label_int(label, raw, "RECORD_BYTES") if record_bytes else None
    )
    lines = _label_int(label, raw, "LINES")
    samples = _label_int(label, raw, "LINE_SAMPLES")
    bits = _label_int(label, raw, "SAMPLE_BITS", 8)
    prefix = _label_int(label, raw, "LINE_PREFIX_BYTES", 0)
    suffix = _label_int(label, raw, "LINE_SUFFIX_BYTES", 0)
    dtype = _pds_dtype(label, bits, str(raw.get("SAMPLE_TYPE", "UNSIGNED_INTEGER")))
    line_bytes = prefix + samples * dtype.itemsize + suffix
    needed = offset + lines * line_bytes
    size = data_file.stat().st_size
    if size < needed:
        raise FileFormatError(
            f"{data_file}: truncated: expected {needed:,} bytes, found {size:,} "
            f"({lines} lines x {line_bytes} bytes from byte {offset})"
        )
    _metadata_known(meta)
    with open(data_file, "rb") as fh:
        fh.seek(offset)
        blob = fh.read(lines * line_bytes)
    rows = np.frombuffer(blob, dtype=np.uint8).reshape(lines, line_bytes)
    pixels = rows[:, prefix : prefix + samples * dtype.itemsize]
    data = np.ascontiguousarray(pixels).view(dtype).reshape(lines, samples)
    if dtype.itemsize == 1:
        data = data.copy()
    else:
        if dtype.kind == "i" and data.size and int(data.min()) < 0:
            raise FileFormatError(
                f"{data_file}: negative samples in a {raw.get('SAMPLE_TYPE')} raster"
            )
        data = data.astype(np.uint16)
    return _make_raw(data, meta, str(data_file))


# --------------------------------------------------------------------------------------
# Front door
# --------------------------------------------------------------------------------------


def _search_roots() -> list[Path]:
    roots = [Path.cwd()]
    env = os.environ.get("JUNOPROC_DATA_DIR")
    if env:
        roots.extend(Path(p) for p in env.split(os.pathsep) if p)
    return _unique_dirs(roots)


def _walk(root: Path, max_depth: int) -> Iterator[tuple[Path, list[str], list[str]]]:
    root_depth = len(root.parts)
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if len(here.parts) - root_depth >= max_depth:
            dirnames[:] = []
        yield here, dirnames, sorted(filenames)


def _find_product_id(pid: str) -> Path | None:
    """Look for a product (folder, raw PNG or PDS label) by id under the search roots."""
    want = pid.upper()
    for root in _search_roots():
        for here, dirnames, filenames in _walk(root, 4):
            for d in dirnames:
                if d.upper() == want:
                    return here / d
            for f in filenames:
                upper = f.upper()
                if upper in (f"{want}-RAW.PNG", f"{want}.LBL", f"{want}.IMG"):
                    return here / f
    return None


def _load_folder(folder: Path, metadata: Metadata | PathLike | None) -> RawImage:
    pngs = [p for f in _unique_dirs([folder, _child_dir(folder, "ImageSet")]) for p in _raw_pngs(f)]
    if len(pngs) == 1:
        return load_png(pngs[0], metadata=metadata)
    if len(pngs) > 1:
        names = ", ".join(p.name for p in pngs[:5])
        raise FileFormatError(
            f"{folder}: holds {len(pngs)} raw strips ({names}...); load one file, "
            "or use find_products() to list them"
        )
    zips = [p for p in _children(folder) if p.suffix.lower() == ".zip" and p.is_file()]
    if zips:
        with_strip = []
        for zp in zips:
            with _SafeZip(zp) as z:
                if z.members(_is_raw_png):
                    with_strip.append(zp)
        if with_strip:
            return load_zip(zips, metadata=metadata)
    labels = [p for p in _children(folder) if p.suffix.lower() == ".lbl" and p.is_file()]
    if len(labels) == 1:
        return load_pds(labels[0])
    if len(labels) > 1:
        raise FileFormatError(
            f"{folder}: holds {len(labels)} PDS3 labels; load one file, or use find_products()"
        )
    raise MissingFileError(
        f"{folder}: no raw strip found (looked for *-raw.png here and in ImageSet/, "
        "*-ImageSet.zip, and *.LBL)"
    )


def _load_json(path: Path) -> RawImage:
    meta = read_metadata_json(path)
    pid = meta.product_id
    folders = _near_folders(path.parent, "ImageSet")
    for folder in folders:
        for p in _raw_pngs(folder):
            if _product_id_in(p.name) == pid.upper():
                return load_png(p, metadata=meta)
    for folder in folders:
        for zp in _children(folder):
            if zp.suffix.lower() != ".zip" or not zp.is_file():
                continue
            try:
                with _SafeZip(zp) as z:
                    has = any(
                        _product_id_in(i.filename) == pid.upper() for i in z.members(_is_raw_png)
                    )
            except ArchiveError as exc:
                logger.warning("skipping %s while looking for %s: %s", zp, pid, exc)
                continue
            if has:
                return load_zip(zp, metadata=meta, product_id=pid)
    places = ", ".join(str(f) for f in folders)
    raise MissingFileError(f"{path}: no {pid}-raw.png (loose or in a zip) in {places}")


def load(
    path: PathLike | Sequence[PathLike], *, metadata: Metadata | PathLike | None = None
) -> RawImage:
    """Load a JunoCam raw strip from whatever form it comes in.

    Parameters
    ----------
    path : str, os.PathLike, or a sequence of zip paths
        One of:

        * a website ``<id>-raw.png`` (metadata found as in :func:`load_png`);
        * a ``NNNN-Metadata.json`` (the PNG is found beside it, in a sibling
          ``ImageSet/`` folder, or in a zip there);
        * a ``.zip`` or a list of zips (see :func:`load_zip`);
        * a PDS3 ``.LBL`` or ``.IMG`` (see :func:`load_pds`);
        * a product folder (website layout with ``ImageSet/`` and ``DataSet/``,
          a folder with the two website zips, or a folder with one PDS3 label);
        * a product id such as ``"JNCE_2022186_43C00080_V01"``, searched for (a
          folder or file of that name, up to four levels deep) in the current
          directory and in ``$JUNOPROC_DATA_DIR`` (``os.pathsep``-separated).
    metadata : Metadata, str or os.PathLike, optional
        Metadata to use instead of searching for it (PNG, folder and zip inputs).

    Returns
    -------
    RawImage

    Raises
    ------
    MissingFileError
        Nothing matching ``path`` exists, or a needed companion file is missing.
    FileFormatError, MetadataError, ArchiveError
        As raised by the individual loaders.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> folder = _write_example_product(tempfile.mkdtemp())
    >>> load(folder / "DataSet" / "13415-Metadata.json").metadata.lines
    256
    >>> load(folder / "no-such-file.png")
    Traceback (most recent call last):
    ...
    junoproc.exceptions.MissingFileError: .../no-such-file.png: no such file, folder or product id
    """
    if not isinstance(path, (str, os.PathLike)):
        return load_zip(list(path), metadata=metadata)
    p = Path(path)
    if not p.exists():
        text = os.fspath(path)
        if _PRODUCT_ID.fullmatch(text.strip()):
            found = _find_product_id(text.strip())
            if found is None:
                roots = ", ".join(str(r) for r in _search_roots())
                raise MissingFileError(
                    f"{text}: product not found in {roots} (set JUNOPROC_DATA_DIR to "
                    "the folder holding your downloads)"
                )
            logger.info("product %s found at %s", text, found)
            p = found
        else:
            raise MissingFileError(f"{p}: no such file, folder or product id")
    if p.is_dir():
        return _load_folder(p, metadata)
    suffix = p.suffix.lower()
    if suffix == ".png":
        return load_png(p, metadata=metadata)
    if suffix == ".json":
        if metadata is not None:
            raise MetadataError(
                f"{p}: metadata=... cannot be combined with loading a metadata JSON"
            )
        return _load_json(p)
    if suffix == ".zip":
        return load_zip(p, metadata=metadata)
    if suffix in _PDS_SUFFIXES:
        return load_pds(p)
    raise FileFormatError(
        f"{p}: unknown kind of file (expected -raw.png, .json, .zip, .LBL or .IMG)"
    )


def _is_image_label(path: Path) -> bool:
    """A PDS3 label with an ``^IMAGE`` pointer (not, say, a SPICE kernel's label)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    return re.search(rb"^\s*\^IMAGE\s*=", head, re.MULTILINE) is not None


def find_products(folder: PathLike, *, max_depth: int = 6) -> list[Path]:
    """List the products under a folder, each as a path :func:`load` accepts.

    A website product folder (one ``-raw.png`` in it or in its ``ImageSet/``) is
    listed as the folder; loose strips sharing a folder are listed one by one, as
    are PDS3 labels. Folders holding a ``NNNN-ImageSet.zip`` are listed as the folder
    (zips are recognised by name only, not opened).

    Parameters
    ----------
    folder : str or os.PathLike
        Where to look.
    max_depth : int, optional
        How many folder levels to descend.

    Returns
    -------
    list of pathlib.Path
        Sorted, without duplicates.

    Raises
    ------
    MissingFileError
        ``folder`` is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> from junoproc.io import _write_example_product
    >>> root = tempfile.mkdtemp()
    >>> folder = _write_example_product(root)
    >>> [p.name for p in find_products(root)]
    ['JNCE_2022186_43M00081_V01']
    """
    root = Path(folder)
    if not root.is_dir():
        raise MissingFileError(f"{root}: not a folder")
    found: set[Path] = set()
    for here, _dirs, files in _walk(root, max_depth):
        pngs = [here / f for f in files if _is_raw_png(f)]
        product = here.parent if here.name.lower() == "imageset" and here != root else here
        if len(pngs) == 1:
            found.add(product)
        else:
            found.update(pngs)
        if any(f.lower().endswith("-imageset.zip") for f in files) and not pngs:
            found.add(here)
        found.update(
            here / f for f in files if f.lower().endswith(".lbl") and _is_image_label(here / f)
        )
    # A product folder found both via ImageSet/ and directly is listed once.
    return sorted(found)


# --------------------------------------------------------------------------------------
# Small synthetic product, for the examples in the docstrings
# --------------------------------------------------------------------------------------


def _write_example_product(root: PathLike, *, zipped: bool = False, pds: bool = False) -> Path:
    """Write a tiny synthetic methane product (2 frames, 256 x 1648) under ``root``.

    Website layout by default (``<id>/ImageSet/<id>-raw.png`` and
    ``<id>/DataSet/13415-Metadata.json``); with ``zipped`` the two website zips
    instead; with ``pds`` a PDS3 ``.LBL`` + ``.IMG`` pair. Returns the product folder.
    The keywords mimic a real product but the pixels are a made-up ramp.
    """
    from PIL import Image

    pid = "JNCE_2022186_43M00081_V01"
    folder = Path(root) / pid
    folder.mkdir(parents=True, exist_ok=True)
    lines = 256
    data = (np.arange(lines * LINE_SAMPLES, dtype=np.uint32) % 251).astype(np.uint8)
    data = data.reshape(lines, LINE_SAMPLES)
    keywords = {
        "PRODUCT_ID": pid,
        "START_TIME": "2022-07-05T12:18:09.446",
        "STOP_TIME": "2022-07-05T12:18:10.190",
        "INTERFRAME_DELAY": "0.372 <s>",
        "EXPOSURE_DURATION": "102.400000 <ms>",
        "JNO:TDI_STAGES_COUNT": 32,
        "FILTER_NAME": ["METHANE"],
        "LINES": lines,
        "LINE_SAMPLES": LINE_SAMPLES,
        "SAMPLE_BITS": 8,
        "SAMPLE_BIT_MODE_ID": "SQROOT",
        "TARGET_NAME": "JUPITER",
        "PJ": "43",
    }
    if pds:
        text = "\n".join(
            [
                "PDS_VERSION_ID = PDS3",
                "RECORD_TYPE = FIXED_LENGTH",
                f"RECORD_BYTES = {LINE_SAMPLES}",
                f"FILE_RECORDS = {lines}",
                f'^IMAGE = "{pid}.IMG"',
                f'PRODUCT_ID = "{pid}"',
                "START_TIME = 2022-07-05T12:18:09.446",
                "STOP_TIME = 2022-07-05T12:18:10.190",
                "INTERFRAME_DELAY = 0.372 <s>",
                "EXPOSURE_DURATION = 102.400000 <ms>",
                "JNO:TDI_STAGES_COUNT = 32",
                "FILTER_NAME = ('METHANE')",
                'SAMPLE_BIT_MODE_ID = "SQROOT"',
                "TARGET_NAME = JUPITER",
                "ORBIT_NUMBER = 43",
                "OBJECT = IMAGE",
                f"  LINES = {lines}",
                f"  LINE_SAMPLES = {LINE_SAMPLES}",
                "  SAMPLE_TYPE = UNSIGNED_INTEGER",
                "  SAMPLE_BITS = 8",
                "END_OBJECT = IMAGE",
                "END",
                "",
            ]
        )
        (folder / f"{pid}.LBL").write_text(text.replace("\n", "\r\n"), encoding="ascii")
        data.tofile(folder / f"{pid}.IMG")
        return folder
    png = io.BytesIO()
    Image.fromarray(data).save(png, format="PNG")
    meta_json = json.dumps(keywords, indent=2).encode()
    if zipped:
        with zipfile.ZipFile(folder / "13415-ImageSet.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"ImageSet/{pid}-raw.png", png.getvalue())
        with zipfile.ZipFile(folder / "13415-Data.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("DataSet/13415-Metadata.json", meta_json)
        return folder
    (folder / "ImageSet").mkdir(exist_ok=True)
    (folder / "DataSet").mkdir(exist_ok=True)
    (folder / "ImageSet" / f"{pid}-raw.png").write_bytes(png.getvalue())
    (folder / "DataSet" / "13415-Metadata.json").write_bytes(meta_json)
    return folder
