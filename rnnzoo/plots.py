"""Matplotlib helpers: training curves, attention heat maps and forecasts."""


def _axes(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(histories, metric="loss", ax=None):
    """Plots training and validation curves of one or more `fit` histories.

    Args:
        histories: dict of name → history dict (`FitResult.history` or `keras.callbacks.History.history`).
        metric: str. The metric to plot ("loss", "accuracy", ...); `val_<metric>` is drawn dashed.
        ax: matplotlib Axes or None.

    Examples:
    >>> plot_history({"bahdanau": result.history})  # doctest: +SKIP
    """
    ax = _axes(ax, (5, 3.5))
    for name, history in histories.items():
        if metric not in history:
            raise ValueError(f"History {name!r} has no {metric!r}; it has {sorted(history)}.")
        line, = ax.plot(range(1, len(history[metric]) + 1), history[metric], marker="o", label=f"{name} train")
        if f"val_{metric}" in history:
            ax.plot(range(1, len(history[f"val_{metric}"]) + 1), history[f"val_{metric}"], marker="o",
                    linestyle="--", color=line.get_color(), label=f"{name} validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    return ax


def plot_attention(translation, ax=None, cmap="viridis"):
    """Draws the attention weights of a `Translation` (from `translate(..., details=True)`) as a heat map:
    one row per output token (and [END]), one column per source token.

    Examples:
    >>> plot_attention(rnnzoo.translate(model, "3 March 1999", details=True))  # doctest: +SKIP
    """
    if getattr(translation, "attention", None) is None:
        raise ValueError("This translation has no attention weights: decode with details=True using an "
                         "attention model (the fixed-context baseline has none).")
    weights = translation.attention
    ax = _axes(ax, (0.35 * weights.shape[1] + 2, 0.35 * weights.shape[0] + 1.5))
    ax.imshow(weights, cmap=cmap, aspect="auto", vmin=0.0, vmax=1.0)
    source = [repr(t)[1:-1] if t.strip() else "␣" for t in translation.source_tokens]
    target = [repr(t)[1:-1] if t.strip() else "␣" for t in translation.tokens] + ["[END]"]
    ax.set_xticks(range(len(source)), source, fontsize=8)
    ax.set_yticks(range(len(target)), target[: weights.shape[0]], fontsize=8)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    return ax


def plot_forecast(result, step=1, ax=None, context=None):
    """Plots held-out values, the model's `step`-ahead forecasts and the seasonal-naive ones (walk-forward).

    Args:
        result: the `FitResult` of `rnnzoo.train` for a forecaster.
        step: int. Which horizon step to draw (1 = one step ahead).
        context: int or None. Rows of history drawn before the test period (default: 3 × the test period).

    Examples:
    >>> plot_forecast(rnnzoo.train("gru_forecaster", "sunspots", input_length=22, season=11))  # doctest: +SKIP
    """
    horizon = result.predictions.shape[1]
    if not 1 <= int(step) <= horizon:
        raise ValueError(f"step must be between 1 and the horizon {horizon}; got {step!r}.")
    ax = _axes(ax, (9, 3))
    target = result.forecaster.target
    rows = result.test_origins + int(step)
    first = max(0, int(rows[0]) - (context if context is not None else 3 * len(rows)))
    times = result.times
    ax.plot(times[first:], result.values[first:, target], color="0.3", linewidth=1, label="observed")
    ax.plot(times[rows], result.predictions[:, step - 1], label=f"{result.forecaster.model.name}, {step} ahead")
    ax.plot(times[rows], result.naive[:, step - 1], linestyle="--", linewidth=1, label="seasonal naive")
    ax.axvline(times[int(result.test_origins[0]) + 1], color="0.6", linestyle=":", linewidth=1)
    ax.set_xlabel("time")
    ax.legend(fontsize=8)
    return ax
