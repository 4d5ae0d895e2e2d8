"""A deeper network with per-layer activations and an activation of your own.

    python examples/custom_architecture.py

Softplus, log(1 + e^z), is registered with its derivative (the sigmoid), gradient-checked the
course's way, and then trained with L-BFGS on noisy circles.
"""

import numpy as np
from sklearn.datasets import make_circles
from sklearn.model_selection import train_test_split

import layernet as ln


def softplus(z):
    return np.logaddexp(0.0, z)


def softplus_derivative(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid, written so it never overflows


def main() -> dict:
    if "softplus" not in ln.available_activations():
        ln.register_activation(ln.Activation("softplus", softplus, softplus_derivative))

    net = ln.Network(
        [
            ln.Layer(2, 8, "tanh"),
            ln.Layer(8, 8, "softplus"),
            ln.Layer(8, 2, "softmax"),
        ]
    ).init(seed=0)

    # Trust backprop only after the course's check: the same architecture at the course's small
    # deterministic debug weights, a few samples, central differences.
    probe = ln.Network.from_config(net.get_config()).init(initializer="debug")
    X_check = np.sin(np.arange(1, 13)).reshape(6, 2)
    difference = ln.check_gradients(probe, X_check, [0, 0, 0, 1, 1, 0], lambda_=0.1)
    print(f"gradient check: relative difference {difference:.2e} (want < 1e-9)")

    X, y = make_circles(400, noise=0.1, factor=0.5, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    result = ln.train(net, X_train, y_train, lambda_=0.01, method="lbfgs")
    train_accuracy, test_accuracy = net.score(X_train, y_train), net.score(X_test, y_test)
    print(f"{net.sizes} {net.activations}: cost {result.cost:.4f} after {result.iterations} iterations")
    print(f"accuracy: training {train_accuracy:.1%}, test {test_accuracy:.1%}")
    return {"gradient_difference": difference, "train_accuracy": train_accuracy, "test_accuracy": test_accuracy}


if __name__ == "__main__":
    main()
