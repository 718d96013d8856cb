"""Parameter and FLOP counts against hand counts (2 FLOPs per multiply-add, 1 per bias element)."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from physml.nets import MLP, AutoencoderEnsemble, ConvNet, TiedAutoencoderEnsemble
from physml.scaling import count_flops, model_from_spec, training_compute

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_dense_784_layer_has_615440_parameters():
    c = count_flops(MLP([784, 784]), (784,))
    assert c.parameters == 615_440 == 784 * 784 + 784
    assert c.forward_flops == 2 * 784 * 784 + 784 == 1_230_096
    assert c.backward_flops == 2 * c.forward_flops
    assert c.training_flops_per_sample == 3 * c.forward_flops


def test_mlp_hand_count():
    c = count_flops(MLP([784, 256, 10]), (784,))
    assert c.parameters == 784 * 256 + 256 + 256 * 10 + 10 == 203_530
    assert c.forward_flops == (2 * 784 * 256 + 256) + (2 * 256 * 10 + 10)
    assert [layer.forward_flops for layer in c.layers] == [401_664, 5_130]
    assert count_flops(MLP([5, 3], bias=False), (5,)).forward_flops == 30


@pytest.mark.parametrize(("kwargs", "out_hw"), [(dict(padding=1), 10), (dict(), 8), (dict(stride=2), 4)])
def test_conv2d_hand_count(kwargs, out_hw):
    conv = torch.nn.Conv2d(3, 8, 3, **kwargs)
    c = count_flops(conv, (3, 10, 10))
    assert c.parameters == 8 * 3 * 9 + 8
    assert c.forward_flops == 8 * out_hw * out_hw * (2 * 3 * 9 + 1)


def test_grouped_conv_and_conv1d():
    grouped = torch.nn.Conv2d(4, 8, 3, groups=2, bias=False)  # 8 maps of 3x3 outputs, 2 input channels each
    assert count_flops(grouped, (4, 5, 5)).forward_flops == 8 * 9 * 2 * 2 * 9
    assert count_flops(torch.nn.Conv1d(2, 3, 5), (2, 20)).forward_flops == 3 * 16 * (2 * 2 * 5 + 1)


def test_physml_convnet_hand_count():
    net = ConvNet((16, 32), image_shape=(28, 28), pool=4, n_classes=10)
    c = count_flops(net, (1, 28, 28))
    conv1 = 16 * 28 * 28 * (2 * 1 * 9 + 1)
    conv2 = 32 * 28 * 28 * (2 * 16 * 9 + 1)
    readout = 2 * (32 * 7 * 7) * 10 + 10
    assert c.forward_flops == conv1 + conv2 + readout
    assert c.parameters == net.n_parameters


@pytest.mark.parametrize(("cell", "gates"), [(torch.nn.RNN, 1), (torch.nn.LSTM, 4), (torch.nn.GRU, 3)])
def test_recurrent_hand_counts_per_step(cell, gates):
    n_in, h, steps = 10, 20, 7
    per_step = gates * 2 * (n_in + h) * h + 2 * gates * h  # two bias vectors per gate in PyTorch
    c = count_flops(cell(n_in, h, batch_first=True), (steps, n_in))
    assert c.forward_flops == steps * per_step
    assert c.parameters == gates * h * (n_in + h) + 2 * gates * h
    # time-major input and two layers, bidirectional
    two = count_flops(cell(n_in, h, num_layers=2, bidirectional=True), (steps, n_in))
    layer2 = gates * 2 * (2 * h + h) * h + 2 * gates * h
    assert two.forward_flops == steps * 2 * (per_step + layer2)


def test_lstm_per_step_matches_the_formula_4_2_nin_nh_nh():
    c = count_flops(torch.nn.LSTM(128, 512, bias=False), (1, 128))
    assert c.forward_flops == 4 * (2 * (128 + 512) * 512)


def test_autoencoders_hand_count():
    ae = AutoencoderEnsemble(1, (784, 128, 32))
    c = count_flops(ae, (784,))
    enc = (2 * 784 * 128 + 128) + (2 * 128 * 32 + 32)
    dec = (2 * 32 * 128 + 128) + (2 * 128 * 784 + 784)
    assert c.forward_flops == enc + dec
    assert c.parameters == (784 * 128 + 128 + 128 * 32 + 32) + (32 * 128 + 128 + 128 * 784 + 784)
    # an ensemble of 3 costs 3 times one
    assert count_flops(AutoencoderEnsemble(3, (784, 128, 32)), (784,)).forward_flops == 3 * c.forward_flops
    tied = count_flops(TiedAutoencoderEnsemble(2, 5, 2), (5,))
    assert tied.forward_flops == 2 * (2 * 5 * 2 + 2 + 2 * 5 * 2 + 5)


@pytest.mark.parametrize("model_shape", [
    (MLP([30, 20, 10]), (30,)),
    (torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                         torch.nn.Linear(4 * 6 * 6, 5)), (2, 8, 8)),
    (torch.nn.GRU(6, 9, batch_first=True), (4, 6)),
])
def test_products_agree_with_torch_flop_counter(model_shape):
    # PyTorch's own counter counts the matrix products and convolutions but no bias additions
    model, shape = model_shape
    ours = count_flops(model, shape)
    biases = sum(
        p.numel() * (1 if not isinstance(m, torch.nn.GRU) else shape[0])
        * (1 if not isinstance(m, torch.nn.Conv2d) else 6 * 6)
        for m in model.modules() for name, p in m.named_parameters(recurse=False) if "bias" in name
    )
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *shape))
    assert ours.forward_flops - biases == counter.get_total_flops()


def test_embeddings_cost_nothing_but_are_counted_as_parameters():
    model = torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 3))
    c = count_flops(model, example=torch.zeros(1, 4, dtype=torch.long))
    assert c.embedding_parameters == 400 and c.forward_flops == 4 * (2 * 8 * 3 + 3)


def test_physml_char_lm_counts_embedding_lstm_readout():
    from physml.nets import CharLM

    model = CharLM(30, 64)  # embedding width min(64, 30) = 30
    c = count_flops(model, example=torch.zeros(1, 10, dtype=torch.long))
    assert c.forward_flops == 10 * (4 * 2 * (30 + 64) * 64 + 8 * 64) + 10 * (2 * 64 * 30 + 30)
    assert c.embedding_parameters == 30 * 30
    assert c.parameters == sum(p.numel() for p in model.parameters())


def test_scalar_parameters_are_elementwise_and_models_without_forward_are_an_error():
    from physml.nets import VAE

    vae = VAE(20, latent=2, hidden=(8,))  # holds a scalar noise scale beside its two MLPs
    assert count_flops(vae.encoder, (20,)).forward_flops == (2 * 20 * 8 + 8) + (2 * 8 * 4 + 4)
    with pytest.raises(TypeError, match="no forward"):
        count_flops(vae, (20,))


def test_unknown_parametric_modules_are_an_error():
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(3, 3))

        def forward(self, x):
            return x @ self.w

    with pytest.raises(TypeError, match="cannot count the FLOPs of module .* Odd"):
        count_flops(torch.nn.Sequential(Odd()), (3,))
    with pytest.raises(ValueError, match="exactly one"):
        count_flops(MLP([3, 2]))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        count_flops("mlp", (3,))


def test_training_compute_from_logged_steps():
    c = count_flops(MLP([784, 784]), (784,))
    per = 3 * 1_230_096
    assert training_compute(c, batch_sizes=[128] * 10 + [16]) == per * 1296
    assert training_compute(c, steps=100, batch_size=32) == per * 3200
    assert training_compute(c, samples=60000 * 20) == per * 1_200_000
    assert training_compute(per, samples=2) == 2 * per
    with pytest.raises(ValueError, match="exactly one way"):
        training_compute(c, samples=3, steps=2, batch_size=1)
    with pytest.raises(ValueError, match="together"):
        training_compute(c, steps=3)


@pytest.mark.parametrize(("spec", "forward"), [
    ("mlp:784,256,10", 406_794),
    ("dense:784,784", 1_230_096),
    ("lstm:10,20,steps=5,out=7", 5 * (4 * 2 * 30 * 20 + 8 * 20) + 5 * (2 * 20 * 7 + 7)),
    ("gru:10,20,layers=2", (3 * 2 * 30 * 20 + 120) + (3 * 2 * 40 * 20 + 120)),
    ("autoencoder:784,128,32", 209_056 + 209_808),
    ("cnn:1x28x28,16,32", 238_336 + 7_250_432 + 31_370),
])
def test_specs(spec, forward):
    model, shape = model_from_spec(spec)
    assert count_flops(model, shape).forward_flops == forward


@pytest.mark.parametrize(("spec", "message"), [
    ("transformer:12,768", "unknown specification"),
    ("mlp", "unknown specification"),
    ("mlp:784", "at least two widths"),
    ("mlp:784,x", "must be an integer"),
    ("mlp:784,0", ">= 1"),
    ("cnn:28x28,16", "CxHxW"),
    ("lstm:10", "IN,HIDDEN"),
    ("lstm:10,20,depth=3", "unknown option"),
    ("autoencoder:10,20", "latent width"),
])
def test_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        model_from_spec(spec)


@pytest.mark.parametrize(
    "spec",
    [
        "mlp:784,256,10",
        "dense:5,3",
        "mlp:3,7,7,2",
        "autoencoder:784,128,32",
        "autoencoder:10,4,3,2",
        "cnn:1x28x28,16,32",
        "cnn:3x32x30,8,kernel=5,pool=2,classes=7",
        "cnn:2x8x8,4,4,4,kernel=1,pool=8,classes=2",
        "lstm:16,32,layers=2,steps=5,out=8",
        "gru:4,6",
        "rnn:3,5,steps=2,layers=3",
        "lstm:7,3,out=1",
    ],
)
def test_analytic_spec_count_equals_the_built_model_count(spec):
    assert count_flops(spec) == count_flops(*model_from_spec(spec))


def test_analytic_spec_count_needs_no_memory():
    # 10**12 parameters (4 TB of float32) once had to be built to be counted
    c = count_flops("mlp:1000000,1000000,10")
    assert c.parameters == 10**6 * 10**6 + 10**6 + 10**6 * 10 + 10
    assert c.forward_flops == 2 * 10**12 + 10**6 + 2 * 10**7 + 10
    assert c.input_shape == (10**6,)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cnn:1x28x28,16,kernel=4", "kernel=4 must be odd"),
        ("cnn:1x28x28,16,pool=5", "pool=5 must divide the image sides 28x28"),
        ("cnn:1x28x28,16,classes=1", "classes=1 must be >= 2"),
        ("cnn:0x28x28,16", "must be positive"),
    ],
)
def test_spec_errors_name_the_spec_options(spec, message):
    for f in (count_flops, model_from_spec):
        with pytest.raises(ValueError, match=message):
            f(spec)
