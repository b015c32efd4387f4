"""Error rates of decoded sequences: edit distance, and exact match / word / token error rates against one or more
references (seq2seq, G2P, captioning, speech)."""

import numpy as np


def edit_distance(a, b):
    """Levenshtein distance between two token sequences (insertions, deletions, substitutions cost 1)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rates(hypotheses, references):
    """Exact match, word error rate and token error rate of outputs against one or more references each.

    A hypothesis is correct when it equals any of its references (e.g. any listed pronunciation of a word). The
    token error rate (the phoneme error rate, PER, for G2P) is the summed edit distance to the closest reference
    divided by the summed length of those references. The word error rate (WER) is 1 − exact match.

    Args:
        hypotheses: list of token lists.
        references: list of lists of token lists (one or more references per hypothesis).

    Examples:
    >>> error_rates([["K", "AE", "T"]], [[["K", "AE", "T"], ["K", "AH", "T"]]])["wer"]
    0.0
    """
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError(f"Need one reference list per hypothesis; got {len(hypotheses)} and {len(references)}.")
    correct = errors = length = 0
    for hyp, refs in zip(hypotheses, references):
        distances = [edit_distance(hyp, list(r)) for r in refs]
        best = int(np.argmin(distances))
        correct += distances[best] == 0
        errors += distances[best]
        length += len(refs[best])
    exact = correct / len(hypotheses)
    return {"exact_match": exact, "wer": 1.0 - exact, "token_error_rate": errors / max(length, 1),
            "decoded": len(hypotheses)}
