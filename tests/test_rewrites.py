"""Rewrites apply where the dataflow matches and the numeric check agrees, and nowhere else."""

from __future__ import annotations

import pytest

from symopt.dsl import builtin, parse, program_hash, reduce, to_source
from symopt.dsl.program import Const, Program, Statement, Var
from symopt.simplify import Proposal, REWRITES, Rewrite, apply_rewrites, constant_sites, descriptive_names, equivalent, renamed, roundings, statement_text, with_constant


def program(*lines: str, state: str = "m, v") -> Program:
    """``def train(w, g, <state>, lr)`` with the given body, returning update and the state."""
    head = f"def train(w, g, {state + ', ' if state else ''}lr):"
    tail = f"    return update{', ' + state if state else ''}"
    return parse("\n".join([head, *(f"    {line}" for line in lines), tail]) + "\n")


def rewritten(p: Program, rule: str) -> list[str]:
    """The sources after each application of ``rule`` alone."""
    rules = [r for r in REWRITES if r.name == rule]
    return [to_source(a.program) for a in apply_rewrites(p, rules)]


# --- sign --------------------------------------------------------------------

SIGN_APPLIES = {
    "sqrt_of_product": ("m = interp(g, m, 0.9)", "a = m * m", "b = sqrt(a)", "update = m / b"),
    "sqrt_of_square": ("m = interp(g, m, 0.9)", "a = square(m)", "b = sqrt(a)", "update = m / b"),
    "abs": ("m = interp(g, m, 0.9)", "b = abs(m)", "update = m / b"),
    "of_an_input": ("b = abs(g)", "update = g / b"),
}

SIGN_REFUSED = {
    "other_variable": ("a = w * w", "b = sqrt(a)", "update = g / b"),
    "product_of_two": ("a = g * w", "b = sqrt(a)", "update = g / b"),
    # The name matches, the value does not: m changed between the square and the division.
    "reassigned_between": ("a = m * m", "m = interp(g, m, 0.9)", "b = sqrt(a)", "update = m / b"),
    "no_sqrt": ("a = m * m", "update = m / a"),
}


@pytest.mark.parametrize("case", sorted(SIGN_APPLIES))
def test_sign_applies_to_x_over_its_magnitude(case: str) -> None:
    original = program(*SIGN_APPLIES[case])
    (after,) = rewritten(original, "sign")
    assert "sign(" in after and "/" not in after and "sqrt" not in after
    assert equivalent(original, parse(after))


@pytest.mark.parametrize("case", sorted(SIGN_REFUSED))
def test_sign_refuses_other_ratios(case: str) -> None:
    assert rewritten(program(*SIGN_REFUSED[case]), "sign") == []


# --- merge_interp ----------------------------------------------------------------


def test_merge_interp_on_program4_reads_the_old_slot() -> None:
    p = program(
        "m = interp(g, v, 0.899)", "v = interp(g, m, 1.109)", "update = sign(m)"
    )
    (after,) = rewritten(p, "merge_interp")
    merged = parse(after)
    assert merged.statements[1] == Statement("v", "interp", (Var("g"), Var("v"), Const(0.899 * 1.109)))
    assert merged.statements[1].args[2].value == pytest.approx(0.997, abs=1e-3)
    assert equivalent(p, merged)


def test_merge_interp_moves_the_statement_when_the_old_value_is_gone() -> None:
    # q is overwritten before the second interp, so the merged one goes right after the first.
    p = program(
        "q = sign(g)",
        "a = interp(g, q, 0.5)",
        "q = abs(g)",
        "b = interp(g, a, 0.5)",
        "update = b + q",
        state="",
    )
    (after,) = rewritten(p, "merge_interp")
    lines = [line.strip() for line in after.splitlines()]
    assert lines.index("b = interp(g, q, 0.25)") == lines.index("q = abs(g)") - 1
    assert equivalent(p, parse(after))


MERGE_REFUSED = {
    "different_first_argument": ("m = interp(g, v, 0.9)", "v = interp(w, m, 0.9)", "update = sign(m)"),
    "variable_weight": ("c = lr * 0.5", "m = interp(g, v, c)", "v = interp(g, m, 0.9)", "update = sign(m)"),
    "reads_another_value": ("m = interp(g, v, 0.9)", "v = interp(g, v, 0.9)", "update = sign(m)"),
}


@pytest.mark.parametrize("case", sorted(MERGE_REFUSED))
def test_merge_interp_refuses(case: str) -> None:
    assert rewritten(program(*MERGE_REFUSED[case]), "merge_interp") == []


# --- split_interp ----------------------------------------------------------------


