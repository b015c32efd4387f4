"""What this machine offers for training: the CPU model and its vector extensions, the threads, the GPUs of the
current Keras backend, and whether it multiplies bfloat16 fast. Descriptions only: the precision policy
(`rnnzoo.precision`) and the XLA decision (`rnnzoo.xla`) read them.

Examples:
>>> sorted(describe_hardware())  # doctest: +SKIP
['auto_precision', 'backend', 'cpu', 'gpus', 'threads']
"""

import os
import platform

import keras


def cpu_info():
    """The CPU model, core count and the vector extensions that decide float32 / bfloat16 speed.

    Returns:
        dict with `model` (with the family and model numbers, which tell e.g. Zen 3 from Zen 4 where a virtual
        machine only says "AMD EPYC"), `cores`, and booleans `avx2`, `avx512`, `avx512_bf16`, `amx` (AMX tiles
        with bf16) and `avx512_fp16`. Linux reads /proc/cpuinfo; elsewhere the flags are False.
    """
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())  # the first processor's entry
    except OSError:
        pass
    model = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields:
        model += f" (family {fields['cpu family']}, model {fields.get('model')})"
    flags = set(fields.get("flags", "").split())
    return {"model": model, "cores": os.cpu_count(), "avx2": "avx2" in flags, "avx512": "avx512f" in flags,
            "avx512_bf16": "avx512_bf16" in flags, "amx": {"amx_tile", "amx_bf16"} <= flags,
            "avx512_fp16": "avx512_fp16" in flags}


def describe_cpu(info=None):
    """'AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX': the line printed beside speed figures."""
    info = cpu_info() if info is None else info
    if info.get("avx512"):
        ext = "AVX-512" + (" + AVX512-BF16" if info.get("avx512_bf16") else "")
    else:
        ext = "AVX2, no AVX-512" if info.get("avx2") else "no AVX2"
    return f"{info['model']}, {info['cores']} cores, {ext}, {'AMX' if info.get('amx') else 'no AMX'}"


def threads():
    """The CPU threads this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count()


def gpus():
    """[{name, bf16}] for the GPUs the current Keras backend can use (no backend is imported that is not in use)."""
    backend = keras.backend.backend()
    found = []
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            for device in tf.config.list_physical_devices("GPU"):
                details = tf.config.experimental.get_device_details(device)
                found.append({"name": details.get("device_name", device.name),
                              "bf16": tuple(details.get("compute_capability", (0, 0))) >= (8, 0)})
        elif backend == "torch":
            import torch

            for k in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
                found.append({"name": torch.cuda.get_device_name(k),
                              "bf16": torch.cuda.get_device_capability(k) >= (8, 0)})
        elif backend == "jax":
            import jax

            for device in jax.devices():
                if device.platform == "gpu":
                    capability = float(getattr(device, "compute_capability", "0") or 0)
                    found.append({"name": device.device_kind, "bf16": capability >= 8.0})
    except Exception:  # noqa: BLE001  (a driver that cannot be queried: no usable GPU)
        return []
    return found


def describe_hardware():
    """What this machine offers for training: the CPU and its extensions, the threads, the GPUs of the current
    backend, and the precision "auto" picks here.

    Examples:
    >>> rnnzoo.describe_hardware()["auto_precision"]  # doctest: +SKIP
    'bfloat16'
    """
    info = {"cpu": cpu_info(), "threads": threads(), "backend": keras.backend.backend(), "gpus": gpus()}
    info["auto_precision"] = "bfloat16" if fast_bfloat16(info) else "float32"
    return info


def fast_bfloat16(info=None):
    """Whether the machine multiplies bfloat16 fast (`describe_hardware()` or None for this one): every GPU of the
    backend has bf16 units, or, without GPUs, the CPU has AVX512-BF16 or AMX."""
    if info is None:
        info = {"cpu": cpu_info(), "gpus": gpus()}
    if info["gpus"]:
        return all(g["bf16"] for g in info["gpus"])
    return bool(info["cpu"]["avx512_bf16"] or info["cpu"]["amx"])
