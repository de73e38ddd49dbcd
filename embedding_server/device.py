"""Where the models run and in which precision: `device: auto` / `dtype: auto` resolved once per process.

On CUDA the models run in fp16 with TF32 matmuls and cuDNN autotuning (fast, and embedding quality
is unaffected); on CPU they stay fp32 (fp16 is slow or unsupported there). The resolver takes
`cuda_available` as an argument so the CUDA choices can be tested on a machine without a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

DTYPES = ("float32", "float16", "bfloat16")


@dataclass(frozen=True)
class Runtime:
    """The resolved placement of every model in this process."""

    device: str  # "cpu" or "cuda[:N]"
    dtype: str  # one of DTYPES
    allow_tf32: bool  # TF32 matmuls / convolutions (Ampere and later)
    cudnn_benchmark: bool  # let cuDNN pick the fastest kernels for the shapes it sees
    cpu_threads: int = 0  # 0: torch's default

    @property
    def is_cuda(self) -> bool:
        return self.device.startswith("cuda")

    def torch_dtype(self):
        import torch

        return getattr(torch, self.dtype)


def resolve_runtime(device: str = "auto", dtype: str = "auto", *, cuda_available: bool | None = None,
                    cpu_threads: int = 0) -> Runtime:
    """Pick device and dtype from the config values; `auto` means CUDA + fp16 when a GPU is present."""
    if cuda_available is None:
        import torch

        cuda_available = torch.cuda.is_available()
    device = (device or "auto").strip().lower()
    if device == "auto":
        device = "cuda" if cuda_available else "cpu"
    if device.startswith("cuda") and not cuda_available:
        raise ValueError(f"gateway.embeddings.device is {device!r} but CUDA is not available")
    if device != "cpu" and not device.startswith("cuda"):
        raise ValueError(f"gateway.embeddings.device must be auto, cpu or cuda[:N], got {device!r}")
    dtype = (dtype or "auto").strip().lower()
    if dtype == "auto":
        dtype = "float16" if device.startswith("cuda") else "float32"
    if dtype not in DTYPES:
        raise ValueError(f"gateway.embeddings.dtype must be auto or one of {DTYPES}, got {dtype!r}")
    on_cuda = device.startswith("cuda")
    return Runtime(device=device, dtype=dtype, allow_tf32=on_cuda, cudnn_benchmark=on_cuda, cpu_threads=cpu_threads)


def apply_runtime(runtime: Runtime) -> None:
    """Set the process-wide torch switches the runtime asks for (idempotent)."""
    import torch

    if runtime.is_cuda:
        set_tf32(runtime.allow_tf32)
        torch.backends.cudnn.benchmark = runtime.cudnn_benchmark
    elif runtime.cpu_threads > 0:
        torch.set_num_threads(runtime.cpu_threads)


def set_tf32(enabled: bool) -> None:
    """TF32 for cuBLAS matmuls and cuDNN convolutions, through torch's current API where it has one."""
    import torch

    matmul, conv = torch.backends.cuda.matmul, getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(matmul, "fp32_precision") and hasattr(conv, "fp32_precision"):  # torch >= 2.9
        matmul.fp32_precision = conv.fp32_precision = "tf32" if enabled else "ieee"
    else:  # older torch
        matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled


def tf32_enabled() -> bool:
    import torch

    matmul = torch.backends.cuda.matmul
    return matmul.fp32_precision == "tf32" if hasattr(matmul, "fp32_precision") else bool(matmul.allow_tf32)
