"""Writers: exact PNG/TIFF/FITS round trips, provenance, atomic and safe output."""

from __future__ import annotations

import json
import os
import stat
import struct
import sys
import zlib
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile
from astropy.io import fits
from PIL import Image

from junoproc import writers
from junoproc.exceptions import (
    FileFormatError,
    ImageTooLargeError,
    JunoprocError,
    MissingFileError,
    OutputExistsError,
)
from junoproc.metadata import parse_metadata
from junoproc.writers import (
    FORMATS,
    read_png,
    read_png_text,
    write_fits,
    write_image,
    write_png,
    write_tiff,
)

RNG = np.random.default_rng(20220705)

#: name -> (shape, dtype) of every PNG kind junoproc writes.
PNG_KINDS = {
    "grey8": ((5, 7), np.uint8),
    "grey16": ((5, 7), np.uint16),
    "greyalpha8": ((5, 7, 2), np.uint8),
    "greyalpha16": ((5, 7, 2), np.uint16),
    "rgb8": ((5, 7, 3), np.uint8),
    "rgb16": ((5, 7, 3), np.uint16),
    "rgba8": ((5, 7, 4), np.uint8),
    "rgba16": ((5, 7, 4), np.uint16),
}


def sample(shape, dtype) -> np.ndarray:
    """Random pixels that include both extremes of the dtype."""
    top = np.iinfo(dtype).max if np.dtype(dtype).kind in "ui" else 1.0
    if np.dtype(dtype).kind == "f":
        image = RNG.random(shape).astype(dtype)
    else:
        image = RNG.integers(0, int(top) + 1, shape, dtype=dtype)
    image.flat[0] = 0
    image.flat[-1] = top
    return image


def png_chunks(path: Path) -> list[tuple[bytes, bytes, int]]:
    """Parse a PNG by hand: (type, data, stored CRC) of every chunk."""
    blob = path.read_bytes()
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(blob):
        (length,) = struct.unpack(">I", blob[pos : pos + 4])
        tag = blob[pos + 4 : pos + 8]
        data = blob[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", blob[pos + 8 + length : pos + 12 + length])
        chunks.append((tag, data, crc))
        pos += 12 + length
    assert pos == len(blob)
    return chunks


def reference_png(image: np.ndarray, kinds: list[int]) -> bytes:
    """A deliberately naive PNG encoder (pure Python, per byte) using the given row filters.

    Independent of junoproc's encoder; used to feed all five filter types to read_png.
    """
    pixels = image if image.ndim == 3 else image[:, :, None]
    height, width, channels = pixels.shape
    depth = pixels.dtype.itemsize * 8
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    bpp = channels * depth // 8
    raw_rows = [
        bytes(pixels[y].astype(">u2" if depth == 16 else "u1").tobytes()) for y in range(height)
    ]
    out = bytearray()
    prior = bytes(len(raw_rows[0]))
    for y, row in enumerate(raw_rows):
        kind = kinds[y % len(kinds)]
        out.append(kind)
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prior[i]
            c = prior[i - bpp] if i >= bpp else 0
            if kind == 0:
                pred = 0
            elif kind == 1:
                pred = a
            elif kind == 2:
                pred = b
            elif kind == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            out.append((x - pred) % 256)
        prior = row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


# ----------------------------------------------------------------------------------------
# PNG
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("png_filter", ["up", "sub", "none"])
@pytest.mark.parametrize("kind", list(PNG_KINDS))
def test_png_round_trip_is_exact(tmp_path, kind, png_filter):
    shape, dtype = PNG_KINDS[kind]
    image = sample(shape, dtype)
    out = write_png(tmp_path / f"{kind}.png", image, png_filter=png_filter)
    back = read_png(out)
    assert back.dtype == dtype
    assert back.shape == shape
    np.testing.assert_array_equal(back, image)


@pytest.mark.parametrize("kind", ["grey8", "greyalpha8", "rgb8", "rgba8", "grey16"])
def test_png_kinds_pillow_reads_match_exactly(tmp_path, kind):
    # independent decoder: Pillow is exact for 8-bit and for 16-bit grey
    shape, dtype = PNG_KINDS[kind]
    image = sample(shape, dtype)
    out = write_png(tmp_path / "x.png", image)
    back = iio.imread(out)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)


