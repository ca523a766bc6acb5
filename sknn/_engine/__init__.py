"""The engine: the only part of sknn that imports torch.

The estimator side (``sknn/_base.py`` and the modules around it) speaks
numpy and drives the engine through :mod:`sknn._engine.facade`: numpy arrays
go in once per call and numpy arrays or Python numbers come back.  Importing
this package does not import torch; its modules do, and the estimators
import them when a fit or a prediction needs them, so ``import sknn`` stays
cheap.

Modules, a job each:

``compat``
    Every private or version-fragile API of torch and scikit-learn that
    sknn uses, with the versions it was checked against and its fallback.
``layers``
    The pieces a network is made of (dense layers, activations, dropout),
    each with its forward and backward pass written out by hand.
``losses``
    The engine's half of the output heads: per-sample loss coefficients,
    the output delta and loss, the output activation, validation scores.
``layout``
    Where the embedding layer puts its columns (numpy only: the exports
    read it too).
``network``
    A network as a list of layers over one flat parameter tensor.
``data``
    X and the targets on the device, and the order in which an epoch
    visits them.
``optim``
    scikit-learn's update rules (and AdamW, RMSprop, Adagrad) over the flat
    tensor.
``trainer``
    Epochs of minibatch training, the learning-rate search, the full-batch
    loss for L-BFGS, prediction in chunks.
``facade``
    What the estimators call: devices, a training session, prediction.
"""
