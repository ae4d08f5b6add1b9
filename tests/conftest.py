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
DATA_ZIPS = sorted(SHARED.rglob("*-Data.zip")) if SHARED.is_dir() else []
PDS_LABELS = sorted((SAMPLE / "pds_labels").glob("*.LBL")) if SAMPLE.is_dir() else []
IK = SAMPLE / "spice" / "ik" / "juno_junocam_v03.ti"
FK = SAMPLE / "spice" / "fk" / "juno_v12.tf"


#: Set (to anything but "" or "0") where the real data must be present, as ``.ci/run`` does:
#: a missing file then fails the test run instead of skipping the tests that read it.
REQUIRE_SHARED_ENV = "JUNOPROC_REQUIRE_SHARED"


def shared_required() -> bool:
    """Whether the environment demands the real sample data (:data:`REQUIRE_SHARED_ENV`)."""
    return os.environ.get(REQUIRE_SHARED_ENV, "") not in ("", "0")


def require_shared(path: Path | None = None, what: str = "real sample data") -> Path:
    """Skip (with the reason) when ``path`` (default: the real products) is not beside the
    checkout; fail instead when :func:`shared_required`."""
    path = JUNOCAM if path is None else path
    if not path.exists():
        reason = f"{what} not found at {path} (CI keeps ../shared beside the checkout)"
        if shared_required():
            pytest.fail(f"{reason}; {REQUIRE_SHARED_ENV} is set, so it must be there", False)
        pytest.skip(reason)
    return path


def missing_shared() -> list[str]:
    """What the real-data tests read and cannot find under :data:`SAMPLE`."""
    found = {
        "RGB products": bool(RGB_PRODUCTS),
        "methane products": bool(METHANE_PRODUCTS),
        "Data.zip bundles": bool(DATA_ZIPS),
        "PDS3 labels": bool(PDS_LABELS),
        "JunoCam IK": IK.is_file(),
        "Juno FK": FK.is_file(),
    }
    return [name for name, there in found.items() if not there]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop at once, naming what is missing, when the real data is demanded and incomplete
    (tests parametrised over the products would otherwise quietly not exist)."""
    if shared_required() and (missing := missing_shared()):
        raise pytest.UsageError(
            f"{REQUIRE_SHARED_ENV} is set but {SAMPLE} lacks: {', '.join(missing)}"
        )


@pytest.fixture(scope="session")
def shared_sample() -> Path:
    require_shared()
    return SAMPLE
