"""Benchmark: the whole default pipeline against decoding the raw PNG, measured in one run.

Run from the repository root (the real data live in ../shared beside the checkout)::

    python benchmarks/bench_process.py [PRODUCT_FOLDER]

It picks the largest RGB product in ../shared/sample_data/junocam unless given one, and
prints, side by side:

* the time to decode the raw PNG alone (junoproc's own reader);
* the time of the whole ``process`` in one process (load -> decompand -> separate ->
  spin-rate fit -> filter-offset fit -> full-resolution panorama -> stretch -> RGBA uint8
  array), and the time of each stage when the public stage functions are called one after
  another;
* the ratio of the two (target: at most 5): best against best over 15 alternating rounds,
  and the median and range of the per-round ratios. A shared machine is noisy, in bursts:
  the 70 ms decode often falls between two bursts, the 0.3 s pipeline less often, so a
  few rounds give the pipeline's best less chance to show than the decode's;
* the peak memory of a fresh process doing the same once (target: under 1.5 GB);
* for information, the time of the optional quality measures and of ``calibrate="full"``.

Rendering uses OpenCV's remap when ``junoproc[fast]`` is installed, numpy otherwise;
set ``JUNOPROC_NO_OPENCV=1`` to time the numpy path.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
JUNOCAM = ROOT.parent / "shared" / "sample_data" / "junocam"
#: Rounds of (decode, whole pipeline), alternating; the best of each is compared.
ROUNDS = 15


def largest_rgb_product() -> Path:
    best, lines = None, -1
    for folder in sorted(JUNOCAM.glob("JNCE_*C*")):
        png = next((folder / "ImageSet").glob("*-raw.png"))
        from junoproc.io import read_png

        n = read_png(png).shape[0]
        if n > lines:
            best, lines = folder, n
    if best is None:
        sys.exit(f"no RGB product under {JUNOCAM}")
    return best


def to_rgba(image: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """Stretch to 8 bits and append the coverage as alpha, as ``junoproc process`` does
    (the picture its PNG writer gets from :func:`junoproc.pipeline.save`)."""
    from junoproc.pipeline import _picture

    return _picture(
        image, coverage, alpha=True, out_dtype=np.uint8, method="asinh", percentile=(0.5, 99.8)
    )


def pipeline(folder: Path) -> np.ndarray:
    """The measured chain: ``junoproc.process`` (default options, no quality measures) and
    the stretch to an RGBA uint8 array."""
    from junoproc.pipeline import process

    result = process(folder, quality=False)
    return to_rgba(result.image, result.coverage)


def stages(folder: Path) -> dict[str, float]:
    """The same work as public stages called one after another, timed stage by stage.

    ``process`` runs the same stages but renders GREEN (the offsets' reference) while the
    other filters' offsets are fitted, so this sum is a little longer than ``pipeline``.
    """
    from junoproc.calibrate import fit_filter_offsets, fit_spin_rate, geometry_for
    from junoproc.framelets import separate_filters
    from junoproc.io import load
    from junoproc.pipeline import decompand_raw
    from junoproc.render import panorama_view, render

    t = {}
    t0 = time.perf_counter()
    raw = load(folder)
    t["load (PNG decode + metadata)"] = time.perf_counter()
    linear = decompand_raw(raw)
    t["decompand"] = time.perf_counter()
    stacks = separate_filters(linear, raw.metadata)
    t["separate filters"] = time.perf_counter()
    geometry, _ = fit_spin_rate(stacks, geometry_for(raw.metadata))
    t["spin-rate fit"] = time.perf_counter()
    view = panorama_view(geometry)
    geometry, _ = fit_filter_offsets(stacks, geometry)
    t["filter-offset fit"] = time.perf_counter()
    out = render(stacks, geometry, view, filters=("RED", "GREEN", "BLUE"))
    t["render panorama"] = time.perf_counter()
    to_rgba(out.image, out.common_coverage())
    t["stretch to RGBA"] = time.perf_counter()
    timings, previous = {}, t0
    for name, stamp in t.items():
        timings[name] = stamp - previous
        previous = stamp
    return timings


def _peak_child(folder: str, queue: mp.Queue) -> None:
    warnings.simplefilter("ignore")
    pipeline(Path(folder))
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "product", nargs="?", type=Path, help="product folder (default: largest RGB)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    folder = args.product or largest_rgb_product()
    from junoproc.io import read_png
    from junoproc.pipeline import process

    png = next((folder / "ImageSet").glob("*-raw.png"))
    pipeline(folder)  # warm-up: imports, caches
    # decode and pipeline alternate, so that both see the same state of a shared machine
    decodes, runs = [], []
    for _ in range(ROUNDS):
        decodes.append(_timed(lambda: read_png(png)))
        start = time.perf_counter()
        rgba = pipeline(folder)
        runs.append(time.perf_counter() - start)
    decode, total = min(decodes), min(runs)
    ratios = sorted(r / d for r, d in zip(runs, decodes, strict=True))
    breakdown = min((stages(folder) for _ in range(ROUNDS)), key=lambda t: sum(t.values()))
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_peak_child, args=(str(folder), queue))
    child.start()
    peak = queue.get()
    child.join()
    quality = _timed(lambda: process(folder, quality=True)) - _timed(
        lambda: process(folder, quality=False)
    )
    full = _timed(lambda: process(folder, calibrate="full", quality=False))

    from junoproc._accel import opencv

    backend = "OpenCV remap (junoproc[fast])" if opencv() is not None else "numpy"
    print(f"product: {folder.name}  raw strip {read_png(png).shape}, output RGBA {rgba.shape}")
    print(f"render backend: {backend}; set JUNOPROC_NO_OPENCV=1 for the numpy path")
    print(f"raw PNG decode alone:           {decode * 1e3:8.0f} ms")
    print(f"whole process (default chain):  {total * 1e3:8.0f} ms")
    print(
        f"ratio process / PNG decode:     {total / decode:8.2f}   "
        f"(target <= 5; best / best of {ROUNDS} rounds)"
    )
    median = ratios[len(ratios) // 2]
    print(f"    per round, median (range):  {median:8.2f}   ({ratios[0]:.2f} .. {ratios[-1]:.2f})")
    whole = sum(breakdown.values())
    print(f"the same stages one after another: {whole * 1e3:5.0f} ms")
    for name, seconds in breakdown.items():
        print(f"    {name:<28}{seconds * 1e3:8.0f} ms  ({100 * seconds / whole:4.1f} %)")
    print(f"peak memory (fresh process):    {peak / 2**20:8.0f} MiB (target < 1536 MiB)")
    print(f"optional quality measures:      {quality * 1e3:8.0f} ms extra")
    print(f"process with calibrate='full':  {full * 1e3:8.0f} ms")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
