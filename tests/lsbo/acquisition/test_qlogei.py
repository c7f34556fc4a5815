import torch

from lsbo.acquisition import latent_bounds, optimize_qlogei
from lsbo.surrogates import fit_gp


def _gp():
    g = torch.Generator().manual_seed(0)
    X = torch.rand(30, 2, generator=g, dtype=torch.float64)
    Y = -((X - 0.7) ** 2).sum(-1, keepdim=True)
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    return fit_gp(X, Y, bounds), bounds, Y


def test_bounds_cover_the_data_with_a_margin():
    Z = torch.tensor([[0.0, -1.0], [2.0, 1.0]])
    assert torch.allclose(latent_bounds(Z, 0.1), torch.tensor([[-0.2, -1.2], [2.2, 1.2]]))


def test_candidates_are_inside_bounds_sorted_and_near_the_optimum():
    gp, bounds, Y = _gp()
    candidates, values = optimize_qlogei(gp, bounds, Y.max(), q=2, num_restarts=4, raw_samples=64)
    assert candidates.shape == (4, 2, 2)
    assert (values[:-1] >= values[1:]).all()
    assert ((candidates >= 0) & (candidates <= 1)).all()
    assert torch.linalg.norm(candidates[0] - 0.7, dim=-1).min() < 0.3


def test_same_seed_same_candidates_and_pending_points_move_them():
    gp, bounds, Y = _gp()
    a, _ = optimize_qlogei(gp, bounds, Y.max(), num_restarts=4, raw_samples=64, seed=1)
    b, _ = optimize_qlogei(gp, bounds, Y.max(), num_restarts=4, raw_samples=64, seed=1)
    assert torch.equal(a, b)
    c, _ = optimize_qlogei(
        gp, bounds, Y.max(), X_pending=a[0], num_restarts=4, raw_samples=64, seed=1
    )
    assert torch.linalg.norm(c[0] - a[0]) > 1e-3
