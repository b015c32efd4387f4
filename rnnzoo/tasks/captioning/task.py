"""The captioning task: an image → a caption (one-to-many), decoded greedily or by beam."""

from rnnzoo.task import Verb, register_task
from rnnzoo.tasks.captioning.model import example_batch
from rnnzoo.tasks.seq2seq.task import DecoderTask


class CaptionerTask(DecoderTask):
    """Teacher-forced image → text decoder."""

    name = "captioner"
    text_field = None  # images in; the caption vocabulary is fitted by `prepare_training`
    train_defaults = {"epochs": 30, "batch_size": 64, "learning_rate": 2e-3, "patience": 4, "verbose": 0}

    def trainer(self):
        import rnnzoo.tasks.captioning.caption as trainer

        return trainer

    def example_data(self, seed=0):
        from rnnzoo.tasks.captioning.caption import scenes

        data = scenes(96, image_size=16, two_objects=0.0, seed=seed)
        data.name = "example_scenes"  # user data: split by fractions, not fresh scenes
        return data

    def example_requests(self, data, directory):
        import os

        import numpy as np
        from PIL import Image

        files = []
        for i, image in enumerate(data.images[:3]):
            files.append(os.path.join(directory, f"scene{i}.png"))
            Image.fromarray((np.clip(image, 0, 1) * 255).astype("uint8")).save(files[-1])
        listing = os.path.join(directory, "captions.tsv")
        with open(listing, "w") as f:
            f.write("".join(f"{os.path.basename(p)}\t{c}\n" for p, c in zip(files, data.captions)))
        return files, listing

    def evaluate_saved(self, trained, data, beam_width=1, **options):
        """Exact match and BLEU-4 on a TSV of `image<TAB>caption` lines (new images: the synthetic scenes a
        preset was trained on are generated, never stored, so any file is data the model did not see)."""
        import numpy as np

        from rnnzoo.datasets.files import load_labelled_files
        from rnnzoo.tasks.captioning.caption import CaptionData, evaluate_captions, read_image

        files, captions = load_labelled_files(data, "image")
        images = np.stack([read_image(f, trained.model.inputs[0].shape[1:]) for f in files])
        scores = evaluate_captions(trained, CaptionData(images, captions), beam_width=beam_width)
        return {"evaluated_on": f"all of {data} ({len(files)} images)", "examples": len(files), **scores}

    def verbs(self):
        def run(trained, files, options):
            import numpy as np

            from rnnzoo.tasks.captioning.caption import caption, read_image

            images = np.stack([read_image(f, trained.model.inputs[0].shape[1:]) for f in files])
            return [{"file": f, "caption": c} for f, c in zip(files, caption(trained, images, beam_width=options.beam))]

        return [Verb("caption", "caption image files (PNG, JPEG, ...; resized to the model's input size)", run,
                     options=((("--beam",), dict(type=int, default=1, help="beam width (1: greedy)")),),
                     render=lambda r: f"{r['file']}: {r['caption']}")]

    example_batch = staticmethod(example_batch)


TASK = register_task(CaptionerTask())
