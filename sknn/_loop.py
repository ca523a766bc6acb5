"""The training loop of the stochastic solvers, and its policies.

:func:`run_epochs` is the whole loop: set the epoch's rate, run the epoch,
record it, ask the policies whether to go on.  Each policy has one job:

:class:`Schedule`
    the learning rate of each epoch ('constant', 'invscaling', 'decay',
    'cosine', 'coslog');
:class:`Stopping`
    scikit-learn's no-improvement rule on the training loss, or on the
    validation score with early stopping (which also keeps the best
    epoch's weights), and the 'adaptive' rate that it divides by 5;
:class:`Progress`
    the verbose line of each epoch and scikit-learn's callbacks.

Divergence (non-finite weights) and interrupts (Ctrl-C) are handled in the
loop itself, since they decide how it ends.  Everything a fit produces is
collected in a :class:`FitState` that the estimator commits in one step.
"""

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

_DECAY_FACTOR = 0.01  # learning_rate='decay': the rate falls 100x by the end
# learning_rate='coslog': this many cycles between the base rate and
# _COSLOG_FLOOR times it
_COSLOG_CYCLES = 4
_COSLOG_FLOOR = 0.01
_ADAPTIVE_FACTOR = 5.0  # learning_rate='adaptive' divides by this
_ADAPTIVE_FLOOR = 1e-6  # ... until the rate falls below this
# a training loss this many times its first epoch's: the fit diverged
_DIVERGENCE_FACTOR = 1e3


@dataclass
class FitState:
    """What a fit produces, committed to the estimator at its end.

    The fields map one to one to fitted attributes (``n_iter`` ->
    ``n_iter_``), except the private ones, which become ``_name``.
    """

    n_iter: int = 0
    t: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    learning_rate_curve: list = field(default_factory=list)
    best_loss: float = None
    validation_scores: list = None
    best_validation_score: float = None
    learning_rate_init: float = None
    # private: the base rate (after 'adaptive' cuts) and the optimizer's
    # moments, carried over by partial_fit; the epochs run over all the
    # calls (``n_iter_`` counts those of the current call only, as in
    # scikit-learn), which the 'decay', 'cosine' and 'coslog' schedules
    # follow
    learning_rate: float = None
    optimizer_state: dict = None
    epochs_done: int = 0
    # private: epochs in a row without improvement by tol, carried over by
    # warm_start and partial_fit as scikit-learn carries its
    # _no_improvement_count (the attribute has that name)
    no_improvement_count: int = 0
    # private: whether this call ended on a Ctrl-C (the model kept what it
    # had reached), so that an ensemble of such fits can stop there too
    stopped_by_user: bool = False

    _PRIVATE = (
        "learning_rate",
        "optimizer_state",
        "epochs_done",
        "no_improvement_count",
        "stopped_by_user",
    )

    def mark(self):
        """What an epoch changes, to put back (:meth:`rewind`) when it is
        interrupted before it is fully recorded."""
        scores = self.validation_scores
        return (
            self.n_iter,
            self.t,
            self.loss,
            len(self.loss_curve),
            len(self.learning_rate_curve),
            None if scores is None else len(scores),
            self.best_loss,
            self.best_validation_score,
            self.learning_rate,
            self.epochs_done,
            self.no_improvement_count,
        )

    def recorded_since(self, mark):
        """Whether one whole epoch was recorded since ``mark``."""
        scores = self.validation_scores
        return (
            self.n_iter == mark[0] + 1
            and len(self.loss_curve) == mark[3] + 1
            and len(self.learning_rate_curve) == mark[4] + 1
            and (scores is None or len(scores) == mark[5] + 1)
        )

    def rewind(self, mark):
        (self.n_iter, self.t, self.loss, n_loss, n_rate, n_scores) = mark[:6]
        self.best_loss, self.best_validation_score, self.learning_rate = mark[6:9]
        self.epochs_done, self.no_improvement_count = mark[9:11]
        del self.loss_curve[n_loss:]
        del self.learning_rate_curve[n_rate:]
        if n_scores is not None:
            del self.validation_scores[n_scores:]

    def attributes(self):
        out = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[f"_{name}" if name in self._PRIVATE else f"{name}_"] = value
        return out

    @classmethod
    def resume(cls, est, early, keep_optimizer):
        """The state a fit continues from: the estimator's history under
        warm_start or partial_fit (``est`` fitted), else a fresh one.

        As in scikit-learn, ``n_iter_`` restarts at 0 on every call while
        ``t_`` and ``loss_curve_`` go on.  A warm-start ``fit`` starts a new
        optimizer at ``learning_rate_init`` (forgetting 'adaptive' cuts and
        the moments); ``partial_fit`` (``keep_optimizer``) keeps both.  A
        rate found by ``learning_rate_init='auto'`` is kept either way, so
        that it is searched once.
        """
        if est is None:
            state = cls()
            state.best_loss = None if early else np.inf
            state.validation_scores = [] if early else None
            state.best_validation_score = -np.inf if early else None
            return state
        keep_rate = keep_optimizer or est.learning_rate_init == "auto"
        state = cls(
            n_iter=0,
            t=est.t_,
            loss=getattr(est, "loss_", None),
            loss_curve=list(est.loss_curve_),
            learning_rate_curve=list(getattr(est, "learning_rate_curve_", [])),
            learning_rate_init=getattr(est, "learning_rate_init_", None),
            learning_rate=getattr(est, "_learning_rate", None) if keep_rate else None,
            optimizer_state=(_saved_optimizer_state(est) if keep_optimizer else None),
            epochs_done=getattr(est, "_epochs_done", est.n_iter_),
            no_improvement_count=getattr(est, "_no_improvement_count", 0),
        )
        if early:
            was_early = getattr(est, "validation_scores_", None) is not None
            state.validation_scores = list(est.validation_scores_) if was_early else []
            state.best_validation_score = (
                est.best_validation_score_ if was_early else -np.inf
            )
        else:
            best = getattr(est, "best_loss_", None)
            state.best_loss = np.inf if best is None else best
        return state


