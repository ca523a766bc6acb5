"""Update rules over the flat parameter tensor.

'sgd' and 'adam' follow scikit-learn's ``_stochastic_optimizers.py``
arithmetic (so the same data and seed give the same weights up to
rounding); 'adamw' is Adam with decoupled weight decay, 'rmsprop' and
'adagrad' divide the step by a root of squared gradients.
"""

import math

import torch

from . import compat


class _Optimizer:
    """``state_names`` are the tensors that carry over between steps (and
    across ``partial_fit`` calls); ``tmp`` is scratch space."""

    state_names = ()

    def __init__(self, params, lr, **hyper):
        self.lr = lr
        self.hyper = hyper
        self.t = 0
        self.state = {k: torch.zeros_like(params) for k in self.state_names}
        self.tmp = torch.empty_like(params)

    def state_dict(self):
        out = {k: v.detach().cpu().numpy().copy() for k, v in self.state.items()}
        out["t"] = self.t
        return out

    def load_state_dict(self, state, solver=None):
        missing = [k for k in self.state_names if k not in state]
        if missing:
            raise ValueError(
                f"The saved optimizer state has no {missing!r}: it is not the "
                f"state of solver={solver!r} (the solver changed since it was "
                "saved); refit, or set solver back."
            )
        self.t = int(state.get("t", 0))
        for k in self.state_names:
            self.state[k].copy_(torch.as_tensor(state[k]))


class SGD(_Optimizer):
    state_names = ("velocity",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        mom = self.hyper["momentum"]
        v = self.state["velocity"]
        if mom > 0:
            # velocity = momentum * velocity - lr * grad
            v.mul_(mom).add_(grads, alpha=-self.lr)
            if self.hyper["nesterov"]:
                params.add_(v, alpha=mom).add_(grads, alpha=-self.lr)
            else:
                params.add_(v)
        else:
            params.add_(grads, alpha=-self.lr)


class Adam(_Optimizer):
    """scikit-learn's Adam. Where torch has the fused kernel for the device
    and dtype, one call does the whole update; scikit-learn's placement of
    ``epsilon`` (outside the bias correction) is kept by passing
    ``epsilon / sqrt(1 - beta_2^t)`` to it, which is the same arithmetic."""

    state_names = ("m", "v")

    def __init__(self, params, lr, **hyper):
        super().__init__(params, lr, **hyper)
        self.fused = compat.fused_adam_available(params)
        if self.fused:  # the fused kernel keeps its step count in a tensor
            self.fused_step = torch.zeros((), dtype=torch.float32, device=params.device)

    def load_state_dict(self, state, solver=None):
        super().load_state_dict(state, solver)
        if self.fused:
            self.fused_step.fill_(float(self.t))

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        m, v, tmp = self.state["m"], self.state["v"], self.tmp
        if decay:  # decoupled weight decay (AdamW) on the weights only
            params[:n_coef].mul_(1.0 - self.lr * decay)
        if self.fused:
            self.fused_step.add_(1.0)
            compat.fused_adam_step(
                params,
                grads,
                m,
                v,
                self.fused_step,
                lr=self.lr,
                beta1=b1,
                beta2=b2,
                eps=eps / math.sqrt(1.0 - b2**self.t),
            )
            return
        m.lerp_(grads, 1.0 - b1)
        v.mul_(b2).addcmul_(grads, grads, value=1.0 - b2)
        # scikit-learn's form: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);
        # param -= lr_t * m / (sqrt(v) + eps)
        lr_t = self.lr * math.sqrt(1.0 - b2**self.t) / (1.0 - b1**self.t)
        torch.sqrt(v, out=tmp).add_(eps)
        params.addcdiv_(m, tmp, value=-lr_t)


class RMSprop(_Optimizer):
    state_names = ("v",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        rho, eps = self.hyper["rho"], self.hyper["epsilon"]
        v, tmp = self.state["v"], self.tmp
        v.mul_(rho).addcmul_(grads, grads, value=1.0 - rho)
        torch.sqrt(v, out=tmp).add_(eps)
        params.addcdiv_(grads, tmp, value=-self.lr)


class Adagrad(_Optimizer):
    state_names = ("G",)

    def step(self, params, grads, decay=0.0, n_coef=0):
        self.t += 1
        G, tmp = self.state["G"], self.tmp
        G.addcmul_(grads, grads)
        torch.sqrt(G, out=tmp).add_(self.hyper["epsilon"])
        params.addcdiv_(grads, tmp, value=-self.lr)


OPTIMIZERS = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": Adam,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}
