"""Self-calibration on the embedded simulated sample (nominal IK camera, known truth)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from junoproc.calibrate import (
    CalibrationWarning,
    CameraCorrections,
    _spread,
    fit_filter_offsets,
    fit_spin_rate,
    geometry_for,
    spin_overlaps,
)
from junoproc.data import load_sample, sample_truth
from junoproc.framelets import separate_filters
from junoproc.pipeline import decompand_raw


@pytest.fixture(scope="module")
def sample():
    raw = load_sample("io-pj57")
    stacks = separate_filters(decompand_raw(raw), raw.metadata)
    start = geometry_for(raw.metadata, corrections=CameraCorrections())
    return raw, stacks, start


@pytest.fixture(scope="module")
def spun(sample):
    _, stacks, start = sample
    return fit_spin_rate(stacks, start)[0]


def _offsets(geometry, base):
    """(dx, dy) of each filter's optical centre in ``geometry`` relative to ``base``."""
    return {
        g.name: (g.cx - g0.cx, g.cy - g0.cy)
        for g, g0 in zip(geometry.camera.filters, base.camera.filters, strict=True)
    }


def _moved(geometry, shifts):
    filters = tuple(
        dataclasses.replace(g, cx=g.cx + shifts[g.name][0], cy=g.cy + shifts[g.name][1])
        if g.name in shifts
        else g
        for g in geometry.camera.filters
    )
    return dataclasses.replace(
        geometry, camera=dataclasses.replace(geometry.camera, filters=filters)
    )


def test_spread_keeps_the_ends_and_the_count():
    assert _spread(5, 12).tolist() == [0, 1, 2, 3, 4]
    picked = _spread(19, 12)
    assert picked.size == 12 and picked[0] == 0 and picked[-1] == 18
    assert np.all(np.diff(picked) >= 1)
    assert _spread(30, None).size == 30


def test_spin_rate_recovered_on_the_sample(sample, spun):
    truth = sample_truth("io-pj57")
    fitted = spun.pointing.rate_rad_s
    assert abs(fitted - truth["spin_rate_rad_s"]) / truth["spin_rate_rad_s"] < 5e-4
    assert abs(spun.pointing.axis_tilt_rad[0] - truth["axis_tilt_rad"][0]) < 5e-4  # rad


def test_overlaps_made_beforehand_give_the_same_fit(sample, spun):
    """spin_overlaps needs no pixels; handed to fit_spin_rate it gives the same answer, and
    overlaps made for another geometry or other options are refused."""
    _, stacks, start = sample
    overlaps = spin_overlaps(start, filters=list(stacks))
    assert overlaps.filters == tuple(stacks) and overlaps.pixels.keys() == set(stacks)
    fitted, fit = fit_spin_rate(stacks, start, overlaps=overlaps)
    assert fit.status == "fitted"
    assert fitted.pointing.rate_rad_s == spun.pointing.rate_rad_s
    assert fitted.pointing.axis_tilt_rad == spun.pointing.axis_tilt_rad
    other = dataclasses.replace(start, times_s=start.times_s + 0.0)
    with pytest.raises(ValueError, match="another geometry"):
        fit_spin_rate(stacks, other, overlaps=overlaps)
    with pytest.raises(ValueError, match="other options"):
        fit_spin_rate(stacks, start, overlaps=overlaps, max_pairs=4)
    with pytest.raises(ValueError, match="other filters"):
        fit_spin_rate({"GREEN": stacks["GREEN"]}, start, overlaps=overlaps)
    with pytest.raises(ValueError, match="not among"):
        spin_overlaps(start, filters=["METHANE"])


def test_filter_offsets_recover_a_displaced_camera(spun, sample):
    """Move RED and BLUE off the truth by up to a pixel: the fit brings them back."""
    _, stacks, _ = sample
    wrong = {"RED": (0.8, -0.6), "BLUE": (-0.7, 0.5)}
    fitted, fit = fit_filter_offsets(stacks, _moved(spun, wrong))
    assert fit.status == "fitted" and set(fit.n_matches) == {"RED", "BLUE"}
    remaining = _offsets(fitted, spun)
    assert remaining["GREEN"] == (0.0, 0.0)  # the reference is held
    for name in ("RED", "BLUE"):
        assert np.hypot(*remaining[name]) < 0.15, (name, remaining[name])
        found = fit.corrections.centre_offset_px[name]
        assert np.allclose(found, np.negative(wrong[name]), atol=0.15)
        assert 0 <= fit.residual_px[name][0] <= fit.residual_px[name][1] < 1.0


def test_filter_offsets_leave_a_right_camera_alone(spun, sample):
    _, stacks, _ = sample
    fitted, fit = fit_filter_offsets(stacks, spun)
    assert fit.status == "fitted"
    for name, (dx, dy) in _offsets(fitted, spun).items():
        assert np.hypot(dx, dy) < 0.15, (name, dx, dy)


def test_filter_offsets_without_structure_keep_the_camera(spun, sample):
    _, stacks, _ = sample
    flat = {f: np.full_like(np.asarray(s.data), 500.0) for f, s in stacks.items()}
    with pytest.warns(CalibrationWarning, match="usable pixels"):
        fitted, fit = fit_filter_offsets(flat, spun)
    assert fit.status == "nominal"
    assert fitted.camera == spun.camera


