"""Data parallelism under ``torchrun`` and mixed precision (GPU, and CPUs with native bf16).

``torchrun --nproc-per-node N -m shell.distill_command ...`` sets ``WORLD_SIZE``/``RANK``/
``LOCAL_RANK``; :func:`setup` then joins the process group (gloo on CPU, NCCL on GPU).
Each rank trains on its own shard of the batches; DDP averages the gradients, so every
rank holds the same weights after each step. Rank 0 alone writes checkpoints and exports.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

import torch

from core.settings import torchrun_env

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: ``rank`` of ``world`` on ``device``."""

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def setup(device: str | None = None) -> DistContext:
    """Join the process group when launched by ``torchrun``; a single process otherwise."""
    group = torchrun_env()
    world, rank, local_rank = group.world_size, group.rank, group.local_rank
    wanted = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if world <= 1:
        return DistContext(0, 1, torch.device(wanted))
    import torch.distributed as dist

    if wanted == "cuda":
        torch.cuda.set_device(local_rank)
        dev = torch.device("cuda", local_rank)
    else:
        dev = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    logger.info("rank %d/%d on %s", rank, world, dev)
    return DistContext(rank, world, dev)


def wrap(model: torch.nn.Module, ctx: DistContext) -> torch.nn.Module:
    """DDP around ``model`` when distributed (unused weights, e.g. an idle MLM head, allowed)."""
    if not ctx.distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=True)


def agree_max(values: list[float], ctx: DistContext) -> list[float]:
    """Element-wise max over ranks (training progress and the stop flag must agree)."""
    if not ctx.distributed:
        return values
    import torch.distributed as dist

    tensor = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return tensor.tolist()


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        import torch.distributed as dist

        dist.barrier()


def cleanup(ctx: DistContext) -> None:
    if ctx.distributed:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 matrix products in hardware: a GPU that supports
    bf16, or a CPU with AVX-512 BF16 or AMX tiles (elsewhere bf16 is emulated and slower)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def autocast_dtype(device: torch.device, precision: str = "auto") -> torch.dtype | None:
    """The dtype autocast runs in for ``precision`` on ``device``; None = plain fp32.

    ``auto``: bf16 where :func:`native_bf16`, fp16 on a GPU without bf16, fp32 on other
    CPUs. ``bf16`` forces bf16 (emulated where not native); ``fp32`` turns autocast off.
    """
    if precision == "fp32":
        return None
    if precision == "bf16" or native_bf16(device):
        return torch.bfloat16
    return torch.float16 if device.type == "cuda" else None


def autocast(device: torch.device, precision: str = "auto") -> contextlib.AbstractContextManager:
    """Autocast to :func:`autocast_dtype` (nothing when that is fp32)."""
    dtype = autocast_dtype(device, precision)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, precision: str = "auto") -> torch.amp.GradScaler | None:
    """A loss scaler for fp16 autocast (bf16 and fp32 need none)."""
    if device.type == "cuda" and autocast_dtype(device, precision) == torch.float16:
        return torch.amp.GradScaler("cuda")
    return None