def _saved_optimizer_state(est):
    """The optimizer state partial_fit resumes, or None when there is none or
    it belongs to another solver (the solver was changed with set_params):
    then the new solver starts afresh, with a warning."""
    saved = getattr(est, "_optimizer_state", None)
    if saved is None:
        return None
    # a state saved before states were tagged: its solver is the current one
    # if its tensors fit (load_state_dict checks)
    old = saved.get("solver", est.solver)
    if old != est.solver:
        warnings.warn(
            f"solver changed from {old!r} to {est.solver!r} since the "
            f"optimizer state was saved; partial_fit starts {est.solver!r} "
            f"with a fresh optimizer state (the {old!r} state does not apply).",
            UserWarning,
        )
        return None
    return saved


@dataclass
class EpochPlan:
    """What every epoch of one fit runs with."""

    epochs: int
    batch_size: int
    dropout: list
    n_train: int  # training rows (after the validation split)
    early: bool
    incremental: bool = False


class Schedule:
    """The rate of each epoch from the base rate (``learning_rate``)."""

    def __init__(self, kind, power_t, max_iter, incremental):
        self.kind, self.power_t, self.max_iter = kind, power_t, max_iter
        self.incremental = incremental

    def rate(self, base, state):
        if self.kind == "invscaling":
            # scikit-learn: a fit's new optimizer runs its first epoch at
            # learning_rate_init; the rate falls with the samples seen (t_,
            # carried over) from the end of that epoch on, and partial_fit
            # goes on with the optimizer's last rate
            if state.n_iter == 0 and not self.incremental:
                return base
            return base / (state.t + 1) ** self.power_t
        if self.kind == "decay":
            span = max(self.max_iter - 1, 1)
            return base * _DECAY_FACTOR ** min(state.epochs_done / span, 1.0)
        if self.kind in ("cosine", "coslog"):
            # p = t / T: the share of the schedule done before this epoch,
            # t the epochs run so far (over every call, as 'decay'), T =
            # max_iter; past T epochs (partial_fit, warm_start) p stays 1
            p = min(state.epochs_done / self.max_iter, 1.0)
            return base * (cosine(p) if self.kind == "cosine" else coslog(p))
        return base

    def exhausted(self, state):
        """Whether 'cosine' has run its course: from ``max_iter`` epochs on
        its rate is 0, so the data no longer moves the weights (only what
        is left of sgd's momentum does)."""
        return self.kind == "cosine" and state.epochs_done >= self.max_iter


