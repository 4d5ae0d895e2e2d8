"""Activations: a name, the function and its derivative (and, optionally, its second derivative),
kept together, and a registry by name.

Backpropagation needs each hidden layer's derivative ``f'(z)``. An :class:`Activation` carries both,
so a new activation is one object: register it by name and every layer, config file and saved
model can use it. ``derivative(z, a)`` receives the pre-activation ``z`` and the output ``a`` the
forward pass already computed, so sigmoid and tanh derive from ``a`` without recomputing anything.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import LayerNetError
from .kernels import sigmoid as _sigmoid
from .kernels import tanh as _tanh

__all__ = [
    "Activation",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "Identity",
    "Softmax",
    "register_activation",
    "get_activation",
    "available_activations",
]

ArrayFunction = Callable[[np.ndarray], np.ndarray]


class Activation:
    """An activation function together with its derivative.

    Build one from two functions, or subclass and override :meth:`forward` and :meth:`derivative`.

    Parameters
    ----------
    name : str, optional
        The name configs and saved models use. Subclasses may set it as a class attribute.
    function : callable, optional
        ``function(z) -> a``, elementwise, for ``z`` of shape ``(n_samples, n_units)``.
    derivative : callable, optional
        ``derivative(z) -> f'(z)``, elementwise, same shape as ``z``.
    second_derivative : callable, optional
        ``second_derivative(z) -> f''(z)``, elementwise. Only exact Hessian-vector products
        (:meth:`layernet.Network.hessp`, the trust-region methods) need it; without it they
        refuse the activation by name, while the Gauss-Newton product still works.

    Examples
    --------
    >>> import numpy as np
    >>> import layernet as ln
    >>> softplus = ln.Activation("softplus", lambda z: np.logaddexp(0.0, z),
    ...                          lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)))
    >>> ln.register_activation(softplus)            # now usable as "softplus" everywhere
    <Activation 'softplus'>

    Subclassing, when the derivative is cheaper from the output ``a``:

    >>> class Softsign(ln.Activation):
    ...     name = "softsign"
    ...     def forward(self, z, out=None):
    ...         return np.divide(z, 1.0 + np.abs(z), out=out)
    ...     def derivative(self, z, a):
    ...         return (1.0 - np.abs(a)) ** 2
    """

    name: str = ""
    #: True for activations that only make sense on the output layer (softmax).
    output_only: bool = False
    #: Whether :meth:`derivative` reads ``z``. When False, a hidden layer computes ``a`` in place
    #: over ``z`` (one buffer instead of two) and ``derivative`` receives that buffer as ``z``.
    derivative_uses_z: bool = True

    def __init__(
        self,
        name: str | None = None,
        function: ArrayFunction | None = None,
        derivative: ArrayFunction | None = None,
        second_derivative: ArrayFunction | None = None,
    ) -> None:
        if name is not None:
            self.name = name
        if not isinstance(self.name, str) or not self.name:
            raise LayerNetError(f"an activation needs a non-empty name, got {self.name!r}")
        subclassed = type(self).forward is not Activation.forward
        if function is None and derivative is None and not subclassed:
            raise LayerNetError(
                f"activation {self.name!r} needs a function and its derivative "
                "(Activation(name, function, derivative)) or a subclass overriding forward()"
            )
        given = (("function", function), ("derivative", derivative), ("second_derivative", second_derivative))
        for label, value in given:
            if value is not None and not callable(value):
                raise LayerNetError(f"activation {self.name!r}: {label} must be callable, got {value!r}")
        if (function is None) != (derivative is None):
            raise LayerNetError(f"activation {self.name!r} needs both a function and its derivative")
        self._function = function
        self._derivative = derivative
        self._second_derivative = second_derivative

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return ``f(z)``, written into ``out`` when it is given (``out`` may be ``z`` itself)."""
        if self._function is None:
            raise NotImplementedError(f"{type(self).__name__} must override forward()")
        a = np.asarray(self._function(z), dtype=z.dtype)
        if a.shape != z.shape:
            raise LayerNetError(f"activation {self.name!r} returned shape {a.shape} for input of shape {z.shape}")
        if out is None:
            return a
        np.copyto(out, a)
        return out

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Return ``f'(z)`` elementwise; ``a = f(z)`` is given so it need not be recomputed.

        Written into ``out`` when it is given (``out`` never aliases ``z`` or ``a``). A subclass may
        override this as ``derivative(self, z, a)`` without ``out``; the network then multiplies
        by the array it returns.
        """
        if self._derivative is None:
            raise NotImplementedError(f"{type(self).__name__} must override derivative()")
        d = np.asarray(self._derivative(z), dtype=z.dtype)
        if d.shape != z.shape:
            raise LayerNetError(
                f"derivative of activation {self.name!r} returned shape {d.shape} for input of shape {z.shape}"
            )
        if out is None:
            return d
        np.copyto(out, d)
        return out

    def second_derivative(self, z: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Return ``f''(z)`` elementwise, a new array; ``a = f(z)``, as for :meth:`derivative`.

        Raises
        ------
        NotImplementedError
            The activation provides no second derivative (see :attr:`has_second_derivative`).
        """
        if self._second_derivative is None:
            raise NotImplementedError(f"activation {self.name!r} provides no second derivative")
        d2 = np.asarray(self._second_derivative(z), dtype=z.dtype)
        if d2.shape != z.shape:
            raise _shape_error(self, "second_derivative", d2.shape, z.shape)
        return d2

    @property
    def has_second_derivative(self) -> bool:
        """Whether :meth:`second_derivative` is available (given, or overridden by a subclass)."""
        return self._second_derivative is not None or type(self).second_derivative is not Activation.second_derivative

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.forward(np.asarray(z, dtype=float))

    def __repr__(self) -> str:
        return f"<Activation {self.name!r}>"