@pytest.mark.parametrize("kind", ["rgb16", "rgba16"])
def test_png_16bit_colour_verified_by_pillow_byte_by_byte(tmp_path, kind):
    # Pillow reads 16-bit colour as 8-bit by keeping the first (most significant)
    # byte of each sample. Writing the image and its byte-swapped twin lets this
    # independent decoder check both bytes of every sample.
    shape, dtype = PNG_KINDS[kind]
    image = sample((40, 33, shape[2]), dtype)
    high = np.asarray(Image.open(write_png(tmp_path / "hi.png", image)))
    low = np.asarray(Image.open(write_png(tmp_path / "lo.png", image.byteswap())))
    assert high.dtype == np.uint8
    np.testing.assert_array_equal(high, image >> 8)
    np.testing.assert_array_equal(low, image & 0xFF)


@pytest.mark.parametrize("kind", list(PNG_KINDS))
def test_png_chunks_are_well_formed(tmp_path, kind):
    shape, dtype = PNG_KINDS[kind]
    out = write_png(tmp_path / "x.png", sample(shape, dtype), text={"Title": "t"})
    chunks = png_chunks(out)
    for tag, data, crc in chunks:
        assert crc == zlib.crc32(tag + data), tag
    tags = [tag for tag, _, _ in chunks]
    assert tags[0] == b"IHDR"
    assert tags[-1] == b"IEND"
    assert tags.index(b"tEXt") < tags.index(b"IDAT")
    width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (height, width) == shape[:2]
    assert depth == np.dtype(dtype).itemsize * 8
    assert colour == {2: 0, 3: {2: 4, 3: 2, 4: 6}.get(shape[-1])}[len(shape)]
    assert (comp, filt, interlace) == (0, 0, 0)
    raw = zlib.decompress(b"".join(data for tag, data, _ in chunks if tag == b"IDAT"))
    rowbytes = shape[1] * (shape[2] if len(shape) == 3 else 1) * depth // 8
    assert len(raw) == shape[0] * (rowbytes + 1)


def test_png_large_image_spans_blocks_and_idat_chunks(tmp_path):
    image = sample((600, 700, 3), np.uint16)  # random: incompressible, > 1 MiB
    out = write_png(tmp_path / "big.png", image, compress_level=1)
    assert sum(tag == b"IDAT" for tag, _, _ in png_chunks(out)) >= 2
    np.testing.assert_array_equal(read_png(out), image)


@pytest.mark.parametrize("kinds", [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 2, 3, 1]])
@pytest.mark.parametrize("kind", ["rgb16", "rgba8", "grey16", "greyalpha16"])
def test_read_png_undoes_all_five_filter_types(tmp_path, kind, kinds):
    shape, dtype = PNG_KINDS[kind]
    image = sample((6, 5, *shape[2:]), dtype)
    path = tmp_path / "ref.png"
    path.write_bytes(reference_png(image, kinds))
    np.testing.assert_array_equal(read_png(path), image)


def test_read_png_of_pillow_written_files(tmp_path):
    # Pillow picks its own filters (Paeth etc.) and compression
    for shape, dtype in [((30, 20, 3), np.uint8), ((30, 20), np.uint16), ((3, 4), np.uint8)]:
        image = sample(shape, dtype)
        iio.imwrite(tmp_path / "p.png", image)
        np.testing.assert_array_equal(read_png(tmp_path / "p.png"), image)


def test_read_png_palette_goes_through_imageio(tmp_path):
    Image.fromarray(np.array([[0, 1], [1, 0]], np.uint8) * 255).convert("P").save(
        tmp_path / "p.png"
    )
    back = read_png(tmp_path / "p.png")
    assert back.dtype == np.uint8
    assert back.shape[:2] == (2, 2)


def test_png_text_round_trip(tmp_path):
    text = {
        "Software": "junoproc test",
        "latin": "Eichstädt, µ, ±",  # Latin-1: tEXt
        "unicode": "Jupiter ♃ – 木星",  # needs UTF-8: iTXt
        "long latin": "x" * 5000,  # compressed: zTXt
        "long unicode": "♃" * 3000,  # compressed iTXt
        "json": json.dumps({"a": [1, 2], "b": "ä"}, ensure_ascii=False),
        "multi line": "one\ntwo",
        "empty": "",
    }
    out = write_png(tmp_path / "t.png", np.zeros((2, 2), np.uint8), text=text)
    assert read_png_text(out) == text
    tags = [tag for tag, _, _ in png_chunks(out)]
    assert {b"tEXt", b"zTXt", b"iTXt"} <= set(tags)
    assert Image.open(out).text == text  # Pillow reads all three chunk kinds the same way


