"""Data-parallel training: two CPU processes (gloo) end with identical weights."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import torch
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _worker(rank: int, world: int, port: int, root: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
    )
    torch.set_num_threads(1)
    from distill import distributed
    from distill.config import DistillConfig
    from distill.data import load_examples
    from distill.student import build_student, load_teacher
    from distill.trainer import train

    ctx = distributed.setup("cpu")
    try:
        config = DistillConfig(
            teacher=root + "/teacher/st",
            steps=3,
            max_minutes=None,
            batch_size=4,
            max_seq_length=16,
            lr=1e-3,
            alpha_ce=1.0,  # every term in the check, the in-batch KD included
        ).with_layers(4)
        teacher = load_teacher(Path(config.teacher))
        student = build_student(teacher.model.encoder, config.layer_map, seed=config.seed)
        examples = load_examples(root + "/corpus.jsonl", config.max_seq_length)
        result = train(config, teacher, student, examples, ctx=ctx, progress=False)
        torch.save(
            {"state": student.state_dict(), "losses": result.last_losses, "steps": result.steps},
            f"{root}/rank{rank}.pt",
        )
    finally:
        distributed.cleanup(ctx)


def test_two_gloo_processes_end_with_identical_weights(tmp_path: Path) -> None:
    from tests.support.tiny_models import tiny_corpus, tiny_teacher

    tiny_teacher(tmp_path / "teacher", layers=4)
    tiny_corpus(tmp_path / "corpus.jsonl", docs=40)
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    a, b = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert a["steps"] == b["steps"] == 3
    assert all(torch.isfinite(torch.tensor(v)) for v in a["losses"].values())
    assert a["losses"] != b["losses"]  # each rank saw its own shard
    for key, value in a["state"].items():
        assert torch.equal(value, b["state"][key]), key
