import keras
import pytest

import rnnzoo
from rnnzoo.tasks import build_classifier
from rnnzoo.registry import _REGISTRY, register_model


def test_build_the_readme_example():
    model = rnnzoo.build("bilstm_classifier", vocabulary_size=20000, num_classes=2)
    assert isinstance(model, keras.Model) and model.output_shape == (None, 2)


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):
        register_model("bilstm_classifier", build_classifier, task="classifier")


def test_register_and_build_a_new_model():
    try:
        register_model("test_gru3_classifier", build_classifier, task="classifier",
                       defaults={"cell": "gru", "num_layers": 3}, tiny={"vocabulary_size": 20, "units": 4})
        model = rnnzoo.build("test_gru3_classifier", vocabulary_size=20, units=4)
        assert sum(isinstance(l, keras.layers.GRU) for l in model.layers) == 3
    finally:
        _REGISTRY.pop("test_gru3_classifier", None)


def test_register_rejects_bad_names_and_options():
    with pytest.raises(ValueError, match="lower-case"):
        register_model("Bad Name", build_classifier, task="classifier")
    with pytest.raises(ValueError, match="does not take"):
        register_model("bad_options", build_classifier, task="classifier", defaults={"nonsense": 1})


def test_unknown_name_lists_close_matches():
    with pytest.raises(ValueError, match="Did you mean: bilstm_classifier"):
        rnnzoo.build("bilstm_clasifier")
    with pytest.raises(ValueError, match="Unknown model"):
        rnnzoo.build("transformer")
    with pytest.raises(ValueError, match="strings"):
        rnnzoo.build(3)


def test_unknown_option_is_named_with_a_suggestion():
    with pytest.raises(ValueError, match="'unitz' \\(did you mean 'units'\\?\\)"):
        rnnzoo.build("bilstm_classifier", vocabulary_size=10, unitz=3)


def test_list_models_pattern():
    assert rnnzoo.list_models("*tagger") == sorted(n for n in rnnzoo.list_models() if n.endswith("tagger"))
    assert rnnzoo.list_models("nothing*") == []
    assert rnnzoo.list_models() == sorted(rnnzoo.list_models())


def test_bad_builder_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="num_classes"):
        rnnzoo.build("lstm_classifier", vocabulary_size=10, num_classes=1)
    with pytest.raises(ValueError, match="bidirectional"):
        rnnzoo.build("lstm_language_model", vocabulary_size=10, bidirectional=True)
    with pytest.raises(ValueError, match="vocabulary_size"):
        rnnzoo.build("lstm_classifier")
    with pytest.raises(ValueError, match="Unknown cell"):
        rnnzoo.build("lstm_classifier", vocabulary_size=10, cell="transformer")


def test_compile_helper_defaults_and_errors():
    model = rnnzoo.build("gru_classifier", vocabulary_size=10, units=4)
    rnnzoo.compile_model(model)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.clipnorm == 1.0
    rnnzoo.compile_model(model, optimizer="rmsprop", clipnorm=None, learning_rate=0.01)
    assert model.optimizer.clipnorm is None
    with pytest.raises(ValueError, match="Unknown optimizer"):
        rnnzoo.compile_model(model, optimizer="nope")
    anonymous = keras.Sequential([keras.layers.Dense(1)], name="custom")
    with pytest.raises(ValueError, match="Cannot tell which task"):
        rnnzoo.compile_model(anonymous)
