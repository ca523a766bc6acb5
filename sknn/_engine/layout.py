"""Where the embedding layer puts its columns, in numpy only (no torch), so
that the engine, ``to_torch`` and the ONNX export read one definition.

The layer's input has ``n_in`` columns; it drops the code columns, keeps
the others in order and appends one vector per code column, read from the
stacked tables at the column's first row plus its code.
"""

import numpy as np


def embedding_layout(codes, levels, n_in):
    """``(kept, offsets)``: the input columns that stay, and the first row of
    each code column's table in the stacked tables (int64 arrays)."""
    dropped = {int(j) for j in codes}
    kept = np.array([j for j in range(n_in) if j not in dropped], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(levels)[:-1]]).astype(np.int64)
    return kept, offsets


def fitted_embedding_layout(inputs, width):
    """``(codes, kept, offsets, stacked tables)`` of a fitted network's
    embeddings (``inputs``: its input parameters by name; ``width``: the
    inputs of its first dense layer)."""
    tables = inputs["embeddings"]
    codes = np.asarray(inputs["embedding_columns"], dtype=np.int64)
    n_in = width - sum(t.shape[1] - 1 for t in tables)
    kept, offsets = embedding_layout(codes, [t.shape[0] for t in tables], n_in)
    return codes, kept, offsets, np.concatenate(tables)
