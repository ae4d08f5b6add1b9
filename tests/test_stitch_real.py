"""Geometric stitching on the real PJ43/PJ44 products: colour registration, seams, limb, methane.

These are the project's acceptance measurements on real data; the figures are computed by
junoproc.quality exactly as `process` reports them.
"""

from __future__ import annotations

import numpy as np
import pytest

from junoproc.pipeline import process, process_pair
from junoproc.quality import limb_continuity
from junoproc.render import render

from .conftest import JUNOCAM, METHANE_PRODUCTS, RGB_PRODUCTS, require_shared

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: The calibration levels whose results are asserted below: the default and the slow one.
LEVELS = ("offsets", "full")


@pytest.fixture(
    scope="module",
    params=[(p, level) for p in RGB_PRODUCTS or ["<none>"] for level in LEVELS],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def rgb(request):
    require_shared()
    product, level = request.param
    return process(JUNOCAM / product, calibrate=level)


def test_the_default_is_asserted():
    assert process.__kwdefaults__["calibrate"] == LEVELS[0]


def test_colour_misregistration_within_target(rgb):
    """The project's target (0.25 / 0.6 px) holds for the default calibration. ``"full"``
    also fits magnifications from rendered features; on 43C00078 its median sits at the
    target (0.25 px, docs/geometry.md), so it is held to 0.3 px here."""
    mis = rgb.report["quality"]["misregistration"]
    level = dict(rgb.history)["calibrate"]["level"]
    assert mis["n_tiles"] >= 10, mis
    assert mis["median_px"] <= (0.25 if level == LEVELS[0] else 0.3), (level, mis)
    assert mis["p90_px"] <= 0.6, (level, mis)


def test_spin_fit_is_plausible(rgb):
    fit = rgb.report["spin_fit"]
    assert fit["status"] == "fitted"
    assert 11.7 < fit["spin_rate_deg_s"] < 12.1  # about 2 rpm (Juno spins at ~11.9 deg/s)
    assert fit["overlap_residual_px"] < 0.3


def test_limb_is_continuous_across_framelets(rgb):
    """The rendered limb shows no step larger than 0.5 px where framelets meet."""
    geometry, view = rgb.geometry, rgb.view
    # an image of which frame each output pixel comes from, to know where framelets meet
    labels = {
        f: np.broadcast_to(
            np.arange(geometry.n_frames, dtype=np.float32)[:, None, None],
            (geometry.n_frames, 128, 1648),
        )
        for f in ("GREEN",)
    }
    frame = render(labels, geometry, view, filters=("GREEN",)).image[..., 0]
    boundaries = np.where(np.isfinite(frame), np.floor(frame + 0.5), -1).astype(int)
    green = rgb.image[..., rgb.channels.index("GREEN")]
    # a lit crescent has the limb on one side and the soft terminator on the other: the limb
    # is the coherent edge (small steps between neighbouring rows away from boundaries)
    traces = [
        limb_continuity(green, rgb.coverage, boundaries=boundaries, side=side).summary()
        for side in ("first", "last")
    ]
    traces = [t for t in traces if t["boundary"]["n"] >= 3]
    assert traces, "the limb crosses no framelet boundary"
    limb = min(traces, key=lambda t: t["elsewhere"]["median_px"])
    assert limb["elsewhere"]["median_px"] < 0.05, limb  # it is the limb, traced precisely
    assert limb["boundary"]["max_px"] <= 0.5, limb


@pytest.mark.parametrize("pid", METHANE_PRODUCTS or ["<none>"])
def test_methane_products_stitch(pid):
    require_shared()
    result = process(JUNOCAM / pid)
    assert result.channels == ("METHANE",)
    assert result.image.ndim == 2 and np.isfinite(result.image).mean() > 0.5
    fit = result.report["spin_fit"]
    assert fit["status"] == "fitted"
    # consecutive methane framelets agree where they overlap, to a fraction of a pixel
    assert fit["overlap_residual_px"] < 0.2
    assert "METHANE" in result.report["quality"]["seam_residual"]


def test_rgb_and_methane_pair_share_a_view():
    require_shared()
    result = process_pair(
        JUNOCAM / "JNCE_2022186_43C00080_V01", JUNOCAM / "JNCE_2022186_43M00081_V01"
    )
    assert result.channels == ("RED", "GREEN", "BLUE", "METHANE")
    both = np.isfinite(result.image).all(axis=-1)
    assert both.mean() > 0.3
    # Jupiter's disc lands in the same place in RED and METHANE: their bright masks agree
    red, ch4 = result.image[..., 0], result.image[..., 3]
    disc_red = red > 0.3 * np.nanpercentile(red[both], 99)
    disc_ch4 = ch4 > 0.3 * np.nanpercentile(ch4[both], 99)
    overlap = (disc_red & disc_ch4 & both).sum() / max((disc_red & both).sum(), 1)
    assert overlap > 0.9
