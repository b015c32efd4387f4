"""Quiet start-up for the entry points: TensorFlow's native start-up lines, which are not errors, are hidden.

TensorFlow writes lines such as `E0000 … cuda_platform.cc:52] failed call to cuInit`, `oneDNN supports DT_BOOL
only on platforms with AVX-512` and `To enable the following instructions: AVX2 AVX512F … rebuild TensorFlow`
from C++ straight to file descriptor 2, some before any log level applies. A new user reads them as failures.
`quiet_native_logs()` (called by `rnnzoo` and `make demo`, never on import of a library module) routes
descriptor 2 through a filter that drops exactly those known lines and passes everything else through — Python
errors, warnings and any other native message. `rnnzoo --verbose` shows them all.
"""

import atexit
import contextlib
import logging
import os
import sys
import threading

# Substrings of the native start-up lines that say nothing is wrong (GPU probes on a CPU-only machine, build
# notes, oneDNN notices).
NOISE = (
    "failed call to cuInit",
    "Could not find cuda drivers",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "computation placer already registered",
    "TF-TRT Warning",
    "oneDNN custom operations are on",
    "oneDNN supports DT_",
    "To enable the following instructions",
    "This TensorFlow binary is optimized",
    "All log messages before absl::InitializeLog() is called",
    "rebuild TensorFlow with the appropriate compiler flags",
    "cuda_executor.cc",
    "gpu_device.cc",
)
_state = {}


def is_noise(line):
    """Whether a line of standard error is one of the known start-up notices."""
    return any(marker in line for marker in NOISE)


def quiet_native_logs():
    """Filters standard error (descriptor 2) for the rest of the process: known start-up notices are dropped,
    every other line is passed on unchanged. Idempotent; a no-op when RNNZOO_VERBOSE is set."""
    if _state or os.environ.get("RNNZOO_VERBOSE"):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        sys.stderr.flush()
        real = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
    except OSError:  # no descriptor 2 to filter (some embedded interpreters)
        return

    def pump():
        pending = b""
        with os.fdopen(read, "rb", buffering=0) as pipe:
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if not is_noise(line.decode("utf-8", "replace")):
                        os.write(real, line + b"\n")
        if pending and not is_noise(pending.decode("utf-8", "replace")):
            os.write(real, pending)

    thread = threading.Thread(target=pump, name="rnnzoo-stderr-filter", daemon=True)
    thread.start()
    _state.update(real=real, thread=thread)

    def restore():
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(real, 2)  # closes the pipe's last write end: the filter drains what is left and stops
        thread.join(timeout=5)

    atexit.register(restore)


def started_as_entry_point():
    """Whether this process is the `rnnzoo` command or `python -m rnnzoo.cli` / `rnnzoo.demo` (`make demo`), and
    the user did not ask for --verbose. The package imports TensorFlow before `main()` can run, so the package
    asks this first; a library import in anyone else's program is never affected."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if "--verbose" in argv or os.environ.get("RNNZOO_VERBOSE"):
        return False
    command = os.path.basename(sys.argv[0]) if sys.argv else ""
    as_module = any(a in ("rnnzoo.cli", "rnnzoo.demo") for a in argv[argv.index("-m") + 1:][:1]) if "-m" in argv \
        else False
    return command == "rnnzoo" or as_module


@contextlib.contextmanager
def tensorflow_log_level(level=logging.ERROR):
    """TensorFlow's Python logger at `level` for the block. Writing a SavedModel logs an INFO line
    ("Assets written to: /tmp/...") where a notebook or a verbose TensorFlow shows it; the TFLite converter writes a
    temporary SavedModel per conversion, which is rnnzoo's business, not the user's."""
    logger = logging.getLogger("tensorflow")
    old = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(old)
