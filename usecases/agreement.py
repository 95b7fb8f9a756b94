"""The label-free agreement use case: how well a student agrees with its teacher on the
user's own documents (:mod:`evaluation.agreement`), estimated on demand or right after
``distill``, and recorded in the student's ``distill_meta.json`` where the pages read it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings
from encoders import EncoderConfig, build_encoder, model_location, resolve_model
from encoders.int8 import is_int8_export
from encoders.student_meta import AGREEMENT, FRONTIER, StudentMeta, StudentMetaError

if TYPE_CHECKING:
    from distill.run import RunOutput
    from evaluation.agreement import AgreementEstimate

logger = logging.getLogger(__name__)

#: What the estimate after ``distill`` searches: every passage of the training data.
TRAINING_CORPUS = "the training data (passages trained on and held out)"


@dataclass(frozen=True)
class AgreementRequest:
    """Whose agreement, on which data, with how many passages and pseudo-queries."""

    data: str
    student: str = "student"
    teacher: str | None = None  # default: the teacher the student's metadata names
    max_passages: int = 2000
    max_queries: int = 200
    seed: int = 0
    max_seq_length: int | None = None  # default: the student's training length
    write: bool = False


@dataclass(frozen=True)
class AgreementOutcome:
    estimate: AgreementEstimate
    record: dict[str, Any]
    student_dir: Path
    written: bool


def estimate(settings: Settings, request: AgreementRequest) -> AgreementOutcome:
    """Estimate (and with ``request.write`` record) the student's agreement."""
    from distill.config import DistillConfig
    from distill.data import load_examples
    from evaluation.agreement import estimate_agreement

    student_dir = resolve_model(model_location(request.student, settings.models_dir))
    meta = StudentMeta.read(student_dir) if request.write else None  # fail before work
    meta = meta or StudentMeta.read_optional(student_dir) or StudentMeta(student_dir)
    trained = meta.training_max_seq_length
    max_seq = int(request.max_seq_length or trained or DistillConfig().max_seq_length)
    examples = load_examples(request.data, max_seq, settings.milvus_uri, settings.milvus_token)
    config = EncoderConfig(max_seq_length=max_seq)
    teacher = build_encoder(request.teacher or meta.teacher, settings, config)
    student = build_encoder(request.student, settings, config)
    found = estimate_agreement(
        [e.text for e in examples],
        teacher,
        student,
        max_passages=request.max_passages,
        max_queries=request.max_queries,
        seed=request.seed,
    )
    who = "the int8 student" if is_int8_export(student_dir) else "the student"
    record = {**found.to_dict(who), "corpus": str(request.data)}
    if request.write:
        write_estimate(student_dir, record)
    return AgreementOutcome(found, record, student_dir, request.write)


def write_estimate(folder: Path, record: dict[str, Any]) -> None:
    """Put ``record`` under ``"agreement"`` in ``folder``'s metadata (and its model card)."""
    from distill.export import update_meta

    if not StudentMeta.exists(folder):
        raise StudentMetaError(f"{folder} has no metadata: only a distilled student records it")
    update_meta(folder, **{AGREEMENT: record})


def record_agreement(
    result: RunOutput, settings: Settings, device: str = "cpu", seed: int = 0
) -> tuple[list[str], dict[str, Any] | None]:
    """After ``distill``: estimate on the run's passages for the fp32 student and its int8
    copy, against the teacher it was distilled from, and the frontier of every encoder on
    disk (:mod:`usecases.frontier`); write them into the metadata. Returns the verdicts
    and the frontier (none when there was nothing to estimate on)."""
    from evaluation.agreement import AgreementProbe

    if not result.passages:
        return [], None
    meta = result.meta
    config = EncoderConfig(max_seq_length=int(meta["config"]["max_seq_length"]), device=device)
    teacher = build_encoder(meta["teacher_dir"], settings, config)
    probe = AgreementProbe(result.passages, teacher, seed=seed)
    verdicts = []
    students = ((result.out, "the student"), (result.int8_out, "the int8 student"))
    for folder, who in students:
        if folder is None:
            continue
        on = replace(config, device="cpu") if is_int8_export(folder) else config  # CPU-only int8
        found = probe.measure(build_encoder(str(folder), settings, on))
        record = {**found.to_dict(who), "corpus": TRAINING_CORPUS}
        write_estimate(Path(folder), record)
        verdicts.append(record["verdict"])
    return verdicts, record_frontier(result, settings, probe, device)


def record_frontier(
    result: RunOutput, settings: Settings, probe: Any, device: str
) -> dict[str, Any]:
    """The frontier on the run's documents, written into the student's metadata."""
    from distill.export import update_meta
    from usecases.frontier import measure_frontier, registry_names

    names = registry_names(result.out, settings.models_dir)
    timed = list(result.documents) or list(probe.passages)
    config = EncoderConfig(device="cpu" if device != "cuda" else device)
    frontier = measure_frontier(settings, result.out, probe, timed, config, names)
    update_meta(result.out, **{FRONTIER: frontier})
    return frontier
