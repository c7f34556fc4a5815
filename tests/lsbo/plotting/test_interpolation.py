"""The interpolation between two designs' latent means, as a strip or a list of texts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lsbo.exceptions import InvalidOptionError
from lsbo.plotting.interpolation import interpolation_data, plot_interpolation


def test_interpolation_runs_between_the_two_latent_means(string_run, strings):
    model = string_run.model
    data = interpolation_data(model, strings[0], strings[1], steps=5)
    mean, _ = model.encode(strings[:2])
    np.testing.assert_allclose(data.t, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(data.latents[[0, -1]], mean.double().numpy(), atol=1e-6)
    np.testing.assert_allclose(data.latents[2], mean.double().mean(0).numpy(), atol=1e-6)
    assert data.designs == model.decode(torch.as_tensor(data.latents))
    assert (data.start, data.end) == (strings[0], strings[1])
    with pytest.raises(InvalidOptionError, match="steps"):
        interpolation_data(model, strings[0], strings[1], steps=1)


def test_interpolation_strips(string_run, image_run, images):
    strip = plot_interpolation(image_run.model, images[0], images[-1], steps=4)
    assert len(strip.axes) == 6  # the two given designs around the four decoded ones
    assert [ax.get_title() for ax in strip.axes][:2] == ["start design", "t = 0.00"]
    assert all(len(ax.images) == 1 for ax in strip.axes)
    text = plot_interpolation(string_run.model, "abca", "dddd", steps=3)
    ax = text.axes[0]
    assert ax.get_title() == "Interpolation in latent space"
    assert ax.get_xlabel() and ax.get_ylabel() == "position on the line (t)"
    assert [t.get_text() for t in ax.texts][::4] == ["abca", "dddd"]
