"""Every private or version-fragile API of scikit-learn and torch that sknn uses.

Each entry says which releases it was checked against and what happens when
it is missing, so that an upgrade that breaks one breaks it here, in one
place, with a fallback where one exists.

scikit-learn's entries are imported when this module is; torch's are looked
up on first use, so the estimator side can import this module without
importing torch.

Checked against scikit-learn 1.6.1 and 1.9.1, torch 2.11 and 2.13.
"""

# -- scikit-learn ----------------------------------------------------------
# _fit_context: validates the parameters once per fit and scopes
# set_config(skip_parameter_validation) for nested estimators; present
# since 1.3, the decorator every scikit-learn estimator's fit carries.
from sklearn.base import _fit_context  # noqa: F401

# _safe_indexing / _num_samples: row selection and counting for any array
# container (numpy, pandas, sparse); private, stable since 0.24.
from sklearn.utils._indexing import _safe_indexing  # noqa: F401

# check_matplotlib_support: the "matplotlib is required" error of the
# displays; private, stable since 0.22.
from sklearn.utils._optional_dependencies import (  # noqa: F401
    check_matplotlib_support,
)

# The constraint objects of _parameter_constraints; private module, stable
# since 1.2 (what every scikit-learn estimator uses).
from sklearn.utils._param_validation import (  # noqa: F401
    Interval,
    Options,
    StrOptions,
)

# _check_sample_weight: sample_weight validated as scikit-learn's own
# estimators do (shape, dtype, ensure_non_negative since 1.0).
from sklearn.utils.validation import (  # noqa: F401
    _check_sample_weight,
    _num_samples,
)

try:  # scikit-learn >= 1.9: callbacks such as ProgressBar, also through
    # GridSearchCV and Pipeline, which hand theirs down to the estimator
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # older scikit-learn: no callbacks, nothing else changes

    class CallbackSupportMixin:
        pass


# BaseEstimator._validate_params: checks the parameters against
# _parameter_constraints and raises InvalidParameterError naming the
# parameter; private, present since 1.2 (what _fit_context calls).
def validate_params(estimator):
    estimator._validate_params()


# -- torch -----------------------------------------------------------------
_FUSED_ADAM = {}  # (device type, dtype) -> whether the fused kernel works


def fused_adam_step(params, grads, m, v, step, *, lr, beta1, beta2, eps):
    """torch's fused Adam kernel on one flat tensor (``torch._fused_adam_``,
    private; checked on torch 2.11-2.13, CPU and CUDA).  Callers check
    :func:`fused_adam_available` first."""
    import torch

    torch._fused_adam_(
        [params],
        [grads],
        [m],
        [v],
        [],
        [step],
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        weight_decay=0.0,
        eps=eps,
        amsgrad=False,
        maximize=False,
    )


def fused_adam_available(params):
    """Whether the fused Adam kernel runs for this device and dtype: tried
    once on a scratch tensor and compared with the plain update; any
    failure (the op missing, renamed, or its signature changed) means the
    plain update is used."""
    import torch

    key = (params.device.type, params.dtype)
    if key not in _FUSED_ADAM:
        ok = hasattr(torch, "_fused_adam_")
        if ok:
            try:
                kw = dict(dtype=params.dtype, device=params.device)
                p, g = torch.ones(3, **kw), torch.full((3,), 0.5, **kw)
                m, v = torch.zeros(3, **kw), torch.zeros(3, **kw)
                step = torch.ones((), dtype=torch.float32, device=params.device)
                fused_adam_step(
                    p, g, m, v, step, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8
                )
                # first step of Adam moves each weight by lr (up to eps)
                ok = bool(torch.allclose(p, torch.full_like(p, 0.9), atol=1e-5))
            except (RuntimeError, NotImplementedError, TypeError):
                ok = False
        _FUSED_ADAM[key] = ok
    return _FUSED_ADAM[key]


def aten():
    """``torch.ops.aten``: the activations' backward kernels
    (``threshold_backward``, ``tanh_backward``, ``sigmoid_backward``,
    ``leaky_relu_backward``, ``elu_backward``, ``gelu_backward``,
    ``silu_backward``), called with their positional signatures of torch
    2.0-2.13.  tests/test_engine.py checks every one against autograd, so a
    changed signature fails there first."""
    import torch

    return torch.ops.aten


class _WritableView:
    """The ``__array_interface__`` of a read-only array with its read-only
    flag cleared (and the array kept alive): ``np.asarray`` of it is a
    writeable view of the same memory, no copy."""

    def __init__(self, a):
        interface = dict(a.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface
        self.base = a


def tensor_from_numpy(a):
    """``torch.as_tensor`` without a copy, also for read-only arrays
    (memmaps).  torch warns that writing into a tensor over a read-only
    array is undefined; sknn never writes into the caller's data, so such an
    array is handed to torch as a writeable view of the same memory and torch
    has nothing to warn about.  (Not ``warnings.catch_warnings``: it swaps
    the process-wide filter list, which threads predicting at once would
    leave modified.)  Public numpy protocol (``__array_interface__``, its
    ``data`` tuple's read-only flag), stable since numpy 1.x."""
    import numpy as np
    import torch

    a = np.asarray(a)
    if not a.flags.writeable:
        a = np.asarray(_WritableView(a))
    return torch.as_tensor(a)
