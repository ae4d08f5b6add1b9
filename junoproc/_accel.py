"""Optional OpenCV fast paths (``pip install 'junoproc[fast]'``).

Every function here gives the same numbers with or without OpenCV; OpenCV only makes
them faster. Set the environment variable ``JUNOPROC_NO_OPENCV`` to use numpy and scipy
alone (the tests run both ways).

Examples
--------
>>> import numpy as np
>>> lookup(np.array([[0, 2]], np.uint8), np.array([5.0, 6.0, 7.0], np.float32)).tolist()
[[5.0, 7.0]]
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["append_alpha", "erode", "lookup", "opencv"]


def opencv() -> Any:
    """OpenCV when installed and not disabled by ``JUNOPROC_NO_OPENCV``; else None."""
    if os.environ.get("JUNOPROC_NO_OPENCV"):
        return None
    try:
        import cv2
    except ImportError:
        return None
    return cv2


def lookup(codes: np.ndarray, table: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``table[codes]`` for uint8 ``codes`` (any shape) and a table of up to 256 entries.

    OpenCV's ``LUT`` is about four times faster than numpy's indexing on a raw strip.
    ``out``: a contiguous array of ``codes``' shape and ``table``'s dtype to write into
    (returned).
    """
    if out is not None and (
        out.shape != codes.shape or out.dtype != table.dtype or not out.flags.c_contiguous
    ):
        raise ValueError(
            f"out must be a contiguous {table.dtype} array of shape {codes.shape}, "
            f"got {out.dtype} {out.shape}"
        )
    cv2 = opencv()
    if (
        cv2 is None
        or codes.dtype != np.uint8
        or codes.ndim == 0
        or codes.size == 0
        or table.dtype not in (np.float32, np.float64)
    ):
        return _take(table, codes, out)
    full = table
    if table.size != 256:
        if table.size > 256 or codes.max() >= table.size:  # numpy's indexing decides
            return _take(table, codes, out)
        full = np.zeros(256, dtype=table.dtype)
        full[: table.size] = table
    flat = np.ascontiguousarray(codes).reshape(-1, codes.shape[-1])
    if out is None:
        return cv2.LUT(flat, full).reshape(codes.shape)
    cv2.LUT(flat, full, dst=out.reshape(flat.shape))
    return out


def _take(table: np.ndarray, codes: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    index = codes.astype(np.intp, copy=False)
    if out is None:
        return table[index]
    np.take(table, index, out=out)
    return out


def append_alpha(picture: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``picture`` (rows, cols, C) with ``alpha`` (rows, cols), of the same dtype, appended."""
    cv2 = opencv()
    if cv2 is not None and picture.dtype in (np.uint8, np.uint16) and picture.ndim == 3:
        if picture.shape[-1] == 3 and picture.flags.c_contiguous:
            out = cv2.cvtColor(picture, cv2.COLOR_RGB2RGBA)  # channel order kept; alpha set next
            cv2.mixChannels([np.ascontiguousarray(alpha)], [out], [0, 3])
            return out
        if picture.shape[-1] <= 3:
            planes = [np.ascontiguousarray(picture[..., c]) for c in range(picture.shape[-1])]
            return cv2.merge([*planes, np.ascontiguousarray(alpha)])
    return np.concatenate([picture, alpha[..., None]], axis=-1)


def erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Boolean erosion of every (rows, cols) image of ``mask`` (..., rows, cols) by a square of
    side ``2 radius + 1``, with the edges replicated."""
    if radius <= 0:
        return mask.copy()
    cv2 = opencv()
    size = 2 * radius + 1
    if cv2 is None:
        from scipy.ndimage import minimum_filter

        return minimum_filter(mask, size=(1,) * (mask.ndim - 2) + (size, size), mode="nearest")
    kernel = np.ones((size, size), np.uint8)
    flat = np.ascontiguousarray(mask).view(np.uint8).reshape(-1, *mask.shape[-2:])
    out = np.empty(flat.shape, np.uint8)
    for f, o in zip(flat, out, strict=True):
        cv2.erode(f, kernel, dst=o, borderType=cv2.BORDER_REPLICATE)
    return out.view(bool).reshape(mask.shape)
