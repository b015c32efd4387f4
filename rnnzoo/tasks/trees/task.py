"""The tree-classification task: a binary tree → a class at its root."""

from rnnzoo.task import Verb, register_task
from rnnzoo.tasks.labels import LabelTask
from rnnzoo.tasks.trees.model import example_batch


class TreeClassifierTask(LabelTask):
    """Recursive nets over binary trees (inputs: tokens, children, levels)."""

    name = "tree_classifier"
    tree_input = True  # inputs are `encode_trees` arrays, not token sequences
    train_defaults = {"epochs": 200, "patience": 8, "batch_size": 64, "learning_rate": 3e-3, "minutes": 5.0,
                      "verbose": 0}

    def trainer(self):
        import rnnzoo.tasks.trees.data as trainer

        return trainer

    def example_data(self, seed=0):
        from rnnzoo.tasks.trees.data import arithmetic_trees

        return arithmetic_trees(96, depths=(1, 2), seed=seed, operators=("max", "min"))

    def example_requests(self, data, directory):
        import os

        texts = data.texts()
        listing = os.path.join(directory, "expressions.tsv")
        with open(listing, "w") as f:
            f.write("".join(f"{t}\t{data.label_names[y]}\n" for t, y in zip(texts[:8], data.labels[:8])))
        return texts[:3], listing

    example_batch = staticmethod(example_batch)

    def evaluate_saved(self, trained, data, **options):
        """Accuracy on trees (a `TreeData`, e.g. from `arithmetic_trees`) or a TSV of `expression<TAB>label` lines,
        per tree height and overall."""
        import os

        from rnnzoo.datasets.files import load_pairs_tsv
        from rnnzoo.tasks.trees.data import classify, depth, parse

        if isinstance(data, (str, os.PathLike)):
            pairs = load_pairs_tsv(data)
            sources, targets, described = list(pairs.sources), list(pairs.targets), os.fspath(data)
        elif hasattr(data, "texts") and hasattr(data, "labels") and hasattr(data, "label_names"):
            sources, targets = list(data.texts()), [data.label_names[y] for y in data.labels]
            described = "the trees given"
        else:
            raise TypeError(f"A tree classifier evaluates on trees (rnnzoo.tasks.trees.data.arithmetic_trees(...)) or "
                            f"a TSV file of 'expression<TAB>label' lines; got {type(data).__name__}.")
        predicted = [r["label"] for r in classify(trained, sources)]
        right = [p == t for p, t in zip(predicted, targets)]
        heights = [depth(parse(text)) for text in sources]
        by_height = {str(h): sum(r for r, g in zip(right, heights) if g == h) / heights.count(h)
                     for h in sorted(set(heights))}
        return {"evaluated_on": f"all of {described} ({len(right)} expressions)", "examples": len(right),
                "accuracy": sum(right) / len(right), "accuracy_by_height": by_height}

    def verbs(self):
        def run(trained, texts, options):
            from rnnzoo.tasks.trees.data import classify

            return [{"text": t, "prediction": p} for t, p in zip(texts, classify(trained, texts))]

        return [Verb("predict", "classify fully parenthesised expressions, e.g. '( 3 max ( 4 min 2 ) )'", run)]


TASK = register_task(TreeClassifierTask())
