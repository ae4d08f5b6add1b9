"""Opt-in progress reporting: tqdm when asked for and installed, nothing otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: What ``progress=`` accepts: False/None (quiet), True (tqdm if installed), or a
#: callable wrapping an iterable the way ``tqdm`` does.
Progress = bool | None | Callable[..., Iterable[Any]]

_warned = False


def track(
    iterable: Iterable[T], *, progress: Progress, total: int | None = None, desc: str = ""
) -> Iterator[T]:
    """Iterate, showing a progress bar when ``progress`` asks for one.

    Examples
    --------
    >>> list(track(range(3), progress=False))
    [0, 1, 2]
    """
    global _warned
    if not progress:
        yield from iterable
        return
    if callable(progress):
        yield from progress(iterable, total=total, desc=desc)
        return
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if not _warned:
            logger.info("progress bars need tqdm: pip install 'junoproc[progress]'")
            _warned = True
        yield from iterable
        return
    yield from tqdm(iterable, total=total, desc=desc, leave=False)
