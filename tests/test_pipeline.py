"""The composed chain on every real product: load -> decompand -> separate -> quick look."""

from __future__ import annotations

import json

import numpy as np
import pytest

from junoproc.decompand import decompand
from junoproc.framelets import separate_filters
from junoproc.io import load
from junoproc.pipeline import Processed, decompand_raw, process, save

from .conftest import JUNOCAM, REAL_PRODUCTS, require_shared

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module", params=REAL_PRODUCTS or ["<none>"])
def product(request):
    require_shared()
    return JUNOCAM / request.param


def test_load_decompand_separate_shapes_match_metadata(product):
    raw = load(product)
    meta = raw.metadata
    expected = json.loads(next((product / "DataSet").glob("*-Metadata.json")).read_text())
    assert meta.product_id == product.name == expected["PRODUCT_ID"]
    linear = decompand_raw(raw)
    assert linear.dtype == np.float32 and linear.shape == (expected["LINES"], 1648)
    assert 0 <= linear.min() and linear.max() <= 2879
    # decompanding preserves order of the codes, and is the table lookup
    np.testing.assert_array_equal(linear, decompand(raw.data))
    stacks = separate_filters(linear, meta)
    assert tuple(stacks) == tuple(expected["FILTER_NAME"])
    n_frames = expected["LINES"] // (128 * len(expected["FILTER_NAME"]))
    for stack in stacks.values():
        assert stack.data.shape == (n_frames, 128, 1648)
        assert stack.times_s.shape == (n_frames,)
        assert np.all(np.diff(stack.times_s) > expected_delay(expected))


def expected_delay(record):
    return float(record["INTERFRAME_DELAY"].split()[0])


def test_filters_differ_as_the_instrument_does(product):
    """The strip is cut at the right rows: row 127 -> 128 is a framelet boundary, so the
    mean absolute step there is much larger than between neighbouring rows inside framelets."""
    raw = load(product)
    lin = decompand_raw(raw)[:, 23:1631]
    steps = np.abs(np.diff(lin, axis=0)).mean(axis=1)
    boundary = steps[127::128]
    inside = np.delete(steps, np.s_[127::128])
    assert np.median(boundary) > 2 * np.median(inside) or raw.metadata.filters == ("METHANE",)


def test_process_and_save_quicklook(product, tmp_path):
    result = process(product, stitch="quicklook", trim_rows=0)
    assert isinstance(result, Processed)
    meta = result.metadata
    names = [step for step, _ in result.history]
    assert names == ["load", "decompand", "separate_filters", "stitch"]
    rows = meta.n_frames * 128
    if meta.filters == ("METHANE",):
        assert result.image.shape == (rows, 1608) and result.channels == ("METHANE",)
    else:
        assert result.image.shape == (rows, 1608, 3) and result.channels == ("RED", "GREEN", "BLUE")
    out = save(result, tmp_path / "q.png")
    from junoproc.writers import read_png

    img = read_png(out)
    assert img.shape == (rows, 1608, 4) and img.dtype == np.uint8
    assert img[..., 3].min() == 255  # quick look covers every pixel
    assert img[..., :3].max() == 255 and img[..., :3].min() == 0


def test_process_rejects_unknown_stitch():
    with pytest.raises(ValueError, match="quicklook"):
        process("whatever", stitch="magic")


def test_rendering_green_during_the_offset_fit_changes_nothing(monkeypatch):
    """``process`` renders GREEN while the offsets are fitted when it can use two cores;
    with a progress callback it does the stages one after another: same picture."""
    import junoproc.pipeline as pipeline
    from junoproc.calibrate import CameraCorrections
    from junoproc.data import load_sample

    calls = []
    overlap = pipeline._offsets_while_rendering
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(
        pipeline, "_offsets_while_rendering", lambda *a, **k: calls.append(1) or overlap(*a, **k)
    )
    raw = load_sample("io-pj57")
    nominal = CameraCorrections()
    overlapped = process(raw, quality=False, corrections=nominal)
    assert calls == [1]
    sequential = process(raw, quality=False, corrections=nominal, progress=lambda it, **k: it)
    assert calls == [1]
    assert overlapped.report["filter_fit"] == sequential.report["filter_fit"]
    assert overlapped.image.shape == sequential.image.shape
    np.testing.assert_array_equal(overlapped.image, sequential.image)
    np.testing.assert_array_equal(overlapped.coverage, sequential.coverage)


