"""The command line: every real product, outputs, and bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from junoproc.cli import main
from junoproc.decompand import decompand
from junoproc.io import load
from junoproc.writers import read_png, read_png_text

from ._builders import crafted_png, patch_declared_size, sha256_tree, write_png, zip_with
from .conftest import DATA_ZIPS, JUNOCAM, REAL_PRODUCTS, require_shared

RGB_ID = "JNCE_2022186_43C00080_V01"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def expect_bad_input(capsys, argv, *needles):
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.realdata
@pytest.mark.parametrize("pid", REAL_PRODUCTS or ["<none>"])
def test_info_on_every_real_product(capsys, pid):
    require_shared()
    record = json.loads(next((JUNOCAM / pid / "DataSet").glob("*.json")).read_text())
    code, out, _ = run(capsys, "info", JUNOCAM / pid)
    assert code == 0
    assert pid in out and ", ".join(record["FILTER_NAME"]) in out
    n_frames = record["LINES"] // (128 * len(record["FILTER_NAME"]))
    assert f"{n_frames} ({n_frames * len(record['FILTER_NAME'])} framelets" in out
    assert record["START_TIME"] in out and record["STOP_TIME"] in out
    code, out, _ = run(capsys, "info", JUNOCAM / pid, "--json")
    info = json.loads(out)
    assert info["product_id"] == pid and info["n_frames"] == n_frames
    assert info["filters"] == record["FILTER_NAME"]
    assert info["start_time"] == record["START_TIME"] and info["stop_time"] == record["STOP_TIME"]


@pytest.mark.realdata
@pytest.mark.parametrize("bundle", DATA_ZIPS or [Path("<none>")], ids=lambda p: p.name)
def test_info_on_every_zip_bundle(capsys, bundle):
    require_shared()
    with zipfile.ZipFile(bundle) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith(".json")]
        record = json.loads(zf.read(member))
    code, out, _ = run(capsys, "info", bundle, "--json")
    assert code == 0
    info = json.loads(out)
    assert info["product_id"] == record["PRODUCT_ID"]
    assert info["filters"] == record["FILTER_NAME"]
    assert info["n_frames"] == record["LINES"] // (128 * len(record["FILTER_NAME"]))
    assert info["start_time"] == record["START_TIME"]


@pytest.mark.realdata
def test_decompand_split_process_outputs(capsys, tmp_path):
    require_shared()
    folder = JUNOCAM / RGB_ID
    raw = load(folder)
    before = sha256_tree(folder)

    assert run(capsys, "decompand", folder, "-o", tmp_path / "lin.png")[0] == 0
    lin = read_png(tmp_path / "lin.png")
    assert lin.dtype == np.uint16
    np.testing.assert_array_equal(lin, decompand(raw.data))
    assert "decompand" in read_png_text(tmp_path / "lin.png")["junoproc.history"]
    assert run(capsys, "decompand", folder, "-o", tmp_path / "lin.tif", "--bin-centres")[0] == 0

    assert run(capsys, "split", folder, "-o", tmp_path / "split")[0] == 0
    files = sorted((tmp_path / "split").iterdir())
    assert [f.name for f in files] == [f"{RGB_ID}-{c}.png" for c in ("blue", "green", "red")]
    green = read_png(tmp_path / "split" / f"{RGB_ID}-green.png")
    np.testing.assert_array_equal(green[:128], decompand(raw.data[128:256]))
    assert green.shape == (12 * 128, 1648)

    report = tmp_path / "report.json"
    assert (
        run(
            capsys,
            "process",
            folder,
            "-o",
            tmp_path / "q.png",
            "--report",
            report,
            "--stitch",
            "quicklook",
        )[0]
        == 0
    )
    picture = read_png(tmp_path / "q.png")
    assert picture.shape[-1] == 4 and picture.dtype == np.uint8
    assert json.loads(report.read_text())["product_id"] == RGB_ID
    assert sha256_tree(folder) == before  # inputs untouched


def test_help_for_every_command(capsys):
    for command in ("info", "decompand", "split", "process"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0 and f"junoproc {command}" in out
    assert run(capsys, "--version")[0] == 0
    expect_bad_input(capsys, ["process"], "required")
    expect_bad_input(capsys, ["frobnicate"], "invalid choice")


@pytest.mark.realdata
def test_existing_output_is_not_overwritten(capsys, tmp_path):
    require_shared()
    out = tmp_path / "q.png"
    out.write_bytes(b"precious")
    expect_bad_input(capsys, ["process", JUNOCAM / RGB_ID, "-o", out], str(out), "--overwrite")
    assert out.read_bytes() == b"precious"
    assert run(capsys, "process", JUNOCAM / RGB_ID, "-o", out, "--overwrite")[0] == 0
    assert read_png(out).shape[-1] == 4


def _product_with(tmp_path: Path, *, png: bytes | None = None, record: dict | None = None) -> Path:
    """A copy of a real product's parts in tmp_path, with the PNG or JSON replaced."""
    src = JUNOCAM / RGB_ID
    folder = tmp_path / RGB_ID
    (folder / "ImageSet").mkdir(parents=True)
    (folder / "DataSet").mkdir()
    real_json = next((src / "DataSet").glob("*.json"))
    (folder / "ImageSet" / f"{RGB_ID}-raw.png").write_bytes(
        png if png is not None else (src / "ImageSet" / f"{RGB_ID}-raw.png").read_bytes()
    )
    text = json.dumps(record) if record is not None else real_json.read_text()
    (folder / "DataSet" / real_json.name).write_text(text)
    return folder


