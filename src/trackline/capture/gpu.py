"""GPU facts through NVML when a driver and ``nvidia-ml-py`` are present; otherwise "absent".

No GPU is not an error: devices are ``[]`` and usage is ``{"available": False}``.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["devices", "usage"]


@functools.lru_cache(maxsize=1)
def _nvml() -> Any:
    try:
        import pynvml  # type: ignore[import-not-found]

        pynvml.nvmlInit()
        return pynvml
    except Exception:  # noqa: BLE001 - missing module, driver or device all mean "no GPU"
        return None


def devices() -> list[dict[str, Any]]:
    nvml = _nvml()
    if nvml is None:
        return []
    out = []
    for i in range(nvml.nvmlDeviceGetCount()):
        h = nvml.nvmlDeviceGetHandleByIndex(i)
        name = nvml.nvmlDeviceGetName(h)
        out.append(
            {
                "index": i,
                "name": name.decode() if isinstance(name, bytes) else name,
                "memory_total_bytes": int(nvml.nvmlDeviceGetMemoryInfo(h).total),
            }
        )
    return out


def usage() -> dict[str, Any]:
    """Instantaneous utilization and memory per device."""
    nvml = _nvml()
    if nvml is None:
        return {"available": False}
    per = []
    for i in range(nvml.nvmlDeviceGetCount()):
        h = nvml.nvmlDeviceGetHandleByIndex(i)
        per.append(
            {
                "index": i,
                "util_percent": float(nvml.nvmlDeviceGetUtilizationRates(h).gpu),
                "memory_used_bytes": int(nvml.nvmlDeviceGetMemoryInfo(h).used),
            }
        )
    return {"available": True, "devices": per}
