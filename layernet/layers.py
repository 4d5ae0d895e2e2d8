"""Layer: an affine map followed by an activation, ``a = f(a_prev @ W.T + b)``.

A layer knows its shape and its activation but owns no memory: its network binds ``theta``, a
``(n_out, n_in + 1)`` view into the network's flat parameter vector with the bias in column 0.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_int
from .activations import Activation, get_activation
from .errors import LayerNetError

__all__ = ["Layer"]


class Layer:
    """A fully connected layer: ``n_in`` inputs, ``n_out`` units, one activation.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs (units of the previous layer, or features) and of units.
    activation : str or Activation, default "sigmoid"
        A registered name, or an :class:`~layernet.Activation` object.

    Attributes
    ----------
    theta : ndarray of shape (n_out, n_in + 1) or None
        The layer's parameters, a view into its network's flat vector (None until bound).
        Column 0 is the bias; ``W = theta[:, 1:]``, ``b = theta[:, 0]``.

    Examples
    --------
    >>> layer = Layer(2, 3, "tanh")
    >>> layer.shape
    (3, 3)

    A layer is a description, not code that runs: the network's engine evaluates all its layers
    in one fused pass over the flat parameters, and a model file records each layer by its sizes
    and activation name. So :class:`~layernet.Network` refuses subclasses of ``Layer``; what a
    layer computes is changed through its activation -- a function with its derivative:

    >>> import layernet as ln
    >>> softsign = ln.Activation("softsign_doc", lambda z: z / (1 + abs(z)), lambda z: 1 / (1 + abs(z)) ** 2)
    >>> Layer(2, 3, softsign).activation.name
    'softsign_doc'
    """

    def __init__(self, n_in: int, n_out: int, activation: str | Activation = "sigmoid") -> None:
        self.n_in = check_int(n_in, "n_in", low=1)
        self.n_out = check_int(n_out, "n_out", low=1)
        self.activation = get_activation(activation)
        self.theta: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_out, n_in + 1)``: the shape of :attr:`theta`, bias column included."""
        return (self.n_out, self.n_in + 1)

    @property
    def n_params(self) -> int:
        return self.n_out * (self.n_in + 1)

    @property
    def W(self) -> np.ndarray:
        """The weights ``theta[:, 1:]`` (a view)."""
        return self._bound()[:, 1:]

    @property
    def b(self) -> np.ndarray:
        """The biases ``theta[:, 0]`` (a view)."""
        return self._bound()[:, 0]

    def get_config(self) -> dict:
        """The constructor arguments as a plain dict, the activation by name."""
        return {"n_in": self.n_in, "n_out": self.n_out, "activation": self.activation.name}

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """Rebuild a layer from :meth:`get_config`'s dict."""
        return cls(**config)

    def _bound(self) -> np.ndarray:
        if self.theta is None:
            raise LayerNetError("this layer belongs to no network yet, so it has no parameters")
        return self.theta

    def __repr__(self) -> str:
        return f"Layer({self.n_in}, {self.n_out}, {self.activation.name!r})"
