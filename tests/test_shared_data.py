"""The real-data tests run wherever the real data is demanded: they never quietly skip in CI.

``.ci/run`` sets ``JUNOPROC_REQUIRE_SHARED``; a checkout without ``../shared`` must then fail
at once, naming what is missing, while a contributor's checkout without it still skips with
the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REQUIRE_SHARED_ENV, ROOT

TEST = "tests/test_metadata.py::test_every_real_record_parses_to_its_own_values"


def _pytest(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if k != REQUIRE_SHARED_ENV}
    environ.update(JUNOPROC_SHARED=str(tmp_path / "nowhere"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", TEST],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_data_skips_with_the_reason(tmp_path):
    run = _pytest(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
    assert "real sample data not found at" in run.stdout
    assert str(tmp_path / "nowhere") in run.stdout


def test_missing_data_fails_when_it_is_required(tmp_path):
    run = _pytest(tmp_path, **{REQUIRE_SHARED_ENV: "1"})
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    message = run.stdout + run.stderr
    assert REQUIRE_SHARED_ENV in message
    assert "RGB products" in message and "JunoCam IK" in message
    assert "passed" not in run.stdout and "skipped" not in run.stdout
