"""Write finished images to PNG, TIFF and FITS, atomically, with provenance.

Which format to pick
--------------------
* **PNG** for pictures to share: 8-bit for the web, 16-bit when you will edit further.
  Values must already be integers (run :func:`junoproc.stretch.stretch` first).
  junoproc writes PNG with its own small encoder, because Pillow (and so imageio)
  cannot write 16-bit colour PNG and silently reads it back as 8-bit; use
  :func:`read_png` to read any PNG junoproc wrote, exactly.
* **TIFF** (:mod:`tifffile`, zlib-compressed) keeps ``float32`` linear data or
  16-bit colour for image editors.
* **FITS** (:mod:`astropy.io.fits`) for science tools. Colour images are stored as a
  ``(channel, row, col)`` cube; row 0 of the array is the first row of the data
  unit, which FITS viewers usually draw at the *bottom*.

Every writer takes ``overwrite=False``: an existing file raises
:class:`~junoproc.exceptions.OutputExistsError`. Every write is atomic: the data go
to a hidden temporary file beside the target (``.<name>.<random>.part``), which is
flushed to disk and then renamed over the target, so a crash or an error never
leaves a half-written image behind. Processing history and metadata travel inside
the file: PNG text chunks, the TIFF ``ImageDescription`` (JSON) or FITS header cards.

Examples
--------
>>> import numpy as np, tempfile, pathlib
>>> from junoproc.writers import write_image, read_png, read_png_text
>>> rgb16 = np.array([[[0, 1000, 65535], [7, 8, 9]]], dtype=np.uint16)  # (1, 2, 3)
>>> with tempfile.TemporaryDirectory() as tmp:
...     out = pathlib.Path(tmp) / "tiny.png"
...     _ = write_image(out, rgb16, history=[("stretch", {"method": "asinh"})])
...     back = read_png(out)
...     history = read_png_text(out)["junoproc.history"]
>>> back.dtype, back.shape, bool((back == rgb16).all())
(dtype('uint16'), (1, 2, 3), True)
>>> history
'[{"stage": "stretch", "params": {"method": "asinh"}}]'
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import secrets
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from ._version import __version__
from .exceptions import (
    FileFormatError,
    ImageTooLargeError,
    MissingFileError,
    OutputExistsError,
)

__all__ = [
    "FORMATS",
    "MAX_PIXELS",
    "read_png",
    "read_png_text",
    "write_fits",
    "write_image",
    "write_png",
    "write_text",
    "write_tiff",
]

logger = logging.getLogger(__name__)

#: File-name suffixes :func:`write_image` understands, and the format each one means.
FORMATS: dict[str, str] = {
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".fits": "fits",
    ".fit": "fits",
    ".fts": "fits",
}

#: :func:`read_png` refuses images with more pixels than this (decompression-bomb guard);
#: 2**28 is about sixteen 1648 x 10000 mosaics.
MAX_PIXELS = 2**28

_SOFTWARE = f"junoproc {__version__}"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Channels -> PNG colour type (grey, grey + alpha, RGB, RGBA), and back.
_PNG_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}
_PNG_CHANNELS = {v: k for k, v in _PNG_COLOUR_TYPE.items()}
_PNG_FILTERS = {"none": 0, "sub": 1, "up": 2}
#: Rows filtered and compressed per step, and the size IDAT chunks are cut at.
_ROWS_PER_BLOCK = 256
_IDAT_SIZE = 1 << 20
#: Text chunks longer than this (bytes) are stored compressed (zTXt / compressed iTXt).
_COMPRESS_TEXT_OVER = 1024
#: Largest decompressed text chunk read_png_text accepts.
_MAX_TEXT = 64 << 20

PathLike = str | os.PathLike[str]


# ----------------------------------------------------------------------------------------
# Atomic output
# ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def _atomic_output(path: PathLike, *, overwrite: bool) -> Iterator[IO[bytes]]:
    """Yield a binary file that becomes ``path`` only if the ``with`` body succeeds.

    The temporary file is created with ``open(tmp, "xb")`` (exclusive, mode 0o666 less
    the umask), so the finished file gets the usual permissions, unlike ``tempfile``
    files (0600).
    """
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise MissingFileError(f"{target}: output directory {parent} does not exist")
    if target.is_dir():
        raise OutputExistsError(f"{target}: is a directory")
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target}: exists; pass overwrite=True (CLI: --overwrite)")
    while True:
        tmp = parent / f".{target.name}.{secrets.token_hex(4)}.part"
        try:
            open(tmp, "xb").close()  # exclusive create: never reuse someone else's file
            break
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
    try:
        # reopened as plain "wb": astropy refuses file objects in "xb" mode
        with open(tmp, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _publish(tmp, target, overwrite=overwrite)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(parent)
    logger.info("wrote %s (%d bytes)", target, target.stat().st_size)


def _publish(tmp: Path, target: Path, *, overwrite: bool) -> None:
    """Move ``tmp`` to ``target``; without ``overwrite`` never clobber a file that appeared."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic "create only if absent"
    except FileExistsError:
        raise OutputExistsError(
            f"{target}: exists; pass overwrite=True (CLI: --overwrite)"
        ) from None
    except OSError:  # no hard links on this file system: check, then rename
        if target.exists():
            raise OutputExistsError(
                f"{target}: exists; pass overwrite=True (CLI: --overwrite)"
            ) from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def write_text(path: PathLike, text: str, *, overwrite: bool = False) -> Path:
    """Write a text file (UTF-8) atomically, like every other junoproc output.

    Parameters
    ----------
    path : path-like
    text : str
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_text(pathlib.Path(tempfile.mkdtemp()) / "report.json", '{"ok": true}')
    >>> p.read_text()
    '{"ok": true}'
    """
    with _atomic_output(path, overwrite=overwrite) as handle:
        handle.write(text.encode("utf-8"))
    return Path(path)


