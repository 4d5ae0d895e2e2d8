"""The blog's experiment in layernet: a 2-3-2 sigmoid network on two moons, trained by CG.

    python examples/reference_moons.py

One seeded stream draws the data, then the initial weights -- as np.random.seed(0) did in the
original -- so this prints the blog's result: cost 0.1324, accuracy 98 %.
"""

import numpy as np
from sklearn.datasets import make_moons

import layernet as ln


def main() -> dict:
    stream = np.random.RandomState(0)
    X, y = make_moons(200, noise=0.2, random_state=stream)

    net = ln.Network([2, 3, 2], hidden="sigmoid", output="sigmoid").init(rng=stream)
    result = ln.train(net, X, y, lambda_=0.001, method="cg")

    accuracy = net.score(X, y)
    print(f"cost {result.cost:.6f}, training accuracy {accuracy:.1%}")
    print(f"{result.iterations} iterations, {result.evaluations} cost+gradient evaluations, {result.status}")
    return {"cost": result.cost, "accuracy": accuracy}


if __name__ == "__main__":
    main()
