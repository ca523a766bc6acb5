"""X and the targets on the device, and the order an epoch visits them in."""

import numpy as np
import torch

from .compat import tensor_from_numpy


class Rows:
    """Rows of X on the device: dense tensors are indexed on the device,
    scipy sparse matrices are densified one batch at a time on the host."""

    def __init__(self, X, dtype, device, stream=False):
        self.sparse = hasattr(X, "tocsr")
        self.device = device
        self.dtype = dtype
        if self.sparse:
            self.X = X.tocsr()
        elif stream and device.type != "cpu":
            # prediction on a GPU: X stays on the host and goes over a chunk
            # at a time, so smaller chunks help when the device runs short
            self.X = tensor_from_numpy(X).to(dtype=dtype)
        else:
            # row-major, whatever the input's order (a DataFrame's values are
            # often column-major): batches are then contiguous row slices and
            # every layout trains to the same bits
            self.X = tensor_from_numpy(X).to(device=device, dtype=dtype).contiguous()
        self.n = self.X.shape[0]

    def _densify(self, block):
        block = torch.from_numpy(np.asarray(block.toarray()))
        return block.to(device=self.device, dtype=self.dtype, non_blocking=True)

    def take(self, idx):
        """Rows ``idx``: a slice (a view of dense X, no copy), a tensor of
        indices on the device, or a numpy array of indices."""
        if self.sparse:
            if torch.is_tensor(idx):
                idx = idx.cpu().numpy()
            return self._densify(self.X[idx])
        if isinstance(idx, slice):
            return self.X[idx]
        return torch.index_select(self.X, 0, idx)

    def subset(self, idx):
        """The rows ``idx`` (sorted numpy indices) as new :class:`Rows`."""
        if self.sparse:
            return Rows(self.X[idx], self.dtype, self.device)
        idx_t = torch.from_numpy(idx).to(self.device)
        return Rows(self.X[idx_t], self.dtype, self.device)

    def chunks(self, chunk_size):
        for start in range(0, self.n, chunk_size):
            stop = min(start + chunk_size, self.n)
            if self.sparse:
                block = torch.from_numpy(np.asarray(self.X[start:stop].toarray()))
                yield block.to(device=self.device, dtype=self.dtype)
            else:
                yield self.X[start:stop].to(self.device, non_blocking=True)


class EpochOrder:
    """X and the targets in the order one epoch visits them.

    With shuffling, dense X and the targets are permuted once per epoch into
    buffers made once per fit, so every batch is a contiguous slice (no
    gather per batch) and every epoch reads the same memory; sparse X stays
    where it is and each batch's rows are gathered on the host with the
    host's copy of the permutation, so no batch waits on the device.
    Without shuffling the data's own tensors serve.
    """

    def __init__(self, rows, targets, shuffle):
        self.rows, self.source, self.shuffle = rows, targets, shuffle
        self.n = rows.n
        self.perm = None  # the epoch's order, on the host (with shuffling)
        dense = None if rows.sparse else rows.X
        if shuffle:
            self.dense_X = None if dense is None else torch.empty_like(dense)
            self.targets = targets.empty_like()
        else:
            self.dense_X, self.targets = dense, targets

    def holds(self, rows, targets, shuffle):
        """Whether this order is over these rows and targets."""
        return rows is self.rows and targets is self.source and shuffle == self.shuffle

    def new_epoch(self, np_rng, device):
        """Draw the epoch's order and permute into the buffers."""
        if not self.shuffle:
            return
        # scikit-learn's order: each epoch shuffles the previous epoch's
        # order (sample_idx = shuffle(sample_idx, random_state))
        step = np_rng.permutation(self.n)
        self.perm = step if self.perm is None else self.perm[step]
        perm = torch.from_numpy(self.perm).to(device)
        if self.dense_X is not None:
            torch.index_select(self.rows.X, 0, perm, out=self.dense_X)
        src, dst = self.source, self.targets
        if src.weight is not None:
            torch.index_select(src.weight, 0, perm, out=dst.weight)
        torch.index_select(src.target, 0, perm, out=dst.target)
        torch.index_select(src.sample_weight, 0, perm, out=dst.sample_weight)

    def rows_of(self, batch):
        """The rows of X of ``batch``, a slice of the epoch's order."""
        if self.dense_X is not None:
            return self.dense_X[batch]
        return self.rows.take(batch if self.perm is None else self.perm[batch])
