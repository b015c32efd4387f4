"""Custom layers and the recurrent-stack core."""

from rnnzoo.layers.parallel import LRU, QRNN, MinGRU, MinLSTM

from rnnzoo.layers.recurrent import (
    GRU,
    LSTM,
    Metadata,
    MaskedGlobalPooling1D,
    OneHot,
    recurrent_layer,
    recurrent_stack,
    resolve_cell,
    sequence_input,
)
