"""Encoders, the bottom of the product: name or path -> model, fingerprint, ``Encoder``."""

from encoders.backend_encoder import BackendEncoder
from encoders.pairing import (
    QueryEncoderMismatchError,
    check_pairing,
    check_query_encoder,
    distilled_from,
    pairs_with,
)
from encoders.protocol import Encoder, EncoderConfig
from encoders.registry import (
    DEFAULT_TEACHER_MODEL,
    STUDENT,
    STUDENT_INT8,
    TEACHER,
    VARIANT_NAMES,
    build_encoder,
    encoder_slug,
    model_location,
)
from encoders.resolve import ModelNotFoundError, fingerprint, resolve_model
from encoders.sentence_transformer import SentenceTransformerEncoder
from encoders.systems import SystemSpec, parse_system, system_label

__all__ = [
    "DEFAULT_TEACHER_MODEL",
    "STUDENT",
    "STUDENT_INT8",
    "TEACHER",
    "VARIANT_NAMES",
    "BackendEncoder",
    "Encoder",
    "EncoderConfig",
    "ModelNotFoundError",
    "QueryEncoderMismatchError",
    "SentenceTransformerEncoder",
    "SystemSpec",
    "build_encoder",
    "check_pairing",
    "check_query_encoder",
    "distilled_from",
    "encoder_slug",
    "fingerprint",
    "model_location",
    "pairs_with",
    "parse_system",
    "resolve_model",
    "system_label",
]