def cosine(p):
    """learning_rate='cosine', the factor of the base rate at the share ``p``
    (in [0, 1]) of the schedule done: half a cosine wave from 1 down to 0,
    ``0.5 * (1 + cos(pi * p))``; 1 exactly at ``p = 0``."""
    return 0.5 * (1.0 + math.cos(math.pi * p))


def coslog(p):
    """learning_rate='coslog', the factor of the base rate at the share ``p``
    (in [0, 1]) of the schedule done: a cosine on the logarithm of the rate,
    between 1 and ``f = _COSLOG_FLOOR`` (0.01), through ``k = _COSLOG_CYCLES``
    (4) minima:

        factor(p) = f ** ((1 - cos((2k - 1) * pi * p)) / 2)

    The exponent runs 0 -> 1 -> 0 -> ... with the phase ``(2k - 1) pi p``:
    ``log(rate)`` swings from ``log(base)`` down to ``log(base * f)`` and
    back, ``k - 1`` whole cycles and a last half one, so the rate starts at
    the base rate (1 exactly at ``p = 0``), touches ``base * f`` at ``p =
    1/(2k-1), 3/(2k-1), ..., 1`` and climbs back to the base rate at ``p =
    2/(2k-1), 4/(2k-1), ...``; it ends at ``base * f`` (the last epoch of a
    fit, ``p = (T - 1) / T``, runs just above it)."""
    phase = (2 * _COSLOG_CYCLES - 1) * math.pi * p
    return _COSLOG_FLOOR ** (0.5 * (1.0 - math.cos(phase)))


class Stopping:
    """scikit-learn's rule: stop after ``n_iter_no_change`` epochs in which
    the training loss fell (or, with early stopping, the validation score
    rose) by less than ``tol``; with learning_rate='adaptive' divide the
    rate by 5 instead, until it falls below 1e-6."""

    def __init__(self, est, session, early):
        self.tol, self.patience = est.tol, est.n_iter_no_change
        self.adaptive = est.learning_rate == "adaptive"
        self.verbose = est.verbose
        self.session, self.early = session, early

    def record(self, state, loss):
        """Count the epoch (in ``state.no_improvement_count``, which goes on
        from the last call under warm_start and partial_fit); returns the
        text the verbose line adds."""
        count = state.no_improvement_count
        if not self.early:
            worse = loss > state.best_loss - self.tol
            state.best_loss = min(state.best_loss, loss)
            state.no_improvement_count = count + 1 if worse else 0
            return ""
        score = self.session.validation_score()
        worse = score < state.best_validation_score + self.tol
        state.no_improvement_count = count + 1 if worse else 0
        if score > state.best_validation_score:
            self.session.keep_best()
            state.best_validation_score = score
        # last: an epoch with its score appended is wholly recorded
        state.validation_scores.append(score)
        return f", validation score = {score:.6f}"

    def next_rate(self, base, state):
        """The base rate to go on with, or None to stop."""
        if state.no_improvement_count <= self.patience:
            return base
        what = "Validation score" if self.early else "Training loss"
        msg = (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )
        if self.adaptive and base > _ADAPTIVE_FLOOR:
            base /= _ADAPTIVE_FACTOR
            state.no_improvement_count = 0
            if self.verbose:
                print(msg + f" Setting learning rate to {base:f}")
            return base
        if self.verbose:
            tail = " Learning rate too small. Stopping." if self.adaptive else ""
            print(msg + (tail or " Stopping."))
        return None


