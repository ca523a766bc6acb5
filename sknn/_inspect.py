"""What a fitted network shows and exports: its hidden activations, a
diagnosis of its hidden units, and the network as a ``torch.nn.Module``.

:class:`NetworkInspectionMixin` is part of every sknn estimator; it reads
the fitted model through ``_validate_X_predict``, ``_network`` and
``_head`` of :class:`~sknn._base.BaseMLP`.
"""

import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted


class NetworkInspectionMixin:
    """Hidden activations, hidden-unit summaries and ``to_torch``."""

    def to_torch(self, output="raw", device="cpu"):
        """The fitted network as a ``torch.nn.Module``, to fine-tune or serve.

        Parameters
        ----------
        output : {'raw', 'proba'}, default='raw'
            What the module computes from a ``(n_samples, n_features)``
            tensor. 'raw': the output layer's values before the output
            activation, shape ``(n_samples, n_outputs)``: the logits of a
            classifier (the loss functions of torch take these), and
            ``predict`` of a regressor (2-D also for a 1-D ``y``). 'proba'
            (classifiers): ``predict_proba``, with two columns for a binary
            problem.
        device : str, default='cpu'
            Where the module's parameters live: 'cpu', 'cuda', 'cuda:N' or
            'auto', as the estimator's ``device`` parameter.

        Returns
        -------
        module : torch.nn.Sequential
            ``nn.Linear`` layers holding copies of ``coefs_`` (transposed)
            and ``intercepts_``, the hidden activation between them, in the
            estimator's dtype and in eval mode. Training it leaves the
            estimator unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier((8,), solver="lbfgs", random_state=0).fit(X, y)
        >>> net = clf.to_torch(output="proba")
        >>> net
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=3, bias=True)
          (3): Softmax(dim=1)
        )
        >>> with torch.no_grad():
        ...     proba = net(torch.as_tensor(X)).numpy()
        >>> bool(np.allclose(proba, clf.predict_proba(X)))
        True
        >>> labels = clf.classes_[proba.argmax(axis=1)]  # predict
        >>> bool((labels == clf.predict(X)).all())
        True
        """
        from ._engine import facade

        check_is_fitted(self, "coefs_")
        if output not in ("raw", "proba"):
            raise ValueError(f"output must be one of ('raw', 'proba'); got {output!r}.")
        proba = None
        if output == "proba":
            proba = self._head().torch_proba
            if proba is None:
                raise ValueError(
                    "output='proba' is for classifiers; a regressor's "
                    "output='raw' module already computes predict."
                )
        _, _, activation, _, coefs, intercepts, _, inputs = self._network()
        return facade.to_torch(coefs, intercepts, activation, proba, device, inputs)

    def hidden_activations(self, X):
        """Activations of each hidden layer for the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        activations : list of ndarray of shape (n_samples, n_units)
            One array per hidden layer, first layer first.
        """
        from ._engine import facade

        X = self._validate_X_predict(X)
        if sp.issparse(X):
            X = X.toarray()
        return facade.hidden_activations(self._network(), X, n_threads=self.n_threads)

    def hidden_unit_summary(self, X, saturation=0.95):
        """Diagnose training from the hidden units' activations on X.

        In a well-trained network hidden units respond sparsely and
        differently to different samples; in a badly trained one many units
        ignore the input (dead or saturated) or move together (strongly
        correlated).  Looking at the activations is how to tell.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples to look at; a few hundred are enough.
        saturation : float, default=0.95
            A unit counts as saturated when it sits in its activation's flat
            region (for example ``|tanh| > 0.97``, ``relu == 0``) for at
            least this fraction of the samples.

        Returns
        -------
        summary : list of dict
            One dict per hidden layer with keys ``'dead'`` (fraction of units
            whose output does not vary over X), ``'saturated'`` (fraction of
            units in their flat region for at least ``saturation`` of the
            samples), ``'sparsity'`` (fraction of activations near zero), and
            ``'mean_abs_correlation'`` (mean absolute correlation between pairs
            of live units).
        """
        from ._diagnostics import summarize_layer

        return [
            summarize_layer(a, self.activation, saturation)
            for a in self.hidden_activations(X)
        ]
