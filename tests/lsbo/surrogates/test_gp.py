import torch

from lsbo.surrogates import fit_gp, select_training_points


def _data(n=60, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, d, generator=g, dtype=torch.float64) * 4 - 2
    Y = -(X**2).sum(-1, keepdim=True) * 100 + 50  # far from zero mean and unit scale
    return X, Y


def test_gp_fits_in_float64_with_transforms_and_predicts_held_out_points():
    X, Y = _data()
    bounds = torch.tensor([[-2.0] * 3, [2.0] * 3], dtype=torch.float64)
    gp = fit_gp(X[:50], Y[:50], bounds)
    assert gp.train_inputs[0].dtype == torch.float64
    mean = gp.posterior(X[50:]).mean
    # outcome standardization is undone: predictions are on the data's scale
    assert torch.corrcoef(torch.stack([mean.flatten(), Y[50:].flatten()]))[0, 1] > 0.95


def test_warm_start_reaches_the_same_fit():
    X, Y = _data()
    bounds = torch.tensor([[-2.0] * 3, [2.0] * 3], dtype=torch.float64)
    cold = fit_gp(X, Y, bounds)
    warm = fit_gp(X, Y, bounds, warm_start=fit_gp(X[:55], Y[:55], bounds))
    assert torch.allclose(
        cold.posterior(X[:5]).mean, warm.posterior(X[:5]).mean, rtol=0.05, atol=2.0
    )


def test_selection_keeps_everything_when_small():
    values = torch.arange(10.0)
    keep = select_training_points(values, torch.zeros(10, dtype=torch.bool), 20, torch.rand(10))
    assert keep.tolist() == list(range(10))


def test_selection_keeps_the_best_and_the_recent():
    n = 1000
    values = torch.randperm(n, generator=torch.Generator().manual_seed(0)).double()
    recent = torch.zeros(n, dtype=torch.bool)
    recent[900:] = True
    keep = select_training_points(
        values, recent, 100, torch.rand(n, generator=torch.Generator().manual_seed(1))
    )
    assert len(keep) == len(set(keep.tolist())) == 100
    best = set(values.argsort(descending=True)[:50].tolist())
    assert best <= set(keep.tolist())
    assert set(range(975, 1000)) <= set(keep.tolist())


def test_a_warm_fit_stops_at_warm_maxiter_and_a_cold_fit_runs_to_convergence(monkeypatch):
    import lsbo.surrogates.gp as gp_module

    X, Y = _data()
    bounds = torch.tensor([[-2.0] * 3, [2.0] * 3], dtype=torch.float64)
    far = fit_gp(X[:12], torch.sin(3 * X[:12, :1]) * 1e3, bounds)  # another function

    def fits(cap):
        monkeypatch.setattr(gp_module, "WARM_MAXITER", cap)
        warm = fit_gp(X, Y, bounds, warm_start=far)
        cold = fit_gp(X, Y, bounds)
        return warm.covar_module.lengthscale, cold.covar_module.lengthscale

    warm_capped, cold_capped = fits(1)
    warm_free, cold_free = fits(10_000)
    assert torch.equal(cold_capped, cold_free)  # the cap leaves a cold fit alone
    # one iteration from a far start stays far from where the optimizer ends
    assert not torch.allclose(warm_capped, warm_free, rtol=0.05)
    assert torch.allclose(warm_free, cold_free, rtol=0.05)
