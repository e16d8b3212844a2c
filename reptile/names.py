"""The names the engine accepts, declared once and torch-free, so that a config is validated
without importing torch. The modules that implement them (mlp, inner, meta_optimizer,
algorithms) are tested to accept exactly these."""

ALGORITHMS = ("reptile", "fomaml", "maml", "pretrain", "combo")  # algorithms.LEARNERS
ACTIVATIONS = ("tanh", "relu", "sigmoid")  # mlp.ACTIVATIONS
INITS = ("uniform", "normal")  # MLP.init schemes
OPTIMIZERS = ("sgd", "adam")  # inner and meta optimisers
DEVICES = ("auto", "cpu", "cuda")
TAILS = ("separate", "shared")  # the query minibatch: MAML family, combo (episodes.py)
COMBINES = ("sum", "last")  # combo: which inner-step gradients make the meta-gradient
MEASURES = ("grid", "query")  # where the held-out MSE is measured (tasks.make_heldout)
SUPPORTS = ("family", "uniform")  # how a held-out task's support points are drawn (ditto)
