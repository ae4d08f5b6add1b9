"""Shared fixtures: where the real JunoCam sample data lives, and small synthetic products."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Real JunoCam data kept beside the checkout (never copied into the project).
SHARED = Path(os.environ.get("JUNOPROC_SHARED", ROOT.parent / "shared")).resolve()
SAMPLE = SHARED / "sample_data"
JUNOCAM = SAMPLE / "junocam"

REAL_PRODUCTS = sorted(p.name for p in JUNOCAM.glob("JNCE_*")) if JUNOCAM.is_dir() else []
RGB_PRODUCTS = [p for p in REAL_PRODUCTS if "C0" in p.split("_")[2]]
METHANE_PRODUCTS = [p for p in REAL_PRODUCTS if "M0" in p.split("_")[2]]


def require_shared() -> Path:
    """Skip (with the reason) when ../shared/sample_data is not beside the checkout."""
    if not JUNOCAM.is_dir():
        pytest.skip(
            f"real sample data not found at {JUNOCAM} (CI keeps ../shared beside the checkout)"
        )
    return SAMPLE


@pytest.fixture(scope="session")
def shared_sample() -> Path:
    return require_shared()
