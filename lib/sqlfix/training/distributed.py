"""Process-group set-up for DeepSpeed and torch.distributed."""

from __future__ import annotations

import os
import socket


def single_process_group() -> None:
    """DeepSpeed wants a process group even alone: one local rank, on a free port (a no-op under a launcher,
    which sets ``WORLD_SIZE``)."""
    if "WORLD_SIZE" in os.environ:
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK="0", LOCAL_RANK="0", WORLD_SIZE="1")
