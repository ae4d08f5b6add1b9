"""Regenerate the project's embedded samples (simulated JunoCam raw products).

Run from the repository root::

    python sample_data/make_samples.py

It writes, in the mission website's layout, a PJ57-like close approach to Io as an RGB
product and its METHANE companion (see :func:`junoproc.simulate.pj57_io_product`), each
with a ``<id>-truth.json`` holding the true spin rate, timing error and geometry. The
simulation is deterministic, so running it again reproduces the files.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from junoproc.simulate import pj57_io_product, write_product

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (this folder)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for website_id, methane in ((9957, False), (9958, True)):
        product = pj57_io_product(methane=methane)
        write_product(product, args.out, website_id=website_id, overwrite=True)


if __name__ == "__main__":
    main()
