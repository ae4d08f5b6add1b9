"""Exceptions and warnings raised by junoproc.

Every error junoproc raises on purpose is a :class:`JunoprocError`. Each subclass
also derives from the matching built-in exception, so ``except ValueError`` keeps
working for callers who do not know about junoproc. Messages name the file (when
there is one) and the problem.

Examples
--------
>>> from junoproc.exceptions import MetadataError, JunoprocError
>>> issubclass(MetadataError, ValueError) and issubclass(MetadataError, JunoprocError)
True
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "FileFormatError",
    "ImageTooLargeError",
    "JunoprocError",
    "JunoprocWarning",
    "MetadataError",
    "MetadataWarning",
    "MissingFileError",
    "OutputExistsError",
    "UnknownFilterError",
]


class JunoprocError(Exception):
    """Base class of every error junoproc raises on purpose."""


class FileFormatError(JunoprocError, ValueError):
    """A file is not what it should be: truncated, corrupt, wrong size or wrong kind."""


class ImageTooLargeError(FileFormatError):
    """An image claims more pixels than junoproc will decode (a decompression-bomb guard)."""


class MetadataError(JunoprocError, ValueError):
    """Metadata is missing, unparseable, or inconsistent with the pixels."""


class UnknownFilterError(MetadataError):
    """A filter name is not one of JunoCam's filters (BLUE, GREEN, RED, METHANE)."""


class ArchiveError(JunoprocError, ValueError):
    """A zip bundle is unsafe (hostile member names, oversized members) or unusable."""


class MissingFileError(JunoprocError, FileNotFoundError):
    """A file junoproc needs could not be found."""


class OutputExistsError(JunoprocError, FileExistsError):
    """An output file exists already and overwriting was not asked for."""


class JunoprocWarning(UserWarning):
    """Base class of junoproc's warnings."""


class MetadataWarning(JunoprocWarning):
    """Metadata is legal but suspicious (for example a small timing mismatch)."""
