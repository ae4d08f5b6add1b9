"""The ``junoproc`` command: a thin shell over the library.

Exit status: 0 on success, 2 on bad input or usage (one line on stderr, no
traceback), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ._version import __version__
from .exceptions import JunoprocError, OutputExistsError

__all__ = ["main"]

logger = logging.getLogger("junoproc")

_EPILOG = (
    "Inputs may be a -raw.png, a Metadata.json, zip bundles, a PDS .LBL/.IMG, a folder "
    "or a product id."
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{self.prog}: {message}")


class _UsageError(Exception):
    pass


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only errors")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="junoproc",
        description="Turn JunoCam raw framelet strips into pictures and linear data.",
        epilog=_EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"junoproc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "info",
        help="describe a raw product",
        description="Print what a raw product is.",
        epilog=_EPILOG,
    )
    p.add_argument("path", help="the product")
    p.add_argument("--json", action="store_true", help="print the metadata as JSON")
    _add_common(p)

    p = sub.add_parser(
        "decompand",
        help="write the linear (decompanded) strip",
        description="Decompand a raw strip to linear DN and write it. PNG output is "
        "16-bit (DN 0..2879 fit exactly); TIFF and FITS are float32.",
        epilog=_EPILOG,
    )
    p.add_argument("path", help="the product")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .tif, .fits)")
    p.add_argument(
        "--bin-centres",
        action="store_true",
        help="decompand to the centre of each code's DN bin (needs .tif or .fits)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    _add_common(p)

    p = sub.add_parser(
        "split",
        help="write one image per filter",
        description="Separate a raw strip into one image per filter (framelets in frame "
        "order), as linear DN (16-bit PNG by default) or the original codes.",
        epilog=_EPILOG,
    )
    p.add_argument("path", help="the product")
    p.add_argument("-o", "--output", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--format", choices=("png", "tif", "fits"), default="png", help="file format (png)"
    )
    p.add_argument(
        "--companded", action="store_true", help="keep the raw 8-bit codes (no decompanding)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    _add_common(p)

    p = sub.add_parser(
        "process",
        help="make a picture of a product",
        description="Process a raw product into a colour (or single-band) picture. "
        "PNG/TIFF get a stretched picture with coverage as alpha; FITS gets linear data.",
        epilog=_EPILOG,
    )
    p.add_argument("path", help="the product")
    p.add_argument("-o", "--output", required=True, help="output file (.png, .tif, .fits)")
    p.add_argument(
        "--stitch",
        choices=("spin", "quicklook"),
        default="spin",
        help="spin: geometric stitch with a self-calibrated spin model (default); "
        "quicklook: framelets stacked, no geometry",
    )
    p.add_argument(
        "--view",
        choices=("panorama", "perspective"),
        default="panorama",
        help="panorama: the whole strip about the spin axis (default); "
        "perspective: a pinhole view pointed at the target",
    )
    p.add_argument("--scale", type=float, default=1.0, help="output pixels per camera pixel (1.0)")
    p.add_argument(
        "--calibrate",
        choices=("offsets", "rate", "full", "none"),
        default="offsets",
        help="rate: fit spin rate and CCD twist from framelet overlaps; offsets: also "
        "each filter's offset against GREEN (default, fast); full: offsets and "
        "magnifications from rendered features (slow); none: nominal values",
    )
    p.add_argument(
        "--stretch",
        dest="method",
        default="asinh",
        choices=("linear", "sqrt", "asinh", "log"),
        help="intensity stretch (asinh)",
    )
    p.add_argument(
        "--percentile",
        type=float,
        nargs=2,
        default=(0.5, 99.8),
        metavar=("LOW", "HIGH"),
        help="percentiles mapped to black and white (0.5 99.8)",
    )
    p.add_argument(
        "--preset", default=None, help="colour weights preset (see junoproc.stretch.COLOUR_PRESETS)"
    )
    p.add_argument("--gamma", type=float, default=None, help="gamma applied after the stretch")
    p.add_argument(
        "--bit-depth", type=int, choices=(8, 16), default=8, help="PNG/TIFF bit depth (8)"
    )
    p.add_argument("--no-alpha", action="store_true", help="no coverage alpha channel")
    p.add_argument("--trim-rows", type=int, default=2, help="rows dropped at framelet edges (2)")
    p.add_argument("--report", default=None, help="write a JSON report of the run here")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_common(p)

    p = sub.add_parser(
        "demo",
        help="process the embedded sample (simulated Io)",
        description="Process the embedded sample, a simulated PJ57-like close approach to Io, "
        "into a colour picture pointed at Io and a JSON report comparing the fitted spin model "
        "with the simulation's truth.",
    )
    p.add_argument("-o", "--output", default="junoproc-demo", help="output folder (junoproc-demo)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_common(p)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    level = (
        logging.ERROR
        if args.quiet
        else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    )
    logging.basicConfig(level=level, format="junoproc: %(levelname)s: %(message)s")
    logging.captureWarnings(True)


def _load_for_info(path: str):
    """The product, or only its metadata when the input is a JSON or Data.zip without pixels."""
    from .exceptions import ArchiveError, MissingFileError
    from .io import load, read_metadata_zip
    from .metadata import read_metadata_json

    try:
        raw = load(path)
        return (
            raw.metadata,
            raw.source,
            f"{raw.data.shape[0]} x {raw.data.shape[1]} {raw.data.dtype}",
        )
    except (MissingFileError, ArchiveError) as exc:
        suffix = Path(path).suffix.lower()
        if suffix not in (".json", ".zip"):
            raise
        try:
            meta = read_metadata_json(path) if suffix == ".json" else read_metadata_zip(path)
        except JunoprocError:
            raise exc from None
        return meta, str(path), "not available (metadata only)"


def _cmd_info(args: argparse.Namespace) -> int:
    m, source, pixels = _load_for_info(args.path)
    if args.json:
        print(json.dumps({"source": source, **m.summary()}, indent=2))
        return 0
    rows = [
        ("product", m.product_id),
        ("source", source),
        ("title", m.title),
        ("target", m.target),
        ("perijove", m.perijove),
        ("filters", ", ".join(m.filters)),
        (
            "frames",
            f"{m.n_frames} ({m.n_framelets} framelets of {m.framelet_height} x {m.line_samples})",
        ),
        ("start", m.start_time.isot),
        ("stop", m.stop_time.isot if m.stop_time is not None else "n/a"),
        ("interframe delay", f"{m.interframe_delay_s:.3f} s"),
        ("exposure", f"{m.exposure_s * 1e3:.1f} ms (TDI {m.tdi_stages})"),
        ("companding", m.companding),
        ("pixels", pixels),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    return 0


def _cmd_decompand(args: argparse.Namespace) -> int:
    import numpy as np

    from .io import load
    from .pipeline import decompand_raw
    from .writers import write_image

    out = Path(args.output)
    suffix = out.suffix.lower()
    if args.bin_centres and suffix == ".png":
        raise _UsageError(
            "junoproc decompand: --bin-centres gives half-integer DN; write .tif or .fits"
        )
    _refuse_existing(out, args.overwrite)
    raw = load(args.path)
    linear = decompand_raw(raw, bin_centres=args.bin_centres)
    data = linear.astype(np.uint16) if suffix == ".png" else linear
    history = [
        ("load", {"source": raw.source}),
        ("decompand", {"mode": raw.metadata.companding, "bin_centres": args.bin_centres}),
    ]
    write_image(out, data, metadata=raw.metadata, history=history, overwrite=args.overwrite)
    logger.info("wrote %s", out)
    return 0


def _cmd_split(args: argparse.Namespace) -> int:
    import numpy as np

    from .framelets import separate_filters
    from .io import load
    from .pipeline import decompand_raw
    from .writers import write_image

    raw = load(args.path)
    meta = raw.metadata
    folder = Path(args.output)
    outputs = {f: folder / f"{meta.product_id}-{f.lower()}.{args.format}" for f in meta.filters}
    for path in outputs.values():
        _refuse_existing(path, args.overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    strip = raw.data if args.companded else decompand_raw(raw)
    if not args.companded and args.format == "png":
        strip = strip.astype(np.uint16)
    stacks = separate_filters(strip, meta)
    for name, stack in stacks.items():
        image = stack.data.reshape(-1, stack.data.shape[-1])
        history = [
            ("load", {"source": raw.source}),
            ("decompand", {"mode": meta.companding, "skipped": bool(args.companded)}),
            ("separate_filters", {"filter": name, "frames": int(stack.n_frames)}),
        ]
        write_image(outputs[name], image, metadata=meta, history=history, overwrite=args.overwrite)
        logger.info("wrote %s", outputs[name])
    return 0


def _cmd_process(args: argparse.Namespace) -> int:
    _run_process(args.path, Path(args.output), args.report and Path(args.report), args)
    return 0


def _run_process(
    source, out: Path, report_path: Path | None, args: argparse.Namespace, corrections=None, **extra
):
    """process + save (+ report) with the command-line options; returns the result."""
    from .pipeline import process, save

    _refuse_existing(out, args.overwrite)
    if report_path:
        _refuse_existing(report_path, args.overwrite)
    result = process(
        source,
        stitch=args.stitch,
        view=args.view,
        scale=args.scale,
        calibrate=args.calibrate,
        trim_rows=args.trim_rows,
        corrections=corrections,
        progress=not args.no_progress and not args.quiet,
    )
    save(
        result,
        out,
        method=args.method,
        percentile=tuple(args.percentile),
        preset=args.preset,
        gamma=args.gamma,
        bit_depth=args.bit_depth,
        alpha=not args.no_alpha,
        overwrite=args.overwrite,
    )
    if report_path:
        from .writers import write_text

        report = {
            "product_id": result.metadata.product_id,
            "output": str(out),
            "history": [[name, params] for name, params in result.history],
            **dict(result.report),
            **extra,
        }
        text = json.dumps(report, indent=2, default=str) + "\n"
        write_text(report_path, text, overwrite=args.overwrite)
    return result


def _cmd_demo(args: argparse.Namespace) -> int:
    import math

    from .data import SAMPLES, load_sample, sample_truth

    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    pid = SAMPLES["io-pj57"]
    raw = load_sample("io-pj57")
    truth = sample_truth("io-pj57")
    picture = folder / f"{pid}-io.png"
    report = folder / f"{pid}-report.json"
    for option, value in (
        ("stitch", "spin"),
        ("view", "perspective"),
        ("scale", 1.0),
        ("calibrate", "offsets"),
        ("trim_rows", 2),
        ("method", "asinh"),
        ("percentile", (0.5, 99.9)),
        ("preset", None),
        ("gamma", None),
        ("bit_depth", 8),
        ("no_alpha", False),
    ):
        setattr(args, option, value)
    from .calibrate import CameraCorrections

    # the sample was simulated with the IK's nominal camera (see its truth file), so it is
    # processed with that model rather than with the corrections measured on real JunoCam
    nominal = CameraCorrections(source="nominal IK/FK camera, as the sample was simulated")
    result = _run_process(raw, picture, report, args, corrections=nominal, ground_truth=truth)
    fitted = result.report.get("spin_fit", {}).get("spin_rate_deg_s", math.nan)
    true = math.degrees(truth["spin_rate_rad_s"])
    print(f"processed the embedded sample {pid} (simulated PJ57 Io close approach)")
    print(f"  picture: {picture}  ({result.image.shape[1]} x {result.image.shape[0]} px, RGBA)")
    print(f"  report:  {report}")
    print(
        f"  spin rate fitted {fitted:.4f} deg/s, true {true:.4f} deg/s "
        f"({100 * (fitted - true) / true:+.3f} %)"
    )
    quality = result.report.get("quality", {}).get("misregistration", {})
    pooled = quality.get("pooled", quality)
    if pooled.get("median_px") is not None:
        print(
            f"  colour misregistration: median {pooled['median_px']:.3f} px, "
            f"90th percentile {pooled['p90_px']:.3f} px"
        )
    return 0


def _refuse_existing(path: Path, overwrite: bool) -> None:
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: exists; pass --overwrite to replace it")


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


_COMMANDS = {
    "demo": _cmd_demo,
    "info": _cmd_info,
    "decompand": _cmd_decompand,
    "split": _cmd_split,
    "process": _cmd_process,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Examples
    --------
    >>> main(["--version"])
    junoproc ...
    0
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    _configure_logging(args)
    try:
        return _COMMANDS[args.command](args)
    except (JunoprocError, _UsageError) as exc:
        print(f"junoproc: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # permissions, full disk, a folder where a file was expected, ...
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"junoproc: error: {name}{_one_line(exc.strerror or exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("junoproc: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
