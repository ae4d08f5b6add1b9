"""Reproduce the per-filter constants of :data:`junoproc.calibrate.CAMERA_CORRECTIONS`.

Runs the ``calibrate="full"`` fits (:func:`junoproc.calibrate.fit_spin_rate`, then
:func:`junoproc.calibrate.fit_filter_terms`) on each RGB product with only the shipped twist
as a start (no per-filter terms), prints each product's fitted per-filter terms and their
median, which is what ``CAMERA_CORRECTIONS`` ships.

Usage::

    python docs/scripts/fit_camera_corrections.py [DATA_DIR]

``DATA_DIR`` defaults to ``/work/shared/sample_data/junocam`` and must hold the PJ43/PJ44
RGB products named below.
"""

from __future__ import annotations

import statistics
import sys
import warnings
from pathlib import Path

import junoproc
from junoproc import calibrate
from junoproc.framelets import separate_filters
from junoproc.pipeline import decompand_raw

PRODUCTS = (
    "JNCE_2022186_43C00078_V01",
    "JNCE_2022186_43C00080_V01",
    "JNCE_2022229_44C00029_V01",
    "JNCE_2022229_44C00030_V01",
    "JNCE_2022229_44C00074_V01",
)


def fit_one(folder: Path) -> calibrate.CameraCorrections:
    """The per-filter terms ``calibrate="full"`` fits on one product, from the twist alone."""
    raw = junoproc.load(folder)
    start = calibrate.CameraCorrections(
        axis_tilt_rad=calibrate.CAMERA_CORRECTIONS.axis_tilt_rad, source="twist only"
    )
    geometry = calibrate.geometry_for(raw.metadata, corrections=start)
    stacks = separate_filters(decompand_raw(raw), raw.metadata)
    geometry, _ = calibrate.fit_spin_rate(stacks, geometry)
    _, fit = calibrate.fit_filter_terms(stacks, geometry)
    return fit.corrections


def main(data_dir: str = "/work/shared/sample_data/junocam") -> None:
    """Fit every product and print the per-product terms and their medians."""
    warnings.simplefilter("ignore", calibrate.CalibrationWarning)
    fits = {pid: fit_one(Path(data_dir) / pid) for pid in PRODUCTS}
    for pid, c in fits.items():
        print(pid, c.summary())
    along_rows = {"GREEN": 1.0}
    for f in ("BLUE", "RED"):
        dx = [c.centre_offset_px.get(f, (0.0, 0.0))[0] for c in fits.values()]
        dy = [c.centre_offset_px.get(f, (0.0, 0.0))[1] for c in fits.values()]
        s = [c.focal_scale.get(f, 1.0) for c in fits.values()]
        # the magnification along the rows is focal_scale * y_scale: take its median, not
        # the median of y_scale, so that the shipped pair keeps the typical along-row value
        rows = [c.focal_scale.get(f, 1.0) * c.y_scale.get(f, 1.0) for c in fits.values()]
        focal = statistics.median(s)
        along_rows[f] = statistics.median(rows) / focal
        print(
            f"{f}: centre_offset_px=({statistics.median(dx):.2f}, {statistics.median(dy):.2f}) "
            f"focal_scale={focal:.5f}"
        )
        print(f"  dx {[round(v, 2) for v in dx]}  dy {[round(v, 2) for v in dy]}")
        print(f"  focal {[round(v, 5) for v in s]}  along rows {[round(v, 5) for v in rows]}")
    # The overlaps measure magnification times spin rate: a magnification common to all
    # filters is absorbed by the rate. Ship along-row factors whose mean (focal_scale *
    # y_scale over BLUE, GREEN, RED) is 1, so that the IK's focal length stays the mean and
    # the spin rate fitted with the shipped terms is unbiased for a nominal camera.
    focal_of = {"GREEN": 1.0}
    for f in ("BLUE", "RED"):
        focal_of[f] = statistics.median(c.focal_scale.get(f, 1.0) for c in fits.values())
    mean = statistics.fmean(along_rows[f] * focal_of[f] for f in along_rows)
    print("y_scale", {f: round(along_rows[f] / mean, 6) for f in along_rows})


if __name__ == "__main__":
    main(*sys.argv[1:])
