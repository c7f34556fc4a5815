import dataclasses
import math

import numpy as np
import pytest
import torch

import lsbo
from lsbo import LsboError, Objective, Optimizer, OptimizerOptions
from lsbo.exceptions import InvalidDesignsError, InvalidOptionError, ObjectiveError

FAST = OptimizerOptions(n_initial=5, num_restarts=4, raw_samples=64, mc_samples=64)
# decoded latent points only, where a test is about what happens to them
LATENT_ONLY = lsbo.Plain(mutants=0)


def count_a(s: str) -> float:
    return float(s.count("a"))


class Recording(Objective):
    """Counts 'a's, refuses designs that start with 'dd', remembers what it scored."""

    batch_size = 1

    def __init__(self):
        self.seen = []

    def is_valid(self, design):
        return not design.startswith("dd")

    def _evaluate(self, designs):
        assert not designs[0].startswith("dd"), "an invalid design reached the objective"
        self.seen.extend(designs)
        return [count_a(designs[0])]


def test_optimize_beats_the_best_training_design_reproducibly(strings, string_vae):
    best_training = max(count_a(s) for s in strings)
    first = lsbo.optimize(count_a, strings, budget=12, model=string_vae, options=FAST, seed=0)
    again = lsbo.optimize(count_a, strings, budget=12, model=string_vae, options=FAST, seed=0)
    assert first.best_value > best_training
    assert [(r.design, r.value) for r in first.history] == [
        (r.design, r.value) for r in again.history
    ]
    assert len(first.history) == 12


def test_different_seeds_give_different_runs(strings, string_vae):
    a = lsbo.optimize(count_a, strings, budget=8, model=string_vae, options=FAST, seed=0)
    b = lsbo.optimize(count_a, strings, budget=8, model=string_vae, options=FAST, seed=1)
    assert [r.design for r in a.history] != [r.design for r in b.history]


def test_invalid_designs_never_reach_the_objective_and_nothing_repeats(strings, string_vae):
    objective = Recording()
    result = lsbo.optimize(objective, strings, budget=20, model=string_vae, options=FAST)
    assert not any(d.startswith("dd") for d in objective.seen)
    assert len(set(objective.seen)) == len(objective.seen) == 20
    assert [r.design for r in result.history] == objective.seen
    assert result.stats.n_invalid + result.stats.n_duplicate == result.stats.n_rejected


def test_the_gp_learns_from_the_evaluated_designs_own_latent_point(strings, string_vae):
    result = lsbo.optimize(count_a, strings, budget=10, model=string_vae, options=FAST)
    for record in result.history:
        mean, _ = string_vae.encode([record.design])
        assert torch.allclose(record.latent.float(), mean[0], atol=1e-6)
    assert any(r.source == "bo" for r in result.history)


def test_batches_and_pending_points_give_distinct_proposals(strings, string_vae):
    optimizer = Optimizer(count_a, strings, model=string_vae, options=FAST)
    first = optimizer.ask(5)
    for p in first:
        optimizer.tell(p, count_a(p.design))
    second = optimizer.ask(3)
    third = optimizer.ask(2)  # while the second batch is still pending
    designs = [p.design for p in first + second + third]
    assert len(set(designs)) == 10
    for p in reversed(second + third):  # results may arrive in any order
        optimizer.tell(p, count_a(p.design))
    assert [r.number for r in optimizer.history][-5:] == [
        p.number for p in reversed(second + third)
    ]


def test_telling_twice_or_a_foreign_proposal_is_refused(strings, string_vae):
    optimizer = Optimizer(count_a, strings, model=string_vae, options=FAST)
    proposal = optimizer.ask(1)[0]
    optimizer.tell(proposal, 1.0)
    with pytest.raises(LsboError, match="not pending"):
        optimizer.tell(proposal, 1.0)


def test_failed_evaluations_are_recorded_never_best_and_the_run_goes_on(strings, string_vae):
    def flaky(s):
        if s.count("c") >= 3:
            raise ValueError("simulator diverged")
        if s.startswith("bb"):
            return float("nan")
        return count_a(s) + 10

    result = lsbo.optimize(flaky, strings, budget=20, model=string_vae, options=FAST)
    failed = [r for r in result.history if r.status == "failed"]
    assert len(result.history) == 20 and failed
    assert all(r.value is None and r.message for r in failed)
    assert any("simulator diverged" in r.message for r in failed)
    assert result.best_record.status == "complete" and result.best_value >= 10


