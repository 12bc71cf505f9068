"""Campaign configs: defaults, located errors, --set overrides, and the saved round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from symopt.config import Config, ConfigError, FunnelConfig, SearchConfig, SimplifyConfig, dump_config, load_config, parse_override
from symopt.config import MutationKind, SearchSpace
from symopt.proxy_tasks import LION_FITNESS

CONFIG_DIR = Path(__file__).parent.parent / "configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_follow_the_paper():
    cfg = Config()
    assert (cfg.search.mode, cfg.search.warm_start) == ("evolution", "adamw")
    assert (cfg.search.population_size, cfg.search.tournament_size) == (1000, 2)
    assert cfg.search.restart_from_best_every is None
    assert cfg.ray.address is None and not cfg.ray.serial and cfg.ray.num_gpus_per_worker == 0
    assert cfg.search_space == SearchSpace()
    assert cfg.pipeline == ("search",)
    assert cfg.funnel == FunnelConfig() and cfg.simplify == SimplifyConfig()
    assert cfg.funnel.top_k == 10 and cfg.funnel.meta_validation_every == 500
    assert [s.name for s in cfg.funnel.stages] == ["B", "C"] and cfg.funnel.baselines == ("adamw", "lion")
    assert all(s.pass_ == "beat_adamw" and s.to_spec().baseline == "adamw" for s in cfg.funnel.stages)


def test_an_empty_funnel_or_simplify_section_is_all_defaults(tmp_path):
    # Run folders written before these sections existed hold ``funnel: {}``.
    assert load_config(write(tmp_path, "funnel: {}\nsimplify: {}\n")) == Config()


def test_an_empty_file_is_refused_but_one_key_is_all_defaults(tmp_path):
    # The defaults have no budget: an empty file would start a search that never ends.
    for text in ("", "# a comment\n", "{}\n"):
        with pytest.raises(ConfigError, match=r"c\.yaml: the config is empty; .* write one key"):
            load_config(write(tmp_path, text))
    assert load_config(write(tmp_path, "name: default\n")) == Config(name="default")
    assert load_config(write(tmp_path, ""), ["seed=0"]) == Config()  # --set says what is wanted


STAGE = "{name: B, tasks: [{name: quadratic}]}"

# (YAML text, key path named, expectation named)
ERRORS = [
    ("serach: {}\n", "serach", "unknown key (expected one of: name, seed"),
    ("search: {populaton_size: 5}\n", "search.populaton_size", "unknown key"),
    ("search: {population_size: many}\n", "search.population_size", "expected an integer, got 'many'"),
    ("search: {population_size: 0}\n", "search.population_size", "expected an integer >= 1, got 0"),
    ("search: {population_size: 2.5}\n", "search.population_size", "expected an integer"),
    ("search: {population_size: 3, tournament_size: 5}\n", "search.tournament_size", "population_size = 3"),
    ("search: {mode: genetic}\n", "search.mode", "one of 'evolution', 'random', 'hparam'"),
    ("search: {warm_start: nosuch.py}\n", "search.warm_start", "not found"),
    ("search: {budget: {max_children: 0}}\n", "search.budget.max_children", "> 0 or null"),
    ("search: {restart_from_best_every: -3}\n", "search.restart_from_best_every", ">= 1 or null"),
    ("search: 5\n", "search", "expected a mapping with keys mode"),
    ("search_space: {functions: [add, frobnicate]}\n", "search_space.functions[1]", "a library function"),
    ("search_space: {functions: some}\n", "search_space.functions", "'all' or a list of strings"),
    ("search_space: {max_len: 100}\n", "search_space.max_len", "[1, 48]"),
    ("search_space: {state: [m]}\n", "search.warm_start", "state slots ['m']"),
    ("search_space: {mutation_weights: {insert: -1}}\n", "search_space.mutation_weights.insert", ">= 0"),
    ("fitness: {tasks: [{name: mnist}]}\n", "fitness.tasks[0].name", "one of teacher_student"),
    ("fitness: {baseline: rmsprop}\n", "fitness.baseline", "a built-in program name"),
    ("fitness: {tasks: [{name: quadratic, lr_scale: 0}]}\n", "fitness.tasks[0].lr_scale", "a number > 0"),
    (
        "fitness: {tasks: [{name: quadratic, knobs: {stepz: 3}}]}\n",
        "fitness.tasks[0].knobs.stepz",
        "a knob of quadratic",
    ),
    ("fitness: {tasks: [{name: quadratic, knobs: {steps: 0}}]}\n", "fitness.tasks[0].knobs", "must be >= 1"),
    ("fitness: {tasks: [{knobs: {}}]}\n", "fitness.tasks[0].name", "missing (expected a string)"),
    ("fitness: {seeds: [0, -1]}\n", "fitness.seeds[1]", "[0, 2**32)"),
    ("fitness: {lr_multipliers: []}\n", "fitness.lr_multipliers", "a non-empty list"),
    ("ray: {serial: yes please}\n", "ray.serial", "expected true or false"),
    ("ray: {num_gpus_per_worker: -0.5}\n", "ray.num_gpus_per_worker", "a number >= 0"),
    ("ray: {num_workers: 0}\n", "ray.num_workers", ">= 1 or null"),
    ("output: {checkpoint_every: 0}\n", "output.checkpoint_every", "an integer >= 1"),
    ("funnel: [1, 2]\n", "funnel", "expected a mapping"),
    ("funnel: {top_k: 0}\n", "funnel.top_k", "an integer >= 1"),
    ("funnel: {stages: []}\n", "funnel.stages", "a non-empty list"),
    ("funnel: {stages: [{name: B}]}\n", "funnel.stages[0].tasks", "missing (expected a list"),
    ("funnel: {stages: [{tasks: [{name: quadratic}]}]}\n", "funnel.stages[0].name", "missing"),
    (f"funnel: {{stages: [{STAGE}, {{name: B, tasks: [{{name: quadratic}}], pass: beat_lion}}]}}\n",
     "funnel.stages[1].pass", "one of 'beat_adamw'"),
    (f"funnel: {{stages: [{STAGE}, {STAGE}]}}\n", "funnel.stages[1].name", "a name no other stage has"),
    ("funnel: {stages: [{name: B, tasks: [{name: quadratic, knobs: {stepz: 1}}]}]}\n",
     "funnel.stages[0].tasks[0].knobs.stepz", "a knob of quadratic"),
    ("funnel: {stages: [{name: B, tasks: [{name: quadratic}], seeds: [-1]}]}\n",
     "funnel.stages[0].seeds[0]", "[0, 2**32)"),
    ("funnel: {stages: [{name: B, tasks: [{name: quadratic}], lr_multipliers: [0]}]}\n",
     "funnel.stages[0].lr_multipliers[0]", "a number > 0"),
    ("funnel: {baselines: [adamw, rmsprop]}\n", "funnel.baselines[1]", "a built-in program name"),
    ("funnel: {meta_validation_every: 0}\n", "funnel.meta_validation_every", ">= 1 or null"),
    ("funnel: {topk: 3}\n", "funnel.topk", "unknown key (expected one of: top_k, stages"),
    ("simplify: {tolerance: -1}\n", "simplify.tolerance", "a number >= 0"),
    ("simplify: {seeds: []}\n", "simplify.seeds", "a non-empty list"),
    ("simplify: {evolve_steps: -5}\n", "simplify.evolve_steps", "an integer >= 0"),
    ("pipeline: [search, simplify]\n", "pipeline[1]", "expected 'funnel'"),
    ("pipeline: [funnel]\n", "pipeline[0]", "expected 'search'"),
    ("pipeline: []\n", "pipeline", "a non-empty prefix"),
    ("pipeline: [search, report]\n", "pipeline[1]", "one of 'search', 'funnel'"),
    ("name: my run\n", "name", "letters, digits"),
]


@pytest.mark.parametrize("text, key_path, expected", ERRORS, ids=[e[1] for e in ERRORS])
def test_each_error_names_file_key_and_expectation(tmp_path, text, key_path, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key_path}"), message
    assert expected in message
    assert "\n" not in message


def test_a_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: cannot read"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match=r"c\.yaml:\d+:\d+: not valid YAML"):
        load_config(write(tmp_path, "search:\n  population_size: [1\n"))
    with pytest.raises(ConfigError, match="expected a mapping of sections"):
        load_config(write(tmp_path, "- 1\n- 2\n"))


def test_set_overrides_parse_values_as_yaml(tmp_path):
    path = write(tmp_path, "search: {population_size: 10}\n")
    cfg = load_config(
        path,
        [
            "search.tournament_size=4",
            "ray.serial=true",
            "fitness.seeds=[3, 4]",
            "search.budget.max_seconds=1e3",
            "funnel.top_k=5",
        ],
    )
    assert cfg.search.population_size == 10 and cfg.search.tournament_size == 4
    assert cfg.ray.serial is True and cfg.fitness.seeds == (3, 4)
    assert cfg.search.budget.max_seconds == 1000.0  # "1e3" is a string to PyYAML
    assert cfg.funnel.top_k == 5 and cfg.funnel.stages == FunnelConfig().stages


@pytest.mark.parametrize(
    "override, fragment",
    [
        ("search.population_size=x", "(--set search.population_size=x): search.population_size: expected an integer"),
        ("search.colour=red", "(--set search.colour=red): search.colour: unknown key"),
        ("seed.x=1", "(--set seed.x=1): seed: expected an integer"),
        ("noequals", "(--set): expected section.key=value"),
        ("search..mode=random", "(--set): expected section.key=value"),
    ],
)
def test_bad_overrides_name_the_file_and_the_set(tmp_path, override, fragment):
    path = write(tmp_path, "")
    with pytest.raises(ConfigError) as err:
        load_config(path, [override])
    assert str(err.value).startswith(str(path))
    assert fragment in str(err.value)


def test_an_override_cannot_descend_into_a_value(tmp_path):
    with pytest.raises(ConfigError, match=r"c\.yaml \(--set seed\.x=1\): seed: is not a section"):
        load_config(write(tmp_path, "seed: 3\n"), ["seed.x=1"])


def test_parse_override():
    assert parse_override("a.b=") == (("a", "b"), None)
    assert parse_override("ray.address=10.0.0.1:6379") == (("ray", "address"), "10.0.0.1:6379")


def test_a_warm_start_file_resolves_from_the_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.py").write_text(
        "def train(w, g, m, v, lr):\n    update = sign(g)\n    update = update * lr\n    return update, m, v\n"
    )
    cfg = load_config(write(tmp_path / "sub", "search: {warm_start: mine.py}\n"))
    assert cfg.search.warm_start == str((tmp_path / "sub" / "mine.py").resolve())


def test_an_invalid_warm_start_file_is_rejected(tmp_path):
    (tmp_path / "bad.py").write_text("def train(w, g, m, v, lr):\n    update = frob(g)\n    return update, m, v\n")
    with pytest.raises(ConfigError, match="search.warm_start: expected a valid program"):
        load_config(write(tmp_path, "search: {warm_start: bad.py}\n"))


def test_dataclasses_check_themselves():
    with pytest.raises(ValueError, match="tournament_size"):
        SearchConfig(population_size=2, tournament_size=3)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_configs_load_and_round_trip(tmp_path, path):
    cfg = load_config(path)
    saved = tmp_path / "config.yaml"
    dump_config(cfg, saved)
    assert load_config(saved) == cfg
    # Twice saved, same text: the dump is canonical.
    again = tmp_path / "again.yaml"
    dump_config(load_config(saved), again)
    assert again.read_text() == saved.read_text()


def test_the_default_config_round_trips(tmp_path):
    dump_config(Config(), tmp_path / "config.yaml")
    assert load_config(tmp_path / "config.yaml") == Config()


def test_shipped_configs_exist():
    names = {p.name for p in CONFIGS}
    assert {"quick.yaml", "lion_discovery.yaml", "random_search.yaml", "hparam_tuning.yaml"} <= names


def test_the_baselines_share_the_discovery_fitness_and_budget():
    lion = load_config(CONFIG_DIR / "lion_discovery.yaml")
    assert (lion.search.population_size, lion.search.tournament_size) == (100, 5)
    # LION_FITNESS with its decay searched x{1, 10, 100} (no decay valley between AdamW and Lion),
    # its runs one at a time (the faster path on a CPU core for this fitness)
    assert lion.fitness == dataclasses.replace(LION_FITNESS, decay_multipliers=(1.0, 10.0, 100.0), batched=False)
    assert lion.search_space.keep_neutral
    assert (lion.search.hurdle.percentile, lion.search.hurdle.tasks) == (75.0, (0,))
    for name, mode in (("random_search.yaml", "random"), ("hparam_tuning.yaml", "hparam")):
        baseline = load_config(CONFIG_DIR / name)
        assert baseline.search.mode == mode
        assert baseline.fitness == lion.fitness
        assert (baseline.search.population_size, baseline.search.tournament_size) == (100, 5)
        assert baseline.search.hurdle == lion.search.hurdle
        assert baseline.search.budget == lion.search.budget
        assert baseline.funnel == lion.funnel
        assert baseline.search_space.max_len == lion.search_space.max_len


def test_only_the_discovery_config_turns_on_the_kinds_not_in_the_paper():
    """modify_beta and copy default to 0 (quick.yaml and the baselines unchanged); lion_discovery uses them."""
    extra = (MutationKind.MODIFY_BETA, MutationKind.COPY)
    assert all(kind.default_weight == 0.0 for kind in extra)
    for name in ("quick.yaml", "random_search.yaml", "hparam_tuning.yaml"):
        weights = load_config(CONFIG_DIR / name).search_space.mutation_weights
        assert all(weights.of(kind) == 0.0 for kind in extra), name
    lion = load_config(CONFIG_DIR / "lion_discovery.yaml").search_space.mutation_weights
    assert all(lion.of(kind) > 0.0 for kind in extra)


def test_the_discovery_config_runs_the_whole_pipeline_in_a_laptop_budget():
    lion = load_config(CONFIG_DIR / "lion_discovery.yaml")
    assert lion.pipeline == ("search", "funnel", "simplify", "verdict")
    assert lion.search.budget.max_seconds <= 1200 and lion.search.budget.max_trained <= 30000
    assert load_config(CONFIG_DIR / "quick.yaml").pipeline == ("search",)


def test_a_stage_reads_and_writes_the_pass_key(tmp_path):
    cfg = load_config(write(tmp_path, f"funnel: {{stages: [{STAGE}]}}\n"))
    (stage,) = cfg.funnel.stages
    assert stage.pass_ == "beat_adamw" and stage.seeds == (100, 101)
    dump_config(cfg, tmp_path / "saved.yaml")
    assert "pass: beat_adamw" in (tmp_path / "saved.yaml").read_text()
    assert load_config(tmp_path / "saved.yaml") == cfg


def test_the_fitness_section_reaches_every_fitness_spec_field(tmp_path):
    text = """fitness:
  tasks: [{name: teacher_student, knobs: {teacher_scale: 1.0, init: he, steps: 50, warmup: 0.0}}]
  lr_aggregate: mean
  decay_multipliers: [1.0, 10.0]
"""
    spec = load_config(write(tmp_path, text)).fitness
    assert spec.lr_aggregate == "mean" and spec.decay_multipliers == (1.0, 10.0)
    assert dict(spec.tasks[0].knobs)["teacher_scale"] == 1.0 and dict(spec.tasks[0].knobs)["init"] == "he"
    with pytest.raises(ConfigError, match=r"fitness.decay_multipliers\[1\]: expected a number > 0"):
        load_config(write(tmp_path, "fitness: {decay_multipliers: [1.0, 0.0]}\n"))
