"""Simple baselines that models are compared with in the same run."""

import numpy as np


def bag_of_words_logistic_regression(train_tokens, train_labels, val_tokens, val_labels, test_tokens,
                                     test_labels, c_grid=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)):
    """Bag-of-words (binary unigram) logistic regression; C is chosen on the validation set.

    Args:
        *_tokens: lists of token lists (tokenize with the same tokenizer as the model for a fair comparison).
        *_labels: label sequences.
        c_grid: inverse regularisation strengths tried.

    Returns:
        dict with `accuracy` on the test set, the chosen `C` and its `validation_accuracy`.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(analyzer=lambda tokens: tokens, binary=True)
    x_train = vectorizer.fit_transform(train_tokens)
    x_val, x_test = vectorizer.transform(val_tokens), vectorizer.transform(test_tokens)
    best = None
    for c in c_grid:
        clf = LogisticRegression(C=c, max_iter=2000).fit(x_train, train_labels)
        acc = float(np.mean(clf.predict(x_val) == np.asarray(val_labels)))
        if best is None or acc > best[0]:
            best = (acc, c, clf)
    val_acc, c, clf = best
    return {"accuracy": float(np.mean(clf.predict(x_test) == np.asarray(test_labels))), "C": c,
            "validation_accuracy": val_acc}