def test_known_scores_are_not_evaluated_again_and_cost_no_budget(strings, string_vae):
    scores = [count_a(s) if i % 3 == 0 else None for i, s in enumerate(strings)]
    scored = {s for s, v in zip(strings, scores, strict=True) if v is not None}
    objective = Recording()
    result = lsbo.optimize(
        objective, strings, budget=6, scores=scores, model=string_vae, options=FAST
    )
    assert len(result.history) == 6
    assert not scored & set(objective.seen)
    assert all(r.source in ("bo", "fallback", "mutant") for r in result.history)


def test_minimize(strings, string_vae):
    result = lsbo.optimize(
        count_a, strings, budget=12, maximize=False, model=string_vae, options=FAST
    )
    assert result.best_value == min(r.value for r in result.history) == 0.0


def test_images_end_to_end(square_images):
    def area(image):
        return float(np.asarray(image).sum())

    options = OptimizerOptions(
        vae=lsbo.TrainingOptions(epochs=15), n_initial=4, num_restarts=2, raw_samples=32
    )
    result = lsbo.optimize(area, square_images, budget=6, options=options)
    assert len(result.history) == 6
    assert all(np.asarray(r.design).shape == (16, 16) for r in result.history)


@pytest.mark.parametrize(
    ("designs", "error", "fragment"),
    [
        ([], InvalidDesignsError, "no designs"),
        (["ab", np.zeros((2, 2))], InvalidDesignsError, "mix"),
        ("abc", InvalidDesignsError, "list of strings"),
    ],
)
def test_bad_designs(designs, error, fragment):
    with pytest.raises(error, match=fragment):
        lsbo.optimize(count_a, designs, budget=3)


@pytest.mark.parametrize("budget", [0, -1, 1.5, True])
def test_bad_budget(strings, string_vae, budget):
    with pytest.raises(InvalidOptionError, match="budget"):
        lsbo.optimize(count_a, strings, budget=budget, model=string_vae, options=FAST)


def test_objective_not_callable(strings, string_vae):
    with pytest.raises(ObjectiveError, match="callable"):
        lsbo.optimize("count", strings, budget=3, model=string_vae)


def test_objective_returning_the_wrong_number_of_values(strings, string_vae):
    class Broken(Objective):
        def _evaluate(self, designs):
            return [1.0, 2.0, 3.0]

    with pytest.raises(ObjectiveError, match="returned 3 values for 1 designs"):
        lsbo.optimize(Broken(), strings, budget=3, model=string_vae, options=FAST)


def test_scores_must_align_with_designs(strings, string_vae):
    with pytest.raises(InvalidDesignsError, match="one score per design"):
        Optimizer(count_a, strings, scores=[1.0], model=string_vae)


def test_all_failures_give_an_empty_best(strings, string_vae):
    result = lsbo.optimize(lambda s: math.nan, strings, budget=3, model=string_vae, options=FAST)
    assert result.best_design is None and result.best_value is None and result.n_failed == 3


@pytest.mark.parametrize("scores", [[float("inf")], ["high"]])
def test_given_scores_must_be_numbers_and_are_checked_before_training(strings, scores):
    padded = scores + [None] * (len(strings) - 1)
    with pytest.raises(InvalidDesignsError, match="score 0 is"):
        # no model: a VAE would be trained if the check came after training
        Optimizer(
            count_a,
            strings,
            scores=padded,
            options=OptimizerOptions(vae=lsbo.TrainingOptions(epochs=200)),
        )


def test_nan_scores_mean_unscored(strings, string_vae):
    scores = [float("nan")] * len(strings)
    scores[0] = 1.0
    optimizer = Optimizer(count_a, strings, scores=scores, model=string_vae)
    assert optimizer.observations.Y.tolist() == [1.0]


def test_when_every_restart_decodes_invalid_the_fallback_still_proposes_valid_designs(
    strings, string_vae
):
    class Picky(Objective):
        def is_valid(self, design):
            return design.startswith("ab")

        def _evaluate(self, designs):
            assert all(d.startswith("ab") for d in designs)
            return [count_a(d) for d in designs]

    options = OptimizerOptions(n_initial=3, num_restarts=2, raw_samples=16, max_reproposals=0)
    result = lsbo.optimize(
        Picky(), strings, budget=10, model=string_vae, options=options, strategy=LATENT_ONLY
    )
    assert len(result.history) == 10
    assert result.stats.n_fallback > 0
    assert {r.source for r in result.history} >= {"initial", "fallback"}


