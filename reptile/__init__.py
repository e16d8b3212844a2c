"""REPTILE on sine-wave regression: the science, importable without Hydra.

Modules, in the order the algorithm uses them:
  tasks      the sine task family and its seeded samplers
  mlp        a functional MLP whose parameters carry leading (task) dimensions
  params     weight arithmetic on parameter dicts (the Reptile update lives here)
  inner      the inner loop: k steps of SGD or Adam on minibatches, batched over tasks
  schedule   the linearly annealed meta step
  evaluate   held-out adaptation curves: MSE after k = 0..K steps
  meta       the outer loop: one meta-training iteration per call, resumable state; Reptile
  episodes   support and query minibatches for the MAML family
  outer      the meta-optimiser (SGD or Adam) for gradient-based outer loops
  maml       MAML (second order) and FOMAML
  pretrain   the "pretrained on all tasks" baseline
  algorithms the algorithms by name
  reference  a plain one-task-at-a-time implementation, for tests and benchmarks only
"""

__version__ = "0.1.0"
