"""The expert panel's figures: spread per application, each expert against the others, outliers, normalised mean."""

from decimal import Decimal as D

from review import rules


def test_the_spread_of_an_applications_scores():
    figures = rules.spread([D("70"), D("80"), D("90")])

    assert figures == rules.Spread(count=3, mean=D("80.00"), minimum=D("70"), maximum=D("90"), std=D("8.16"))
    assert rules.spread([]) == rules.Spread(0, None, None, None, None)


def test_an_expert_far_from_the_others_is_flagged_and_the_others_are_not():
    totals = {"a": D("80"), "b": D("82"), "c": D("78"), "d": D("40")}

    # d against a, b, c: mean 80, deviation 1.63 → 40 points away, far beyond 2 deviations.
    assert rules.outliers(totals) == {"d"}


def test_no_outlier_among_close_scores_or_with_too_few_others():
    assert rules.outliers({"a": D("80"), "b": D("81"), "c": D("79")}) == set()
    assert rules.outliers({"a": D("80"), "b": D("20")}) == set()  # one other: nothing to measure against


def test_the_others_spread_counts_as_at_least_one_point():
    # The others agree exactly (deviation 0): 1.5 points off is within 2 × 1, 3 points off is not.
    assert rules.outliers({"a": D("80"), "b": D("80"), "c": D("81.5")}) == set()
    assert rules.outliers({"a": D("80"), "b": D("80"), "c": D("83")}) == {"c"}


def test_each_expert_against_the_panel():
    scores = {
        ("x", "strict"): D("60"),
        ("x", "kind"): D("80"),
        ("y", "strict"): D("70"),
        ("y", "kind"): D("90"),
    }

    figures = rules.expert_figures(scores)

    assert figures["strict"].spread.mean == D("65.00")
    assert figures["strict"].spread.std == D("5.00")
    assert figures["strict"].against_panel == D("-20.00")
    assert figures["kind"].against_panel == D("20.00")


def test_the_normalised_mean_takes_out_a_strict_experts_scale():
    # A strict and a generous expert rank the two applications the same way; normalised, both give x the same:
    # panel mean 75, panel deviation 11.18; each expert's x is one of their own deviations below their mean.
    scores = {
        ("x", "strict"): D("60"),
        ("x", "kind"): D("80"),
        ("y", "strict"): D("70"),
        ("y", "kind"): D("90"),
    }

    normalised = rules.normalised_totals(scores)

    assert normalised[("x", "strict")] == normalised[("x", "kind")] == D("63.82")
    assert normalised[("y", "strict")] == normalised[("y", "kind")] == D("86.18")
    assert rules.panel_mean("x", scores) == D("70.00")
    assert rules.panel_mean("x", scores, normalised=True) == D("63.82")


def test_an_expert_with_one_score_is_only_shifted_to_the_panels_mean():
    scores = {("x", "a"): D("50"), ("x", "b"): D("70"), ("y", "b"): D("90")}

    normalised = rules.normalised_totals(scores)

    # Panel mean 70; a gave one total, 50: shifted by its own mean to 70.
    assert normalised[("x", "a")] == D("70.00")


def test_the_pass_mark_rule_uses_the_mean_it_is_given():
    totals = [D("70"), D("58")]

    assert rules.expert_review_blockers(totals, min_experts=2, pass_mark=D("60")) == []
    refused = rules.expert_review_blockers(totals, min_experts=2, pass_mark=D("60"), mean=D("59.50"))
    assert [error.code for error in refused] == ["below_pass_mark"]
