"""Hidden-unit diagnostics (numpy only): telling good training from bad."""

import numpy as np

# Where each activation is flat: a unit sitting there passes no gradient.
_FLAT = {
    "relu": lambda a: a <= 0,
    "leaky_relu": lambda a: a <= 0,
    "elu": lambda a: a <= -0.95,
    "gelu": lambda a: a <= -0.1,
    "silu": lambda a: a <= -0.2,
    "tanh": lambda a: np.abs(a) >= 0.97,
    "logistic": lambda a: (a <= 0.03) | (a >= 0.97),
    "identity": lambda a: np.zeros(a.shape, dtype=bool),
}


def summarize_layer(a, activation, saturation=0.95):
    """Summary statistics of one hidden layer's activations ``a``
    (n_samples, n_units); see :meth:`BaseMLP.hidden_unit_summary`."""
    a = np.asarray(a, dtype=np.float64)
    n_samples, n_units = a.shape
    std = a.std(axis=0)
    scale = np.abs(a).mean(axis=0) + 1e-12
    dead = std <= 1e-6 * np.maximum(scale, 1.0)
    flat = _FLAT[activation](a).mean(axis=0) >= saturation if n_samples else dead
    near_zero = np.abs(a) <= 1e-3 * (np.abs(a).max() + 1e-12)
    live = ~dead
    if live.sum() >= 2 and n_samples >= 2:
        corr = np.corrcoef(a[:, live], rowvar=False)
        iu = np.triu_indices_from(corr, k=1)
        mean_corr = float(np.nanmean(np.abs(corr[iu])))
    else:
        mean_corr = float("nan")
    return {
        "n_units": int(n_units),
        "dead": float(dead.mean()) if n_units else 0.0,
        "saturated": float(flat.mean()) if n_units else 0.0,
        "sparsity": float(near_zero.mean()) if a.size else 0.0,
        "mean_abs_correlation": mean_corr,
    }
