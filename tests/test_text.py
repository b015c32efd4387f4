import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnzoo.text import (
    END_ID,
    PAD_ID,
    START_ID,
    UNK_ID,
    CharTokenizer,
    TextEncoder,
    Vocabulary,
    WordTokenizer,
    make_dataset,
    pad_sequences,
)


def test_word_tokenizer_is_unicode_aware():
    tok = WordTokenizer()
    assert tok.tokenize("Hello, WORLD!") == ["hello", ",", "world", "!"]
    assert tok.tokenize("Straße ÉCOLE naïve") == ["strasse", "école", "naïve"]  # case folding, not lower()
    assert tok.tokenize("ﬁne\u00a0day") == ["fine", "day"]  # NFKC: ligature and no-break space
    assert tok.tokenize("東京 2024年") == ["東京", "2024年"]
    assert tok.tokenize(["a b", ""]) == [["a", "b"], []]


def test_char_tokenizer_keeps_whitespace_and_case():
    assert CharTokenizer().tokenize("Ab c") == ["A", "b", " ", "c"]
    assert CharTokenizer(lowercase=True).tokenize("Ab") == ["a", "b"]
    assert CharTokenizer().tokenize("e\u0301") == ["é"]  # NFKC composes


def test_tokenizer_rejects_wrong_types():
    with pytest.raises(ValueError, match="bytes"):
        WordTokenizer().tokenize(b"abc")
    with pytest.raises(ValueError, match="item 1 is int"):
        WordTokenizer().tokenize(["ok", 3])
    with pytest.raises(ValueError, match="not valid Unicode"):
        WordTokenizer().tokenize("bad \ud800 surrogate")
    with pytest.raises(ValueError, match="normalization"):
        WordTokenizer(normalization="NFX")


def test_vocabulary_frequency_size_and_reserved_ids():
    corpus = [["a", "b", "c"], ["a", "b"], ["a"]]
    vocab = Vocabulary.build(corpus, min_frequency=2)
    assert vocab.tokens == ["[PAD]", "[UNK]", "[START]", "[END]", "a", "b"]
    assert (PAD_ID, UNK_ID, START_ID, END_ID) == (0, 1, 2, 3)
    assert vocab.word_to_index("c") == UNK_ID and vocab.index_to_word(5) == "b"
    assert len(Vocabulary.build(corpus, max_size=5)) == 5
    with pytest.raises(ValueError, match="Out-of-vocabulary"):
        vocab.encode(["a", "zebra"], on_unknown="error")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        vocab.index_to_word(99)
    with pytest.raises(ValueError, match="empty"):
        Vocabulary.build([["x"]], min_frequency=2)
    with pytest.raises(ValueError, match="twice"):
        Vocabulary(["[PAD]", "[UNK]", "[START]", "[END]", "a", "a"])


def test_encoder_round_trip_and_config():
    enc = TextEncoder.fit(["The cat sat on the mat.", "the dog sat"], max_length=6)
    ids = enc.encode("the cat sat", add_start=True, add_end=True)[0]
    assert ids[0] == START_ID and ids[-1] == END_ID
    assert enc.decode(ids) == "the cat sat"
    assert enc.decode(enc.encode("the zebra")[0]) == "the [UNK]"
    clone = TextEncoder.from_config(enc.get_config())
    assert clone.vocabulary.tokens == enc.vocabulary.tokens and clone.level == "word"
    assert len(enc.encode("the cat sat on the mat the end")[0]) == 6
    with pytest.raises(ValueError, match="at most 6"):
        enc.encode("the cat sat on the mat the end", on_overflow="error")
    with pytest.raises(ValueError, match="empty dataset"):
        TextEncoder.fit([])


_ALPHABET = st.characters(blacklist_categories=("Cs",))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_unicode_string_tokenizes(text):
    for tok in (WordTokenizer(), CharTokenizer(), WordTokenizer(lowercase=False, normalization=None)):
        tokens = tok.tokenize(text)
        assert all(isinstance(t, str) and t for t in tokens)
        assert all(not t.isspace() for t in tokens) or tok.level == "char"


