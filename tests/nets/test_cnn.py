"""ConvNet: exact equivariance of the convolutional features, and the equivariance-error definition."""

import numpy as np
import pytest
import torch

from physml.nets import MLP, ConvNet, equivariance_error, shift_images

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("shift", [(1, 0), (0, -3), (5, 7), (28, 0)])
def test_conv_features_commute_with_circular_shifts(shift):
    net = ConvNet((4, 6), image_shape=(12, 12), pool=3, seed=2)
    x = torch.rand(5, 1, 12, 12, generator=torch.Generator().manual_seed(0))
    lhs = net.features(shift_images(x, shift))
    rhs = shift_images(net.features(x), shift)
    torch.testing.assert_close(lhs, rhs, rtol=0, atol=1e-6)
    assert equivariance_error(net.features, x, shift) < 1e-6


def test_pooled_features_shift_by_one_cell_when_the_image_shifts_by_the_pool_size():
    net = ConvNet((3,), image_shape=(8, 8), pool=4, seed=0)
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(1))

    def pooled(t):
        return torch.nn.functional.avg_pool2d(net.features(t), 4)

    torch.testing.assert_close(
        pooled(shift_images(x, (4, -4))), shift_images(pooled(x), (1, -1)), rtol=0, atol=1e-6
    )


def test_equivariance_error_definition_on_hand_maps():
    x = torch.rand(2, 1, 6, 6, generator=torch.Generator().manual_seed(3))
    # identity and pointwise maps are exactly equivariant
    assert equivariance_error(lambda t: t, x, (2, 1)) == 0.0
    assert equivariance_error(torch.tanh, x, (2, 1)) == pytest.approx(0.0, abs=1e-7)
    # multiplication by a fixed mask m: f(Tx) − T f(x) = (m − T m)·Tx, computed by hand below
    mask = torch.zeros(6, 6)
    mask[0, 0] = 1.0
    f = lambda t: t * mask  # noqa: E731
    tx = shift_images(x, (1, 0))
    expected = torch.linalg.vector_norm((mask - shift_images(mask, (1, 0))) * tx) / torch.linalg.vector_norm(
        x * mask
    )
    assert equivariance_error(f, x, (1, 0)) == pytest.approx(float(expected), rel=1e-6)


def test_dense_layer_viewed_as_image_is_far_from_equivariant():
    torch.manual_seed(0)
    mlp = MLP((64, 64, 2))
    x = torch.rand(16, 1, 8, 8, generator=torch.Generator().manual_seed(0))

    def feat(t):
        return torch.relu(mlp.layers[0](t.reshape(len(t), -1))).reshape(len(t), 1, 8, 8)

    assert equivariance_error(feat, x, (0, 1)) > 0.5


def test_shift_images_numpy_and_torch_agree():
    a = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    np.testing.assert_array_equal(shift_images(a, (1, 2)), shift_images(torch.from_numpy(a), (1, 2)).numpy())
    assert shift_images(a, (1, 2))[0, 1, 2] == a[0, 0, 0]


def test_validation():
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        ConvNet(kernel_size=4)
    with pytest.raises(ValueError, match="pool=5 must divide"):
        ConvNet(pool=5)
    with pytest.raises(ValueError, match="keep the spatial grid"):
        equivariance_error(lambda t: t.mean(dim=(-2, -1), keepdim=True), torch.rand(1, 1, 4, 4), (1, 1))