class Progress:
    """The verbose line of each epoch and scikit-learn's callbacks (>= 1.9:
    a root task with one subtask per epoch)."""

    def __init__(self, est, n_epochs, X, y, sample_weight, reconstruction):
        self.est, self.X, self.y, self.sw = est, X, y, sample_weight
        self.reconstruction = reconstruction
        self.root = None
        if hasattr(est, "_init_callback_context"):
            self.root = est._init_callback_context(max_subtasks=n_epochs)
            self.root.call_on_fit_task_begin(estimator=est, X=X, y=y)
        self.epoch_ctx = None
        self.started = None

    def begin_epoch(self):
        self.started = time.perf_counter()
        if self.root is not None:
            self.epoch_ctx = self.root.subcontext(task_name="epoch")
            self.epoch_ctx.call_on_fit_task_begin(
                estimator=self.est, X=self.X, y=self.y
            )

    def end_epoch(self, state, rate, extra):
        """Print and notify; returns whether a callback asked to stop."""
        loss = state.loss
        if self.est.verbose:
            print(
                f"Iteration {state.n_iter}, loss = {loss:.8f}{extra}, "
                f"learning rate = {rate:.6g}, "
                f"time = {time.perf_counter() - self.started:.3f}s"
            )
        if self.root is None:
            return False
        return bool(
            self.epoch_ctx.call_on_fit_task_end(
                estimator=self.est,
                X=self.X,
                y=self.y,
                metadata={"loss": loss, "sample_weight": self.sw},
                reconstruction_attributes=self.reconstruction,
            )
        )

    def close(self):
        if self.root is not None:
            self.root.call_on_fit_task_end(estimator=self.est, X=self.X, y=self.y)


def _interrupted(state, est, session, early):
    """A Ctrl-C during the fit (the learning-rate search, an epoch, its
    validation scoring or callbacks): keep the weights reached, with a
    warning, unless they are no longer finite."""
    if not session.finite():
        return False
    warnings.warn(
        "Training interrupted by the user (KeyboardInterrupt) after "
        f"{state.n_iter} epochs; the model keeps the weights "
        "reached so far" + (" (best validation epoch)." if early else "."),
        UserWarning,
    )
    if state.loss is None:  # no epoch of a new model ended: no epoch loss
        state.loss = np.nan
    state.stopped_by_user = True
    return True


def run_epochs(est, session, state, plan, progress):
    """The epochs of one fit (an :class:`EpochPlan`); returns how the loop
    ended: 'converged' (a rule or a callback stopped it), 'interrupted' or
    'max_iter'."""
    schedule = Schedule(est.learning_rate, est.power_t, est.max_iter, plan.incremental)
    if schedule.exhausted(state):
        warnings.warn(
            f"learning_rate='cosine' has run its max_iter={est.max_iter} "
            f"epochs ({state.epochs_done} so far, partial_fit and warm_start "
            "included): the rate is 0 from there on, so this call does not "
            "learn from the data. Raise max_iter to the number of epochs "
            "planned, or fit anew.",
            UserWarning,
        )
    stopping = Stopping(est, session, plan.early)
    ended = "max_iter"
    start = state.mark()  # this call's epochs are the history after it
    for _ in range(plan.epochs):
        mark = state.mark()
        try:
            ended = _epoch(est, session, state, plan, progress, schedule, stopping)
        except KeyboardInterrupt:
            # an epoch counts once it is recorded, validation score included
            # (the last thing recorded); one cut short leaves no trace in the
            # history, only in the weights (with early stopping the best
            # epoch's are restored)
            if not state.recorded_since(mark):
                state.rewind(mark)
            if not _interrupted(state, est, session, plan.early):
                raise
            ended = "interrupted"
        if ended != "max_iter":
            break
    progress.close()
    if ended != "interrupted":
        _warn_if_diverged(state, start)
    return ended


