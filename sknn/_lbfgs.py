"""The 'lbfgs' solver: scipy's L-BFGS-B over the flat weights, full batch.

The engine computes the loss and its gradient over all samples; scipy
drives the iterations.  An interrupt (Ctrl-C) keeps the last iterate scipy
accepted.
"""

import warnings

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from sklearn.exceptions import ConvergenceWarning


def _minimize(est, session, state):
    x0 = session.flat_weights()
    # the last accepted iterate: where an interrupt leaves the model
    last = {"x": x0, "fun": np.nan, "nit": 0}

    def accepted(intermediate_result):
        last["x"] = np.array(intermediate_result.x, copy=True)
        last["fun"] = float(intermediate_result.fun)
        last["nit"] += 1
        state.loss_curve.append(last["fun"])

    try:
        return minimize(
            session.loss_and_grad,
            x0,
            args=(est.alpha,),
            jac=True,
            method="L-BFGS-B",
            options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
            callback=accepted,
        )
    except KeyboardInterrupt:
        if not np.all(np.isfinite(last["x"])):
            raise
        warnings.warn(
            "Training interrupted by the user (KeyboardInterrupt) after "
            f"{last['nit']} L-BFGS iterations; the model keeps the last "
            "accepted iterate.",
            UserWarning,
        )
        return OptimizeResult(
            x=last["x"],
            fun=last["fun"],
            nit=last["nit"],
            status=0,
            message="interrupted",
        )


def run_lbfgs(est, session, state, n_samples):
    """Fit with L-BFGS from the session's weights, recording into ``state``."""
    if est.verbose:
        print("Fitting with L-BFGS (scipy), full batch")
    res = _minimize(est, session, state)
    if not np.all(np.isfinite(res.x)):
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data "
            "may contain large values and need to be preprocessed."
        )
    session.set_flat_weights(res.x)
    # scikit-learn: the iterations of this call, at most max_iter
    state.n_iter = min(int(res.nit), est.max_iter)
    state.epochs_done += state.n_iter
    state.t += n_samples * state.n_iter
    state.loss = float(res.fun)
    if state.best_loss is not None:
        state.best_loss = min(state.best_loss, float(res.fun))
    state.learning_rate_init = None
    state.optimizer_state = None
    if res.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {res.nit} iteration(s) "
            f"(status={res.status}): {res.message}. Increase max_iter or "
            "max_fun, or scale the data.",
            ConvergenceWarning,
        )
