"""Binary trees for recursive networks: parse, print, measure, encode to arrays, and a task that needs them.

A tree is a leaf token (str) or a tuple `(token, left, right)`. Text form is fully parenthesised infix:
"( 3 + ( 4 * 2 ) )" ↔ ("+", "3", ("*", "4", "2")). `encode_trees` turns trees into the three arrays
`TreeRecurrent` reads (tokens, children, levels), nodes in pre-order with the root first.

The demonstration task is nested arithmetic modulo 10 (`arithmetic_trees`): the answer depends on evaluating
sub-expressions in the right order, so a model that follows the tree should generalise to trees deeper than
any it was trained on, while a flat LSTM reading the text has to learn a stack.
"""

import dataclasses
import re

import numpy as np

from rnnzoo.card import DataRecord, ModelCard, SplitRecord, fingerprint
from rnnzoo.datasets.base import Dataset

OPERATORS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
             "max": max, "min": min}


def parse(text):
    """Parses fully parenthesised infix ("( 3 + ( 4 * 2 ) )"; spaces optional around brackets and + − ×) into a tree."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"Expected an expression like '( 3 + ( 4 * 2 ) )'; got {text!r}.")
    tokens = re.findall(r"[()+\-*]|[^\s()+\-*]+", text)  # brackets and operators need no spaces around them

    def node(i):
        if i >= len(tokens):
            raise ValueError(f"Expression {text!r} ends too early; every '(' needs 'left op right )'.")
        if tokens[i] != "(":
            if tokens[i] == ")":
                raise ValueError(f"Unexpected ')' at token {i} of {text!r}.")
            return tokens[i], i + 1
        left, i = node(i + 1)
        if i >= len(tokens):
            raise ValueError(f"Expression {text!r} ends too early after {left!r}.")
        op = tokens[i]
        right, i = node(i + 1)
        if i >= len(tokens) or tokens[i] != ")":
            raise ValueError(f"Missing ')' at token {i} of {text!r}; binary nodes are written '( left op right )'.")
        return (op, left, right), i + 1

    tree, end = node(0)
    if end != len(tokens):
        raise ValueError(f"Unexpected tokens after the expression in {text!r}: {' '.join(tokens[end:])!r}.")
    return tree


def to_text(tree):
    """The fully parenthesised text of a tree (the input a flat sequence model reads)."""
    if isinstance(tree, str):
        return tree
    op, left, right = tree
    return f"( {to_text(left)} {op} {to_text(right)} )"


def depth(tree):
    """Height of a tree: 0 for a leaf."""
    return 0 if isinstance(tree, str) else 1 + max(depth(tree[1]), depth(tree[2]))


def size(tree):
    """Number of nodes."""
    return 1 if isinstance(tree, str) else 1 + size(tree[1]) + size(tree[2])


def evaluate(tree, modulus=10):
    """Value of an arithmetic tree modulo `modulus`."""
    if isinstance(tree, str):
        return int(tree) % modulus
    op, left, right = tree
    if op not in OPERATORS:
        raise ValueError(f"Unknown operator {op!r}; arithmetic trees use {sorted(OPERATORS)}.")
    return OPERATORS[op](evaluate(left, modulus), evaluate(right, modulus)) % modulus


def tree_vocabulary(trees):
    """Token → id (1..V−1; 0 is padding) for every token in `trees`, sorted for reproducibility."""
    tokens = set()

    def walk(t):
        if isinstance(t, str):
            tokens.add(t)
        else:
            tokens.add(t[0])
            walk(t[1])
            walk(t[2])

    for t in trees:
        walk(t)
    return {token: i + 1 for i, token in enumerate(sorted(tokens))}


def encode_trees(trees, vocabulary, max_depth=None, on_unknown="error"):
    """Encodes trees as (tokens, children, levels) arrays padded to the largest tree, root first (pre-order).

    Args:
        trees: list of trees (or their texts).
        vocabulary: dict token → id ≥ 1 (see `tree_vocabulary`).
        max_depth: int or None. Refuse trees higher than the model computes (`TreeRecurrent.max_depth`).
        on_unknown: "error" raises on tokens missing from the vocabulary.

    Returns:
        tokens int32 (n, nodes), children int32 (n, nodes, 2) with −1 for none, levels int32 (n, nodes) with
        −1 for padding.
    """
    if on_unknown != "error":
        raise ValueError("on_unknown must be 'error': a tree node without a known token has no meaning.")
    trees = [parse(t) if isinstance(t, str) and (" " in t or "(" in t) else t for t in trees]
    if not trees:
        raise ValueError("No trees to encode.")
    width = max(size(t) for t in trees)
    tokens = np.zeros((len(trees), width), "int32")
    children = np.full((len(trees), width, 2), -1, "int32")
    levels = np.full((len(trees), width), -1, "int32")
    for row, tree in enumerate(trees):
        if max_depth is not None and depth(tree) > max_depth:
            raise ValueError(f"Tree {row} has height {depth(tree)}, more than the model's max_depth={max_depth}; "
                             "build the model with a larger max_depth.")
        stack = [(tree, None, 0)]
        order = []
        while stack:  # iterative pre-order: parents get smaller indices than their children
            node, parent, side = stack.pop()
            index = len(order)
            order.append(node)
            token = node if isinstance(node, str) else node[0]
            if token not in vocabulary:
                raise ValueError(f"Unknown token {token!r} in tree {row}; the vocabulary has "
                                 f"{sorted(vocabulary)[:20]}.")
            tokens[row, index] = vocabulary[token]
            if parent is not None:
                children[row, parent, side] = index
            if not isinstance(node, str):
                stack.append((node[2], index, 1))
                stack.append((node[1], index, 0))
        heights = {}
        for index in range(len(order) - 1, -1, -1):  # children come after parents: fill heights backwards
            kids = [k for k in children[row, index] if k >= 0]
            heights[index] = 0 if not kids else 1 + max(heights[k] for k in kids)
            levels[row, index] = heights[index]
    return tokens, children, levels


@dataclasses.dataclass
class TreeData(Dataset):
    """Trees with class labels (e.g. arithmetic expressions and their values)."""

    trees: list
    labels: list
    label_names: list
    name: str = "trees"
    task = "tree_classifier"
    _fields = ("trees", "labels")

    def fingerprint(self):
        return fingerprint([to_text(t) for t in self.trees])  # the labels follow from the trees

    def texts(self):
        return [to_text(t) for t in self.trees]

    def as_texts(self):
        """The same examples as parenthesised text with string labels, for flat sequence classifiers
        (`rnnzoo.train("lstm_classifier", trees.as_texts())`)."""
        from rnnzoo.datasets.base import TextClassificationData

        return TextClassificationData(self.texts(), [str(label) for label in self.labels], self.name)

    def depths(self):
        return np.array([depth(t) for t in self.trees])


def random_tree(rng, height, leaves=tuple("0123456789"), operators=tuple(OPERATORS)):
    """A random tree of exactly `height`: one child has height − 1, the other a random smaller height."""
    if height == 0:
        return str(rng.choice(leaves))
    tall, short = random_tree(rng, height - 1, leaves, operators), random_tree(
        rng, int(rng.integers(0, height)), leaves, operators)
    left, right = (tall, short) if rng.random() < 0.5 else (short, tall)
    return (str(rng.choice(operators)), left, right)


def arithmetic_trees(n=10000, depths=(1, 2, 3, 4), modulus=10, seed=0, operators=("+", "-", "*")):
    """Nested expressions over digits with their value modulo `modulus`; heights drawn from `depths`.

    `operators` from `OPERATORS`: "+", "-", "*" (arithmetic mod 10) and "max", "min" (the binary core of
    ListOps, Nangia & Bowman 2018).

    Examples:
    >>> data = arithmetic_trees(3, depths=(2,), seed=1)
    >>> len(data), data.depths().tolist()
    (3, [2, 2, 2])
    """
    unknown = set(operators) - set(OPERATORS)
    if unknown:
        raise ValueError(f"Unknown operators {sorted(unknown)}; choose from {sorted(OPERATORS)}.")
    rng = np.random.default_rng(seed)
    trees = [random_tree(rng, int(rng.choice(depths)), operators=tuple(operators)) for _ in range(n)]
    return TreeData(trees, [evaluate(t, modulus) for t in trees], [str(v) for v in range(modulus)],
                    name=f"{' '.join(operators)} mod {modulus}, heights {'/'.join(map(str, depths))}, seed {seed}")


def flat_vocabulary(trees):
    """Token → id for the flat text form (tree tokens plus the parentheses), for sequence-model baselines."""
    vocabulary = tree_vocabulary(trees)
    for bracket in "()":
        vocabulary.setdefault(bracket, len(vocabulary) + 1)
    return vocabulary


def encode_flat(trees, vocabulary):
    """The parenthesised texts of `trees` as right-padded id sequences (int32, 0 = padding)."""
    rows = [[vocabulary[t] for t in to_text(tree).split()] for tree in trees]
    unknown = {t for tree in trees for t in to_text(tree).split() if t not in vocabulary}
    if unknown:
        raise ValueError(f"Tokens {sorted(unknown)} are not in the vocabulary.")
    out = np.zeros((len(rows), max(len(r) for r in rows)), "int32")
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def classify(model, texts):
    """Classes of fully parenthesised expressions with a trained tree model (any form `TrainedModel.of` takes),
    like `predict_text`:
    one `{"label", "probability", "probabilities"}` dict per text. Expressions higher than the model's
    `max_depth`, or with tokens outside its vocabulary, get an error that says so."""
    from rnnzoo.trained import TrainedModel

    trained = TrainedModel.of(model)
    model, card = trained.model, trained.card
    vocabulary = card.get("vocabulary")
    if not vocabulary or card.get("input") != "trees":
        raise ValueError("This model does not read trees (its card has no tree vocabulary); use a model trained by "
                         "rnnzoo.train with a tree model (tree_lstm_classifier, recursive_classifier).")
    if isinstance(texts, str):
        texts = [texts]
    trees = []
    for text in texts:
        try:
            trees.append(parse(text))
        except ValueError as e:
            raise ValueError(f"{e} Known tokens: {' '.join(sorted(vocabulary))}.") from None
    max_depth = int(model.get_layer("tree").max_depth)
    probabilities = trained.predict(list(encode_trees(trees, vocabulary, max_depth)), batch_size=256)
    labels = card.labels or [str(i) for i in range(probabilities.shape[-1])]
    return [{"label": labels[int(p.argmax())], "probability": float(p.max()),
             "probabilities": {label: float(v) for label, v in zip(labels, p)}} for p in probabilities]


OPTIONS = {"split": (0.8, 0.1, 0.1), "trees": 10000, "heights": (1, 2, 3, 4), "operators": ("max", "min")}
"""A tree classifier's training options (`rnnzoo.train`):

    split: tuple. Train/validation/test fractions when no validation_data is given.
    trees, heights, operators: with data="trees", the synthetic expressions drawn (`arithmetic_trees`).
