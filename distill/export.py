"""Write a trained student as sentence-transformers folders (fp32 and int8) with metadata.

fp32: ``Transformer -> Pooling -> Normalize`` at the folder root, ``distill_meta.json``
and a model-card ``README.md``. int8: the same pipeline whose first module is
:class:`encoders.int8.Int8Transformer` over fp16 weights, quantized when loaded.
The MLM head is training-only and never exported.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from distill.config import LOSS_TERMS
from distill.student import SentenceEncoder
from encoders.student_meta import META_NAME, StudentMeta

logger = logging.getLogger(__name__)

META = META_NAME  # one name for the file, in encoders.student_meta


def _replace_dir(staging: Path, out: Path) -> None:
    """Move ``staging`` to ``out``, replacing an older export only once the new one is whole."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(out)


def _staging(out: Path) -> Path:
    staging = out.with_name(f".{out.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def export_student(
    student: SentenceEncoder,
    tokenizer: Any,
    out: Path,
    max_seq_length: int,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Save ``student`` (without its MLM head) as a folder ``SentenceTransformer(out)`` loads."""
    import torch
    from sentence_transformers import SentenceTransformer, models

    out = Path(out)
    staging = _staging(out)
    hf_dir = staging / ".hf"
    encoder = student.encoder
    was_training = encoder.training
    encoder.eval()
    encoder.save_pretrained(str(hf_dir), safe_serialization=True)
    tokenizer.save_pretrained(str(hf_dir))
    with torch.no_grad():
        transformer = models.Transformer(str(hf_dir), max_seq_length=max_seq_length)
        dim = int(encoder.config.hidden_size)
        pooling = models.Pooling(dim, pooling_mode=student.pooling_mode)
        model = SentenceTransformer(
            modules=[transformer, pooling, models.Normalize()], device="cpu"
        )
        model.save(str(staging))
    shutil.rmtree(hf_dir)
    encoder.train(was_training)
    write_meta(staging, meta or {})
    _replace_dir(staging, out)
    logger.info("exported student to %s", out)
    return out


def export_int8(fp32_dir: Path, out: Path, skip: tuple[str, ...] = ()) -> Path:
    """An int8 variant of the fp32 export at ``fp32_dir``: fp16 weights, quantized on load."""
    import torch
    from safetensors.torch import load_file, save_file

    from encoders.int8 import CLASS_REF, CONFIG_NAME, MODULE_DIR, WEIGHT_SCALES

    fp32_dir, out = Path(fp32_dir), Path(out)
    modules = json.loads((fp32_dir / "modules.json").read_text())
    staging = _staging(out)
    first = modules[0]
    if first.get("path", "") != "":
        raise ValueError(f"{fp32_dir}: expected the Transformer module at the folder root")
    module_dir = staging / MODULE_DIR
    module_dir.mkdir()
    for item in fp32_dir.iterdir():
        if item.is_dir():
            if any(m.get("path") == item.name for m in modules):
                shutil.copytree(item, staging / item.name)
        elif item.suffix == ".safetensors":
            weights = load_file(str(item))
            half = {k: v.half() if v.is_floating_point() else v for k, v in weights.items()}
            save_file(half, str(module_dir / item.name), metadata={"format": "pt"})
        elif item.name in (META, "README.md", "modules.json", "config_sentence_transformers.json"):
            continue
        else:
            shutil.copy2(item, module_dir / item.name)
    for name in ("config_sentence_transformers.json",):
        if (fp32_dir / name).is_file():
            shutil.copy2(fp32_dir / name, staging / name)
    (module_dir / CONFIG_NAME).write_text(
        json.dumps(
            {
                "method": "torch.ao dynamic qint8",
                "weight_scales": WEIGHT_SCALES,
                "skip": list(skip),
            },
            indent=2,
        )
        + "\n"
    )
    modules[0] = {**first, "path": MODULE_DIR, "type": CLASS_REF}
    (staging / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    source = StudentMeta.read_optional(fp32_dir)
    meta = dict(source.data) if source else {}
    meta["quantization"] = {
        "method": "dynamic int8 (torch.ao.quantization.quantize_dynamic) at load time",
        "weights_on_disk": "fp16",
        "weight_scales": WEIGHT_SCALES,
        "kept_fp32": list(skip),
        "torch": torch.__version__,
    }
    write_meta(staging, meta)
    _replace_dir(staging, out)
    logger.info("exported int8 student to %s", out)
    return out


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """``distill_meta.json`` plus a model card built from it."""
    StudentMeta(Path(folder), meta).write()
    (Path(folder) / "README.md").write_text(model_card(meta))


def update_meta(folder: Path, **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into an export's metadata and rewrite its model card."""
    current = StudentMeta.read_optional(folder) or StudentMeta(Path(folder))
    meta = dict(current.updated(**fields).data)
    write_meta(Path(folder), meta)
    return meta


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def model_card(meta: dict[str, Any]) -> str:
    """A short model card: what the student is and every figure that was measured."""
    lines = [
        "---",
        "library_name: sentence-transformers",
        "tags: [sentence-transformers, distillation, distilsearch]",
        "---",
        "",
        f"# distilsearch student of {meta.get('teacher', 'unknown teacher')}",
        "",
        "Distilled by `distilsearch distill` with the DistilBERT triple loss (soft-target KD, "
        "masked LM, cosine); active terms: "
        + (", ".join(k for k, v in meta.get("loss_weights", {}).items() if v) or "unknown")
        + ". Load it with `SentenceTransformer(path)`"
        + (" and `trust_remote_code=True` (int8 module)." if meta.get("quantization") else "."),
        "",
        "| field | value |",
        "|---|---|",
    ]
    for key in ("teacher", "teacher_fingerprint", "layer_map", "student_layers", "params"):
        if key in meta:
            lines.append(f"| {key} | {_fmt(meta[key])} |")
    config = meta.get("config", {})
    for key in (f"alpha_{term}" for term in LOSS_TERMS):
        if key in config:
            lines.append(f"| {key} | {_fmt(config[key])} |")
    for key in (
        "temperature",
        "lr",
        "batch_size",
        "max_seq_length",
        "pseudo_queries",
        "query_kinds",
    ):
        if key in config:
            lines.append(f"| {key} | {_fmt(config[key])} |")
    training = meta.get("training", {})
    for key in ("steps", "seconds", "epochs", "samples", "stopped_by", "teacher_cached"):
        if key in training:
            lines.append(f"| training {key} | {_fmt(training[key])} |")
    data = meta.get("data", {})
    for key in ("source", "passages", "held_out_passages"):
        if key in data:
            lines.append(f"| data {key} | {_fmt(data[key])} |")
    for key, value in sorted(meta.get("fidelity", {}).items()):
        lines.append(f"| fidelity {key} | {_fmt(value)} |")
    for key, value in sorted(meta.get("measured", {}).items()):
        lines.append(f"| {key} | {_fmt(value)} |")
    if meta.get("quantization"):
        lines.append(f"| quantization | {meta['quantization'].get('method')} |")
    agreement = meta.get("agreement")
    if isinstance(agreement, dict) and agreement.get("verdict"):
        lines.append(f"| agreement (label-free) | {agreement['verdict']} |")
    lines += [
        "",
        "Fidelity is the cosine between student and teacher embeddings of held-out passages "
        "that were not trained on.",
        "",
    ]
    return "\n".join(lines)