@pytest.mark.parametrize(
    "key", ["", "k" * 80, " lead", "trail ", "two  spaces", "ключ", "tab\tkey", 3]
)
def test_png_text_bad_keyword(tmp_path, key):
    with pytest.raises((ValueError, TypeError), match="key"):
        write_png(tmp_path / "t.png", np.zeros((2, 2), np.uint8), text={key: "v"})
    assert list(tmp_path.iterdir()) == []


def test_png_text_bad_value(tmp_path):
    with pytest.raises(ValueError, match="NUL"):
        write_png(tmp_path / "t.png", np.zeros((2, 2), np.uint8), text={"k": "a\x00b"})
    with pytest.raises(TypeError, match="must be str"):
        write_png(tmp_path / "t.png", np.zeros((2, 2), np.uint8), text={"k": 3})


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((2, 2), np.float32), "stretch it first"),
        (np.zeros((2, 2), np.int32), "convert it to uint8 or uint16"),
        (np.zeros((2, 2, 5), np.uint8), "1-4 channels"),
        (np.zeros((2,), np.uint8), "rows, cols"),
        (np.zeros((0, 3), np.uint8), "empty"),
    ],
)
def test_png_rejects_bad_images(tmp_path, image, match):
    with pytest.raises(ValueError, match=match):
        write_png(tmp_path / "x.png", image)


def test_png_rejects_bad_options(tmp_path):
    image = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValueError, match="png_filter must be one of"):
        write_png(tmp_path / "x.png", image, png_filter="paeth")
    with pytest.raises(ValueError, match="compress_level"):
        write_png(tmp_path / "x.png", image, compress_level=11)


def test_png_does_not_mutate_and_takes_views(tmp_path):
    base = sample((10, 12, 3), np.uint16)
    view = base[::2, ::3]  # non-contiguous
    big_endian = view.astype(">u2")
    keep = base.copy()
    np.testing.assert_array_equal(read_png(write_png(tmp_path / "v.png", view)), view)
    np.testing.assert_array_equal(read_png(write_png(tmp_path / "b.png", big_endian)), view)
    np.testing.assert_array_equal(base, keep)


def test_read_png_errors(tmp_path):
    with pytest.raises(MissingFileError, match="no such file"):
        read_png(tmp_path / "absent.png")
    (tmp_path / "text.png").write_text("not a png")
    with pytest.raises(FileFormatError, match="not a PNG"):
        read_png(tmp_path / "text.png")
    good = write_png(tmp_path / "good.png", sample((20, 20, 3), np.uint16)).read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(FileFormatError, match="truncated"):
        read_png(tmp_path / "cut.png")
    broken = bytearray(good)
    broken[-20] ^= 0xFF  # inside the last IDAT chunk
    (tmp_path / "crc.png").write_bytes(bytes(broken))
    with pytest.raises(FileFormatError, match="CRC"):
        read_png(tmp_path / "crc.png")
    with pytest.raises(ImageTooLargeError, match="max_pixels"):
        read_png(tmp_path / "good.png", max_pixels=399)
    assert issubclass(FileFormatError, JunoprocError)


def test_read_png_refuses_zip_bomb(tmp_path):
    # IHDR says 2 x 2 grey; the IDAT inflates to far more than that
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    blob = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(10_000_000)))
        + chunk(b"IEND", b"")
    )
    (tmp_path / "bomb.png").write_bytes(blob)
    with pytest.raises(FileFormatError, match="more than"):
        read_png(tmp_path / "bomb.png")


# ----------------------------------------------------------------------------------------
# TIFF
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3), (6, 5, 4)])
def test_tiff_round_trip_with_metadata(tmp_path, shape, dtype):
    image = sample(shape, dtype)
    history = [("decompand", {"mode": "SQROOT"}), "hand-edited"]
    out = write_tiff(
        tmp_path / "x.tif", image, metadata={"target": "JUPITER", "pj": 43}, history=history
    )
    with tifffile.TiffFile(out) as tif:
        back = tif.asarray()
        page = tif.pages[0]
        info = json.loads(page.description)
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
        expected = tifffile.PHOTOMETRIC.RGB if len(shape) == 3 else tifffile.PHOTOMETRIC.MINISBLACK
        assert page.photometric == expected
        assert page.software.startswith("junoproc")
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)
    assert info["metadata"] == {"target": "JUPITER", "pj": 43}
    assert info["history"] == [{"stage": "decompand", "params": {"mode": "SQROOT"}}, "hand-edited"]
    assert info["software"].startswith("junoproc")
    np.testing.assert_array_equal(iio.imread(out), image)  # imageio's tifffile plugin agrees


