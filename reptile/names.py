"""The names the engine accepts, declared once and torch-free, so that a config is validated
without importing torch. The modules that implement them (mlp, inner, meta_optimizer,
algorithms) are tested to accept exactly these."""

ALGORITHMS = ("reptile", "fomaml", "maml", "pretrain")  # algorithms.LEARNERS
ACTIVATIONS = ("tanh", "relu", "sigmoid")  # mlp.ACTIVATIONS
INITS = ("uniform", "normal")  # MLP.init schemes
OPTIMIZERS = ("sgd", "adam")  # inner and meta optimisers
DEVICES = ("auto", "cpu", "cuda")
TAILS = ("separate", "shared")  # the MAML family's query minibatch (episodes.py)
MEASURES = ("grid", "query")  # where the held-out MSE is measured (tasks.make_heldout)
SUPPORTS = ("family", "uniform")  # how a held-out task's support points are drawn (ditto)
