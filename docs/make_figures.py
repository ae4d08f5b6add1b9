"""Regenerate the figures under docs/ from the embedded sample.

Run from the repository root::

    python docs/make_figures.py

It writes ``docs/demo.png``: on the left the quick look of the embedded sample (framelets
stacked, no geometry), on the right what ``junoproc demo`` produces from it (downsized),
so a newcomer knows what to expect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from skimage.transform import resize

import junoproc
from junoproc.calibrate import CameraCorrections
from junoproc.data import load_sample
from junoproc.stretch import stretch
from junoproc.writers import write_png

HERE = Path(__file__).resolve().parent
HEIGHT = 360


def _panel(image: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    rgb = stretch(image, method="asinh", percentile=(0.5, 99.9), mask=coverage > 0)
    rgb = np.where(coverage[..., None] > 0, rgb, 0.0)
    width = round(rgb.shape[1] * HEIGHT / rgb.shape[0])
    return resize(rgb, (HEIGHT, width), anti_aliasing=True)


def main() -> None:
    raw = load_sample("io-pj57")
    quick = junoproc.process(raw, stitch="quicklook")
    # simulated with the IK's nominal camera, so processed with it, as `junoproc demo` does
    stitched = junoproc.process(
        raw, view="perspective", quality=False, corrections=CameraCorrections()
    )
    # the quick look's rows around Io, for a like-for-like comparison
    lit = quick.image[..., 1] > 0.1 * np.nanmax(quick.image)
    rows, cols = np.nonzero(lit.any(axis=1))[0], np.nonzero(lit.any(axis=0))[0]
    band = (slice(max(rows[0] - 40, 0), rows[-1] + 40), slice(max(cols[0] - 40, 0), cols[-1] + 40))
    left = _panel(quick.image[band], quick.coverage[band])
    right = _panel(stitched.image, stitched.coverage)
    gap = np.ones((HEIGHT, 8, 3))
    figure = np.concatenate([left, gap, right], axis=1)
    write_png(
        HERE / "demo.png", (np.clip(figure, 0, 1) * 255 + 0.5).astype(np.uint8), overwrite=True
    )


if __name__ == "__main__":
    main()