def test_tiff_float16_widened_and_bad_inputs(tmp_path):
    half = np.array([[0.5, 1.5]], np.float16)
    with tifffile.TiffFile(write_tiff(tmp_path / "h.tif", half)) as tif:
        assert tif.asarray().dtype == np.float32
    with pytest.raises(ValueError, match="uint8, uint16, float32 or float64"):
        write_tiff(tmp_path / "i.tif", np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError, match="3 or 4"):
        write_tiff(tmp_path / "c.tif", np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(ValueError, match="compression"):
        write_tiff(tmp_path / "z.tif", np.zeros((2, 2), np.uint8), compression="lzw")


# ----------------------------------------------------------------------------------------
# FITS
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 5), (6, 5, 3)])
def test_fits_round_trip_with_header_and_history(tmp_path, shape, dtype):
    image = sample(shape, dtype)
    header = {
        "OBJECT": "JUPITER",
        "exptime": 0.0032,
        "interframe_delay_s": 0.372,  # > 8 characters: HIERARCH
        "RATIONALE": "Great Red Spot " * 20,  # long string: CONTINUE
        "CREDIT": "G. Eichstädt",  # non-ASCII: escaped
        "FILTERS": ["BLUE", "GREEN", "RED"],  # list: JSON text
        "NAXIS1": 999,  # structural: ignored
        "PEDESTAL": float("nan"),  # FITS has no NaN value: stored as text
        "GAIN": np.float32(2.5),
    }
    history = [("stretch", {"method": "asinh", "percentile": [0.5, 99.5]}), "plain line"]
    out = write_fits(tmp_path / "x.fits", image, header=header, history=history)
    with fits.open(out) as hdul:
        data = hdul[0].data
        hdr = hdul[0].header
        assert len(hdul) == 1
        assert data.dtype.newbyteorder("=") == dtype  # FITS is big-endian on disk
        if len(shape) == 3:
            assert data.shape == (3, 6, 5)
            data = np.moveaxis(data, 0, -1)
        np.testing.assert_array_equal(data, image)
        assert hdr["OBJECT"] == "JUPITER"
        assert hdr["EXPTIME"] == 0.0032
        assert hdr["INTERFRAME_DELAY_S"] == 0.372
        assert hdr["RATIONALE"] == ("Great Red Spot " * 20).rstrip()  # FITS drops trailing blanks
        assert hdr["CREDIT"] == "G. Eichst\\xe4dt"
        assert json.loads(hdr["FILTERS"]) == ["BLUE", "GREEN", "RED"]
        assert hdr["NAXIS1"] == 5
        assert hdr["PEDESTAL"] == "nan"
        assert hdr["GAIN"] == 2.5
        assert hdr["CREATOR"].startswith("junoproc")
        lines = list(hdr["HISTORY"])
        assert lines == ['stretch {"method": "asinh", "percentile": [0.5, 99.5]}', "plain line"]


def test_fits_accepts_astropy_header_and_long_history(tmp_path):
    hdr = fits.Header()
    hdr["TELESCOP"] = "JUNO"
    hdr["BITPIX"] = 8
    hdr.add_history("earlier step")
    long_params = {"weights": list(range(40))}
    out = write_fits(
        tmp_path / "h.fits",
        np.zeros((2, 3), np.float32),
        header=hdr,
        history=[("apply_weights", long_params)],
    )
    with fits.open(out) as hdul:
        got = hdul[0].header
        assert got["TELESCOP"] == "JUNO"
        assert got["BITPIX"] == -32
        text = "".join(str(line) for line in got["HISTORY"][1:])
        assert got["HISTORY"][0] == "earlier step"
        assert text == "apply_weights " + json.dumps(long_params)


def test_fits_rejects_bad_images(tmp_path):
    with pytest.raises(ValueError, match="numeric"):
        write_fits(tmp_path / "s.fits", np.array([["a"]]))
    with pytest.raises(ValueError, match="rows, cols"):
        write_fits(tmp_path / "s.fits", np.zeros((2, 2, 2, 2), np.float32))


# ----------------------------------------------------------------------------------------
# write_image
# ----------------------------------------------------------------------------------------

