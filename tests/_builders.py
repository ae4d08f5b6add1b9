"""Builders of deliberately broken inputs, shared by the loader and command-line tests."""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from pathlib import Path

import imageio.v3 as iio
import numpy as np


def sha256_tree(*paths: Path) -> dict[str, str]:
    """Hash every file under ``paths`` (files or folders)."""
    out = {}
    for top in paths:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for f in files:
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def write_png(path: Path, array: np.ndarray) -> Path:
    iio.imwrite(path, array, extension=".png")
    return path


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def crafted_png(width: int, height: int, *, colour: int = 0, bad_crc: bool = False) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` but whose IDAT holds almost nothing."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
    if bad_crc:
        ihdr = ihdr[:-4] + bytes(4)
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + png_chunk(b"IEND", b"")


def zip_with(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, blob in members.items():
            zf.writestr(zipfile.ZipInfo(name), blob, compress_type=method)
    return path


def patch_declared_size(path: Path, size: int) -> None:
    """Make every header of a one-member zip claim ``size`` uncompressed bytes."""
    blob = bytearray(path.read_bytes())
    local = blob.index(b"PK\x03\x04")
    central = blob.index(b"PK\x01\x02")
    struct.pack_into("<I", blob, local + 22, size)
    struct.pack_into("<I", blob, central + 24, size)
    path.write_bytes(bytes(blob))
