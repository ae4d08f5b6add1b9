"""Tests for junoproc.io: website PNG/JSON, zip bundles, PDS3 products, and hostile inputs."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from astropy.time import Time
from PIL import Image

from junoproc.exceptions import (
    ArchiveError,
    FileFormatError,
    ImageTooLargeError,
    MetadataError,
    MissingFileError,
    UnknownFilterError,
)
from junoproc.io import (
    RawImage,
    _read_limited,
    find_products,
    load,
    load_pds,
    load_png,
    load_zip,
    read_metadata_zip,
    read_png,
)
from junoproc.metadata import parse_metadata, read_metadata_json

from ._builders import crafted_png, patch_declared_size, sha256_tree, write_png, zip_with
from .conftest import DATA_ZIPS, JUNOCAM, PDS_LABELS, REAL_PRODUCTS, SAMPLE, require_shared

RGB_ID = "JNCE_2022186_43C00080_V01"
CH4_ID = "JNCE_2022186_43M00081_V01"

realdata = pytest.mark.realdata


# ------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------


def product(pid: str) -> tuple[Path, Path, Path]:
    """(folder, raw PNG, metadata JSON) of a real product; skip when the data is absent."""
    folder = JUNOCAM / pid
    require_shared(folder, f"real product {pid}")
    png = folder / "ImageSet" / f"{pid}-raw.png"
    (json_path,) = sorted((folder / "DataSet").glob("*-Metadata.json"))
    return folder, png, json_path


_UNIT = re.compile(r"^[-+]?[\d.]+(?:[eE][-+]?\d+)?\s*<[^>]+>$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?$")
_MASK = re.compile(r"^\d+#[01]+#$")
_IMAGE_KEYS = (
    "LINES",
    "LINE_SAMPLES",
    "SAMPLE_TYPE",
    "SAMPLE_BITS",
    "SAMPLE_BIT_MASK",
    "LINE_PREFIX_BYTES",
    "LINE_SUFFIX_BYTES",
)


def pvl_value(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return "(" + ", ".join(f"'{v}'" for v in value) + ")"
    text = str(value)
    assert '"' not in text
    if _UNIT.match(text) or _TIME.match(text) or _MASK.match(text):
        return text
    return f'"{text}"'


def pds_label(keywords: dict, pointer: str, **image_overrides: object) -> str:
    """A detached PDS3 label in the style of the real JunoCam EDR labels, from JSON keywords."""
    image = {k: keywords[k] for k in _IMAGE_KEYS if k in keywords}
    image.update(image_overrides)
    record_bytes = image.pop("RECORD_BYTES", None) or (
        int(image.get("LINE_PREFIX_BYTES", 0))
        + int(image["LINE_SAMPLES"]) * int(image.get("SAMPLE_BITS", 8)) // 8
        + int(image.get("LINE_SUFFIX_BYTES", 0))
    )
    lines = [
        "PDS_VERSION_ID                = PDS3",
        "",
        "/* FILE CHARACTERISTICS */",
        "",
        "RECORD_TYPE                   = FIXED_LENGTH",
        f"RECORD_BYTES                  = {record_bytes}",
        f"FILE_RECORDS                  = {image['LINES']}",
        "",
        f"^IMAGE                        = {pointer}",
        "",
    ]
    skip = {*_IMAGE_KEYS, "RECORD_BYTES", "FILE_RECORDS"}
    for key, value in keywords.items():
        if key in skip or value == []:
            continue
        lines.append(f"{key:<29} = {pvl_value(value)}")
    lines += ["", "OBJECT                        = IMAGE"]
    lines += [f"  {key:<27} = {pvl_value(value)}" for key, value in image.items()]
    lines += ["END_OBJECT                    = IMAGE", "END", ""]
    return "\r\n".join(lines)


def expected_filters(pid: str) -> tuple[str, ...]:
    return ("METHANE",) if "M0" in pid.split("_")[2] else ("BLUE", "GREEN", "RED")


# ------------------------------------------------------------------------------------
# Real website products
# ------------------------------------------------------------------------------------


@realdata
@pytest.mark.parametrize("pid", REAL_PRODUCTS)
def test_real_product_every_route(pid):
    folder, png, json_path = product(pid)
    keywords = json.loads(json_path.read_text())
    before = sha256_tree(folder)

    reference = iio.imread(png)  # independent decoder
    results = [load(folder), load(png), load(json_path), load_png(png, metadata=json_path)]

    nfilters = len(expected_filters(pid))
    for raw in results:
        assert isinstance(raw, RawImage)
        assert raw.product_id == pid == keywords["PRODUCT_ID"]
        assert raw.metadata.filters == expected_filters(pid)
        assert raw.metadata.n_frames == keywords["LINES"] // (128 * nfilters)
        assert raw.data.shape == (keywords["LINES"], 1648)
        assert raw.data.dtype == np.uint8
        assert not raw.data.flags.writeable
        assert raw.metadata.start_time == Time(keywords["START_TIME"], scale="utc")
        assert Path(raw.source) == png
        np.testing.assert_array_equal(raw.data, reference)
    assert sha256_tree(folder) == before


@realdata
@pytest.mark.parametrize("data_zip", DATA_ZIPS, ids=lambda p: p.parent.name)
def test_read_metadata_zip_matches_unzipped_json(data_zip):
    (json_path,) = sorted((data_zip.parent / "DataSet").glob("*.json"))
    before = sha256_tree(data_zip)
    from_zip = read_metadata_zip(data_zip)
    from_json = read_metadata_json(json_path)
    assert from_zip == from_json
    assert dict(from_zip.raw) == dict(from_json.raw)
    assert from_zip.product_id == data_zip.parent.name
    assert sha256_tree(data_zip) == before


@realdata
def test_load_zip_imageset_and_data(tmp_path):
    folder, png, json_path = product(RGB_ID)
    (data_zip,) = sorted(folder.glob("*-Data.zip"))
    before = sha256_tree(folder)
    imageset = zip_with(
        tmp_path / "13414-ImageSet.zip",
        {
            f"ImageSet/{RGB_ID}-raw.png": png.read_bytes(),
            f"ImageSet/{RGB_ID}-mapprojected.png": (
                folder / "ImageSet" / f"{RGB_ID}-mapprojected.png"
            ).read_bytes(),
        },
    )
    from_png = load_png(png)

    for order in ([imageset, data_zip], [data_zip, imageset]):
        raw = load_zip(order)
        np.testing.assert_array_equal(raw.data, from_png.data)
        assert raw.metadata == from_png.metadata
        assert raw.source == f"{imageset}!ImageSet/{RGB_ID}-raw.png"
        assert not raw.data.flags.writeable
    # One zip holding both; the list form of load(); a folder holding the two zips.
    both = zip_with(
        tmp_path / "both.zip",
        {
            f"ImageSet/{RGB_ID}-raw.png": png.read_bytes(),
            "DataSet/13414-Metadata.json": json_path.read_bytes(),
        },
    )
    np.testing.assert_array_equal(load(both).data, from_png.data)
    np.testing.assert_array_equal(load([imageset, data_zip]).data, from_png.data)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    zip_with(bundle / "13414-ImageSet.zip", {f"ImageSet/{RGB_ID}-raw.png": png.read_bytes()})
    (bundle / "13414-Data.zip").write_bytes(data_zip.read_bytes())
    raw = load(bundle)
    np.testing.assert_array_equal(raw.data, from_png.data)
    assert raw.metadata == from_png.metadata
    # An ImageSet zip alone finds the Data.zip beside it.
    assert load_zip(bundle / "13414-ImageSet.zip").metadata == from_png.metadata
    assert sha256_tree(folder) == before


@realdata
def test_metadata_chosen_by_product_id_among_several(tmp_path):
    _, png, json_path = product(CH4_ID)
    _, _, other_json = product(RGB_ID)
    (tmp_path / png.name).write_bytes(png.read_bytes())
    (tmp_path / "13414-Metadata.json").write_bytes(other_json.read_bytes())
    (tmp_path / "13415-Metadata.json").write_bytes(json_path.read_bytes())
    raw = load_png(tmp_path / png.name)
    assert raw.product_id == CH4_ID
    assert raw.metadata == read_metadata_json(json_path)
    # A JSON whose product has no strip here is reported as missing, naming the product.
    with pytest.raises(MissingFileError, match=f"{RGB_ID}-raw.png"):
        load(tmp_path / "13414-Metadata.json")


@realdata
def test_load_by_product_id_searches_cwd_and_env(tmp_path, monkeypatch):
    product(CH4_ID)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JUNOPROC_DATA_DIR", raising=False)
    with pytest.raises(MissingFileError, match=f"{CH4_ID}: product not found"):
        load(CH4_ID)
    monkeypatch.setenv("JUNOPROC_DATA_DIR", str(JUNOCAM))
    assert load(CH4_ID).data.shape == (1536, 1648)


@realdata
def test_find_products_real_and_loose(tmp_path):
    product(RGB_ID)
    assert [p.name for p in find_products(JUNOCAM)] == REAL_PRODUCTS
    labels = find_products(SAMPLE)
    assert [p.name for p in labels if p.suffix == ".LBL"] == [p.name for p in PDS_LABELS]
    assert not any(p.name.endswith(".bsp.lbl") for p in labels)  # SPICE labels are not products
    for pid in (RGB_ID, CH4_ID):
        (tmp_path / f"{pid}-raw.png").write_bytes(product(pid)[1].read_bytes())
    assert find_products(tmp_path) == sorted(tmp_path.glob("*-raw.png"))
    with pytest.raises(FileFormatError, match="holds 2 raw strips"):
        load(tmp_path)


# ------------------------------------------------------------------------------------
# PDS3
# ------------------------------------------------------------------------------------


@realdata
@pytest.mark.parametrize("label", PDS_LABELS, ids=lambda p: p.stem)
def test_real_pds_label_with_real_pixels(tmp_path, label):
    _, png, _ = product(RGB_ID)
    label_text = label.read_text()
    lines = int(re.search(r"^\s*LINES\s*=\s*(\d+)", label_text, re.MULTILINE).group(1))
    pixels = iio.imread(png)[:lines]
    (tmp_path / label.name).write_text(label_text)
    img = tmp_path / f"{label.stem}.img"  # lower-case suffix: found case-insensitively
    pixels.tofile(img)
    before = sha256_tree(tmp_path)

    raw = load_pds(tmp_path / label.name)
    np.testing.assert_array_equal(raw.data, pixels)
    assert raw.data.dtype == np.uint8
    assert not raw.data.flags.writeable
    assert raw.product_id == label.stem
    assert raw.metadata.source_format == "pds3"
    assert raw.metadata.filters == ("BLUE", "GREEN", "RED")
    assert raw.metadata.n_frames == lines // 384
    start = re.search(r"^START_TIME\s*=\s*(\S+)", label_text, re.MULTILINE).group(1)
    assert raw.metadata.start_time == Time(start, scale="utc")
    assert raw.source == str(img)
    for other in (load_pds(img), load(img), load(tmp_path / label.name), load(tmp_path)):
        np.testing.assert_array_equal(other.data, pixels)
        assert other.metadata == raw.metadata
    assert sha256_tree(tmp_path) == before


@realdata
@pytest.mark.parametrize("pid", REAL_PRODUCTS)
def test_pds_from_website_keywords_equals_png(tmp_path, pid):
    """The acceptance test: the same product as PNG+JSON and as PDS3 gives the same RawImage."""
    _, png, json_path = product(pid)
    keywords = json.loads(json_path.read_text())
    from_png = load_png(png, metadata=json_path)
    label = tmp_path / f"{pid}.LBL"
    label.write_text(pds_label(keywords, f'"{pid}.IMG"'))
    from_png.data.tofile(tmp_path / f"{pid}.IMG")

    from_pds = load_pds(label)
    np.testing.assert_array_equal(from_pds.data, from_png.data)
    assert from_pds.data.dtype == np.uint8
    assert from_pds.metadata.source_format == "pds3"
    assert dataclasses.replace(from_pds.metadata, source_format="json") == from_png.metadata
    assert from_pds.metadata.title == from_png.metadata.title != ""


@realdata
@pytest.mark.parametrize(
    ("dtype", "sample_type", "pointer"),
    [
        (">u2", "MSB_UNSIGNED_INTEGER", "record"),
        (">u2", "MSB_UNSIGNED_INTEGER", "bytes"),
        ("<u2", "LSB_UNSIGNED_INTEGER", "record"),
    ],
)
def test_pds_16bit_rdr_with_offset_prefix_suffix(tmp_path, dtype, sample_type, pointer):
    _, png, json_path = product(CH4_ID)
    keywords = json.loads(json_path.read_text())
    from_png = load_png(png, metadata=json_path)
    pixels = from_png.data.astype(np.uint16) * 41 + 7  # values well beyond 8 bits
    prefix, suffix = 4, 2
    record_bytes = prefix + 1648 * 2 + suffix
    skip_records = 2
    name = f"{CH4_ID}.IMG"
    ptr = f'("{name}", {skip_records + 1})'
    if pointer == "bytes":
        ptr = f'("{name}", {skip_records * record_bytes + 1} <BYTES>)'
    label = tmp_path / f"{CH4_ID}.LBL"
    label.write_text(
        pds_label(
            keywords,
            ptr,
            SAMPLE_BITS=16,
            SAMPLE_TYPE=sample_type,
            SAMPLE_BIT_MASK="2#1111111111111111#",
            LINE_PREFIX_BYTES=prefix,
            LINE_SUFFIX_BYTES=suffix,
        )
    )
    rows = np.full((pixels.shape[0], record_bytes), 0xEE, np.uint8)
    rows[:, prefix : prefix + 2 * 1648] = pixels.astype(dtype).view(np.uint8)
    (tmp_path / name).write_bytes(b"\xab" * (skip_records * record_bytes) + rows.tobytes())

    raw = load_pds(label)
    assert raw.data.dtype == np.uint16
    assert raw.data.dtype.isnative
    np.testing.assert_array_equal(raw.data, pixels)
    assert raw.metadata.sample_bits == 16
    expected = dataclasses.replace(raw.metadata, source_format="json", sample_bits=8)
    assert expected == from_png.metadata


def test_pds_truncated_and_missing_raster(tmp_path):
    from junoproc.io import _write_example_product

    folder = _write_example_product(tmp_path, pds=True)
    label = folder / "JNCE_2022186_43M00081_V01.LBL"
    img = folder / "JNCE_2022186_43M00081_V01.IMG"
    assert load_pds(label).data.shape == (256, 1648)
    img.write_bytes(img.read_bytes()[:1000])
    with pytest.raises(
        FileFormatError, match=re.escape(f"{img}: truncated: expected 421,888 bytes, found 1,000")
    ):
        load_pds(label)
    img.unlink()
    with pytest.raises(MissingFileError, match=re.escape(f"{label}: ^IMAGE points to {img.name}")):
        load_pds(label)
    with pytest.raises(MissingFileError, match="no detached PDS3 label"):
        load_pds(_make_file(tmp_path / "lonely.IMG", b"\0" * 10))


def test_pds_without_pvl_says_how_to_install(tmp_path, monkeypatch):
    from junoproc.io import _write_example_product

    folder = _write_example_product(tmp_path, pds=True)
    monkeypatch.setitem(sys.modules, "pvl", None)  # makes "import pvl" fail
    with pytest.raises(FileFormatError, match=re.escape("needs pvl: pip install 'junoproc[pds]'")):
        load(folder / "JNCE_2022186_43M00081_V01.LBL")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"PDS_VERSION_ID = PDS3\r\nFOO = (1, 2\r\nEND\r\n", "not a readable PDS3 label"),
        (b"PDS_VERSION_ID = PDS3\r\nPRODUCT_ID = X\r\nEND\r\n", "no OBJECT = IMAGE in the label"),
    ],
)
def test_pds_bad_label(tmp_path, text, message):
    label = _make_file(tmp_path / "x.LBL", text)
    with pytest.raises(FileFormatError, match=re.escape(str(label)) + ": " + message):
        load_pds(label)


def _make_file(path: Path, blob: bytes) -> Path:
    path.write_bytes(blob)
    return path


# ------------------------------------------------------------------------------------
# Hostile or broken PNGs
# ------------------------------------------------------------------------------------


@realdata
def test_truncated_png(tmp_path):
    _, png, json_path = product(RGB_ID)
    blob = png.read_bytes()
    cut = _make_file(tmp_path / png.name, blob[: len(blob) // 2])
    pattern = re.escape(str(cut)) + r": truncated or corrupt PNG \("
    with pytest.raises(FileFormatError, match=pattern):
        read_png(cut)
    with pytest.raises(FileFormatError, match=pattern):
        load_png(cut, metadata=json_path)
    # Also when the damage is in the pixels rather than at the end.
    damaged = bytearray(blob)
    damaged[len(blob) // 2 : len(blob) // 2 + 64] = bytes(64)
    with pytest.raises(FileFormatError, match=r"mem\.png: truncated or corrupt PNG"):
        read_png(bytes(damaged), name="mem.png")


def test_not_a_png(tmp_path):
    path = _make_file(tmp_path / "JNCE_2022186_43C00080_V01-raw.png", b"hello world, not an image")
    with pytest.raises(FileFormatError, match=re.escape(f"{path}: not a PNG file")):
        read_png(path)
    with pytest.raises(FileFormatError, match=r"^<bytes>: not a PNG file"):
        read_png(b"\xff\xd8\xff\xe0 JFIF")
    with pytest.raises(FileFormatError, match=r"x\.png: truncated or corrupt PNG \(only 8 bytes"):
        read_png(b"\x89PNG\r\n\x1a\n", name="x.png")


def test_png_header_claiming_huge_image_is_refused_unread(tmp_path):
    bomb = crafted_png(100_000, 100_000)
    with pytest.raises(
        ImageTooLargeError, match=r"bomb\.png: PNG claims 100000 x 100000 = 10,000,000,000 pixels"
    ):
        read_png(bomb, name="bomb.png")
    path = _make_file(tmp_path / "JNCE_2022186_43M00081_V01-raw.png", bomb)
    with pytest.raises(ImageTooLargeError, match=re.escape(str(path))):
        read_png(path)
    zp = zip_with(tmp_path / "bomb.zip", {"ImageSet/JNCE_2022186_43M00081_V01-raw.png": bomb})
    from junoproc.io import _write_example_product

    meta = load(_write_example_product(tmp_path / "ok")).metadata
    with pytest.raises(ImageTooLargeError, match=re.escape(f"{zp}!ImageSet/")):
        load_zip(zp, metadata=meta)
    # The limit is a parameter: a small legitimate strip is refused under a tiny limit.
    with pytest.raises(ImageTooLargeError, match="more than the limit of 1,000"):
        read_png(crafted_png(1648, 128), name="s.png", max_pixels=1000)
    with pytest.raises(FileFormatError, match="IHDR checksum mismatch"):
        read_png(crafted_png(1648, 128, bad_crc=True), name="s.png")


def test_pillow_bomb_limit_neither_warns_nor_leaks(monkeypatch):
    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.fromarray(np.full((128, 1648), 3, np.uint8)).save(buf, format="PNG")
    # Between Pillow's limit and twice it, Pillow warns; the warning must not escape.
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 150_000)
    assert read_png(buf.getvalue(), name="s.png").shape == (128, 1648)
    # Beyond twice Pillow's limit Pillow refuses; that becomes our ImageTooLargeError.
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(
        ImageTooLargeError, match=r"s\.png: PNG of 1648 x 128 pixels exceeds Pillow"
    ):
        read_png(buf.getvalue(), name="s.png")


@pytest.mark.parametrize(
    ("mode", "kind"),
    [("RGB", "RGB"), ("P", "palette"), ("LA", r"greyscale\+alpha")],
)
def test_colour_png_is_not_a_raw_strip(tmp_path, mode, kind):
    img = Image.fromarray(np.zeros((128, 1648, 3), np.uint8)).convert(mode)
    path = tmp_path / "x-raw.png"
    img.save(path)
    with pytest.raises(
        FileFormatError,
        match=re.escape(str(path))
        + f": PNG is {kind}, but a raw JunoCam strip is single-channel greyscale",
    ):
        read_png(path)


def test_16bit_png_round_trip_and_bit_depth_check(tmp_path):
    from junoproc.io import _write_example_product

    folder = _write_example_product(tmp_path)
    meta_json = folder / "DataSet" / "13415-Metadata.json"
    data = (np.arange(256 * 1648) % 60000).astype(np.uint16).reshape(256, 1648)
    path = write_png(tmp_path / "JNCE_2022186_43M00081_V01-raw.png", data)
    decoded = read_png(path)
    assert decoded.dtype == np.uint16
    np.testing.assert_array_equal(decoded, data)
    with pytest.raises(
        MetadataError,
        match=re.escape(str(path)) + ": pixels are 16-bit, but the metadata says SAMPLE_BITS = 8",
    ):
        load_png(path, metadata=meta_json)


# ------------------------------------------------------------------------------------
# Pixels that disagree with the metadata
# ------------------------------------------------------------------------------------


@realdata
@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ((4608, 1000), FileFormatError, "image is 1000 px wide, JunoCam strips are 1648"),
        (
            (1000, 1648),
            MetadataError,
            r"1000 rows is not a multiple of 384 \(128-row framelets x 3 filters",
        ),
        ((3840, 1648), MetadataError, "image has 3840 rows but the metadata .* says LINES = 4608"),
    ],
)
def test_pixels_inconsistent_with_metadata(tmp_path, shape, error, message):
    _, _, json_path = product(RGB_ID)
    path = write_png(tmp_path / f"{RGB_ID}-raw.png", np.zeros(shape, np.uint8))
    (tmp_path / json_path.name).write_bytes(json_path.read_bytes())
    with pytest.raises(error, match=re.escape(str(path)) + ": " + message):
        load_png(path)
    with pytest.raises(error, match=message):
        load(tmp_path)


@realdata
def test_file_name_of_another_product(tmp_path):
    _, png, json_path = product(RGB_ID)
    other = "JNCE_2022186_43C00078_V01"
    path = _make_file(tmp_path / f"{other}-raw.png", png.read_bytes())
    with pytest.raises(
        MetadataError, match=f"file name is for product {other}, but the metadata is for {RGB_ID}"
    ):
        load_png(path, metadata=json_path)
    # Without a product id in the name the check has nothing to compare and passes.
    plain = _make_file(tmp_path / "strip.png", png.read_bytes())
    assert load_png(plain, metadata=json_path).product_id == RGB_ID


@realdata
@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"START_TIME": None}, MetadataError, "required keyword START_TIME is missing"),
        (
            {"FILTER_NAME": None, "LINES": None},
            MetadataError,
            "required keyword FILTER_NAME is missing",
        ),
        (
            {"INTERFRAME_DELAY": "fast"},
            MetadataError,
            "cannot parse INTERFRAME_DELAY = 'fast' as a duration",
        ),
        ({"LINES": "many"}, MetadataError, "cannot parse LINES = 'many' as an integer"),
        ({"FILTER_NAME": ["ORANGE"]}, UnknownFilterError, "unknown filter 'ORANGE' in FILTER_NAME"),
    ],
)
def test_bad_metadata_json(tmp_path, change, error, message):
    _, png, json_path = product(RGB_ID)
    keywords = json.loads(json_path.read_text())
    for key, value in change.items():
        if value is None:
            del keywords[key]
        else:
            keywords[key] = value
    bad = tmp_path / "13414-Metadata.json"
    bad.write_text(json.dumps(keywords))
    with pytest.raises(error, match=re.escape(str(bad)) + ": " + message):
        load_png(png, metadata=bad)
    # Inside a Data.zip the message names the zip member.
    zp = zip_with(tmp_path / "13414-Data.zip", {"DataSet/13414-Metadata.json": bad.read_bytes()})
    with pytest.raises(error, match=re.escape(f"{zp}!DataSet/13414-Metadata.json: ") + message):
        read_metadata_zip(zp)


def test_missing_metadata_and_unknown_paths(tmp_path, monkeypatch):
    from junoproc.io import _write_example_product

    folder = _write_example_product(tmp_path)
    (folder / "DataSet" / "13415-Metadata.json").unlink()
    png = folder / "ImageSet" / "JNCE_2022186_43M00081_V01-raw.png"
    with pytest.raises(
        MissingFileError, match="found no metadata JSON with PRODUCT_ID JNCE_2022186_43M00081_V01"
    ):
        load_png(png)
    with pytest.raises(MissingFileError, match="no such file, folder or product id"):
        load(tmp_path / "nothing-raw.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MissingFileError, match=re.escape(f"{empty}: no raw strip found")):
        load(empty)
    with pytest.raises(FileFormatError, match="unknown kind of file"):
        load(_make_file(tmp_path / "notes.txt", b"hi"))


# ------------------------------------------------------------------------------------
# Hostile zips
# ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "member",
    [
        "../evil.png",
        "ImageSet/../../evil-raw.png",
        "/tmp/evil-raw.png",
        "C:/evil-raw.png",
        "..\\evil-raw.png",
    ],
)
def test_zip_with_unsafe_member_name(tmp_path, member):
    zp = zip_with(tmp_path / "13414-ImageSet.zip", {member: b"x", "DataSet/1-Metadata.json": b"{}"})
    pattern = re.escape(f"{zp}: refusing unsafe member name {member!r}")
    with pytest.raises(ArchiveError, match=pattern):
        load_zip(zp)
    with pytest.raises(ArchiveError, match=pattern):
        read_metadata_zip(zp)


def test_zip_declared_size_over_limit(tmp_path):
    png_zip = zip_with(tmp_path / "a.zip", {f"ImageSet/{CH4_ID}-raw.png": b"\0" * 100})
    patch_declared_size(png_zip, 0xFFFFFFF0)
    with pytest.raises(
        ArchiveError,
        match=re.escape(
            f"{png_zip}: member 'ImageSet/{CH4_ID}-raw.png' declares 4,294,967,280 bytes"
        )
        + ".*zip bomb",
    ):
        load_zip(png_zip)
    json_zip = zip_with(tmp_path / "b.zip", {"DataSet/1-Metadata.json": b"{}"})
    patch_declared_size(json_zip, 10_000_000)
    with pytest.raises(
        ArchiveError, match="declares 10,000,000 bytes uncompressed, over the 1,048,576-byte limit"
    ):
        read_metadata_zip(json_zip)
    # An honest header over a (lowered) limit is refused before anything is inflated.
    honest = zip_with(tmp_path / "c.zip", {f"ImageSet/{CH4_ID}-raw.png": b"\0" * 200_000})
    with pytest.raises(
        ArchiveError, match="declares 200,000 bytes uncompressed, over the 100,000-byte limit"
    ):
        load_zip(honest, max_png_bytes=100_000, max_ratio=float("inf"))


def test_zip_compression_ratio(tmp_path):
    zp = zip_with(tmp_path / "zeros.zip", {f"ImageSet/{CH4_ID}-raw.png": bytes(10_000_000)})
    with pytest.raises(
        ArchiveError, match=r"compresses \d+:1 .* over the 100:1 limit \(zip bomb\?\)"
    ):
        load_zip(zp)


def test_zip_header_lying_small_is_still_refused(tmp_path):
    """Headers claim 1000 bytes, the deflated stream holds 2 MB: never read beyond the claim."""
    zp = zip_with(tmp_path / "liar.zip", {f"ImageSet/{CH4_ID}-raw.png": bytes(2_000_000)})
    patch_declared_size(zp, 1000)
    with pytest.raises(
        ArchiveError, match=re.escape(f"{zp}!ImageSet/{CH4_ID}-raw.png: corrupt zip member")
    ):
        load_zip(zp, max_png_bytes=100_000, max_ratio=float("inf"))


def test_streaming_limit_stops_reading():
    class Endless(io.RawIOBase):
        """Yields zeros forever; records how much was asked for."""

        delivered = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = 65536 if n is None or n < 0 else n
            self.delivered += n
            if self.delivered > 10_000_000:  # the reader ignored its limit
                raise AssertionError("read far beyond the limit")
            return bytes(n)

    stream = Endless()
    with pytest.raises(
        ArchiveError, match=r"member\.png: more than 100,000 bytes when uncompressed \(zip bomb\?\)"
    ):
        _read_limited(stream, 100_000, "member.png")
    assert stream.delivered == 100_001
    assert _read_limited(io.BytesIO(b"abc"), 3, "x") == b"abc"


def test_corrupt_and_truncated_zip(tmp_path):
    junk = _make_file(tmp_path / "junk.zip", b"PK\x03\x04 this is not really a zip" * 10)
    with pytest.raises(ArchiveError, match=re.escape(f"{junk}: not a readable zip file")):
        load_zip(junk)
    good = zip_with(tmp_path / "good.zip", {"DataSet/1-Metadata.json": b"{}" * 1000})
    cut = _make_file(tmp_path / "cut.zip", good.read_bytes()[:-30])
    with pytest.raises(ArchiveError, match=re.escape(str(cut))):
        read_metadata_zip(cut)
    with pytest.raises(MissingFileError, match="zip file not found"):
        load_zip(tmp_path / "absent.zip")


def test_zip_without_strip_or_with_several(tmp_path):
    from junoproc.io import _write_example_product

    src = _write_example_product(tmp_path, zipped=True)
    data_zip = src / "13415-Data.zip"
    with pytest.raises(MissingFileError, match=re.escape(f"{data_zip}: no *-raw.png member")):
        load_zip(data_zip)
    with zipfile.ZipFile(src / "13415-ImageSet.zip") as zf:
        strip = zf.read(f"ImageSet/{CH4_ID}-raw.png")
    two = zip_with(
        tmp_path / "two.zip",
        {f"ImageSet/{CH4_ID}-raw.png": strip, "ImageSet/JNCE_2022186_43M00082_V01-raw.png": strip},
    )
    with pytest.raises(ArchiveError, match="several raw strips"):
        load_zip([two, data_zip])
    assert load_zip([two, data_zip], product_id=CH4_ID).product_id == CH4_ID


# ------------------------------------------------------------------------------------
# RawImage and synthetic round trips
# ------------------------------------------------------------------------------------


def test_rawimage_is_read_only_and_leaves_caller_array_alone():
    meta = parse_metadata(
        {
            "PRODUCT_ID": CH4_ID,
            "START_TIME": "2022-07-05T12:18:09.446",
            "INTERFRAME_DELAY": "0.372 <s>",
            "EXPOSURE_DURATION": "102.4 <ms>",
            "FILTER_NAME": ["METHANE"],
            "LINES": 128,
        }
    )
    mine = np.ones((128, 1648), np.uint8)
    raw = RawImage(mine, meta, "memory")
    assert mine.flags.writeable
    assert not np.shares_memory(mine, raw.data)
    with pytest.raises(ValueError, match="read-only"):
        raw.data[0, 0] = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        raw.source = "elsewhere"
    assert raw.product_id == CH4_ID
    assert "shape=(128, 1648)" in repr(raw)


def test_synthetic_product_all_forms_agree(tmp_path):
    from junoproc.io import _write_example_product

    site = _write_example_product(tmp_path / "site")
    zipped = _write_example_product(tmp_path / "zipped", zipped=True)
    pds = _write_example_product(tmp_path / "pds", pds=True)
    before = sha256_tree(tmp_path)
    a, b, c = load(site), load(zipped), load(pds)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.data, c.data)
    assert a.metadata == b.metadata == dataclasses.replace(c.metadata, source_format="json")
    assert find_products(tmp_path) == sorted([site, zipped, pds / "JNCE_2022186_43M00081_V01.LBL"])
    assert sha256_tree(tmp_path) == before


@pytest.mark.parametrize("layout", ["folder", "zipped", "pds"])
def test_loaders_tell_the_metadata_before_decoding_the_pixels(tmp_path, monkeypatch, layout):
    """``process`` starts pixel-free work from the metadata while the pixels are decoded:
    every loader tells it first, and a failing listener does not fail the load."""
    import junoproc.io as jio
    from junoproc.io import _write_example_product

    folder = _write_example_product(tmp_path, zipped=layout == "zipped", pds=layout == "pds")
    told = []
    decode = jio.read_png
    monkeypatch.setattr(jio, "read_png", lambda *a, **k: told.append("pixels") or decode(*a, **k))
    token = jio._ON_METADATA.set(told.append)
    try:
        raw = load(folder)
    finally:
        jio._ON_METADATA.reset(token)
    assert told[0] is raw.metadata
    assert told[1:] == ([] if layout == "pds" else ["pixels"])

    def broken(meta):
        raise RuntimeError("listener failed")

    token = jio._ON_METADATA.set(broken)
    try:
        again = load(folder)
    finally:
        jio._ON_METADATA.reset(token)
    np.testing.assert_array_equal(again.data, raw.data)