@pytest.mark.parametrize("order", ["a + c", "c + a"])
def test_split_interp_becomes_one_interp(order: str) -> None:
    p = program("a = m * 0.9", "c = 0.1 * g", f"m = {order}", "update = sign(m)", state="m")
    (after,) = rewritten(p, "split_interp")
    assert "m = interp(g, m, 0.9)" in after and "0.1" not in after
    assert equivalent(p, parse(after))


def test_split_interp_needs_weights_summing_to_one() -> None:
    p = program("a = m * 0.9", "c = g * 0.2", "m = a + c", "update = sign(m)", state="m")
    assert rewritten(p, "split_interp") == []


# --- zero_slots ------------------------------------------------------------------


@pytest.mark.parametrize(
    "momentum",
    ["m = interp(g, m, 1.0)", "m = m * 1.0", None],  # None: never written at all
)
def test_zero_slots_reads_a_slot_that_never_moves_as_zero(momentum: str | None) -> None:
    body = ("t = interp(g, m, 0.9)", *((momentum,) if momentum else ()), "update = sign(t)")
    p = program(*body, state="m")
    after = [a.program for a in apply_rewrites(p)]
    assert after[-1].state == ()
    assert after[-1].statements[0] == Statement("t", "interp", (Var("g"), Const(0.0), Const(0.9)))
    assert equivalent(p, after[-1], from_zero=True)
    assert not equivalent(p, after[-1])  # right only because slots start at zero


def test_zero_slots_leaves_a_real_momentum_alone() -> None:
    p = program("t = interp(g, m, 0.9)", "m = interp(g, m, 0.999)", "update = sign(t)", state="m")
    assert rewritten(p, "zero_slots") == []


# --- drop_slots ------------------------------------------------------------------


def test_drop_slots_keeps_the_live_ones() -> None:
    (after,) = rewritten(builtin("lion"), "drop_slots")
    assert parse(after).state == ("m",)
    assert rewritten(builtin("adamw"), "drop_slots") == []


def test_program4_rewrites_in_order() -> None:
    applied = list(apply_rewrites(reduce(builtin("program4"))))
    assert [a.rule for a in applied] == ["sign", "merge_interp", "drop_slots"]
    assert applied[-1].program.state == ("v",)
    assert "sqrt" not in to_source(applied[-1].program)


# --- the numeric check -------------------------------------------------------------


def _divide_anything_to_sign(p: Program) -> list[Proposal]:
    """A deliberately wrong rule: every division becomes the sign of its numerator."""
    return [
        Proposal(p.with_changes(statements=p.statements[:i] + (s.with_changes(fn="sign", args=s.args[:1]),)
                                + p.statements[i + 1 :]), "wrong")
        for i, s in enumerate(p.statements)
        if s.fn == "div"
    ]


WRONG = Rewrite("wrong_sign", "x / anything -> sign(x)", _divide_anything_to_sign)


def test_the_check_refuses_a_wrong_rewrite() -> None:
    p = program("a = w * w", "b = sqrt(a)", "update = g / b")
    assert list(apply_rewrites(p, [WRONG])) == []


def _merge_with_a_wrong_weight(p: Program) -> list[Proposal]:
    """A deliberately wrong rule: Program 4's interps merged with beta2 0.99 instead of 0.997."""
    body = p.statements
    merged = Statement("v", "interp", (Var("g"), Var("v"), Const(0.99)))
    return [Proposal(p.with_changes(statements=body[:3] + (merged,) + body[4:]), "wrong")]


def test_the_check_refuses_a_wrong_merge_that_a_zero_start_hides() -> None:
    # From zero, a slow momentum hardly reaches sign(m) in a few steps; from a random start it does.
    p = reduce(builtin("program4"))
    assert [s.target for s in p.statements[2:5]] == ["m", "m2", "v"]
    body = p.statements
    p = p.with_changes(statements=body[:3] + body[4:5] + body[3:4] + body[5:])  # v's interp, then m * m
    assert list(apply_rewrites(p, [Rewrite("wrong_merge", "wrong", _merge_with_a_wrong_weight)])) == []
    assert rewritten(p, "merge_interp") != []


def test_the_check_lets_the_same_rule_through_where_it_is_right() -> None:
    p = program("a = g * g", "b = sqrt(a)", "update = g / b")
    assert [a.rule for a in apply_rewrites(p, [WRONG])] == ["wrong_sign"]


def test_no_rewrite_passes_a_check_that_refuses_all() -> None:
    assert list(apply_rewrites(reduce(builtin("program4")), check=lambda a, b, **_: False)) == []