# ----------------------------------------------------------------------------------------
# Provenance helpers
# ----------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    """Make numpy scalars/arrays, times and paths JSON-serialisable."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if hasattr(value, "isot"):  # astropy.time.Time
        return value.isot
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _metadata_dict(metadata: Any) -> dict[str, Any]:
    """A :class:`~junoproc.metadata.Metadata` (via ``.summary()``), a mapping, or None."""
    if metadata is None:
        return {}
    if hasattr(metadata, "summary") and callable(metadata.summary):
        return dict(metadata.summary())
    if isinstance(metadata, Mapping):
        return {str(k): v for k, v in metadata.items()}
    raise TypeError(
        f"metadata must be a junoproc Metadata, a mapping or None, got {type(metadata).__name__}"
    )


def _history_entries(history: Iterable[Any] | str | None) -> list[Any]:
    """Normalise history to a list of strings and ``{"stage", "params"}`` dicts."""
    if history is None:
        return []
    if isinstance(history, str):
        history = (history,)
    entries: list[Any] = []
    for item in history:
        if isinstance(item, str):
            entries.append(item)
        elif isinstance(item, Mapping) and "stage" in item:
            entries.append({"stage": item["stage"], "params": item.get("params", {})})
        elif isinstance(item, Sequence) and len(item) == 2 and isinstance(item[0], str):
            entries.append({"stage": item[0], "params": item[1]})
        else:
            raise TypeError(
                f"history entries must be strings or (stage, params) pairs, got {item!r}"
            )
    return entries


def _history_line(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    return f"{entry['stage']} {json.dumps(entry['params'], default=_json_default, sort_keys=True)}"


# ----------------------------------------------------------------------------------------
# PNG
# ----------------------------------------------------------------------------------------


def _png_chunk(handle: IO[bytes], tag: bytes, data: bytes | bytearray | memoryview) -> None:
    handle.write(struct.pack(">I", len(data)))
    handle.write(tag)
    handle.write(data)
    handle.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(tag))))


def _check_keyword(key: Any) -> bytes:
    if not isinstance(key, str):
        raise TypeError(f"PNG text keys must be str, got {key!r}")
    try:
        raw = key.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"PNG text key {key!r} must be Latin-1") from None
    printable = all(32 <= b <= 126 or b >= 161 for b in raw)
    if not (1 <= len(raw) <= 79) or not printable or key != key.strip() or "  " in key:
        raise ValueError(
            f"PNG text key {key!r} must be 1-79 printable Latin-1 characters without "
            "leading, trailing or repeated spaces"
        )
    return raw


