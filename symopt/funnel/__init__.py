"""Funnel selection (paper section 2.3): the search's best programs on ever larger tasks.

:func:`run_funnel` scores a run's top programs and the baselines on each stage
of the config's ``funnel`` section; a program goes on when its stage's pass
rule (:data:`symopt.config.PASS_RULES`) holds. The first stage also scores the
meta-validation curve (:func:`sample_best_so_far`). :func:`write_funnel` and
:func:`read_funnel` keep the results in the run folder (``funnel.json``,
``funnel.csv``, ``funnel.png``, ``meta_validation.csv``/``.png``).

Example:
    >>> from symopt.runs import HistoryRecord as R
    >>> [p.id for p in sample_best_so_far([R(0, fitness=0.0), R(1, fitness=0.4)], every=1)]
    [0, 1]
"""

from symopt.funnel._files import FUNNEL_COLUMNS, META_COLUMNS, funnel_from_dict, funnel_to_dict, read_funnel
from symopt.funnel._files import write_funnel
from symopt.funnel._meta_validation import MetaPoint, sample_best_so_far
from symopt.funnel._plots import plot_funnel, plot_meta_validation
from symopt.funnel._select import Entrant, FunnelResult, MetaScore, Row, StageResult, TaskResult, run_funnel

__all__ = [
    "FUNNEL_COLUMNS",
    "META_COLUMNS",
    "Entrant",
    "FunnelResult",
    "MetaPoint",
    "MetaScore",
    "Row",
    "StageResult",
    "TaskResult",
    "funnel_from_dict",
    "funnel_to_dict",
    "plot_funnel",
    "plot_meta_validation",
    "read_funnel",
    "run_funnel",
    "sample_best_so_far",
    "write_funnel",
]
