"""The campaign config: one schema, each YAML section's dataclass is what the code runs with.

Sections: ``search_space`` (:class:`SearchSpace`, with the closed list of
:class:`MutationKind`), ``search``, ``fitness`` (the proxy tasks'
:class:`FitnessSpec` of :class:`TaskSpec`), ``ray``, ``output``, ``pipeline``,
``funnel`` (stages with a ``pass`` rule from :data:`PASS_RULES`) and
``simplify``. :func:`load_config` reads YAML with ``--set`` overrides and
:func:`dump_config` writes it back, every default filled in.

Example:
    >>> from symopt.config import Config, SearchSpace
    >>> Config().search_space == SearchSpace()
    True
"""

from symopt.config._fitness import DEFAULT_FITNESS, FitnessSpec, TaskSpec
from symopt.config._load import ConfigError, config_to_dict, dump_config, load_config, parse_override
from symopt.config._pass_rules import PASS_RULES, PassRule
from symopt.config._schema import FieldError, SchemaError
from symopt.config._sections import (
    Budget,
    Config,
    FingerprintConfig,
    HurdleConfig,
    OutputConfig,
    RayConfig,
    SearchConfig,
)
from symopt.config._space import MutationKind, MutationWeights, SearchSpace
from symopt.config._stages import (
    DEFAULT_TOLERANCE,
    PIPELINE_STEPS,
    FunnelConfig,
    PipelineStep,
    SimplifyConfig,
    StageConfig,
)

__all__ = [
    "DEFAULT_FITNESS",
    "DEFAULT_TOLERANCE",
    "PASS_RULES",
    "PIPELINE_STEPS",
    "Budget",
    "HurdleConfig",
    "Config",
    "ConfigError",
    "FieldError",
    "FingerprintConfig",
    "FitnessSpec",
    "FunnelConfig",
    "MutationKind",
    "MutationWeights",
    "OutputConfig",
    "PassRule",
    "PipelineStep",
    "RayConfig",
    "SchemaError",
    "SearchConfig",
    "SearchSpace",
    "SimplifyConfig",
    "StageConfig",
    "TaskSpec",
    "config_to_dict",
    "dump_config",
    "load_config",
    "parse_override",
]
