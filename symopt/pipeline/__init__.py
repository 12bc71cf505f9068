"""The experiment after the search (paper section 2.3): funnel, simplify, verdict, then ``report.md``.

:func:`run_pipeline` runs each post-search step that is not done yet
(:class:`PipelineState`, ``pipeline.json``) and writes the report
(:func:`write_report`); :func:`run_step` redoes one step.

Example:
    >>> POST_SEARCH_STEPS
    ('funnel', 'simplify', 'verdict')
"""

from symopt.pipeline._report import render_report, write_report
from symopt.pipeline._state import POST_SEARCH_STEPS, PipelineState
from symopt.pipeline._steps import Choice, choose_program, run_pipeline, run_step

__all__ = [
    "POST_SEARCH_STEPS",
    "Choice",
    "PipelineState",
    "choose_program",
    "render_report",
    "run_pipeline",
    "run_step",
    "write_report",
]