class Sigmoid(Activation):
    """The logistic function ``1 / (1 + exp(-z))``, the course's unit.

    Computed by the formulation :mod:`layernet.kernels` found fastest on this machine, all equal
    to that formula to 1e-12 relative and free of overflow.
    """

    name = "sigmoid"
    derivative_uses_z = False

    def forward(self, z, out=None):
        return _sigmoid(z, out=out)

    def derivative(self, z, a, out=None):
        out = np.subtract(1.0, a, out=out)
        out *= a
        return out

    def second_derivative(self, z, a):
        return a * (1.0 - a) * (1.0 - 2.0 * a)


class Tanh(Activation):
    """Hyperbolic tangent."""

    name = "tanh"
    derivative_uses_z = False

    def forward(self, z, out=None):
        return _tanh(z, out=out)

    def derivative(self, z, a, out=None):
        out = np.multiply(a, a, out=out)
        return np.subtract(1.0, out, out=out)

    def second_derivative(self, z, a):
        return -2.0 * a * (1.0 - a * a)


class ReLU(Activation):
    """Rectified linear unit ``max(z, 0)``; its derivative at 0 is taken as 0."""

    name = "relu"
    derivative_uses_z = False  # a > 0 exactly where z > 0

    def forward(self, z, out=None):
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z, a, out=None):
        if out is None:
            return (a > 0.0).astype(a.dtype)
        return np.greater(a, 0.0, out=out)

    def second_derivative(self, z, a):
        # Zero everywhere but the kink at 0, where f' jumps and f'' does not exist: the exact
        # Hessian there is taken as the limit from either side, 0.
        return np.zeros_like(a)


class Identity(Activation):
    """The identity ``f(z) = z``: a linear output, paired with the squared-error cost."""

    name = "identity"
    derivative_uses_z = False

    def forward(self, z, out=None):
        if out is None:
            return z.copy()
        if out is not z:
            np.copyto(out, z)
        return out

    def derivative(self, z, a, out=None):
        if out is None:
            return np.ones_like(z)
        out.fill(1.0)
        return out

    def second_derivative(self, z, a):
        return np.zeros_like(a)


class Softmax(Activation):
    """Row-wise softmax, for the output layer only, paired with categorical cross-entropy.

    Its derivative is a Jacobian, not an elementwise factor; with the matched cost the output
    delta is ``a - Y`` and the Jacobian is never formed.
    """

    name = "softmax"
    output_only = True

    def forward(self, z, out=None):
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def derivative(self, z, a, out=None):
        raise LayerNetError("softmax has no elementwise derivative: use it on the output layer only")


def multiply_by_derivative(activation: Activation, delta: np.ndarray, z, a, scratch: np.ndarray) -> None:
    """``delta *= f'(z)`` in place, through ``scratch`` (same shape) when ``derivative`` takes ``out=``.

    Subclasses written before ``out=`` existed (``derivative(self, z, a)``) still work: their
    result is multiplied in as returned.
    """
    if _takes_out(type(activation).derivative):
        d = activation.derivative(z, a, out=scratch)
    else:
        d = activation.derivative(z, a)
    if d is not scratch and np.shape(d) != delta.shape:
        raise _shape_error(activation, "derivative", np.shape(d), delta.shape)
    delta *= d


def _shape_error(activation: Activation, method: str, got, expected) -> LayerNetError:
    return LayerNetError(
        f"activation {activation.name!r} ({type(activation).__name__}): {method}() returned shape {tuple(got)} "
        f"for input of shape {tuple(expected)}; it must return one value per element, of the input's shape"
    )


#: The built-in activations, whose shapes need no probing.
_BUILTIN: tuple = ()


