"""Decompanding: 8-bit JunoCam codes back to linear DN, and the inverse.

JunoCam sends most images square-root companded (``SAMPLE_BIT_MODE_ID = "SQROOT"``):
12-bit-range DN are squeezed into 8-bit codes by a piecewise-linear table whose step
doubles at each breakpoint. The table is exact; ``code**2`` is *not* the inverse and
is wrong by a factor of 10 to 30 at low signal.

SQROOT table (JunoCam SIS, Appendix C; breakpoints as tabulated in the reference):

==========  ===================  ====
code c      DN(c)                step
==========  ===================  ====
0 - 23      c                    1
23 - 43     23 + 2 (c - 23)      2
43 - 89     63 + 4 (c - 43)      4
89 - 184    247 + 8 (c - 89)     8
184 - 209   1007 + 16 (c - 184)  16
209 - 255   1407 + 32 (c - 209)  32
==========  ===================  ====

Each code stands for a bin of ``step`` DN. The tabulated value is the bin's upper
edge; ``bin_centres=True`` returns the middle of the bin instead, which is the
unbiased estimate when the signal is spread evenly across the bin.

The linear modes multiply: ``LIN1`` by 1, ``LIN8`` by 8, ``LIN16`` by 16; there the
tabulated value is the lower edge of the code's bin of ``n`` DN.
"""

from __future__ import annotations

import numpy as np

from ._accel import lookup

__all__ = [
    "COMPANDING_MODES",
    "SQROOT_BREAKPOINTS",
    "SQROOT_TABLE",
    "compand",
    "decompand",
    "decompand_table",
]

#: (first code, DN at that code, DN step per code) of each segment of the SQROOT table
#: (JunoCam SIS Appendix C, as tabulated in kmgill/junocam_processing and B. Swift's Juno28g).
SQROOT_BREAKPOINTS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 1),
    (23, 23, 2),
    (43, 63, 4),
    (89, 247, 8),
    (184, 1007, 16),
    (209, 1407, 32),
)

#: Linear scale factors of the other SAMPLE_BIT_MODE_ID values (JunoCam SIS).
_LINEAR = {"LIN1": 1, "LIN8": 8, "LIN16": 16}

#: Every SAMPLE_BIT_MODE_ID junoproc understands.
COMPANDING_MODES: tuple[str, ...] = ("SQROOT", "LIN1", "LIN8", "LIN16")


def _build_sqroot() -> tuple[np.ndarray, np.ndarray]:
    codes = np.arange(256)
    value = np.zeros(256, dtype=np.int64)
    for c0, dn0, s in SQROOT_BREAKPOINTS:
        sel = codes >= c0
        value[sel] = dn0 + s * (codes[sel] - c0)
    # A code's bin is (DN(c - 1), DN(c)]; its width is the step into c, not out of it.
    step = np.diff(value, prepend=-1)
    return value, step


_SQROOT_VALUE, _SQROOT_STEP = _build_sqroot()

#: The 256-entry SQROOT table: code -> linear DN (0 .. 2879). Read-only.
SQROOT_TABLE: np.ndarray = _SQROOT_VALUE.astype(np.uint16)
SQROOT_TABLE.setflags(write=False)


def _check_mode(mode: str) -> str:
    key = str(mode).strip().upper()
    if key not in COMPANDING_MODES:
        raise ValueError(
            f"unknown companding mode {mode!r}; expected one of {', '.join(COMPANDING_MODES)}"
        )
    return key


