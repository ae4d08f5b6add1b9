"""Metadata parsing: real website records, PDS-style values, and bad input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from astropy.time import Time

from junoproc.exceptions import MetadataError, MetadataWarning, MissingFileError, UnknownFilterError
from junoproc.metadata import parse_metadata, read_metadata_json

from .conftest import SAMPLE, require_shared

BASE = {
    "PRODUCT_ID": "JNCE_2022186_43C00080_V01",
    "START_TIME": "2022-07-05T12:17:39.223",
    "STOP_TIME": "2022-07-05T12:17:43.687",
    "INTERFRAME_DELAY": "0.372 <s>",
    "EXPOSURE_DURATION": "9.600000 <ms>",
    "JNO:TDI_STAGES_COUNT": 3,
    "FILTER_NAME": ["BLUE", "GREEN", "RED"],
    "LINES": 4608,
    "LINE_SAMPLES": 1648,
    "SAMPLE_BIT_MODE_ID": "SQROOT",
    "SAMPLING_FACTOR": 1,
    "TARGET_NAME": "JUPITER",
    "PJ": "43",
    "SPACECRAFT_CLOCK_START_COUNT": "710295867:187",
}


def all_json() -> list[Path]:
    return sorted(SAMPLE.glob("*/*/DataSet/*-Metadata.json"))


@pytest.mark.realdata
def test_every_real_record_parses_to_its_own_values():
    require_shared()
    files = all_json()
    assert len(files) == 11
    for path in files:
        raw = json.loads(path.read_text())
        meta = read_metadata_json(path)
        assert meta.product_id == raw["PRODUCT_ID"]
        assert meta.filters == tuple(raw["FILTER_NAME"])
        assert meta.lines == raw["LINES"]
        assert meta.n_frames * meta.frame_height == raw["LINES"]
        assert meta.start_time == Time(raw["START_TIME"], scale="utc")
        assert meta.stop_time == Time(raw["STOP_TIME"], scale="utc")
        assert meta.exposure_s == pytest.approx(float(raw["EXPOSURE_DURATION"].split()[0]) / 1e3)
        assert meta.interframe_delay_s == pytest.approx(float(raw["INTERFRAME_DELAY"].split()[0]))
        assert meta.tdi_stages == raw["JNO:TDI_STAGES_COUNT"]
        assert meta.perijove == int(raw["PJ"])
        assert meta.target == "JUPITER" and meta.companding == "SQROOT"
        assert meta.sclk_start == raw["SPACECRAFT_CLOCK_START_COUNT"]
        # EXPOSURE_DURATION = TDI x 3.2 ms on every product (reference 3.1.2)
        assert meta.exposure_s == pytest.approx(meta.tdi_stages * 0.0032)
        assert meta.raw["TITLE"] == raw["TITLE"] == meta.title


def test_typed_fields_and_derived_values():
    meta = parse_metadata(BASE)
    assert meta.framelet_height == 128 and meta.frame_height == 384
    assert meta.n_frames == 12 and meta.n_framelets == 36
    assert meta.sampling_factor == 1 and meta.perijove == 43
    summary = meta.summary()
    json.dumps(summary)  # JSON-friendly
    assert summary["filters"] == ["BLUE", "GREEN", "RED"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        meta.lines = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        meta.raw["LINES"] = 1  # type: ignore[index]


def test_summed_framelets_are_64_rows():
    meta = parse_metadata({**BASE, "SAMPLING_FACTOR": 2, "LINES": 2304})
    assert meta.framelet_height == 64 and meta.n_frames == 12


def test_pds_style_values_parse():
    class Quantity:  # what pvl returns for "0.372 <s>"
        def __init__(self, value, units):
            self.value, self.units = value, units

    raw = {
        **BASE,
        "START_TIME": dt.datetime(2022, 7, 5, 12, 17, 39, 223000),
        "STOP_TIME": dt.datetime(2022, 7, 5, 12, 17, 43, 687000),
        "INTERFRAME_DELAY": Quantity(0.372, "S"),
        "EXPOSURE_DURATION": Quantity(9.6, "MS"),
        "FILTER_NAME": ("BLUE", "GREEN", "RED"),
        "PJ": None,
        "ORBIT_NUMBER": 43,
    }
    meta = parse_metadata(raw)
    assert meta == parse_metadata(BASE)


def test_methane_override_from_rationale():
    raw = {
        **BASE,
        "FILTER_NAME": ["METHANE"],
        "LINES": 1536,
        "RATIONALE_DESC": "Jupiter imaging INS-61504_DISTORTION_Y = 291.48",
    }
    assert parse_metadata(raw).methane_cy_override == 291.48
    assert parse_metadata(BASE).methane_cy_override is None


@pytest.mark.parametrize(
    "key", ["PRODUCT_ID", "START_TIME", "INTERFRAME_DELAY", "FILTER_NAME", "LINES"]
)
def test_missing_required_keyword(key):
    raw = {k: v for k, v in BASE.items() if k != key}
    with pytest.raises(MetadataError, match=f"lbl.json: required keyword {key} is missing"):
        parse_metadata(raw, source="lbl.json")


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("INTERFRAME_DELAY", "fast", "cannot parse INTERFRAME_DELAY"),
        ("INTERFRAME_DELAY", "0.372 <fortnights>", "unknown unit"),
        ("EXPOSURE_DURATION", "-3 <ms>", "non-negative"),
        ("START_TIME", "yesterday", "cannot parse START_TIME"),
        ("LINES", "many", "cannot parse LINES"),
        ("LINES", 4608.5, "cannot parse LINES"),
        ("FILTER_NAME", 7, "cannot parse FILTER_NAME"),
        ("FILTER_NAME", [], "FILTER_NAME is empty"),
        ("FILTER_NAME", ["RED", "RED"], "repeats"),
        ("SAMPLING_FACTOR", 3, "SAMPLING_FACTOR"),
        ("INTERFRAME_DELAY", "0 <s>", "must be positive"),
    ],
)
def test_unparseable_values(key, value, match):
    with pytest.raises(MetadataError, match=match):
        parse_metadata({**BASE, key: value}, source="x.json")


def test_unknown_filter():
    with pytest.raises(UnknownFilterError, match=r"x\.json: unknown filter 'ORANGE'"):
        parse_metadata({**BASE, "FILTER_NAME": ["BLUE", "ORANGE"]}, source="x.json")


def test_consistency_checks():
    with pytest.raises(MetadataError, match="LINE_SAMPLES = 1600"):
        parse_metadata({**BASE, "LINE_SAMPLES": 1600})
    with pytest.raises(MetadataError, match="not a multiple of 384"):
        parse_metadata({**BASE, "LINES": 4000, "STOP_TIME": None})
    with pytest.raises(MetadataError, match="STOP_TIME - START_TIME"):
        parse_metadata({**BASE, "STOP_TIME": "2022-07-05T12:17:59.223"})
    with pytest.warns(MetadataWarning, match="differs from 12 frames"):
        parse_metadata({**BASE, "STOP_TIME": "2022-07-05T12:17:43.787"})
    assert parse_metadata({**BASE, "STOP_TIME": "N/A"}).stop_time is None


def test_read_json_errors(tmp_path):
    with pytest.raises(MissingFileError, match=r"nope\.json: metadata file not found"):
        read_metadata_json(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MetadataError, match=r"bad\.json: not valid JSON"):
        read_metadata_json(bad)
    arr = tmp_path / "list.json"
    arr.write_text("[1, 2]")
    with pytest.raises(MetadataError, match=r"list\.json: expected a JSON object"):
        read_metadata_json(arr)
