"""Moved to `rnnzoo.saving` (compile, save, load, cards) and `rnnzoo.inference` (predict_text); alias kept for one
release."""

from rnnzoo.inference import predict_text  # noqa: F401
from rnnzoo.saving import (  # noqa: F401
    MODEL_FILE,
    compile_model,
    ensure_compiled,
    load,
    metadata,
    publish,
    resolve_model_path,
    save,
    task_of,
    text_encoder,
)
