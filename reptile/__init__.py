"""REPTILE on sine-wave regression: the science, importable without Hydra; no files, no printing.

Modules, in the order the algorithm uses them:
  names           the algorithms, activations, inits, optimisers and devices it accepts
  tasks           the sine task family and its seeded samplers (training stream, held-out set)
  memory          the bytes its tensors take: the training stream's chunk size, a job's peak
  mlp             a functional MLP whose parameters carry leading (task) dimensions
  params          weight arithmetic on flat parameter vectors (the Reptile update lives here)
  inner           the inner loop: k steps of SGD or Adam on minibatches, batched over tasks
  meta            the outer loop: the annealed meta step, one iteration per call; Reptile
  meta_optimizer  SGD or Adam on a meta-gradient, for the gradient-based outer loops
  episodes        support and query minibatches for the MAML family
  maml            MAML (second order) and first-order MAML
  pretrain        the "pretrained on all tasks" baseline
  algorithms      the algorithms by name
  evaluate        held-out adaptation curves: MSE after k = 0..K steps
  sharpness       top Hessian eigenvalues of the tasks' losses (why an adaptation diverges)
  reference       a plain one-task-at-a-time implementation, for tests and benchmarks only
"""

__version__ = "0.1.0"
