"""Published numbers our tables are set beside, each declared once with its source.

The MAML paper tabulates its sine results once: appendix C.1, Table 2 of Finn, Abbeel & Levine,
"Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks" (ICML 2017, arXiv:1703.03400
v3): the 5-shot mean squared error after 1, 5 and 10 gradient steps, without intervals or the
number of test tasks (docs/protocols.md, section 3.3). Its three multi-task baselines (500
regressors trained separately and averaged) have no counterpart here and are left out.
"""

from __future__ import annotations

MAML_TABLE_SOURCE = "Finn et al. (2017), appendix C.1, Table 2"
MAML_TABLE_SHOTS = 5  # K of the table
MAML_TABLE = {  # method (algo.name) -> gradient steps -> MSE
    "maml": {1: 0.67, 5: 0.38, 10: 0.35},
    "pretrain": {1: 2.41, 5: 2.23, 10: 2.19},
}