def _record() -> dict:
    return json.loads(next((JUNOCAM / RGB_ID / "DataSet").glob("*.json")).read_text())


BAD_INPUTS = {
    "truncated PNG": (
        lambda t: _product_with(
            t, png=(JUNOCAM / RGB_ID / "ImageSet" / f"{RGB_ID}-raw.png").read_bytes()[:200_000]
        ),
        "truncated",
    ),
    "non-PNG bytes": (lambda t: _product_with(t, png=b"GIF89a" + bytes(100)), "not a PNG"),
    "wrong width": (
        lambda t: _product_with(
            t, png=(write_png(t / "w.png", np.zeros((4608, 1000), np.uint8))).read_bytes()
        ),
        "1000",
    ),
    "height not multiple": (
        lambda t: _product_with(
            t, png=(write_png(t / "h.png", np.zeros((4600, 1648), np.uint8))).read_bytes()
        ),
        "4600",
    ),
    "JSON missing keys": (
        lambda t: _product_with(t, record={k: v for k, v in _record().items() if k != "LINES"}),
        "LINES",
    ),
    "JSON unparseable": (
        lambda t: _product_with(t, record={**_record(), "INTERFRAME_DELAY": "fast"}),
        "INTERFRAME_DELAY",
    ),
    "unknown filter": (
        lambda t: _product_with(t, record={**_record(), "FILTER_NAME": ["BLUE", "ORANGE", "RED"]}),
        "ORANGE",
    ),
    "huge PNG header": (lambda t: _product_with(t, png=crafted_png(100000, 100000)), "100000"),
}


@pytest.mark.realdata
@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["info", "process"])
def test_bad_product_exits_2_with_one_line(capsys, tmp_path, case, command):
    require_shared()
    build, needle = BAD_INPUTS[case]
    folder = build(tmp_path)
    before = sha256_tree(folder)
    argv = [command, folder] + (["-o", tmp_path / "out.png"] if command == "process" else [])
    line = expect_bad_input(capsys, argv, needle)
    assert RGB_ID in line or "raw.png" in line or ".json" in line  # names the file
    assert not (tmp_path / "out.png").exists()
    assert not list(tmp_path.glob(".*.part"))
    assert sha256_tree(folder) == before


def test_hostile_zips_exit_2(capsys, tmp_path):
    evil = zip_with(tmp_path / "evil.zip", {"../evil.png": b"x", "DataSet/1-Metadata.json": b"{}"})
    expect_bad_input(capsys, ["info", evil], "evil.zip", "../evil.png")
    bomb = zip_with(
        tmp_path / "bomb.zip", {"ImageSet/JNCE_2022186_43C00080_V01-raw.png": bytes(1000)}
    )
    patch_declared_size(bomb, 3_000_000_000)
    expect_bad_input(capsys, ["process", bomb, "-o", tmp_path / "o.png"], "bomb.zip")
    assert not (tmp_path / "o.png").exists()


def test_missing_input_exits_2(capsys, tmp_path):
    expect_bad_input(capsys, ["info", tmp_path / "nothing-here.png"], "nothing-here.png")


def test_unknown_calibration_exits_2(capsys, tmp_path):
    out = tmp_path / "x.png"
    expect_bad_input(capsys, ["process", "whatever", "-o", out, "--calibrate", "exact"], "exact")
    assert not out.exists()