def test_work_done_while_the_png_is_decoded_changes_nothing(monkeypatch):
    """Loading from a path, ``process`` makes the geometry, the spin fit's overlaps and the
    large arrays' memory on another core while the PNG is decoded: the same result as
    processing the product loaded beforehand, and the memory is used."""
    import junoproc.pipeline as pipeline
    from junoproc.calibrate import CameraCorrections
    from junoproc.data import load_sample, sample_path

    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    made = []
    make = pipeline._Early._make
    monkeypatch.setattr(
        pipeline._Early, "_make", lambda self, m: made.append(make(self, m)) or made[-1]
    )
    nominal = CameraCorrections()
    early = process(sample_path("io-pj57"), quality=False, corrections=nominal)
    assert len(made) == 1 and made[0].overlaps is not None
    assert np.shares_memory(early.image, made[0].memory)
    later = process(load_sample("io-pj57"), quality=False, corrections=nominal)
    assert len(made) == 1  # nothing to overlap with a product loaded already
    assert early.report == later.report
    np.testing.assert_array_equal(early.image, later.image)
    np.testing.assert_array_equal(early.coverage, later.coverage)


def test_touched_memory_is_written_page_by_page():
    """Writing, not reading, makes the system map each page (a read maps a shared page of
    zeros): every page of the array gets a zero, the rest keeps its contents."""
    from junoproc.pipeline import _touched

    a = np.full(5000, 7.0, np.float32)
    assert _touched(a) is a
    assert (a[::1024] == 0).all() and (np.delete(a, np.arange(0, 5000, 1024)) == 7).all()


def test_decompand_raw_writes_into_out():
    """8-bit products are decompanded into ``out``, 16-bit (linear) ones copied into it."""
    from junoproc.data import load_sample
    from junoproc.io import RawImage

    raw = load_sample("io-pj57")
    linear = RawImage(
        np.arange(raw.data.size, dtype=np.uint16).reshape(raw.data.shape) % 4096,
        raw.metadata,
        "linear",
    )
    for product in (raw, linear):
        out = np.full(product.data.shape, -1.0, np.float32)
        assert decompand_raw(product, out=out) is out
        np.testing.assert_array_equal(out, decompand_raw(product))
        with pytest.raises(ValueError, match="out must be float32"):
            decompand_raw(product, out=np.zeros(product.data.shape))


def test_process_rejects_unknown_calibration():
    with pytest.raises(ValueError, match="offsets, rate, full, none"):
        process("whatever", calibrate="exact")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_coverage_becomes_alpha_in_the_full_range(dtype):
    from junoproc.pipeline import _with_alpha

    top = np.iinfo(dtype).max
    rng = np.random.default_rng(5)
    coverage = rng.random((3000, 70)).astype(np.float32)  # several row blocks
    coverage[0, :4] = [-0.5, 1.5, 0.0, 1.0]
    grey = rng.integers(0, top, coverage.shape).astype(dtype)
    rgba = _with_alpha(grey, coverage)
    assert rgba.shape == (*coverage.shape, 4) and rgba.dtype == dtype
    expected = np.floor(np.clip(coverage.astype(np.float64), 0, 1) * top + 0.5)
    np.testing.assert_array_equal(rgba[..., 3], expected)
    assert rgba[0, :4, 3].tolist() == [0, top, 0, top]
    for c in range(3):
        np.testing.assert_array_equal(rgba[..., c], grey)