MOMENTUM = ("update = interp(g, m, 0.9)", "m = interp(g, m, 0.99)")
LION_LIKE = ("t = interp(g, m, 0.9)", "update = sign(t)", "m = interp(g, m, 0.99)")


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (MOMENTUM, MOMENTUM, True),
        (MOMENTUM, ("update = interp(g, m, 0.9)", "m = interp(g, m, 0.98)"), False),
        (LION_LIKE, ("t = interp(g, m, 0.901)", "update = sign(t)", "m = interp(g, m, 0.99)"), False),
        (("update = norm(g)",), ("t = g * g", "t = global_norm(t)", "update = g * 0.0", "update = update + t"), False),
    ],
)
def test_equivalent_sees_differences_through_state_and_tensors(
    a: tuple[str, ...], b: tuple[str, ...], same: bool
) -> None:
    assert equivalent(program(*a, state="m"), program(*b, state="m")) is same


def test_equivalent_is_false_for_invalid_programs() -> None:
    invalid = Program((Statement("update", "sign", (Var("nowhere"),)),))
    assert not equivalent(invalid, builtin("sgd"))


# --- constants ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shorter"),
    [
        (0.899, (0.9,)),
        (0.4602, (0.5, 0.46)),
        (0.0002, ()),
        (-1.2345, (-1.0, -1.2, -1.23, -1.234)),
        (0.0, ()),
    ],
)
def test_roundings_fewest_digits_first(value: float, shorter: tuple[float, ...]) -> None:
    assert roundings(value) == shorter


def test_constant_sites_and_with_constant() -> None:
    lion = builtin("lion")
    sites = constant_sites(lion)
    assert len(sites) == 4
    changed = with_constant(lion, sites[-1], 0.001)
    assert statement_text(changed, sites[-1][0]) == "lr = lr * 0.001"


# --- names ----------------------------------------------------------------------------


def test_descriptive_names_of_program4_after_rewrites() -> None:
    simple = list(apply_rewrites(reduce(builtin("program4"))))[-1].program
    names = descriptive_names(simple)
    assert names == {"v": "momentum", "m": "t1", "wd": "decay"}
    assert program_hash(renamed(simple, names)) == program_hash(simple)


def test_descriptive_names_tell_momentum_from_second_moment_by_behaviour() -> None:
    # Declared in the "wrong" order: the second moment first.
    p = program("g2 = square(g)", "a = interp(g2, a, 0.999)", "b = interp(g, b, 0.9)", "s = sqrt(a)",
                "out = b / s", "update = out * lr", state="a, b")
    assert descriptive_names(p) == {
        "a": "second_moment", "b": "momentum", "g2": "square_g", "s": "sqrt_second_moment", "out": "t1"
    }  # fmt: skip


def test_descriptive_names_leave_inputs_lr_and_dead_slots_alone() -> None:
    assert descriptive_names(builtin("sgd")) == {"wd": "decay"}


def test_descriptive_names_avoid_the_names_they_keep() -> None:
    # The dead slot is called t1 and stays so; the temporaries must not take its name.
    p = program("a = g * g", "b = a * lr", "update = b + b", state="t1")
    names = descriptive_names(p)
    assert names == {"a": "t2", "b": "t3"}
    assert program_hash(renamed(p, names)) == program_hash(p)


def test_descriptive_names_derive_from_a_one_argument_function_set_once() -> None:
    p = program("a = sign(g)", "a = a * lr", "b = abs(g)", "c = sqrt(b)", "update = a + c")
    # a is written twice: a plain temporary; c's name follows b's new name.
    assert descriptive_names(p) == {"a": "t1", "b": "abs_g", "c": "sqrt_abs_g"}
    chain = program("x1 = abs(g)", "x2 = exp(x1)", "x3 = sign(x2)", "x4 = abs(x3)", "x5 = exp(x4)",
                    "x6 = sign(x5)", "update = x6 * lr")  # fmt: skip
    names = descriptive_names(chain)
    assert [names[f"x{k}"] for k in range(1, 6)] == ["abs_g", "exp_abs_g", "sign_exp_abs_g", "abs_sign_exp_abs_g",
                                          "exp_abs_sign_exp_abs_g"]  # fmt: skip
    assert names["x6"] == "t1"  # sign_exp_abs_sign_exp_abs_g: past 24 characters


def test_descriptive_names_number_repeated_roles() -> None:
    p = program("m = interp(g, m, 0.9)", "v = interp(g, v, 0.5)", "update = m + v", state="m, v")
    assert descriptive_names(p) == {"m": "momentum", "v": "momentum2"}


def test_renamed_refuses_a_renaming_that_changes_the_program() -> None:
    with pytest.raises(ValueError, match="changes the program"):
        renamed(builtin("adamw"), {"v": "m"})
