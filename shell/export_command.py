"""``distilsearch export``: the teacher's (or a student's) ONNX / OpenVINO variants as
encoders of their own (:mod:`usecases.exporting`)."""

from __future__ import annotations

import argparse

from core.settings import Settings
from encoders.variants import VARIANTS
from shell.common import EXIT_OK, Handler, Subparsers

DESCRIPTION = (
    "Export ONNX / OpenVINO variants of the teacher (default) or of a student as encoders "
    "of their own: teacher-onnx, teacher-onnx-int8 (ONNX Runtime dynamic int8), "
    "teacher-openvino, teacher-openvino-int8 (NNCF static int8, calibrated on your own "
    "passages: --data). Then index, search, compare and evaluate them by name, e.g. "
    "`distilsearch index ~/notes --encoder teacher-openvino-int8`. How each keeps the "
    "teacher's quality and speed: docs/results/README.md (frontier)."
)


def register(sub: Subparsers, handlers: dict[str, Handler]) -> None:
    """Add the ``export`` subcommand."""
    p = sub.add_parser("export", help="export the teacher's int8 encoders", description=DESCRIPTION)
    p.add_argument(
        "--model", default="teacher", help="teacher (default), student, or a model folder"
    )
    p.add_argument(
        "--backends",
        default="onnx-int8,openvino-int8",
        help=f"comma-separated, of {', '.join(VARIANTS)} (default onnx-int8,openvino-int8)",
    )
    p.add_argument(
        "--data",
        help="your documents (a folder, a BEIR corpus.jsonl, or collection:NAME): static "
        "int8 (openvino-int8) is calibrated on a sample of them",
    )
    p.add_argument("--seed", type=int, default=0, help="calibration sample seed (default 0)")
    handlers["export"] = run_export


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Handler: export, then say how to use each variant."""
    from usecases.exporting import ExportRequest, export_model

    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    request = ExportRequest(backends, args.model, args.data, args.seed)
    folders = export_model(settings, request)
    for suffix, folder in folders.items():
        name = folder.name if args.model in ("teacher", "student") else str(folder)
        print(f"{suffix}: {folder}  (distilsearch index PATH --encoder {name})")
    return EXIT_OK
