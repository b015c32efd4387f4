"""Names that several modules agree on: the files a training run writes and the layers other code finds by name."""

# Files of a training output directory (`rnnzoo.train(..., out=DIR)`, every task).
MODEL_FILE = "model.keras"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"
LOCK_FILE = ".lock"  # held (flock) by the training writing to a directory
PARTIAL_HISTORY_FILE = ".history-partial.json"  # per-epoch logs of a run in progress (kept across a resume)
BACKUP_DIR = "backup"  # BackupAndRestore checkpoints while training runs; removed when it finishes
EXPORT_FILE = "export.json"

# Layers that inference and export read from a trained model.
METADATA = "metadata"  # carries the model card
SOURCE = "source"  # seq2seq source input
TARGET = "target"  # teacher-forced decoder input
TARGET_EMBEDDING = "target_embedding"
DECODER = "decoder"
LOGITS = "logits"
MEMORY = "memory"  # encoder outputs an attention decoder reads
DECODER_INIT = "decoder_init_{}"  # encoder final states that start the decoder (1: h, 2: c)
EMBEDDING = "embedding"
ONE_HOT = "one_hot"
