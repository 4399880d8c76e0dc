"""The training loss: per-output cross-entropy, and each Ekman group's noisy-OR (needs torch:
``make test-train``)."""

from __future__ import annotations

import numpy as np
import pytest

from affectlens.training.sources import group_matrix

pytestmark = pytest.mark.train


def _groups():
    import torch

    return torch.from_numpy(np.ascontiguousarray(group_matrix()[:, 28:]))


def test_outputs_alone_are_plain_binary_cross_entropy():
    torch = pytest.importorskip("torch")
    from affectlens.training.finetune import _target_loss

    logits = torch.randn(5, 28) * 4
    gold = torch.randint(0, 2, (5, 28)).float()
    expected = torch.nn.BCEWithLogitsLoss(reduction="none")(logits, gold)
    assert torch.equal(_target_loss(logits, gold, None), expected)
    with_groups = _target_loss(logits, torch.cat([gold, torch.zeros(5, 6)], dim=1), _groups())
    assert torch.equal(with_groups[:, :28], expected)


def test_a_group_is_trained_as_the_noisy_or_of_its_members():
    torch = pytest.importorskip("torch")
    from affectlens.training.finetune import _target_loss

    groups = _groups()
    logits = (torch.randn(6, 28) * 5).double()
    gold = torch.randint(0, 2, (6, 34)).double()
    p = torch.sigmoid(logits)
    log_absent = torch.log1p(-p) @ groups.double()  # log Π (1 - p) over each group's members
    y = gold[:, 28:]
    expected = -(y * torch.log(-torch.expm1(log_absent)) + (1 - y) * log_absent)
    assert torch.allclose(_target_loss(logits, gold, groups.double())[:, 28:], expected, rtol=1e-6, atol=1e-9)


def test_a_present_group_pulls_up_its_likeliest_member_and_no_other_group():
    torch = pytest.importorskip("torch")
    from affectlens.training.finetune import _target_loss

    groups = _groups()
    logits = torch.full((1, 28), -3.0, requires_grad=True)
    gold = torch.zeros(1, 34)
    joy = 28 + 3  # ekman:joy
    gold[0, joy] = 1.0
    mask = torch.zeros(1, 34)
    mask[0, joy] = 1.0
    (_target_loss(logits, gold, groups) * mask).sum().backward()
    members = groups[:, 3].bool()
    assert (logits.grad[0, members] < 0).all()  # descending the loss raises every joy-group output
    assert (logits.grad[0, ~members] == 0).all()  # and says nothing about the others
    # extreme logits stay finite
    extreme = torch.tensor([[-80.0] * 14 + [80.0] * 14], requires_grad=True)
    loss = _target_loss(extreme, torch.ones(1, 34), groups).sum()
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(extreme.grad).all()
