"""The teacher's fp32 ONNX / OpenVINO exports, written beside a student for teacher-query mode.

They compute the teacher's own query vectors faster than PyTorch, and pair with the student
because their markers carry the teacher's weight fingerprint (``encoders.pairing``).
"""

from __future__ import annotations

from pathlib import Path


def export_teacher(teacher: str, models_dir: Path, suffixes: tuple[str, ...]) -> None:
    """Write ``models_dir/teacher-<suffix>`` for each fp32 ``suffix`` not already exported
    from these teacher weights (the marker's source fingerprint says which)."""
    from encoders import resolve_model
    from encoders.backend_export import export_variants
    from encoders.registry import TEACHER
    from encoders.resolve import fingerprint
    from encoders.variants import fp32_source, read_variant, variant_dir

    if not suffixes:
        return
    teacher_dir = resolve_model(teacher)
    weights, base = fingerprint(teacher_dir), models_dir / TEACHER
    todo = []
    for suffix in suffixes:
        try:
            marker = read_variant(variant_dir(base, suffix)) or {}
        except ValueError:
            marker = {}  # unreadable: export it again
        if fp32_source(marker) != weights:
            todo.append(suffix)
    if not todo:
        return
    try:
        folders = export_variants(teacher_dir, [], todo, out_base=base)
    except (RuntimeError, ValueError, OSError) as exc:  # the student is saved; this is extra
        print(f"warning: no teacher export {todo} ({exc}); teacher-query mode uses the teacher")
        return
    for suffix, folder in folders.items():
        print(f"{suffix} teacher {folder} (teacher-query mode)")