def check_shapes(activation: Activation, n_units: int, *, derivative: bool = True) -> None:
    """Probe ``activation`` on a small ``(2, n_units)`` array, as the network's engine calls it.

    numpy would silently broadcast a result of the wrong shape (a ``forward`` returning one
    value per unit, say) into the layer's buffer, and train on garbage; a network checks each
    custom activation once, when it is built, so such an activation fails there, by name.
    Errors the probe itself raises are left for real use to report.

    Raises
    ------
    LayerNetError
        ``forward`` (or, if ``derivative``, ``derivative``) returns an array of another shape.
    """
    if type(activation) in _BUILTIN:
        return
    z = np.linspace(-1.0, 1.0, 2 * n_units).reshape(2, n_units)
    try:
        with np.errstate(all="ignore"):
            a = np.empty_like(z)
            result = activation.forward(z.copy(), out=a)
            forward_shape = np.shape(result)
            if result is not a and forward_shape == z.shape:
                a = np.asarray(result, dtype=float)
            derivative_shape = z.shape
            if derivative and forward_shape == z.shape:
                scratch = np.empty_like(z)
                if _takes_out(type(activation).derivative):
                    d = activation.derivative(z.copy(), a, out=scratch)
                else:
                    d = activation.derivative(z.copy(), a)
                derivative_shape = z.shape if d is scratch else np.shape(d)
    except Exception:  # noqa: BLE001 - the activation's own failure shows when it is really used
        return
    if forward_shape != z.shape:
        raise _shape_error(activation, "forward", forward_shape, z.shape)
    if derivative_shape != z.shape:
        raise _shape_error(activation, "derivative", derivative_shape, z.shape)


_TAKES_OUT: dict = {}


def _takes_out(method) -> bool:
    try:
        return _TAKES_OUT[method]
    except KeyError:
        import inspect  # only the first time an activation class is seen; keeps the import light

        try:
            parameters = inspect.signature(method).parameters
        except (TypeError, ValueError):
            parameters = {}
        takes = "out" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        _TAKES_OUT[method] = takes
        return takes


_REGISTRY: dict[str, Activation] = {}


def register_activation(activation, *, replace: bool = False):
    """Make an activation available by name to layers, config files and saved models.

    Parameters
    ----------
    activation : Activation, Activation subclass, or str
        An instance or a subclass (instantiated with no arguments) is registered under its
        ``name``. A string returns a class decorator that registers the class under that name.
    replace : bool, default False
        Allow replacing an activation already registered under the same name.

    Returns
    -------
    The registered instance, or for a string the decorator (which returns the class unchanged).

    Raises
    ------
    LayerNetError
        The name is already taken (and ``replace`` is False), or the argument is no activation.
    """
    if isinstance(activation, str):
        name = activation

        def decorator(cls):
            if not (isinstance(cls, type) and issubclass(cls, Activation)):
                raise LayerNetError(f"@register_activation({name!r}) decorates Activation subclasses, got {cls!r}")
            cls.name = name
            register_activation(cls, replace=replace)
            return cls

        return decorator
    if isinstance(activation, type) and issubclass(activation, Activation):
        activation = activation()
    if not isinstance(activation, Activation):
        raise LayerNetError(f"register_activation expects an Activation, got {activation!r}")
    if activation.name in _REGISTRY and not replace:
        raise LayerNetError(
            f"an activation named {activation.name!r} is already registered; pass replace=True to replace it"
        )
    _REGISTRY[activation.name] = activation
    return activation


def get_activation(activation) -> Activation:
    """Return the registered activation for a name; an :class:`Activation` passes through unchanged.

    Raises
    ------
    LayerNetError
        An unknown name (the message lists the known ones) or an object that is no activation.
    """
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        if activation in _REGISTRY:
            return _REGISTRY[activation]
        # Not registered yet: packages' entry points (and modules the CLI was told to import)
        # may define it. Loaded on the first miss only, so the built-ins never pay for the scan.
        from .plugins import load_plugins

        if load_plugins() and activation in _REGISTRY:
            return _REGISTRY[activation]
        known = ", ".join(available_activations())
        raise LayerNetError(f"unknown activation {activation!r}; known activations: {known}")
    if isinstance(activation, type) and issubclass(activation, Activation):
        raise LayerNetError(
            f"activation must be a name or an Activation instance, got the class {activation.__name__} itself; "
            f"pass an instance ({activation.__name__}(...)) or a registered name"
        )
    known = ", ".join(available_activations())
    raise LayerNetError(
        f"activation must be a name ({known}) or an Activation instance, got {type(activation).__name__} "
        f"{_brief(activation)}"
    )


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def available_activations() -> list[str]:
    """The registered activation names, sorted."""
    return sorted(_REGISTRY)


for _builtin in (Sigmoid, Tanh, ReLU, Identity, Softmax):
    register_activation(_builtin)
del _builtin
_BUILTIN = (Sigmoid, Tanh, ReLU, Identity, Softmax)