def _warn_if_diverged(state, start):
    """scikit-learn's ConvergenceWarning when this call's epochs diverged
    without the weights becoming non-finite (which is an error, or with
    early stopping ends the fit): the training loss rose by more than
    ``_DIVERGENCE_FACTOR`` from its first epoch, or a validation score is
    not finite."""
    losses = np.asarray(state.loss_curve[start[3] :], dtype=float)
    scores = state.validation_scores
    scores = np.asarray([] if scores is None else scores[start[5] :], dtype=float)
    if losses.size < 2 or not np.isfinite(losses[0]):
        return
    first, last = losses[0], losses[-1]
    grew = not np.isfinite(last) or last > _DIVERGENCE_FACTOR * max(first, 1e-12)
    if not grew and np.isfinite(scores).all():
        return
    what = f"the training loss went from {first:.3g} to {last:.3g}"
    if not np.isfinite(scores).all():
        what += " and the validation score became non-finite"
    rate = state.learning_rate_init
    rate = state.learning_rate if rate is None else rate
    warnings.warn(
        f"Training diverged: over {losses.size} epochs {what}. Lower "
        f"learning_rate_init (the fit used {rate:.3g})"
        + (", and scale the input." if grew else "."),
        ConvergenceWarning,
    )


def _epoch(est, session, state, plan, progress, schedule, stopping):
    """One epoch of :func:`run_epochs`: returns 'max_iter' to go on, or
    'converged' when a rule or a callback stops the loop."""
    base = state.learning_rate
    rate = schedule.rate(base, state)
    progress.begin_epoch()
    loss, finite = session.epoch(rate, plan.batch_size, est.shuffle, plan.dropout)
    state.n_iter += 1
    state.epochs_done += 1
    state.t += plan.n_train
    state.loss = loss
    state.loss_curve.append(loss)
    state.learning_rate_curve.append(rate)
    if not finite:
        if not plan.early:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data "
                "may contain large values and need to be preprocessed."
            )
        state.validation_scores.append(np.nan)
        return "converged"
    extra = stopping.record(state, loss)
    if progress.end_epoch(state, rate, extra):
        return "converged"  # a callback asked to stop
    new_base = stopping.next_rate(base, state)
    if new_base is None:
        return "converged"
    state.learning_rate = new_base
    return "max_iter"


def finish(est, session, state, ended, plan, incremental):
    """After the epochs: the optimizer's state, the best epoch's weights with
    early stopping, and scikit-learn's warning when max_iter ran out."""
    state.optimizer_state = session.optimizer_state()
    if plan.early:
        # the best epoch's weights (the initial ones if no epoch scored)
        session.restore_best()
    # the tabular estimators turn the warning off for their networks when
    # their patience covers every epoch: running to max_iter is then the plan
    if (
        ended == "max_iter"
        and not incremental
        and getattr(est, "_warn_at_max_iter", True)
    ):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
            "reached and the optimization hasn't converged yet.",
            ConvergenceWarning,
        )


def validation_split(est, X, y, sw, random_state, stratify):
    """The early-stopping split of X, y and the sample weights (drawn from
    ``random_state``, as scikit-learn's), or a ValueError that names
    validation_fraction."""
    parts = [X, y] + ([sw] if sw is not None else [])
    try:
        out = train_test_split(
            *parts,
            random_state=random_state,
            test_size=est.validation_fraction,
            # scikit-learn stratifies on the binarized labels as a bool
            # column (so its error names the class 'True')
            stratify=(np.asarray(y) == 1).reshape(-1, 1) if stratify else None,
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping could not hold out validation_fraction="
            f"{est.validation_fraction} of {X.shape[0]} samples: {exc}"
        ) from exc
    X_tr, X_val, y_tr, y_val = out[:4]
    sw_tr, sw_val = (out[4], out[5]) if sw is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            f"The validation set is too small (validation_fraction="
            f"{est.validation_fraction} of {X.shape[0]} samples gives "
            f"{X_val.shape[0]}); raise validation_fraction or turn "
            "early_stopping off."
        )
    return X_tr, X_val, y_tr, y_val, sw_tr, sw_val
