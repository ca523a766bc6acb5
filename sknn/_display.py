"""Plots of a fitted network, following scikit-learn's Display convention.

A display is built with ``from_estimator``, keeps the data it plots as
attributes, and draws with ``plot(ax=...)``, which returns the display with
the matplotlib objects it made (``ax_``, ``figure_``, the artists).
matplotlib is imported only when something is plotted.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._indexing import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import _num_samples, check_is_fitted


def _final_step(estimator):
    """The model at the end of a Pipeline (or the estimator itself)."""
    if hasattr(estimator, "steps"):
        return estimator[-1]
    return estimator


def _validation_name(estimator):
    """What the validation score of ``estimator`` measures (see ``score``)."""
    from ._classes import MultiLabelMLP

    if not is_classifier(estimator):
        return "validation R^2"
    if isinstance(estimator, MultiLabelMLP) or getattr(estimator, "_multilabel", False):
        return "validation subset accuracy"
    return "validation accuracy"


_CORNERS = {  # legend location -> (x0, x1, y0, y1) in axes fraction
    "upper right": (0.55, 1.0, 0.7, 1.0),
    "lower right": (0.55, 1.0, 0.0, 0.3),
    "upper left": (0.0, 0.45, 0.7, 1.0),
    "lower left": (0.0, 0.45, 0.0, 0.3),
    "center right": (0.55, 1.0, 0.35, 0.65),
    "upper center": (0.27, 0.73, 0.7, 1.0),
    "lower center": (0.27, 0.73, 0.0, 0.3),
}


def _free_corner(ax, lines):
    """The legend location whose box covers the fewest points of ``lines``
    (which may live on twin axes sharing ``ax``'s box)."""
    to_axes = ax.transAxes.inverted()
    points = []
    for line in lines:
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if len(x) == 2 and len(y) == 2 and line.get_transform() != line.axes.transData:
            # axvline: data x, axes-fraction y; sample it along its height
            y = np.linspace(0.0, 1.0, 21)
            x = np.full_like(y, x[0])
            xy = line.get_transform().transform(np.column_stack([x, y]))
        else:
            if len(x) > 1:  # densify, so steep segments count as well
                t = np.linspace(0, len(x) - 1, 20 * len(x))
                x, y = (
                    np.interp(t, np.arange(len(x)), x),
                    np.interp(t, np.arange(len(y)), y),
                )
            xy = line.axes.transData.transform(np.column_stack([x, y]))
        points.append(to_axes.transform(xy))
    points = np.concatenate(points) if points else np.empty((0, 2))
    points = points[np.isfinite(points).all(axis=1)]

    def covered(box):
        x0, x1, y0, y1 = box
        px, py = points[:, 0], points[:, 1]
        return int(np.sum((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)))

    return min(_CORNERS, key=lambda loc: covered(_CORNERS[loc]))


class TrainingCurveDisplay:
    """Training curve of a fitted network: loss per epoch, validation score.

    Draws the training loss of every epoch (``loss_curve_``) and, when the
    model was fitted with ``early_stopping=True``, the validation score of
    every epoch on a second y-axis, with a vertical line at the best epoch:
    the one whose weights early stopping restored.

    Create it with :meth:`from_estimator`; the parameters are stored as
    attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss of each epoch.
    validation_scores : array-like of shape (n_validation_epochs,), default=None
        Validation score of each epoch, aligned with the last
        ``n_validation_epochs`` entries of ``loss_curve`` (a warm start can
        turn early stopping on after some epochs without it). ``None`` when
        there is none.
    best_epoch : int, default=None
        The epoch, numbered from 1, to mark as the best one; ``None`` draws
        no mark.
    name : str, default=None
        Name of the model, shown as the title. ``None`` shows no title.
    xlabel : str, default='epoch'
        Label of the x-axis ('L-BFGS iteration' for a model fitted with
        ``solver='lbfgs'``).
    validation_name : str, default='validation score'
        Label of the validation axis and curve.

    Attributes
    ----------
    epochs : ndarray of shape (n_epochs,)
        The epoch numbers, ``1 ... n_epochs``.
    validation_epochs : ndarray of shape (n_validation_epochs,) or None
        The epoch number of each validation score.
    ax_ : matplotlib Axes
        The axes holding the loss curve.
    ax_validation_ : matplotlib Axes or None
        The twin axes holding the validation curve.
    figure_ : matplotlib Figure
        The figure holding the axes.
    loss_line_ : matplotlib Line2D
        The training-loss curve.
    validation_line_ : matplotlib Line2D or None
        The validation-score curve.
    best_epoch_line_ : matplotlib Line2D or None
        The vertical line at ``best_epoch``.

    See Also
    --------
    HiddenUnitsDisplay : Activations of the hidden units on a sample of X.
    sklearn.inspection.DecisionBoundaryDisplay : Decision surface of a
        classifier on two features.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sknn import MLPClassifier, TrainingCurveDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:600] / 16, y[:600]
    >>> clf = MLPClassifier((32,), early_stopping=True, max_iter=15,
    ...                     random_state=0).fit(X, y)
    >>> display = TrainingCurveDisplay.from_estimator(clf)
    >>> len(display.loss_curve) == clf.n_iter_
    True
    >>> display.best_epoch == int(np.argmax(clf.validation_scores_)) + 1
    True
    >>> display.validation_line_.get_label()
    'validation accuracy'
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        best_epoch=None,
        name=None,
        xlabel="epoch",
        validation_name="validation score",
    ):
        self.loss_curve = np.asarray(loss_curve, dtype=np.float64)
        self.validation_scores = (
            None
            if validation_scores is None
            else np.asarray(validation_scores, dtype=np.float64)
        )
        self.best_epoch = best_epoch
        self.name = name
        self.xlabel = xlabel
        self.validation_name = validation_name
        n = len(self.loss_curve)
        self.epochs = np.arange(1, n + 1)
        if self.validation_scores is None:
            self.validation_epochs = None
        else:
            m = len(self.validation_scores)
            if m > n:
                raise ValueError(
                    f"validation_scores has {m} entries but loss_curve only {n}; "
                    "there is at most one validation score per epoch."
                )
            self.validation_epochs = self.epochs[n - m :]

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        name=None,
        ax=None,
        loss_kw=None,
        validation_kw=None,
        best_epoch_kw=None,
    ):
        """Plot the training curve of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance or Pipeline
            A fitted sknn estimator (scikit-learn's ``MLPClassifier`` and
            ``MLPRegressor`` work too), or a Pipeline ending in one. It must
            have a non-empty ``loss_curve_``.
        name : str, default=None
            Title of the plot; ``None`` uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        loss_kw, validation_kw, best_epoch_kw : dict, default=None
            Keyword arguments for matplotlib's ``plot`` (the two curves) and
            ``axvline`` (the best-epoch mark), overriding the defaults.

        Returns
        -------
        display : TrainingCurveDisplay
            The display, plotted.

        Notes
        -----
        Epochs are numbered from 1, as in the ``verbose`` output. The best
        epoch is the first epoch with the highest validation score (NaN
        scores, from a diverged epoch, are skipped): the epoch whose weights
        a model with ``early_stopping=True`` keeps.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        model = _final_step(estimator)
        check_is_fitted(model)
        curve = getattr(model, "loss_curve_", None)
        solver = getattr(model, "solver", None)
        if curve is None or len(curve) == 0:
            hint = (
                " (scikit-learn's MLP records none with solver='lbfgs')"
                if solver == "lbfgs"
                else ""
            )
            raise ValueError(
                f"{type(model).__name__} has no loss curve to plot: loss_curve_ "
                f"is missing or empty{hint}."
            )
        scores = getattr(model, "validation_scores_", None)
        best = None
        if scores is not None and len(scores) > 0:
            scores = np.asarray(scores, dtype=np.float64)
            if np.isfinite(scores).any():
                offset = len(curve) - len(scores)
                best = offset + int(np.nanargmax(scores)) + 1
        elif scores is not None:
            scores = None
        display = cls(
            loss_curve=curve,
            validation_scores=scores,
            best_epoch=best,
            name=type(model).__name__ if name is None else name,
            xlabel="L-BFGS iteration" if solver == "lbfgs" else "epoch",
            validation_name=_validation_name(model),
        )
        return display.plot(
            ax=ax,
            loss_kw=loss_kw,
            validation_kw=validation_kw,
            best_epoch_kw=best_epoch_kw,
        )

    def plot(
        self,
        ax=None,
        *,
        name=None,
        loss_kw=None,
        validation_kw=None,
        best_epoch_kw=None,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; ``None`` makes a new figure.
        name : str, default=None
            Title; ``None`` uses the ``name`` given at construction.
        loss_kw, validation_kw, best_epoch_kw : dict, default=None
            Keyword arguments for matplotlib's ``plot`` (the two curves) and
            ``axvline`` (the best-epoch mark), overriding the defaults.

        Returns
        -------
        display : TrainingCurveDisplay
            This display, with ``ax_``, ``figure_`` and the artists set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.name if name is None else name

        kw = {"color": "C0", "label": "training loss"}
        kw.update(loss_kw or {})
        (self.loss_line_,) = ax.plot(self.epochs, self.loss_curve, **kw)
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel("training loss")
        handles = [self.loss_line_]

        self.ax_validation_ = None
        self.validation_line_ = None
        if self.validation_scores is not None:
            self.ax_validation_ = ax.twinx()
            kw = {"color": "C1", "label": self.validation_name}
            kw.update(validation_kw or {})
            (self.validation_line_,) = self.ax_validation_.plot(
                self.validation_epochs, self.validation_scores, **kw
            )
            self.ax_validation_.set_ylabel(self.validation_name)
            handles.append(self.validation_line_)

        self.best_epoch_line_ = None
        if self.best_epoch is not None:
            kw = {
                "color": "0.4",
                "linestyle": "--",
                "linewidth": 1,
                "label": f"best epoch ({self.best_epoch})",
            }
            kw.update(best_epoch_kw or {})
            self.best_epoch_line_ = ax.axvline(self.best_epoch, **kw)
            handles.append(self.best_epoch_line_)

        # on the twin axes, when there is one: it is drawn last, on top; in
        # the corner the curves of both axes leave most free
        (self.ax_validation_ or ax).legend(
            handles=handles, loc=_free_corner(ax, handles)
        )
        if name is not None:
            ax.set_title(name)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class HiddenUnitsDisplay:
    """Hidden-unit activations of a fitted network, one image per layer.

    Each hidden layer's activations on a sample of X are drawn as an image,
    samples down and units across, titled with the layer's
    :meth:`~sknn.MLPClassifier.hidden_unit_summary`: the fraction of dead and
    of saturated units and the mean absolute correlation between units.
    This is the usual picture of good training (units respond sparsely
    and differently to different samples: a speckled image) against bad
    training (whole columns constant, or columns that all look alike).

    Create it with :meth:`from_estimator`; the parameters are stored as
    attributes.

    Parameters
    ----------
    activations : list of ndarray of shape (n_samples, n_units)
        Activations of each hidden layer, first layer first.
    summaries : list of dict
        :meth:`~sknn.MLPClassifier.hidden_unit_summary` of each layer.
    activation : str, default=None
        The hidden activation's name, which picks the default colour scale:
        -1 to 1 for 'tanh', 0 to 1 for 'logistic', and for the unbounded
        activations each layer's minimum to its 99th percentile, so that a
        few large activations do not wash out the rest.
    name : str, default=None
        Name of the model, shown as the figure's title when the display
        makes the figure.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One axes per hidden layer.
    figure_ : matplotlib Figure
        The figure holding the axes.
    images_ : list of matplotlib AxesImage
        The image of each layer.
    colorbars_ : list of matplotlib Colorbar or None
        The colour bar of each layer, when drawn.

    See Also
    --------
    TrainingCurveDisplay : Loss and validation score per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sknn import MLPClassifier, HiddenUnitsDisplay
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:600] / 16, y[:600]
    >>> clf = MLPClassifier((32, 16), max_iter=10, random_state=0).fit(X, y)
    >>> display = HiddenUnitsDisplay.from_estimator(clf, X, max_samples=100)
    >>> [a.shape for a in display.activations]
    [(100, 32), (100, 16)]
    >>> len(display.images_)
    2
    """

    def __init__(self, *, activations, summaries, activation=None, name=None):
        self.activations = [np.asarray(a) for a in activations]
        self.summaries = list(summaries)
        self.activation = activation
        self.name = name
        if len(self.summaries) != len(self.activations):
            raise ValueError(
                f"Got {len(self.activations)} layers of activations but "
                f"{len(self.summaries)} summaries; give one summary per layer."
            )

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        max_samples=200,
        random_state=0,
        saturation=0.95,
        name=None,
        ax=None,
        cmap=None,
        colorbar=True,
        imshow_kw=None,
    ):
        """Plot the hidden-unit activations of a fitted sknn estimator on X.

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, MultiLabelMLP or Pipeline
            A fitted sknn estimator with at least one hidden layer, or a
            Pipeline ending in one (X then goes through the earlier steps).
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples; at most ``max_samples`` of them are drawn, in their
            original order.
        max_samples : int, default=200
            How many rows of X to show.
        random_state : int, RandomState instance or None, default=0
            Picks the rows when X has more than ``max_samples``.
        saturation : float, default=0.95
            Passed to :meth:`~sknn.MLPClassifier.hidden_unit_summary`.
        name : str, default=None
            Figure title; ``None`` uses the estimator's class name.
        ax : matplotlib Axes or array-like of Axes, default=None
            One axes per hidden layer; ``None`` makes a new figure with a
            row of axes.
        cmap : str or matplotlib Colormap, default=None
            Colour map of the images; ``None`` picks 'RdBu_r' for 'tanh' and
            'viridis' otherwise.
        colorbar : bool, default=True
            Whether to draw a colour bar next to each image.
        imshow_kw : dict, default=None
            Keyword arguments for matplotlib's ``imshow``.

        Returns
        -------
        display : HiddenUnitsDisplay
            The display, plotted.
        """
        from ._diagnostics import summarize_layer

        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        model = _final_step(estimator)
        if not hasattr(model, "hidden_activations"):
            raise TypeError(
                "HiddenUnitsDisplay needs an sknn estimator (one with "
                f"hidden_activations); got {type(model).__name__}."
            )
        check_is_fitted(model, "coefs_")
        if len(model.coefs_) < 2:
            raise ValueError(
                f"{type(model).__name__} has no hidden layer "
                "(hidden_layer_sizes=()): there are no hidden units to show."
            )
        if max_samples < 1:
            raise ValueError(f"max_samples must be at least 1, got {max_samples!r}.")
        n = _num_samples(X)
        if n > max_samples:
            rng = check_random_state(random_state)
            rows = np.sort(rng.choice(n, max_samples, replace=False))
            X = _safe_indexing(X, rows)
        if model is not estimator:
            X = estimator[:-1].transform(X)
        activations = model.hidden_activations(X)
        summaries = [
            summarize_layer(a, model.activation, saturation) for a in activations
        ]
        display = cls(
            activations=activations,
            summaries=summaries,
            activation=model.activation,
            name=type(model).__name__ if name is None else name,
        )
        return display.plot(ax=ax, cmap=cmap, colorbar=colorbar, imshow_kw=imshow_kw)

    def plot(self, ax=None, *, cmap=None, colorbar=True, imshow_kw=None):
        """Draw one image per hidden layer.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One axes per hidden layer (a single Axes for a single layer);
            ``None`` makes a new figure with a row of axes.
        cmap : str or matplotlib Colormap, default=None
            Colour map of the images; ``None`` picks 'RdBu_r' for 'tanh' and
            'viridis' otherwise.
        colorbar : bool, default=True
            Whether to draw a colour bar next to each image.
        imshow_kw : dict, default=None
            Keyword arguments for matplotlib's ``imshow``, overriding the
            defaults.

        Returns
        -------
        display : HiddenUnitsDisplay
            This display, with ``axes_``, ``figure_`` and ``images_`` set.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        n_layers = len(self.activations)
        if ax is None:
            fig, axes = plt.subplots(
                1,
                n_layers,
                figsize=(3.6 * n_layers + 0.8, 3.8),
                squeeze=False,
                layout="constrained",
            )
            axes = axes.ravel()
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if len(axes) != n_layers:
                raise ValueError(
                    f"ax holds {len(axes)} axes but there are {n_layers} hidden "
                    "layers; pass one axes per hidden layer."
                )
            fig = axes[0].figure

        defaults = {"aspect": "auto", "interpolation": "nearest"}
        bounded = {"tanh": (-1.0, 1.0), "logistic": (0.0, 1.0)}.get(self.activation)
        if bounded is not None:
            defaults.update(vmin=bounded[0], vmax=bounded[1])
        defaults["cmap"] = "RdBu_r" if self.activation == "tanh" else "viridis"
        if cmap is not None:
            defaults["cmap"] = cmap
        defaults.update(imshow_kw or {})

        self.images_, self.colorbars_ = [], [] if colorbar else None
        for i, (a, s, axis) in enumerate(zip(self.activations, self.summaries, axes)):
            kw = dict(defaults)
            if bounded is None and a.size and np.isfinite(a).all():
                kw.setdefault("vmin", float(a.min()))
                top = float(np.percentile(a, 99))
                kw.setdefault("vmax", top if top > kw["vmin"] else float(a.max()))
            image = axis.imshow(a, **kw)
            self.images_.append(image)
            corr = s.get("mean_abs_correlation", np.nan)
            axis.set_title(
                f"layer {i + 1}: {s.get('n_units', a.shape[1])} units\n"
                f"dead {s['dead']:.0%}, saturated {s['saturated']:.0%}, "
                f"|corr| {corr:.2f}",
                fontsize="medium",
            )
            axis.set_xlabel("hidden unit")
            if i == 0:
                axis.set_ylabel("sample")
            if colorbar:
                self.colorbars_.append(fig.colorbar(image, ax=axis))
        if self.name is not None and ax is None:
            fig.suptitle(self.name)
        self.axes_ = axes
        self.figure_ = fig
        return self