META = {
    "PRODUCT_ID": "JNCE_2022186_43C00080_V01",
    "START_TIME": "2022-07-05T12:17:39.223",
    "INTERFRAME_DELAY": "0.372 <s>",
    "EXPOSURE_DURATION": "9.600000 <ms>",
    "JNO:TDI_STAGES_COUNT": 3,
    "FILTER_NAME": ["BLUE", "GREEN", "RED"],
    "LINES": 4608,
    "LINE_SAMPLES": 1648,
    "SAMPLE_BIT_MODE_ID": "SQROOT",
    "TARGET_NAME": "JUPITER",
    "PJ": "43",
}


@pytest.mark.parametrize("suffix", [*FORMATS, ".PNG", ".TIFF", ".Fits"])
def test_write_image_dispatches_on_suffix(tmp_path, suffix):
    image = sample((4, 5, 3), np.uint16)
    out = write_image(tmp_path / f"x{suffix}", image, history=[("stretch", {"a": 0.1})])
    kind = FORMATS[suffix.lower()]
    if kind == "png":
        np.testing.assert_array_equal(read_png(out), image)
    elif kind == "tiff":
        np.testing.assert_array_equal(tifffile.imread(out), image)
    else:
        with fits.open(out) as hdul:
            np.testing.assert_array_equal(np.moveaxis(hdul[0].data, 0, -1), image)