def decompand_table(mode: str = "SQROOT", *, bin_centres: bool = False) -> np.ndarray:
    """The 256-entry lookup table from 8-bit code to linear DN.

    Parameters
    ----------
    mode : {"SQROOT", "LIN1", "LIN8", "LIN16"}
        The product's ``SAMPLE_BIT_MODE_ID``.
    bin_centres : bool
        Return the centre of each code's DN bin instead of the tabulated value
        (its upper edge). For SQROOT the centre is ``DN(c) - (w - 1) / 2`` where
        ``w = DN(c) - DN(c - 1)`` is the number of DN values the code stands for.

    Returns
    -------
    table : (256,) float32 ndarray

    Examples
    --------
    >>> decompand_table()[[23, 24, 43, 255]]
    array([  23.,   25.,   63., 2879.], dtype=float32)
    >>> decompand_table(bin_centres=True)[[23, 24, 255]]
    array([  23. ,   24.5, 2863.5], dtype=float32)
    """
    key = _check_mode(mode)
    if key == "SQROOT":
        table = _SQROOT_VALUE.astype(np.float64)
        if bin_centres:
            table = table - (_SQROOT_STEP - 1) / 2.0
    else:
        factor = _LINEAR[key]
        table = np.arange(256, dtype=np.float64) * factor
        if bin_centres:
            table = table + (factor - 1) / 2.0
    return table.astype(np.float32)


def decompand(
    raw: np.ndarray,
    *,
    mode: str = "SQROOT",
    bin_centres: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Convert companded 8-bit codes to linear DN.

    Parameters
    ----------
    raw : (...) uint8 ndarray
        Companded codes of any shape (a strip, a framelet stack, a single value).
    mode : {"SQROOT", "LIN1", "LIN8", "LIN16"}
        The product's ``SAMPLE_BIT_MODE_ID`` (``Metadata.companding``).
    bin_centres : bool
        Return bin centres instead of the tabulated (upper-edge) values; see
        :func:`decompand_table`.
    out : float32 ndarray, optional
        Contiguous array of ``raw``'s shape to write the result into (memory made
        ready beforehand, say); it is returned.

    Returns
    -------
    linear : (...) float32 ndarray
        Same shape as ``raw``; 0 .. 2879 DN for SQROOT.

    Raises
    ------
    ValueError
        ``raw`` is not an integer array of codes 0..255, ``mode`` is unknown, or
        ``out`` has another shape or dtype.

    See Also
    --------
    compand : the inverse.

    Examples
    --------
    >>> import numpy as np
    >>> decompand(np.array([0, 24, 43, 89, 184, 209, 255], dtype=np.uint8))
    array([   0.,   25.,   63.,  247., 1007., 1407., 2879.], dtype=float32)
    """
    arr = np.asarray(raw)
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"decompand expects uint8 codes, got {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError(
                f"decompand expects codes 0..255, got values {arr.min()}..{arr.max()} "
                "(16-bit RDR data are linear already)"
            )
    table = decompand_table(mode, bin_centres=bin_centres)
    if out is not None and (out.shape != arr.shape or out.dtype != np.float32):
        raise ValueError(f"out must be float32 of shape {arr.shape}, got {out.dtype} {out.shape}")
    return lookup(arr, table, out)


def compand(linear: np.ndarray, *, mode: str = "SQROOT") -> np.ndarray:
    """Convert linear DN to 8-bit codes, as the instrument does.

    Each DN goes to the code whose bin contains it (for SQROOT, the smallest code
    whose tabulated value is at least the DN; for LINn, ``floor(DN / n)``), so
    ``compand(decompand(c)) == c``
    for every code, with or without ``bin_centres``. Values are rounded to whole
    DN first and clipped to the table's range.

    Parameters
    ----------
    linear : (...) array_like
        Linear DN, any real dtype.
    mode : {"SQROOT", "LIN1", "LIN8", "LIN16"}

    Returns
    -------
    codes : (...) uint8 ndarray

    See Also
    --------
    decompand : the inverse.

    Examples
    --------
    >>> import numpy as np
    >>> compand(np.array([0, 24, 25, 26, 63, 2879, 5000]))
    array([  0,  24,  24,  25,  43, 255, 255], dtype=uint8)
    """
    key = _check_mode(mode)
    arr = np.asarray(linear, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("compand got NaN values")
    dn = np.rint(arr)
    if key == "SQROOT":
        dn = np.clip(dn, 0, float(_SQROOT_VALUE[-1]))
        codes = np.searchsorted(_SQROOT_VALUE, dn, side="left")
    else:
        factor = _LINEAR[key]
        # A linear code c stands for DN f*c .. f*c + f - 1 (the table value is the lower edge).
        codes = np.floor(np.clip(dn, 0, 256 * factor - 1) / factor)
    return np.asarray(codes, dtype=np.uint8)