"""


def prepare(spec, data, config, validation_data=None, test_data=None):
    """The `Plan` of a tree model (`rnnzoo.train`): trees encoded for `TreeRecurrent`, trained with as many levels
    as its training trees have; a copy with more levels (the weights do not depend on `max_depth`) scores deeper
    test trees. `test_data` may be a dict of named test sets (e.g. by height); the metrics give the accuracy on
    each (`metrics["accuracy"][name]`)."""
    from rnnzoo.fitting import Plan
    from rnnzoo.trained import TrainedModel

    option, seed = config.task.get, config.seed
    if isinstance(data, str):
        if data != "trees":
            raise ValueError(f"Tree models train on TreeData or the synthetic 'trees'; got {data!r}.")
        data = arithmetic_trees(int(option("trees")), depths=tuple(option("heights")), seed=seed,
                                operators=tuple(option("operators")))
    if validation_data is None:
        if test_data is not None:
            raise ValueError("Pass validation_data with test_data (early stopping needs it), or neither to split.")
        train, validation, test = data.split(tuple(option("split")), seed=seed)
        tests, method = {"test": test}, "fractions"
    else:
        train, validation, method = data, validation_data, "explicit"
        tests = test_data if isinstance(test_data, dict) else ({} if test_data is None else {"test": test_data})
    empty = [key for key, d in {"train": train, "validation": validation, **tests}.items() if not len(d)]
    if empty:
        raise ValueError(f"Empty datasets: {empty}; every set needs at least one tree.")
    vocabulary = tree_vocabulary(train.trees)
    train_depth = max(int(d.depths().max()) for d in (train, validation))
    test_depth = max([train_depth] + [int(d.depths().max()) for d in tests.values()])
    card = ModelCard(model=spec.name, task=spec.task, labels=list(train.label_names),
                     settings={"vocabulary": vocabulary, "input": "trees"},
                     data=DataRecord(source=data.name, fingerprint=data.fingerprint(), examples=len(data)),
                     split=SplitRecord(method=method, seed=seed,
                                       fractions=list(option("split")) if method == "fractions" else None,
                                       counts={"train": len(train), "validation": len(validation),
                                               **{f"test {k}": len(d) for k, d in tests.items()}},
                                       held_out_fingerprint=tests["test"].fingerprint() if "test" in tests else None),
                     training={"model_options": dict(config.model)})
    build = {"vocabulary_size": len(vocabulary) + 1, "num_classes": len(train.label_names), "max_depth": train_depth}

    def deepen(model, rebuild):
        if test_depth <= train_depth:
            return model
        deeper = rebuild(**{**build, "max_depth": test_depth})
        deeper.set_weights(model.get_weights())
        return deeper

    def accuracy(model):
        trained = TrainedModel(model, card, spec.task)
        return {"accuracy": {str(key): float(np.mean(
            trained.predict(list(encode_trees(d.trees, vocabulary, test_depth)), batch_size=256).argmax(-1)
            == np.array(d.labels))) for key, d in tests.items()}}

    def arrays(d):
        return encode_trees(d.trees, vocabulary, train_depth), np.array(d.labels)

    return Plan(card=card, train=arrays(train), validation=arrays(validation), build=build, evaluate=accuracy,
                finalize=deepen, shuffle=True, details={"splits": (train, validation, tests)})