def test_write_image_unknown_suffix_lists_choices(tmp_path):
    for name in ("x.jpg", "noext"):
        with pytest.raises(FileFormatError, match=r"unknown output format.*\.png.*\.tiff.*\.fits"):
            write_image(tmp_path / name, np.zeros((2, 2), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_write_image_carries_metadata_everywhere(tmp_path):
    meta = parse_metadata(META)
    summary = json.loads(json.dumps(meta.summary()))
    history = [("decompand", {"mode": "SQROOT"}), ("stretch", {"method": "asinh"})]
    image = sample((4, 5, 3), np.uint8)

    png = write_image(tmp_path / "m.png", image, metadata=meta, history=history)
    text = read_png_text(png)
    assert json.loads(text["junoproc.metadata"]) == summary
    assert json.loads(text["junoproc.history"])[1] == {
        "stage": "stretch",
        "params": {"method": "asinh"},
    }
    assert text["Software"].startswith("junoproc")

    tif = write_image(tmp_path / "m.tif", image, metadata=meta, history=history)
    with tifffile.TiffFile(tif) as handle:
        info = json.loads(handle.pages[0].description)
    assert info["metadata"] == summary
    assert len(info["history"]) == 2

    fit = write_image(tmp_path / "m.fits", image.astype(np.float32), metadata=meta, history=history)
    with fits.open(fit) as hdul:
        hdr = hdul[0].header
        assert hdr["PRODUCT_ID"] == "JNCE_2022186_43C00080_V01"
        assert hdr["EXPOSURE_S"] == pytest.approx(0.0096)
        assert hdr["START_TIME"] == "2022-07-05T12:17:39.223"
        assert list(hdr["HISTORY"]) == [
            'decompand {"mode": "SQROOT"}',
            'stretch {"method": "asinh"}',
        ]


def test_write_image_png_float_needs_stretch_or_bit_depth(tmp_path):
    x = np.array([[0.0, 0.25, 1.0, np.nan, 2.0]], np.float32)
    with pytest.raises(ValueError, match="stretch"):
        write_image(tmp_path / "f.png", x)
    assert read_png(write_image(tmp_path / "8.png", x, bit_depth=8)).tolist() == [
        [0, 64, 255, 0, 255]
    ]
    assert read_png(write_image(tmp_path / "16.png", x, bit_depth=16)).tolist() == [
        [0, 16384, 65535, 0, 65535]
    ]


def test_write_image_bit_depth_between_integers(tmp_path):
    u16 = np.array([[0, 128, 32767, 65535]], np.uint16)
    u8 = np.array([[0, 1, 128, 255]], np.uint8)
    assert read_png(write_image(tmp_path / "a.png", u16, bit_depth=8)).tolist() == [
        [0, 0, 127, 255]
    ]
    assert read_png(write_image(tmp_path / "b.png", u8, bit_depth=16)).tolist() == [
        [0, 257, 32896, 65535]
    ]
    assert tifffile.imread(write_image(tmp_path / "c.tif", u8, bit_depth=8)).tolist() == [
        [0, 1, 128, 255]
    ]
    with pytest.raises(ValueError, match="bit_depth must be"):
        write_image(tmp_path / "d.png", u8, bit_depth=12)
    with pytest.raises(ValueError, match="int32"):
        write_image(tmp_path / "e.png", u8.astype(np.int32), bit_depth=8)


def test_history_and_metadata_validation(tmp_path):
    image = np.zeros((2, 2), np.uint8)
    with pytest.raises(TypeError, match="history entries"):
        write_image(tmp_path / "h.png", image, history=[("a", {}, "extra")])
    with pytest.raises(TypeError, match="metadata must be"):
        write_image(tmp_path / "m.png", image, metadata=[1, 2])
    out = write_image(tmp_path / "s.png", image, history="single string")
    assert json.loads(read_png_text(out)["junoproc.history"]) == ["single string"]
    odd = {"arr": np.arange(2), "scalar": np.float32(0.5), "path": Path("a")}
    out = write_image(tmp_path / "o.png", image, metadata=odd)
    assert json.loads(read_png_text(out)["junoproc.metadata"]) == {
        "arr": [0, 1],
        "scalar": 0.5,
        "path": "a",
    }


# ----------------------------------------------------------------------------------------
# Atomic, safe output
# ----------------------------------------------------------------------------------------

WRITERS = {
    "png": lambda p, **kw: write_png(p.with_suffix(".png"), np.zeros((3, 3), np.uint8), **kw),
    "tiff": lambda p, **kw: write_tiff(p.with_suffix(".tif"), np.zeros((3, 3), np.uint8), **kw),
    "fits": lambda p, **kw: write_fits(p.with_suffix(".fits"), np.zeros((3, 3), np.uint8), **kw),
}


class Boom(RuntimeError):
    pass


def _fail_midway(real):
    """Wrap an encoder so it writes some bytes, then fails."""

    def failing(handle, *args, **kwargs):
        handle.write(b"partial output")
        raise Boom("disk on fire")

    return failing


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch, fmt):
    if fmt == "png":
        monkeypatch.setattr(writers, "_encode_png", _fail_midway(writers._encode_png))
    elif fmt == "tiff":
        monkeypatch.setattr(tifffile, "imwrite", _fail_midway(tifffile.imwrite))
    else:
        monkeypatch.setattr(
            fits.PrimaryHDU, "writeto", lambda self, handle, **kw: _fail_midway(None)(handle)
        )
    with pytest.raises(Boom):
        WRITERS[fmt](tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_existing_output_needs_overwrite(tmp_path, fmt):
    first = WRITERS[fmt](tmp_path / "out")
    before = first.read_bytes()
    first.write_bytes(b"precious")
    message = r"exists; pass overwrite=True \(CLI: --overwrite\)"
    with pytest.raises(OutputExistsError, match=message):
        WRITERS[fmt](tmp_path / "out")
    assert first.read_bytes() == b"precious"
    WRITERS[fmt](tmp_path / "out", overwrite=True)
    assert first.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == [first]


def test_failed_overwrite_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old")
    monkeypatch.setattr(writers, "_encode_png", _fail_midway(writers._encode_png))
    with pytest.raises(Boom):
        write_png(target, np.zeros((2, 2), np.uint8), overwrite=True)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_output_that_appears_during_write_is_not_clobbered(tmp_path, monkeypatch):
    target = tmp_path / "race.png"
    real = writers._encode_png

    def racing(handle, *args, **kwargs):
        target.write_bytes(b"someone else")
        return real(handle, *args, **kwargs)

    monkeypatch.setattr(writers, "_encode_png", racing)
    with pytest.raises(OutputExistsError):
        write_png(target, np.zeros((2, 2), np.uint8))
    assert target.read_bytes() == b"someone else"
    assert list(tmp_path.iterdir()) == [target]


def test_missing_directory_and_directory_target(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(MissingFileError, match=r"output directory .*such does not exist"):
        write_image(missing / "x.png", np.zeros((2, 2), np.uint8))
    (tmp_path / "d.png").mkdir()
    with pytest.raises(OutputExistsError, match="is a directory"):
        write_image(tmp_path / "d.png", np.zeros((2, 2), np.uint8), overwrite=True)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_output_gets_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        out = write_png(tmp_path / "p.png", np.zeros((2, 2), np.uint8))
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_writers_accept_str_paths(tmp_path):
    out = write_image(str(tmp_path / "s.png"), np.zeros((2, 2), np.uint8))
    assert isinstance(out, Path)
    assert out.is_file()
