"""Word vectors learned from unlabelled text: positive PMI of windowed co-occurrences, reduced by SVD."""

import numpy as np


def ppmi_svd_embeddings(token_lists, vocabulary, dim=64, window=4, smoothing=0.75, seed=0):
    """Learns word vectors for `vocabulary` from tokenized unlabelled text (Levy & Goldberg, 2014).

    Co-occurrence counts within `window` tokens (weighted 1/distance) → positive pointwise mutual
    information with context-distribution smoothing → truncated SVD (U·√S). Rows of reserved ids and of words
    never seen in the text are small random vectors. The result initializes an `Embedding` via
    `embeddings=` in any rnnzoo builder.

    Args:
        token_lists: iterable of token lists (tokenized with the model's own tokenizer).
        vocabulary: `rnnzoo.text.Vocabulary`.
        dim: int. Vector size.
        window: int. Context window on each side.
        smoothing: float. Exponent applied to context counts (0.75 as in word2vec).
        seed: int. Seed for the random rows.

    Returns:
        float32 array of shape (len(vocabulary), dim), rows scaled to unit norm on average.
    """
    from scipy import sparse
    from scipy.sparse.linalg import svds

    n = len(vocabulary)
    if dim >= n - 1:
        raise ValueError(f"dim ({dim}) must be smaller than the vocabulary size minus one ({n - 1}).")
    rows, cols, vals = [], [], []
    for tokens in token_lists:
        ids = np.asarray(vocabulary.encode(tokens), dtype=np.int64)
        for d in range(1, window + 1):
            if len(ids) <= d:
                break
            a, b = ids[:-d], ids[d:]
            keep = (a > 3) & (b > 3)  # reserved ids ([UNK] included) carry no meaning to learn
            for x, y in ((a[keep], b[keep]), (b[keep], a[keep])):
                rows.append(x)
                cols.append(y)
                vals.append(np.full(len(x), 1.0 / d))
    if not rows:
        raise ValueError("No co-occurrences found: the text is empty or shares no words with the vocabulary.")
    counts = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(n, n)).tocsr()
    total = counts.sum()
    word = np.asarray(counts.sum(1)).ravel()
    context = np.asarray(counts.sum(0)).ravel() ** smoothing
    context /= context.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data / total / (word[coo.row] / total) / context[coo.col])
    positive = pmi > 0
    ppmi = sparse.csr_matrix((pmi[positive], (coo.row[positive], coo.col[positive])), shape=(n, n))
    u, s, _ = svds(ppmi, k=dim, random_state=seed)
    vectors = u * np.sqrt(s)
    seen = word > 0
    scale = np.linalg.norm(vectors[seen], axis=1).mean() if seen.any() else 1.0
    vectors = vectors / scale
    rng = np.random.default_rng(seed)
    vectors[~seen] = rng.normal(0, 0.05, size=(int((~seen).sum()), dim))
    return vectors.astype("float32")