def _decoding_only(model, inside, outside, bounds):
    """A copy of ``model`` whose decoder gives ``inside(z)`` within ``bounds`` and
    ``outside(z)`` beyond them (the encoder is unchanged)."""
    import copy

    fake = copy.deepcopy(model)

    def decode(z, batch_size=1024):
        beyond = ((z < bounds[0]) | (z > bounds[1])).any(-1)
        return [outside(p) if far else inside(p) for p, far in zip(z, beyond.tolist(), strict=True)]

    fake.decode = decode
    return fake


def test_when_the_box_decodes_only_seen_designs_the_fallback_looks_beyond_it(strings, string_vae):
    options = OptimizerOptions(n_initial=1, num_restarts=2, raw_samples=16, max_reproposals=0)
    scores = [count_a(s) for s in strings]  # every training design is scored: nothing new
    optimizer = Optimizer(
        count_a, strings, scores=scores, model=string_vae, options=options, strategy=LATENT_ONLY
    )
    seen = strings[0]

    def new_design(z):  # three or more 'a's: never in the training strings
        return "aaa" + "b" * (1 + int(abs(float(z.sum())) * 10) % 5)

    optimizer.latent.model = _decoding_only(
        string_vae, lambda z: seen, new_design, optimizer.latent.bounds
    )
    proposals = optimizer.ask(2)
    assert {p.source for p in proposals} == {"fallback"}
    assert all(p.design.startswith("aaa") for p in proposals)
    assert len({p.design for p in proposals}) == 2


def test_a_search_space_with_nothing_new_left_is_a_clear_error(strings, string_vae):
    options = OptimizerOptions(n_initial=1, num_restarts=2, raw_samples=16, max_reproposals=0)
    scores = [count_a(s) for s in strings]
    optimizer = Optimizer(
        count_a, strings, scores=scores, model=string_vae, options=options, strategy=LATENT_ONLY
    )
    seen = strings[0]
    optimizer.latent.model = _decoding_only(
        string_vae, lambda z: seen, lambda z: seen, optimizer.latent.bounds
    )
    with pytest.raises(LsboError, match="no valid design that has not been evaluated"):
        optimizer.ask(1)


def test_the_variational_gp_takes_over_above_its_threshold(strings, string_vae):
    from botorch.models import SingleTaskGP, SingleTaskVariationalGP

    scores = [count_a(s) if i < 40 else None for i, s in enumerate(strings)]
    options = OptimizerOptions(**{**vars(FAST), "variational_above": 45, "num_inducing": 16})
    optimizer = Optimizer(count_a, strings, scores=scores, model=string_vae, options=options)
    assert isinstance(optimizer.context().surrogate(), SingleTaskGP)  # 40 points: exact
    for strategy in ("plain", "trust-region"):
        optimizer.strategy = lsbo.strategies.get_strategy(strategy)
        for _ in range(4):
            for proposal in optimizer.ask(2):
                optimizer.tell(proposal, count_a(proposal.design))
    gp = optimizer.context().surrogate()
    assert isinstance(gp, SingleTaskVariationalGP) and len(optimizer.observations) == 56
    X, _ = optimizer.observations.training_data(None)  # what the variational GP learns from
    assert len(X) == 56 + optimizer.observations.n_decoded_points
    assert len({r.design for r in optimizer.history}) == 16


def test_the_phase_says_what_the_optimizer_is_doing(strings, string_vae):
    seen = []

    def score(s):
        seen.append(optimizer.phase)
        return s.count("a")

    optimizer = Optimizer(score, strings, model=string_vae, options=FAST)
    optimizer.run(8)
    assert len(seen) == 8 and set(seen) == {"evaluating"}  # while the objective runs
    assert optimizer.phase == "idle"
    phases = []

    @dataclasses.dataclass(frozen=True)
    class Watched(lsbo.Plain):  # sees the phase before and after the GP is fitted
        def propose(self, context, n):
            before = optimizer.phase
            context.surrogate()
            phases.append((before, optimizer.phase))
            return super().propose(context, n)

    optimizer.strategy = Watched()
    optimizer.ask(1)
    assert phases == [("sampling", "fitting the GP")]
