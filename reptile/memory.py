"""How much memory the engine's tensors take, in bytes, before anything is allocated: the size of
the training stream's chunks (tasks.TaskStream) and an estimate of a job's peak. Torch-free, so
that a config is checked before torch is imported.

The estimate counts the large tensors of each stage, as the code allocates them (names as in the
modules that do): a stage's peak is the sum of what it holds at once, and a job's is its largest
stage's plus the held-out set, which lives throughout. tests/test_resources.py measures it against
real processes.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOAT, DOUBLE, LONG = 4, 8, 8  # float32 weights and data, float64 results, int64 indices

# A chunk of the training stream draws at most this many tasks (one call draws many iterations:
# fewer tiny ops) and holds at most CHUNK_BYTES of tensors; it always holds one iteration, and
# chunk c is drawn from generator (seed, c) whatever its size, so the size is part of the draw:
# it depends only on the config, and only configs whose 1,024-task chunk exceeded CHUNK_BYTES
# draw their tasks otherwise than before CHUNK_BYTES existed.
TASKS_PER_CHUNK = 1024
CHUNK_BYTES = 256 * 2**20


def network_size(width: int, depth: int) -> int:
    """D, the number of weights of the MLP 1 -> width^depth -> 1 (mlp.MLP.size)."""
    return 2 * width + (depth - 1) * (width * width + width) + width + 1


def stream_task_bytes(n_points: int, steps: int, batch: int, grid: bool,
                      query: bool = False) -> int:
    """What one task takes while a chunk is drawn (tasks.TaskStream._draw_chunk and
    episodes.SupportQueryStream): its points, the random keys, argsort and trimmed copy of its
    minibatch shuffles, the gather indices and its k (+ query) minibatches of x and y."""
    per_epoch = max(1, n_points // max(1, batch))
    epochs = -(-steps // per_epoch)
    points = n_points * FLOAT * (1 if grid else 2)  # y, and x where it is drawn per task
    shuffles = epochs * n_points * (FLOAT + LONG) + epochs * per_epoch * batch * LONG
    minibatches = steps * batch * (LONG + 2 * FLOAT)
    if query:  # the query's shuffle, and the minibatches copied once more by the concatenation
        shuffles += n_points * (FLOAT + LONG)
        minibatches += 2 * (steps + 1) * batch * FLOAT
    return points + shuffles + minibatches


def chunk_iterations(meta_batch: int, task_bytes: int) -> int:
    """Iterations per chunk of the training stream: at most TASKS_PER_CHUNK tasks and
    CHUNK_BYTES, at least one iteration."""
    fit = CHUNK_BYTES // max(1, meta_batch * task_bytes)
    return max(1, min(TASKS_PER_CHUNK // meta_batch, fit))


@dataclass(frozen=True)
class Sizes:
    """The sizes that set a job's memory (names as in conf/)."""

    width: int
    depth: int
    algo: str  # reptile | fomaml | maml | pretrain
    meta_batch: int
    inner_steps: int
    inner_batch: int
    inner_optimizer: str
    n_points: int
    grid: bool
    n_tasks: int  # held-out tasks
    shots: int  # the largest K evaluated (eval.shots, eval.extra_shots)
    grid_points: int
    eval_steps: int
    predict_tasks: int
    predict_points: int
    predict_ks: int  # how many
    members: int = 1  # a population trains its members as one computation


def activations(rows: int, points: int, width: int, depth: int) -> int:
    """A forward and backward pass of `rows` networks on `points` inputs each: every layer's
    output kept for the backward pass, and the backward pass's own gradient and product."""
    return rows * points * (width * (depth + 2) + 2) * FLOAT


def training_bytes(s: Sizes) -> int:
    """One outer iteration of meta-training, and its chunk of the task stream."""
    n = s.members * s.meta_batch
    D = network_size(s.width, s.depth)
    query = s.algo in ("maml", "fomaml")
    task = stream_task_bytes(s.n_points, s.inner_steps, s.inner_batch, s.grid, query)
    chunk = chunk_iterations(s.meta_batch, task) * n * task
    weights = n * D * FLOAT  # W [n, D]: one copy of phi per task
    # an inner step: activations, the gradient and the update's temporary (and Adam's moments)
    step = activations(n, s.inner_batch, s.width, s.depth) + 2 * weights
    if s.inner_optimizer == "adam":
        step += weights
    if s.algo == "maml":  # autograd keeps every inner step's weights, activations and gradient
        step = 4 * s.inner_steps * (weights + activations(n, s.inner_batch, s.width, s.depth))
    elif s.algo == "pretrain":  # one step on every point of the iteration's tasks
        step = weights + activations(n, s.inner_steps * s.inner_batch, s.width, s.depth)
    return chunk + weights + step


def evaluation_bytes(s: Sizes) -> int:
    """The final evaluation: adaptation of 100 (member, task) rows at a time, the MSE of every
    task after every k (float64, for the meta and the initial weights), the per-task table as a
    frame and as CSV text, and the saved fits."""
    D = network_size(s.width, s.depth)
    rows = min(100, s.members * s.n_tasks)
    adapt = 3 * rows * D * FLOAT + activations(rows, max(s.shots, s.grid_points), s.width,
                                               s.depth)
    mse = s.members * s.n_tasks * (s.eval_steps + 1) * DOUBLE
    tables = mse * (2 + 2 + 3)  # meta and init, their concatenation, frame and CSV text
    fits = s.members * s.predict_tasks * 2
    predictions = 3 * fits * D * FLOAT + activations(fits, s.predict_points, s.width, s.depth) \
        + fits * s.predict_ks * s.predict_points * (FLOAT + 2 * 60)  # tensors, frame and text
    return max(adapt, predictions) + tables


def heldout_bytes(s: Sizes) -> int:
    """The held-out set (support points and the grid's targets), kept for the whole job."""
    return s.n_tasks * (2 * s.shots + s.grid_points) * FLOAT


def peak_bytes(s: Sizes) -> int:
    """The estimated peak of a job's tensors (the Python process itself comes on top)."""
    return heldout_bytes(s) + max(training_bytes(s), evaluation_bytes(s))
