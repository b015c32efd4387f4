"""Text pipeline (the only place tensorflow-text is used): tokenizers, vocabulary, encoder, tf.data sets."""

from rnnzoo.text.encoder import TextEncoder, make_dataset, pad_sequences
from rnnzoo.text.tokenizers import CharTokenizer, WordTokenizer, as_texts, get_tokenizer
from rnnzoo.text.vocabulary import END, END_ID, PAD, PAD_ID, START, START_ID, UNK, UNK_ID, Vocabulary
