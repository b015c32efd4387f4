"""One-to-many: synthetic scenes and their captions, BLEU, and a captioner trained and decoded greedy and beam."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo.tasks.captioning.caption import COLOURS, SHAPES, bleu, caption, evaluate_captions, scenes


def test_scenes_are_reproducible_and_captions_follow_the_grammar():
    a, b = scenes(50, seed=3), scenes(50, seed=3)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.captions == b.captions and a.images.min() >= 0 and a.images.max() <= 1
    for text in a.captions:
        words = text.split()
        assert words[0] == "a" and words[1] in COLOURS and words[2] in SHAPES
        if len(words) > 3:  # "a red circle left of a blue square" / "a red circle above a blue square"
            relation = words[3:-3]
            assert relation in (["left", "of"], ["above"]) and words[-3] == "a", text
            assert words[-2] in COLOURS and words[-1] in SHAPES and words[1:3] != words[-2:]


def test_caption_relation_matches_where_the_shapes_are():
    data = scenes(200, seed=0, noise=0)
    for image, text in zip(data.images, data.captions):
        words = text.split()
        if len(words) == 3 or words[1] == words[-2]:
            continue
        axis = 1 if words[3] == "left" else 0  # columns for "left of", rows for "above"
        # the first-named colour's pixels lie left of (above) the second-named colour's pixels
        columns = [np.nonzero(np.all(np.isclose(image, COLOURS[c]), axis=-1))[axis].mean() for c in (words[1], words[-2])]
        assert columns[0] < columns[1], text


def test_bleu():
    assert bleu([["a", "red", "circle", "above", "a", "blue", "square"]],
                [[["a", "red", "circle", "above", "a", "blue", "square"]]]) == pytest.approx(1.0)
    assert bleu([["x", "y", "z", "w"]], [[["a", "b", "c", "d"]]]) == 0.0
    short = bleu([["a", "red", "circle", "above"]], [[["a", "red", "circle", "above", "a", "blue", "square"]]])
    assert short == pytest.approx(np.exp(1 - 7 / 4))  # all n-grams match; only the brevity penalty remains


@pytest.fixture(scope="module")
def trained():
    return rnnzoo.train("lstm_captioner", scenes(3000, seed=0), validation_data=scenes(300, seed=1),
                        test_data=scenes(300, seed=2), epochs=12, units=64, learning_rate=3e-3, beam_width=3)


@pytest.mark.slow
def test_captioner_learns_held_out_scenes(trained):
    greedy, beam = trained.metrics["greedy"], trained.metrics["beam"]
    assert greedy["bleu"] > 0.6 and greedy["exact_match"] > 0.3, greedy
    assert beam["exact_match"] >= greedy["exact_match"] - 0.02, (greedy, beam)


@pytest.mark.slow
def test_beam_width_one_is_greedy_and_input_errors(trained):
    data = scenes(20, seed=9)
    assert caption(trained.model, data.images, beam_width=1) == caption(trained.model, data.images)
    assert evaluate_captions(trained.model, data)["examples"] == 20
    with pytest.raises(ValueError, match="floats in \\[0, 1\\]"):
        caption(trained.model, (data.images * 255).astype("uint8"))
    with pytest.raises(ValueError, match="images of shape"):
        caption(trained.model, np.zeros((1, 16, 16, 3), "float32"))
    with pytest.raises(ValueError, match="not a captioner"):
        caption("sentiment_bilstm", data.images)


@pytest.mark.slow
def test_tflite_captions_equal_keras(trained, tmp_path):
    from rnnzoo.export import TFLiteModel, export
    from rnnzoo.export.streaming import greedy_translate

    info = export(trained.model, str(tmp_path / "captioner"), saved_model=False)
    assert {"model.tflite", "encoder.tflite", "decoder_step.tflite"} <= set(info["files"])
    encoder = TFLiteModel(str(tmp_path / "captioner" / "encoder.tflite"))
    step = TFLiteModel(str(tmp_path / "captioner" / "decoder_step.tflite"))
    words = trained.trained.target_encoder
    data = scenes(8, seed=11)
    for image, expected in zip(data.images, caption(trained.model, data.images)):
        ids, _ = greedy_translate(encoder, step, image, 12)
        assert words.decode(ids[:-1] if ids[-1] == 3 else ids) == expected
