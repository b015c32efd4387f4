"""The model registry: `register_model`, `build`, `list_models`."""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One registered model: its builder, the task it solves, defaults and tiny test settings."""

    name: str
    builder: Callable[..., Any]
    task: str
    defaults: dict
    tiny: dict
    description: str = ""
    text: dict = dataclasses.field(default_factory=dict)

    def options(self) -> list[str]:
        """Names of the keyword arguments `build(name, ...)` accepts."""
        params = inspect.signature(self.builder).parameters
        names = {p for p, v in params.items() if v.kind == v.KEYWORD_ONLY and p != "name"}
        if any(v.kind == v.VAR_KEYWORD for v in params.values()):
            from rnnzoo.layers.trunk import TRUNK_OPTIONS  # builders forward **options to the shared trunk

            names |= set(TRUNK_OPTIONS)
        return sorted(names)


_REGISTRY: dict[str, ModelSpec] = {}


def load_builtins() -> None:
    """Registers the built-in models and tasks (imports `rnnzoo.tasks` once; `import rnnzoo` alone stays light).
    Every lookup here and in `rnnzoo.task` calls it first."""
    import importlib
    import sys

    if "rnnzoo.tasks" not in sys.modules:
        importlib.import_module("rnnzoo.tasks")


def register_model(name: str, builder: Callable[..., Any], *, task: str, defaults: dict | None = None,
                   tiny: dict | None = None, description: str = "", text: dict | None = None) -> ModelSpec:
    """Registers a model builder under `name`.

    Args:
        name: str. Lower-case registry name, e.g. "bilstm_classifier".
        builder: callable. Takes keyword-only options (and `name`) and returns a `keras.Model`.
        task: str. The task the model solves; selects loss, metrics and data handling ("classifier",
            "tagger", "language_model").
        defaults: dict. Options applied before the user's overrides (e.g. `cell="gru"`).
        tiny: dict. Small settings used by the shared tests (vocabulary ≤ 50, units ≤ 16).
        description: str. One line shown by `rnnzoo list`.
        text: dict. Defaults of the text pipeline used when training from text (e.g. `{"level": "char"}`).

    Examples:
    >>> register_model("my_gru_classifier", build_classifier, task="classifier",
    ...                defaults={"cell": "gru"}, tiny={"vocabulary_size": 30, "units": 8})  # doctest: +SKIP
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"Model names are lower-case identifiers like 'bilstm_classifier'; got {name!r}.")
    if name in _REGISTRY:
        raise ValueError(f"A model named {name!r} is already registered; choose another name.")
    if not callable(builder):
        raise ValueError(f"`builder` for {name!r} must be callable; got {type(builder).__name__}.")
    spec = ModelSpec(name, builder, task, dict(defaults or {}), dict(tiny or {}), description, dict(text or {}))
    unknown = set(spec.defaults) | set(spec.tiny)
    unknown -= set(spec.options())
    if unknown:
        raise ValueError(f"{name!r}: defaults/tiny name options the builder does not take: {sorted(unknown)}.")
    _REGISTRY[name] = spec
    return spec


def get_spec(name: str, tasks: Iterable[Any] | None = None, hint: str | None = None) -> ModelSpec:
    """Returns the `ModelSpec` registered under `name`; an unknown name raises ValueError with close matches.

    With `tasks` (task names or task objects), a model of another task raises ValueError naming `hint` (what to
    use instead)."""
    if not isinstance(name, str):
        raise ValueError(f"Model names are strings; got {type(name).__name__}. See rnnzoo.list_models().")
    load_builtins()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown model {name!r}.{hint} rnnzoo.list_models() lists all {len(_REGISTRY)} models.")
    spec = _REGISTRY[name]
    names = [getattr(t, "name", t) for t in tasks or ()]
    if tasks is not None and set(names).isdisjoint({spec.task}):
        raise ValueError(f"{name!r} is a {spec.task} model; use {hint or 'a model of ' + names[0]}.")
    return spec


def build(name: str, **overrides: Any) -> Any:
    """Builds the registered model `name` with its defaults updated by `overrides`.

    Args:
        name: str. A name from `list_models()`.
        **overrides: builder options, e.g. `vocabulary_size=20000, num_classes=2, units=256`.

    Returns:
        An uncompiled `keras.Model` named `name`.

    Examples:
    >>> model = build("bilstm_classifier", vocabulary_size=200, num_classes=2, units=8)
    >>> model.output_shape
    (None, 2)
    """
    spec = get_spec(name)
    unknown = set(overrides) - set(spec.options())
    if unknown:
        bad = sorted(unknown)
        hints = {b: difflib.get_close_matches(b, spec.options(), n=1) for b in bad}
        hint = "; ".join(f"{b!r} (did you mean {h[0]!r}?)" if h else repr(b) for b, h in hints.items())
        raise ValueError(f"{name!r} does not take {hint}. Valid options: {', '.join(spec.options())}.")
    return spec.builder(name=name, **{**spec.defaults, **overrides})


def find_spec(name: str) -> ModelSpec | None:
    """The `ModelSpec` registered under `name`, or None."""
    load_builtins()
    return _REGISTRY.get(name)


def list_models(pattern: str | None = None) -> list[str]:
    """Lists registered model names, optionally filtered by a shell-style pattern such as "*lstm*".

    Examples:
    >>> "bilstm_classifier" in list_models("*classifier")
    True
    """
    load_builtins()
    names = sorted(_REGISTRY)
    if pattern is not None:
        names = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
    return names