def _text_chunk(key: str, value: Any) -> tuple[bytes, bytes]:
    """(chunk type, chunk data) for one text entry: tEXt/zTXt if Latin-1, else iTXt."""
    keyword = _check_keyword(key)
    if not isinstance(value, str):
        raise TypeError(f"PNG text value for {key!r} must be str, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError(f"PNG text value for {key!r} contains a NUL character")
    compress = len(value) > _COMPRESS_TEXT_OVER
    try:
        latin = value.encode("latin-1")
    except UnicodeEncodeError:
        utf8 = value.encode("utf-8")
        body = zlib.compress(utf8, 9) if compress else utf8
        # keyword, NUL, compression flag, method, empty language tag + NUL, empty
        # translated keyword + NUL, text
        return b"iTXt", keyword + b"\x00" + bytes([int(compress), 0]) + b"\x00\x00" + body
    if compress:
        return b"zTXt", keyword + b"\x00\x00" + zlib.compress(latin, 9)
    return b"tEXt", keyword + b"\x00" + latin


def _filter_block(block: np.ndarray, prev: np.ndarray, bpp: int, method: int) -> np.ndarray:
    """PNG-filter ``block`` (rows, rowbytes) uint8; prepend the filter-type byte to each row.

    uint8 subtraction wraps modulo 256, which is exactly PNG's arithmetic.
    """
    n, rowbytes = block.shape
    out = np.empty((n, rowbytes + 1), dtype=np.uint8)
    out[:, 0] = method
    if method == 0:
        out[:, 1:] = block
    elif method == 1:
        out[:, 1 : 1 + bpp] = block[:, :bpp]
        np.subtract(block[:, bpp:], block[:, :-bpp], out=out[:, 1 + bpp :])
    else:
        np.subtract(block[:1], prev[np.newaxis], out=out[:1, 1:])
        np.subtract(block[1:], block[:-1], out=out[1:, 1:])
    return out


def _as_channels(image: np.ndarray, name: str = "image") -> np.ndarray:
    """View ``image`` as (rows, cols, channels) with 1-4 channels."""
    if image.ndim == 2:
        return image[:, :, np.newaxis]
    if image.ndim == 3 and 1 <= image.shape[2] <= 4:
        return image
    raise ValueError(
        f"{name} must be (rows, cols) or (rows, cols, channels) with 1-4 channels, "
        f"got shape {image.shape}"
    )


def _encode_png(
    handle: IO[bytes],
    image: np.ndarray,
    *,
    text: Mapping[str, str],
    filter_type: int,
    compress_level: int,
) -> None:
    pixels = _as_channels(image)
    height, width, channels = pixels.shape
    depth = pixels.dtype.itemsize * 8
    bpp = channels * pixels.dtype.itemsize
    rowbytes = width * bpp
    handle.write(_PNG_SIGNATURE)
    header = struct.pack(">IIBBBBB", width, height, depth, _PNG_COLOUR_TYPE[channels], 0, 0, 0)
    _png_chunk(handle, b"IHDR", header)
    for key, value in text.items():
        _png_chunk(handle, *_text_chunk(key, value))
    compressor = zlib.compressobj(compress_level)
    pending = bytearray()
    prev = np.zeros(rowbytes, dtype=np.uint8)
    for start in range(0, height, _ROWS_PER_BLOCK):
        block = pixels[start : start + _ROWS_PER_BLOCK]
        if depth == 16:  # PNG samples are big-endian
            block = block.astype(">u2")
        rows = np.ascontiguousarray(block).view(np.uint8).reshape(-1, rowbytes)
        pending += compressor.compress(_filter_block(rows, prev, bpp, filter_type))
        prev = rows[-1]
        while len(pending) >= _IDAT_SIZE:
            _png_chunk(handle, b"IDAT", memoryview(pending)[:_IDAT_SIZE])
            del pending[:_IDAT_SIZE]
    pending += compressor.flush()
    for start in range(0, len(pending), _IDAT_SIZE):
        _png_chunk(handle, b"IDAT", memoryview(pending)[start : start + _IDAT_SIZE])
    _png_chunk(handle, b"IEND", b"")


def write_png(
    path: PathLike,
    image: np.ndarray,
    *,
    text: Mapping[str, str] | None = None,
    overwrite: bool = False,
    compress_level: int = 6,
    png_filter: str = "up",
) -> Path:
    """Write an 8- or 16-bit grey, grey+alpha, RGB or RGBA PNG.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Its directory must exist.
    image : (rows, cols) or (rows, cols, C) uint8 or uint16 ndarray
        ``C`` is 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). The dtype sets the
        bit depth (8 or 16). Floats are refused: stretch first (see Raises).
    text : dict of str to str, optional
        Written as text chunks before the pixels: ``tEXt`` (``zTXt`` when longer
        than 1 KiB) for Latin-1 text, ``iTXt`` (UTF-8) otherwise. Keys are 1-79
        Latin-1 characters, e.g. ``"Software"``, ``"junoproc.history"``.
    overwrite : bool, default False
        Replace an existing file.
    compress_level : int, default 6
        zlib level, 0 (none, fastest) to 9 (smallest, slowest).
    png_filter : {"up", "sub", "none"}, default "up"
        PNG row filter applied to every row. ``"up"`` usually gives the smallest
        files for planetary images and is fast to decode.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Wrong shape, dtype or option; the message says how to fix it.
    OutputExistsError
        ``path`` exists and ``overwrite`` is False.
    MissingFileError
        The output directory does not exist.

    See Also
    --------
    read_png, read_png_text, write_image, junoproc.stretch.to_uint16

    Notes
    -----
    The encoder is numpy + zlib: the image is filtered and compressed in blocks of
    rows, so memory stays near one copy of the input. The write is atomic.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> grey = np.array([[0, 128, 255]], dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_png(pathlib.Path(tmp) / "g.png", grey, text={"Title": "ramp"})
    ...     read_png(out).tolist(), read_png_text(out)
    ([[0, 128, 255]], {'Title': 'ramp'})
    """
    image = np.asarray(image)
    if image.dtype.kind != "u" or image.dtype.itemsize not in (1, 2):  # any byte order
        hint = (
            "stretch it first (junoproc.stretch.stretch(..., out_dtype=np.uint16)) or use "
            "write_image(..., bit_depth=8 or 16) to scale [0, 1] floats"
            if image.dtype.kind == "f"
            else "convert it to uint8 or uint16"
        )
        raise ValueError(f"PNG needs a uint8 or uint16 image, got {image.dtype}; {hint}")
    pixels = _as_channels(image)
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ValueError(f"PNG cannot store an empty image (shape {image.shape})")
    if pixels.shape[0] >= 2**31 or pixels.shape[1] >= 2**31:
        raise ValueError(f"PNG sides must be below 2**31 pixels, got shape {image.shape}")
    try:
        filter_type = _PNG_FILTERS[png_filter]
    except (KeyError, TypeError):
        raise ValueError(
            f"png_filter must be one of {sorted(_PNG_FILTERS)}, got {png_filter!r}"
        ) from None
    if not isinstance(compress_level, int) or not 0 <= compress_level <= 9:
        raise ValueError(f"compress_level must be an int 0-9, got {compress_level!r}")
    text = dict(text or {})
    for key, value in text.items():  # validate before touching the disk
        _text_chunk(key, value)
    with _atomic_output(path, overwrite=overwrite) as handle:
        _encode_png(
            handle, image, text=text, filter_type=filter_type, compress_level=compress_level
        )
    return Path(path)


def _iter_chunks(
    handle: IO[bytes], name: str, wanted: Callable[[bytes], bool]
) -> Iterator[tuple[bytes, bytes]]:
    """Yield ``(tag, data)`` of a PNG's chunks; only ``wanted`` chunks are read and CRC-checked."""
    if handle.read(8) != _PNG_SIGNATURE:
        raise FileFormatError(f"{name}: not a PNG file (bad signature)")
    while True:
        head = handle.read(8)
        if len(head) < 8:
            raise FileFormatError(f"{name}: truncated PNG (no IEND chunk)")
        length, tag = struct.unpack(">I4s", head)
        if length > 2**31 - 1:
            raise FileFormatError(f"{name}: corrupt PNG chunk length {length}")
        if tag == b"IEND":
            return
        if not wanted(tag):
            handle.seek(length + 4, os.SEEK_CUR)
            continue
        data = handle.read(length)
        crc = handle.read(4)
        if len(data) < length or len(crc) < 4:
            raise FileFormatError(f"{name}: truncated PNG {tag.decode('latin-1')} chunk")
        if struct.unpack(">I", crc)[0] != zlib.crc32(data, zlib.crc32(tag)):
            raise FileFormatError(f"{name}: CRC mismatch in PNG {tag.decode('latin-1')} chunk")
        yield tag, data


def _inflate(data: bytes, limit: int, name: str, what: str) -> bytes:
    """Decompress at most ``limit`` bytes (decompression-bomb safe)."""
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, limit)
    except zlib.error as err:
        raise FileFormatError(f"{name}: corrupt compressed {what}: {err}") from None
    if inflater.unconsumed_tail:
        raise FileFormatError(f"{name}: {what} decompresses to more than {limit} bytes")
    return out