def test_filter_offsets_need_the_reference(spun, sample):
    _, stacks, _ = sample
    with pytest.raises(ValueError, match="reference filter"):
        fit_filter_offsets({f: s for f, s in stacks.items() if f != "GREEN"}, spun)


def test_fits_do_not_modify_their_inputs(spun, sample):
    _, stacks, start = sample
    before = {f: np.asarray(s.data).copy() for f, s in stacks.items()}
    fit_spin_rate(stacks, start)
    fit_filter_offsets(stacks, spun)
    for f, s in stacks.items():
        np.testing.assert_array_equal(np.asarray(s.data), before[f])


def test_spin_fit_without_structure_keeps_the_rate(sample):
    _, stacks, start = sample
    flat = {f: np.full_like(np.asarray(s.data), 500.0) for f, s in stacks.items()}
    with pytest.warns(CalibrationWarning, match="too little structure"):
        geometry, fit = fit_spin_rate(flat, start)
    assert fit.status == "nominal" and geometry == start


def test_opencv_and_numpy_fits_agree(sample, spun, monkeypatch):
    """The optional OpenCV blur gives the same fits as scipy's."""
    _, stacks, start = sample
    fast_spin = fit_spin_rate(stacks, start)[1]
    fast_offsets = fit_filter_offsets(stacks, spun)[1]
    monkeypatch.setenv("JUNOPROC_NO_OPENCV", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        slow_spin = fit_spin_rate(stacks, start)[1]
        slow_offsets = fit_filter_offsets(stacks, spun)[1]
    assert abs(fast_spin.rate_rad_s / slow_spin.rate_rad_s - 1) < 1e-5
    for name, xy in fast_offsets.corrections.centre_offset_px.items():
        assert np.allclose(xy, slow_offsets.corrections.centre_offset_px[name], atol=0.01)


@pytest.mark.realdata
def test_curvature_steps_reach_the_reweighting_answer_sooner(monkeypatch):
    """Near the answer the robust level steps with the Huber loss's own curvature: the same
    answer as re-weighting alone (run to a tight finish), in fewer iterations (on a real
    product: the simulated sample converges at once either way)."""
    import junoproc.calibrate as calibrate
    from junoproc.io import load

    from .conftest import JUNOCAM, require_shared

    require_shared()
    raw = load(JUNOCAM / "JNCE_2022186_43C00080_V01")
    stacks = separate_filters(decompand_raw(raw), raw.metadata)
    start = geometry_for(raw.metadata)
    fast, fit = fit_spin_rate(stacks, start)
    monkeypatch.setattr(calibrate, "_NEWTON_RADIUS_PX", 0.0)  # re-weighting alone
    slow, reweighted = fit_spin_rate(stacks, start, iterations=60)
    assert fit.iterations < reweighted.iterations
    assert abs(fit.rate_rad_s - reweighted.rate_rad_s) < 2e-5 * reweighted.rate_rad_s
    twists = fast.pointing.axis_tilt_rad[0], slow.pointing.axis_tilt_rad[0]
    assert abs(twists[0] - twists[1]) < 2e-5  # rad: 0.016 px at the framelet ends


def test_coarse_levels_on_fewer_pairs_reach_the_same_answer(monkeypatch):
    """The coarse levels only bring the last one within reach: on a real product, setting
    them up on 6 of its 11 frame pairs gives the rate and twist of using all of them. A
    small target seen in a few frames keeps all pairs."""
    import junoproc.calibrate as calibrate
    from junoproc.io import load

    from .conftest import JUNOCAM, require_shared

    require_shared()
    raw = load(JUNOCAM / "JNCE_2022186_43C00080_V01")
    stacks = separate_filters(decompand_raw(raw), raw.metadata)
    start = geometry_for(raw.metadata)
    seen = []
    level = calibrate._pair_level

    def counting(*args, **kwargs):
        seen.append(kwargs["pairs"].size)
        return level(*args, **kwargs)

    monkeypatch.setattr(calibrate, "_pair_level", counting)
    coarse, fit = fit_spin_rate(stacks, start)
    n_pairs = spin_overlaps(start).pairs.size
    assert n_pairs == 11
    assert sorted(set(seen)) == [6, n_pairs]  # the coarse level on 6 pairs, the last on all
    seen.clear()
    full, fit_all = fit_spin_rate(stacks, start, coarse_pairs=None)
    assert set(seen) == {n_pairs}
    assert fit.status == fit_all.status == "fitted"
    assert abs(fit.rate_rad_s - fit_all.rate_rad_s) < 2e-5 * fit_all.rate_rad_s
    twists = coarse.pointing.axis_tilt_rad[0], full.pointing.axis_tilt_rad[0]
    assert abs(twists[0] - twists[1]) < 2e-5  # rad: 0.016 px at the framelet ends
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="coarse_pairs"):
            fit_spin_rate(stacks, start, coarse_pairs=bad)
    # Io in the methane band: too little structure in 6 pairs alone, so all are used
    raw = load_sample("io-pj57-methane")
    stacks = separate_filters(decompand_raw(raw), raw.metadata)
    start = geometry_for(raw.metadata)
    seen.clear()
    _, fit = fit_spin_rate(stacks, start, fit_twist=False)
    n_pairs = spin_overlaps(start).pairs.size
    assert fit.status == "fitted" and n_pairs > 6
    assert seen == [6, n_pairs, n_pairs]  # coarse level tried on 6, then on all; last level
