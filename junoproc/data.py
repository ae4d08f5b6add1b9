"""The project's embedded sample products.

junoproc ships two small simulated JunoCam raw products made by
``sample_data/make_samples.py`` (see :mod:`junoproc.simulate`): a PJ57-like close approach
to Io in RGB and its METHANE companion. They are in the repository's ``sample_data/``
folder and inside the installed package, so examples work without a download.

Examples
--------
>>> from junoproc.data import list_samples, load_sample
>>> list_samples()
('io-pj57', 'io-pj57-methane')
>>> raw = load_sample("io-pj57")
>>> raw.metadata.filters, raw.data.shape
(('BLUE', 'GREEN', 'RED'), (5376, 1648))
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .exceptions import MissingFileError
from .io import RawImage, load

__all__ = ["SAMPLES", "list_samples", "load_sample", "sample_path", "sample_truth"]

#: Sample name -> product id.
SAMPLES: dict[str, str] = {
    "io-pj57": "JNCE_2023364_57C00099_V01",
    "io-pj57-methane": "JNCE_2023364_57M00100_V01",
}


def _roots() -> list[Path]:
    here = Path(__file__).resolve().parent
    roots = []
    env = os.environ.get("JUNOPROC_SAMPLE_DIR")
    if env:
        roots.append(Path(env))
    roots += [here / "sample_data", here.parent / "sample_data"]  # installed wheel, then checkout
    return roots


def list_samples() -> tuple[str, ...]:
    """Names of the embedded samples.

    Examples
    --------
    >>> "io-pj57" in list_samples()
    True
    """
    return tuple(SAMPLES)


def sample_path(name: str) -> Path:
    """Folder of an embedded sample (website layout: ``ImageSet/`` and ``DataSet/``).

    Parameters
    ----------
    name : str
        One of :func:`list_samples`.

    Returns
    -------
    Path

    Raises
    ------
    ValueError
        Unknown sample name.
    MissingFileError
        The sample files are not installed.

    Examples
    --------
    >>> sorted(p.name for p in sample_path("io-pj57").iterdir() if p.is_dir())
    ['DataSet', 'ImageSet']
    """
    if name not in SAMPLES:
        raise ValueError(f"unknown sample {name!r}; choose one of {', '.join(SAMPLES)}")
    pid = SAMPLES[name]
    for root in _roots():
        folder = root / pid
        if (folder / "ImageSet" / f"{pid}-raw.png").is_file():
            return folder
    looked = ", ".join(str(r) for r in _roots())
    raise MissingFileError(
        f"sample {name} ({pid}) not found in {looked}; "
        "regenerate it with sample_data/make_samples.py"
    )


def load_sample(name: str = "io-pj57") -> RawImage:
    """Load an embedded sample as a :class:`~junoproc.io.RawImage`.

    Examples
    --------
    >>> load_sample("io-pj57-methane").metadata.filters
    ('METHANE',)
    """
    return load(sample_path(name))


def sample_truth(name: str = "io-pj57") -> dict[str, Any]:
    """The simulation's ground truth of a sample (true spin rate, timing error, geometry).

    Examples
    --------
    >>> round(sample_truth("io-pj57")["time_jitter_s"], 4)
    0.0137
    """
    folder = sample_path(name)
    return json.loads((folder / f"{SAMPLES[name]}-truth.json").read_text())
