"""junoproc: turn NASA Juno JunoCam raw framelet strips into pictures, maps and calibrated data.

Conventions used everywhere in the package
------------------------------------------
* Arrays are indexed ``(row, col)``; stacks of framelets are ``(frame, row, col)``; colour
  images are ``(row, col, channel)``.
* Pixel centres sit at integer coordinates: pixel ``(x=0, y=0)`` covers ``[-0.5, 0.5)`` in
  both axes. ``x`` is the column (sample, 0..1647), ``y`` the row inside a framelet.
* Filter names are upper case: ``"METHANE"``, ``"BLUE"``, ``"GREEN"``, ``"RED"``.
* Units are in names: ``exposure_s``, ``interframe_delay_s``. Times are
  :class:`astropy.time.Time` (UTC).
* Linear data are ``float32`` DN after decompanding (0..2879 for SQROOT products).
"""

from ._version import __version__
from .camera import CameraModel
from .decompand import compand, decompand
from .exceptions import (
    ArchiveError,
    FileFormatError,
    ImageTooLargeError,
    JunoprocError,
    JunoprocWarning,
    MetadataError,
    MetadataWarning,
    MissingFileError,
    OutputExistsError,
    UnknownFilterError,
)
from .framelets import FilterStack, quicklook_composite, separate_filters
from .io import RawImage, load
from .metadata import Metadata, parse_metadata, read_metadata_json
from .pipeline import Processed, process, save
from .pointing import SpinPointing
from .stretch import COLOUR_PRESETS, stretch
from .writers import write_image

__all__ = [
    "COLOUR_PRESETS",
    "ArchiveError",
    "CameraModel",
    "FileFormatError",
    "FilterStack",
    "ImageTooLargeError",
    "JunoprocError",
    "JunoprocWarning",
    "Metadata",
    "MetadataError",
    "MetadataWarning",
    "MissingFileError",
    "OutputExistsError",
    "Processed",
    "RawImage",
    "SpinPointing",
    "UnknownFilterError",
    "__version__",
    "compand",
    "decompand",
    "load",
    "parse_metadata",
    "process",
    "quicklook_composite",
    "read_metadata_json",
    "save",
    "separate_filters",
    "stretch",
    "write_image",
]