def _unfilter_slow(kind: int, row: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    """Average (3) and Paeth (4) reconstruction: sequential along the row, so plain Python."""
    cur = bytearray(row.tobytes())
    up = prev.tobytes()
    for i in range(len(cur)):
        left = cur[i - bpp] if i >= bpp else 0
        if kind == 3:
            cur[i] = (cur[i] + ((left + up[i]) >> 1)) & 0xFF
            continue
        upleft = up[i - bpp] if i >= bpp else 0
        p = left + up[i] - upleft
        pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - upleft)
        if pa <= pb and pa <= pc:
            pred = left
        elif pb <= pc:
            pred = up[i]
        else:
            pred = upleft
        cur[i] = (cur[i] + pred) & 0xFF
    return np.frombuffer(bytes(cur), dtype=np.uint8)


def _unfilter(filtered: np.ndarray, bpp: int, name: str) -> np.ndarray:
    """Undo PNG filtering; ``filtered`` is (rows, 1 + rowbytes) uint8, filter type first.

    None and Sub rows depend only on themselves and are decoded all at once; Up,
    Average and Paeth rows need the decoded row above, so they go in order.
    """
    kinds = filtered[:, 0]
    if kinds.max(initial=0) > 4:
        raise FileFormatError(f"{name}: unknown PNG filter type {int(kinds.max())}")
    data = filtered[:, 1:]
    height, rowbytes = data.shape
    out = np.empty((height, rowbytes), dtype=np.uint8)
    plain = kinds == 0
    out[plain] = data[plain]
    sub = np.flatnonzero(kinds == 1)
    if sub.size:  # running sum along each byte lane; uint8 wraps modulo 256 as PNG wants
        lanes = np.cumsum(data[sub].reshape(sub.size, -1, bpp), axis=1, dtype=np.uint8)
        out[sub] = lanes.reshape(sub.size, rowbytes)
    zeros = np.zeros(rowbytes, dtype=np.uint8)
    for y in np.flatnonzero(kinds >= 2):
        prev = out[y - 1] if y else zeros
        if kinds[y] == 2:
            np.add(data[y], prev, out=out[y])
        else:
            out[y] = _unfilter_slow(int(kinds[y]), data[y], prev, bpp)
    return out