_WORDS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzàéü0123456789", min_size=1, max_size=8),
                  min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(_WORDS)
def test_known_words_round_trip(words):
    enc = TextEncoder.fit([" ".join(words)])
    text = " ".join(words)
    ids = enc.encode(text)[0]
    assert UNK_ID not in ids
    assert enc.decode(ids) == text


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=_ALPHABET, min_size=1, max_size=40))
def test_known_characters_round_trip(text):
    enc = TextEncoder.fit([text], level="char")
    normalized = enc.tokenizer.normalize(text)
    assert enc.decode(enc.encode(text)[0]) == normalized


def test_dataset_pads_right_and_buckets_by_length():
    seqs = [np.arange(1, n + 1) for n in [2, 3, 9, 10, 2, 11]]
    ds = make_dataset(seqs, np.arange(6), batch_size=2, bucket_boundaries=[5])
    batches = list(ds)
    assert len(batches) == ds.cardinality().numpy() == 4  # ceil(3/2) short + ceil(3/2) long
    for x, y in batches:
        x = x.numpy()
        lengths = (x > 0).sum(1)
        assert x.shape[1] == lengths.max()  # padded only to the longest in the batch
        assert (lengths < 5).all() or (lengths >= 5).all()  # one bucket per batch
        for row, n in zip(x, lengths):
            assert (row[:n] > 0).all() and (row[n:] == 0).all()  # right padding
    per_step = make_dataset(seqs, [s * 2 for s in seqs], batch_size=3, shuffle=True)
    for x, y in per_step:
        np.testing.assert_array_equal(y.numpy(), x.numpy() * 2)
    with pytest.raises(ValueError, match="empty"):
        make_dataset([], None)
    with pytest.raises(ValueError, match="must match"):
        make_dataset(seqs, np.arange(3))


def test_pipelines_run_without_tf_data_autotuning():
    # autotuning's background work held up the end of some epochs by up to 10 s on 2 cores (epoch_overhead.py);
    # every rnnzoo pipeline turns it off and still knows its length and its epoch order
    from rnnzoo.fitting import array_dataset

    seqs = [np.arange(1, n + 1) for n in [2, 3, 9, 10, 2, 11]]
    for ds, batches in ((make_dataset(seqs, np.arange(6), batch_size=2, bucket_boundaries=[]), 3),
                        (array_dataset(np.ones((5, 4), "int32"), np.arange(5), batch_size=2, shuffle=True), 3)):
        assert ds.options().autotune.enabled is False
        assert ds.cardinality().numpy() == batches == len(list(ds))
        assert callable(ds.set_epoch)


def test_pad_sequences():
    np.testing.assert_array_equal(pad_sequences([[1, 2], [3]]), [[1, 2], [3, 0]])


def test_ppmi_svd_embeddings_place_related_words_together():
    from rnnzoo.text.embeddings import ppmi_svd_embeddings

    rng = np.random.default_rng(0)
    animals, tools = ["cat", "dog", "cow", "horse"], ["hammer", "saw", "drill", "wrench"]
    corpus = [[*rng.choice(animals, 3), "eats", "grass"] for _ in range(300)]
    corpus += [[*rng.choice(tools, 3), "cuts", "wood"] for _ in range(300)]
    vocab = Vocabulary.build(corpus)
    vectors = ppmi_svd_embeddings(corpus, vocab, dim=4, window=2)
    assert vectors.shape == (len(vocab), 4) and np.isfinite(vectors).all()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sim = lambda a, b: float(unit[vocab.word_to_index(a)] @ unit[vocab.word_to_index(b)])
    assert sim("cat", "dog") > sim("cat", "hammer") and sim("saw", "drill") > sim("saw", "cow")
    with pytest.raises(ValueError, match="smaller than the vocabulary"):
        ppmi_svd_embeddings(corpus, vocab, dim=len(vocab))
