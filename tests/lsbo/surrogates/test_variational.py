import io
import time

import pytest
import torch
from botorch.generation import MaxPosteriorSampling
from botorch.models import SingleTaskGP, SingleTaskVariationalGP

from lsbo.acquisition import optimize_qlogei
from lsbo.exceptions import InvalidOptionError, LsboError
from lsbo.surrogates import fit_gp, fit_surrogate, fit_variational_gp, variational_state


def _data(n, d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64) * 4 - 2
    # a smooth bowl far from zero mean and unit scale, optimum at 0.5 in every dimension
    Y = -((X - 0.5) ** 2).sum(-1, keepdim=True) * 100 + 50
    bounds = torch.tensor([[-2.0] * d, [2.0] * d], dtype=torch.float64)
    return X, Y, bounds


def _r2(model, X, Y):
    with torch.no_grad():
        mean = model.posterior(X).mean
    return (1 - ((mean - Y) ** 2).mean() / Y.var()).item()


@pytest.fixture(scope="module")
def big():
    """A model on 2,000 points in 16 dimensions, its data, and the seconds it took."""
    X, Y, bounds = _data(2100)
    start = time.perf_counter()
    model = fit_variational_gp(X[:2000], Y[:2000], bounds, seed=0)
    return model, X, Y, bounds, time.perf_counter() - start


def test_fits_2000_points_in_16_dimensions_quickly_and_predicts_held_out_points(big):
    model, X, Y, _, seconds = big
    assert isinstance(model, SingleTaskVariationalGP) and not model.training
    assert seconds < 30  # an exact GP on 2,000 points takes about a minute on one core
    assert model.model.variational_strategy.inducing_points.shape == (128, 16)
    # outcome standardization is undone and the fit is much better than the mean
    assert _r2(model, X[2000:], Y[2000:]) > 0.8
    mean = model.posterior(X[2000:]).mean
    assert mean.dtype == torch.float64 and abs(mean.mean().item() - Y[2000:].mean().item()) < 50


def test_same_seed_same_model_and_the_seed_matters():
    X, Y, bounds = _data(400)
    fit = {"num_inducing": 32, "hyper_points": 100}
    a, b = (fit_variational_gp(X, Y, bounds, seed=3, **fit) for _ in range(2))
    c = fit_variational_gp(X, Y, bounds, seed=4, **fit)
    with torch.no_grad():
        means = [m.posterior(X[:20]).mean for m in (a, b, c)]
    assert torch.equal(means[0], means[1])
    assert not torch.allclose(means[0], means[2])


def test_qlogei_and_thompson_sampling_propose_points_near_the_optimum(big):
    model, X, Y, bounds, _ = big
    candidates, values = optimize_qlogei(
        model, bounds, best_f=Y.max(), q=2, num_restarts=2, raw_samples=32, mc_samples=32
    )
    assert candidates.shape == (2, 2, 16) and values.isfinite().all()
    assert ((candidates >= bounds[0]) & (candidates <= bounds[1])).all()
    # the bowl's optimum is at 0.5: the best batch goes nearer to it than any data point
    assert (candidates[0] - 0.5).norm(dim=-1).min() < (X - 0.5).norm(dim=-1).min()
    pool = torch.rand(500, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    chosen = MaxPosteriorSampling(model, replacement=False)(pool * 4 - 2, num_samples=3)
    assert chosen.shape == (3, 16)


def test_warm_start_from_either_kind_or_a_stored_state():
    X, Y, bounds = _data(500)
    cold = fit_variational_gp(X, Y, bounds, num_inducing=64, hyper_points=150)
    exact = fit_gp(X[:150], Y[:150], bounds)
    buffer = io.BytesIO()
    torch.save(variational_state(cold), buffer)
    stored = torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    for warm_start in (cold, exact, stored):
        warm = fit_variational_gp(
            X, Y, bounds, num_inducing=64, hyper_points=150, warm_start=warm_start
        )
        assert _r2(warm, X, Y) > 0.8
    # the state of a variational GP warm-starts an exact one, too
    assert _r2(fit_gp(X[:200], Y[:200], bounds, warm_start=stored), X, Y) > 0.8


def test_fit_surrogate_dispatches_and_hands_back_a_state_for_either_kind():
    X, Y, bounds = _data(400)
    exact, state = fit_surrogate(X, Y, bounds, kind="exact")
    assert isinstance(exact, SingleTaskGP)
    model, state = fit_surrogate(
        X, Y, bounds, kind="variational", warm_start=state, num_inducing=32, seed=1
    )
    assert isinstance(model, SingleTaskVariationalGP)
    assert set(state) == {"mean_module", "covar_module", "likelihood"}
    assert isinstance(fit_surrogate(X, Y, bounds, "exact", warm_start=state)[0], SingleTaskGP)


def test_refinement_steps_on_the_elbo_run_on_minibatches():
    X, Y, bounds = _data(600)
    model = fit_variational_gp(X, Y, bounds, num_inducing=32, num_steps=5, batch_size=128)
    assert _r2(model, X, Y) > 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, Y, b: (X[:, :, None], Y, b), "n x d"),
        (lambda X, Y, b: (X, Y[:-1], b), "n x 1"),
        (lambda X, Y, b: (X, Y, b[:, :3]), "2 x 16"),
        (lambda X, Y, b: (X, Y.clone().index_fill_(0, torch.tensor([3]), float("nan")), b), "NaN"),
        (lambda X, Y, b: (X[:1], Y[:1], b), "at least 2"),
    ],
)
def test_bad_input_raises_a_clear_error(change, message):
    X, Y, bounds = _data(50)
    with pytest.raises(InvalidOptionError, match=message):
        fit_variational_gp(*change(X, Y, bounds))


def test_bad_options_raise_a_clear_error():
    X, Y, bounds = _data(50)
    with pytest.raises(InvalidOptionError, match="num_inducing"):
        fit_variational_gp(X, Y, bounds, num_inducing=0)
    with pytest.raises(InvalidOptionError, match="'exact' or 'variational'"):
        fit_surrogate(X, Y, bounds, kind="sparse")  # type: ignore[arg-type]
    with pytest.raises(LsboError, match="num_inducing"):
        fit_surrogate(X, Y, bounds, kind="exact", num_inducing=10)