def read_png(path: PathLike, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read a PNG exactly, including the 16-bit colour PNGs Pillow gets wrong.

    Non-interlaced 8- and 16-bit grey, grey+alpha, RGB and RGBA (every PNG
    :func:`write_png` makes) are decoded here with numpy + zlib, checking chunk CRCs.
    Other PNGs Pillow reads exactly (palette, 1/2/4-bit, interlaced 8-bit, and
    8-bit or 16-bit grey using the Average/Paeth filters that other encoders like)
    are handed to imageio. 16-bit colour from other encoders is decoded here too,
    slowly if it uses Average/Paeth filters (pure Python, 1-2 s per megapixel).

    Parameters
    ----------
    path : str or os.PathLike
        PNG file.
    max_pixels : int, default MAX_PIXELS
        Refuse larger images (guards against decompression bombs).

    Returns
    -------
    (rows, cols) or (rows, cols, C) uint8 or uint16 ndarray
        Native byte order; ``C`` is 2, 3 or 4 for grey+alpha, RGB or RGBA.

    Raises
    ------
    MissingFileError
        ``path`` does not exist.
    FileFormatError
        Not a PNG, truncated, corrupt (bad CRC or zlib data) or an unsupported kind
        (interlaced 16-bit).
    ImageTooLargeError
        More than ``max_pixels`` pixels.

    See Also
    --------
    write_png, read_png_text

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> rgba = np.arange(8, dtype=np.uint16).reshape(1, 2, 4) * 8000
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_png(write_png(pathlib.Path(tmp) / "a.png", rgba))
    >>> back.dtype, back.shape, back[0, 1].tolist()
    (dtype('uint16'), (1, 2, 4), [32000, 40000, 48000, 56000])
    """
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(f"{source}: no such file")
    name = str(source)
    header: tuple[int, ...] | None = None
    idat: list[bytes] = []
    with source.open("rb") as handle:
        for tag, data in _iter_chunks(handle, name, lambda t: t in (b"IHDR", b"IDAT")):
            if tag == b"IHDR":
                if len(data) != 13:
                    raise FileFormatError(f"{name}: corrupt PNG header")
                header = struct.unpack(">IIBBBBB", data)
            else:
                idat.append(data)
    if header is None or not idat:
        raise FileFormatError(f"{name}: PNG without {'IHDR' if header is None else 'IDAT'}")
    width, height, depth, colour, _method, _filter, interlace = header
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"{name}: {width} x {height} pixels is more than max_pixels={max_pixels}"
        )
    if colour not in _PNG_CHANNELS or depth not in (8, 16) or (interlace and depth == 8):
        if depth == 16:
            raise FileFormatError(f"{name}: interlaced 16-bit PNG is not supported")
        import imageio.v3 as iio

        logger.debug("%s: palette/low-bit/interlaced PNG, decoding with imageio", name)
        return np.asarray(iio.imread(source))
    if interlace:
        raise FileFormatError(f"{name}: interlaced 16-bit PNG is not supported")
    channels = _PNG_CHANNELS[colour]
    bpp = channels * depth // 8
    rowbytes = width * bpp
    expected = height * (rowbytes + 1)
    raw = _inflate(b"".join(idat), expected, name, "PNG image data")
    del idat
    if len(raw) < expected:
        raise FileFormatError(f"{name}: truncated PNG image data")
    filtered = np.frombuffer(raw, dtype=np.uint8).reshape(height, rowbytes + 1)
    if (depth == 8 or colour == 0) and (filtered[:, 0] >= 3).any():
        # Average/Paeth rows decode pixel by pixel; Pillow does that in C and is exact
        # for every depth-8 kind and 16-bit grey (not for 16-bit colour).
        import imageio.v3 as iio

        logger.debug("%s: Average/Paeth-filtered PNG, decoding with imageio", name)
        return np.asarray(iio.imread(source))
    rows = _unfilter(filtered, bpp, name)
    image = rows.view(">u2").astype(np.uint16) if depth == 16 else rows
    image = image.reshape(height, width, channels)
    return image[:, :, 0] if channels == 1 else image


def read_png_text(path: PathLike) -> dict[str, str]:
    """Read the text chunks (``tEXt``, ``zTXt``, ``iTXt``) of a PNG.

    Parameters
    ----------
    path : str or os.PathLike
        PNG file. Pixel data are skipped, not read.

    Returns
    -------
    dict of str to str
        Keyword -> text, in file order (a repeated keyword keeps its last value).

    Raises
    ------
    MissingFileError, FileFormatError

    See Also
    --------
    write_png, read_png

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_png(pathlib.Path(tmp) / "t.png", np.zeros((1, 3), np.uint8),
    ...                     text={"Author": "Eichstädt", "Note": "Jupiter ♃"})
    ...     read_png_text(out)
    {'Author': 'Eichstädt', 'Note': 'Jupiter ♃'}
    """
    source = Path(path)
    if not source.is_file():
        raise MissingFileError(f"{source}: no such file")
    name = str(source)
    out: dict[str, str] = {}
    with source.open("rb") as handle:
        for tag, data in _iter_chunks(handle, name, lambda t: t in (b"tEXt", b"zTXt", b"iTXt")):
            key, sep, rest = data.partition(b"\x00")
            if not sep:
                raise FileFormatError(f"{name}: corrupt PNG {tag.decode()} chunk")
            keyword = key.decode("latin-1")
            if tag == b"tEXt":
                out[keyword] = rest.decode("latin-1")
            elif tag == b"zTXt":
                out[keyword] = _inflate(rest[1:], _MAX_TEXT, name, "zTXt").decode("latin-1")
            else:
                if len(rest) < 2:
                    raise FileFormatError(f"{name}: corrupt PNG iTXt chunk")
                compressed = rest[0]
                _lang, _, rest = rest[2:].partition(b"\x00")
                _translated, _, body = rest.partition(b"\x00")
                if compressed:
                    body = _inflate(body, _MAX_TEXT, name, "iTXt")
                try:
                    out[keyword] = body.decode("utf-8")
                except UnicodeDecodeError:
                    raise FileFormatError(f"{name}: iTXt chunk {keyword!r} is not UTF-8") from None
    return out


# ----------------------------------------------------------------------------------------
# TIFF
# ----------------------------------------------------------------------------------------

_TIFF_DTYPES = (np.uint8, np.uint16, np.float32, np.float64)


def write_tiff(
    path: PathLike,
    image: np.ndarray,
    *,
    metadata: Any = None,
    history: Iterable[Any] = (),
    overwrite: bool = False,
    compression: str | None = "zlib",
) -> Path:
    """Write a grey, RGB or RGBA TIFF with tifffile, metadata as JSON in the description.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Its directory must exist.
    image : (rows, cols) or (rows, cols, 3 or 4) ndarray
        ``uint8``, ``uint16``, ``float32`` or ``float64`` (``float16`` is widened to
        ``float32``). Floats are stored as they are (linear data stay linear).
    metadata : junoproc.metadata.Metadata or dict, optional
        Stored (with ``history``) as JSON in the ``ImageDescription`` tag:
        ``{"software": ..., "metadata": {...}, "history": [...]}``.
    history : sequence of str or (stage, params) pairs, optional
        Processing steps, oldest first.
    overwrite : bool, default False
        Replace an existing file.
    compression : {"zlib", None}, default "zlib"
        Passed to :func:`tifffile.imwrite`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Unsupported shape or dtype.
    OutputExistsError, MissingFileError

    See Also
    --------
    write_image, write_fits

    Examples
    --------
    >>> import json, numpy as np, tempfile, pathlib, tifffile
    >>> data = np.array([[0.25, 0.5, 1.5]], dtype=np.float32)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_tiff(pathlib.Path(tmp) / "d.tif", data, metadata={"target": "IO"})
    ...     with tifffile.TiffFile(out) as tif:
    ...         back = tif.asarray()
    ...         info = json.loads(tif.pages[0].description)
    >>> back.tolist(), info["metadata"]
    ([[0.25, 0.5, 1.5]], {'target': 'IO'})
    """
    import tifffile

    image = np.asarray(image)
    if image.dtype == np.float16:
        image = image.astype(np.float32)
    if not image.dtype.isnative:
        image = image.astype(image.dtype.newbyteorder("="))
    if image.dtype not in _TIFF_DTYPES:
        raise ValueError(f"TIFF output takes uint8, uint16, float32 or float64, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        options: dict[str, Any] = {"photometric": "minisblack"}
    elif image.ndim == 3 and image.shape[2] in (3, 4):
        options = {"photometric": "rgb", "planarconfig": "contig"}
        if image.shape[2] == 4:
            options["extrasamples"] = ("unassalpha",)
    else:
        raise ValueError(
            f"TIFF output takes (rows, cols) or (rows, cols, 3 or 4) images, got {image.shape}"
        )
    if compression not in ("zlib", None):
        raise ValueError(f"compression must be 'zlib' or None, got {compression!r}")
    description = _dumps(
        {
            "software": _SOFTWARE,
            "metadata": _metadata_dict(metadata),
            "history": _history_entries(history),
        }
    )
    with _atomic_output(path, overwrite=overwrite) as handle:
        tifffile.imwrite(
            handle,
            image,
            compression=compression,
            description=description,
            metadata=None,
            software=_SOFTWARE,
            **options,
        )
    return Path(path)


# ----------------------------------------------------------------------------------------
# FITS
# ----------------------------------------------------------------------------------------

#: Structural keywords astropy writes itself; user headers never override them.
_FITS_STRUCTURAL = {
    "SIMPLE",
    "BITPIX",
    "EXTEND",
    "BSCALE",
    "BZERO",
    "END",
    "XTENSION",
    "PCOUNT",
    "GCOUNT",
}
_FITS_KEY_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _ascii(text: str) -> str:
    """FITS headers are printable ASCII: escape anything else (``ä`` -> ``\\xe4``)."""
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" for c in text)


def _fits_key(key: str) -> str:
    upper = str(key).strip().upper()
    if upper.startswith("HIERARCH "):
        return upper
    if len(upper) <= 8 and upper and set(upper) <= _FITS_KEY_CHARS:
        return upper
    return f"HIERARCH {_ascii(upper)}"


def _fits_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)  # FITS has no NaN/inf header values
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return _ascii(value)
    if hasattr(value, "isot"):
        return value.isot
    return _ascii(json.dumps(value, default=_json_default))


def _fits_header(header: Any, metadata: dict[str, Any], history: list[Any]):
    from astropy.io import fits

    out = fits.Header()
    for key, value in metadata.items():
        out[_fits_key(key)] = _fits_value(value)
    if header is not None:
        cards = header.cards if isinstance(header, fits.Header) else header.items()
        for card in cards:
            key, value = (card.keyword, card.value) if isinstance(card, fits.Card) else card
            upper = str(key).upper()
            if upper in _FITS_STRUCTURAL or upper.startswith("NAXIS"):
                continue
            if upper in ("HISTORY", "COMMENT"):
                (out.add_history if upper == "HISTORY" else out.add_comment)(_ascii(str(value)))
                continue
            out[_fits_key(key)] = _fits_value(value)
    out["CREATOR"] = (_SOFTWARE, "software that wrote this file")
    for entry in history:
        out.add_history(_ascii(_history_line(entry)))
    return out


def write_fits(
    path: PathLike,
    image: np.ndarray,
    *,
    header: Mapping[str, Any] | Any = None,
    metadata: Any = None,
    history: Iterable[Any] = (),
    overwrite: bool = False,
) -> Path:
    """Write an image to a single-HDU FITS file with astropy.

    Parameters
    ----------
    path : str or os.PathLike
        Output file. Its directory must exist.
    image : (rows, cols) or (rows, cols, C) ndarray
        Any numeric dtype FITS can hold (floats, ``uint8``, ``int16``, ``uint16`` via
        ``BZERO``, ...). Colour images are stored as a ``(C, rows, cols)`` cube, so
        ``NAXIS3`` is the channel axis.
    header : dict or astropy.io.fits.Header, optional
        Extra cards. Keys longer than 8 characters (or with other characters than
        ``A-Z 0-9 - _``) become ``HIERARCH`` cards; long strings use ``CONTINUE``;
        lists and dicts are stored as JSON text; non-ASCII characters are escaped.
        Structural keywords (``NAXIS``, ``BITPIX``, ...) are ignored.
    metadata : junoproc.metadata.Metadata or dict, optional
        Written as cards first (same rules as ``header``; ``header`` wins on clashes).
    history : sequence of str or (stage, params) pairs, optional
        One ``HISTORY`` entry each (``"stage {json params}"``), wrapped over several
        cards when long.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Unsupported shape or dtype.
    OutputExistsError, MissingFileError

    See Also
    --------
    write_image, write_tiff

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from astropy.io import fits
    >>> rgb = np.arange(12, dtype=np.float32).reshape(2, 2, 3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_fits(pathlib.Path(tmp) / "c.fits", rgb,
    ...                      header={"OBJECT": "JUPITER", "perijove": 43},
    ...                      history=[("stretch", {"method": "linear"})])
    ...     with fits.open(out) as hdul:
    ...         cube, hdr = hdul[0].data, hdul[0].header
    ...         same = bool((np.moveaxis(cube, 0, -1) == rgb).all())
    ...         cards = hdr["OBJECT"], hdr["PERIJOVE"], str(hdr["HISTORY"])
    >>> cube.shape, same, cards
    ((3, 2, 2), True, ('JUPITER', 43, 'stretch {"method": "linear"}'))
    """
    from astropy.io import fits

    image = np.asarray(image)
    if image.dtype.kind not in "uifb" or image.dtype.itemsize > 8:
        raise ValueError(f"FITS output takes numeric images, got {image.dtype}")
    if image.dtype.kind == "b":
        image = image.astype(np.uint8)
    if image.ndim == 3:
        data = np.ascontiguousarray(np.moveaxis(image, -1, 0))
    elif image.ndim == 2:
        data = image
    else:
        raise ValueError(
            f"FITS output takes (rows, cols) or (rows, cols, channels) images, got {image.shape}"
        )
    hdr = _fits_header(header, _metadata_dict(metadata), _history_entries(history))
    hdu = fits.PrimaryHDU(data=data, header=hdr)
    with _atomic_output(path, overwrite=overwrite) as handle:
        hdu.writeto(handle, output_verify="exception")
    return Path(path)


# ----------------------------------------------------------------------------------------
# Dispatch
# ----------------------------------------------------------------------------------------


def _rescale(image: np.ndarray, bit_depth: int | None) -> np.ndarray:
    """Convert to ``bit_depth`` (8 or 16): [0, 1] floats scale, integers change depth."""
    if bit_depth is None:
        return image
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8, 16 or None, got {bit_depth!r}")
    from .stretch import to_uint8, to_uint16

    target = np.uint8 if bit_depth == 8 else np.uint16
    if image.dtype == target:
        return image
    if image.dtype.kind in "fb":
        return to_uint8(image) if bit_depth == 8 else to_uint16(image)
    if image.dtype == np.uint16:  # 16 -> 8 bits: 65535 -> 255, rounded
        return ((image.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if image.dtype == np.uint8:  # 8 -> 16 bits: 255 -> 65535 exactly
        return image.astype(np.uint16) * np.uint16(257)
    raise ValueError(
        f"bit_depth={bit_depth} converts floats in [0, 1] or uint8/uint16 images, got {image.dtype}"
    )


def write_image(
    path: PathLike,
    image: np.ndarray,
    *,
    metadata: Any = None,
    history: Iterable[Any] = (),
    overwrite: bool = False,
    bit_depth: int | None = None,
) -> Path:
    """Write ``image`` in the format its suffix names, with metadata and history.

    Parameters
    ----------
    path : str or os.PathLike
        ``.png``, ``.tif``/``.tiff`` or ``.fits``/``.fit``/``.fts`` (any case).
    image : (rows, cols) or (rows, cols, C) ndarray
        See :func:`write_png`, :func:`write_tiff`, :func:`write_fits` for the dtypes
        each format takes. PNG needs integers: stretch first, or pass ``bit_depth``.
    metadata : junoproc.metadata.Metadata or dict, optional
        A ``Metadata`` is stored as its ``summary()``. PNG: JSON in the
        ``junoproc.metadata`` text chunk; TIFF: in the JSON description; FITS: one
        card per key (``HIERARCH`` for long names).
    history : sequence of str or (stage, params) pairs, optional
        PNG: JSON list in ``junoproc.history``; TIFF: JSON description; FITS: ``HISTORY``.
    overwrite : bool, default False
        Replace an existing file.
    bit_depth : {None, 8, 16}, optional
        Convert before writing: floats are taken as [0, 1] (clipped, NaN -> 0) and
        scaled to ``uint8``/``uint16``; ``uint8``/``uint16`` change depth
        (``x * 257`` up, rounded ``x / 257`` down). ``None`` writes the dtype given.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileFormatError
        Unknown suffix (the message lists the known ones).
    ValueError
        The format cannot hold this image (for example floats as PNG).
    OutputExistsError, MissingFileError

    See Also
    --------
    write_png, write_tiff, write_fits, junoproc.stretch.stretch

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> x = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     back = read_png(write_image(pathlib.Path(tmp) / "x.png", x, bit_depth=16))
    >>> back.tolist()
    [[0, 32768, 65535]]
    >>> write_image("picture.jpg", x)
    Traceback (most recent call last):
    ...
    junoproc.exceptions.FileFormatError: picture.jpg: unknown output format '.jpg'; ...
    """
    target = Path(path)
    suffix = target.suffix.lower()
    kind = FORMATS.get(suffix)
    if kind is None:
        choices = ", ".join(FORMATS)
        raise FileFormatError(
            f"{target}: unknown output format {suffix or '(no suffix)'!r}; choose one of {choices}"
        )
    image = _rescale(np.asarray(image), bit_depth)
    meta = _metadata_dict(metadata)
    entries = _history_entries(history)
    logger.debug("writing %s as %s, %s %s", target, kind, image.shape, image.dtype)
    if kind == "png":
        text = {"Software": _SOFTWARE}
        if meta:
            text["junoproc.metadata"] = _dumps(meta)
        if entries:
            text["junoproc.history"] = _dumps(entries)
        return write_png(target, image, text=text, overwrite=overwrite)
    if kind == "tiff":
        return write_tiff(target, image, metadata=meta, history=entries, overwrite=overwrite)
    return write_fits(target, image, metadata=meta, history=entries, overwrite=overwrite)
