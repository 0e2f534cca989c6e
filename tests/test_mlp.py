"""Lesson 02: dense layers, activations, softmax cross-entropy and the two-layer net against central
differences, torch.autograd and hypothesis over shapes, on every backend."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.backend import random_normal
from reference_impl.gradcheck import compare_layer_gradients, numerical_gradient, relative_error
from reference_impl.mlp import (
    MLP_PARAMS, affine_backward, affine_forward, mlp_backward, mlp_forward, relu_backward, relu_forward,
    sgd_step, sigmoid_backward, sigmoid_forward, softmax, softmax_cross_entropy, tanh_backward, tanh_forward,
    train_mlp,
)

pytestmark = pytest.mark.mlp

SEEDS = (0, 1, 2)
GRAD_TOL = 1e-6
HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ACTIVATIONS = {
    "relu": (relu_forward, relu_backward, F.relu),
    "sigmoid": (sigmoid_forward, sigmoid_backward, torch.sigmoid),
    "tanh": (tanh_forward, tanh_backward, torch.tanh),
}


def leaves(backend, *arrays):
    return [torch.tensor(np.asarray(a), device=backend.torch_device, requires_grad=True) for a in arrays]


def close(backend, ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(backend.to_numpy(ours), theirs.detach().cpu().numpy(), rtol=rtol, atol=atol)


def mlp_params(rng, D, H, C):
    return {"W1": rng.standard_normal((D, H)) / np.sqrt(D), "b1": 0.1 * rng.standard_normal(H),
            "W2": rng.standard_normal((H, C)) / np.sqrt(H), "b2": 0.1 * rng.standard_normal(C)}


def mlp_as_layer(X):
    """mlp_forward/backward as a layer whose array inputs are the four parameters, for the gradient check."""
    def forward(W1, b1, W2, b2):
        return mlp_forward(X, dict(zip(MLP_PARAMS, (W1, b1, W2, b2))))

    def backward(dscores, cache):
        grads = mlp_backward(dscores, cache)
        return tuple(grads[key] for key in MLP_PARAMS)
    return forward, backward


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(4, 5, 3), (1, 3, 7), (6, 1, 1)])
def test_affine_gradients_match_central_differences(backend, seed, shape):
    rng = np.random.default_rng(seed)
    N, D_in, D_out = shape
    inputs = [backend.asarray(rng.standard_normal(s)) for s in ((N, D_in), (D_in, D_out), (D_out,))]
    assert max(compare_layer_gradients(affine_forward, affine_backward, inputs, rng)) < GRAD_TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradients_match_central_differences(backend, seed, name):
    rng = np.random.default_rng(seed)
    forward, backward, _ = ACTIVATIONS[name]
    x = rng.standard_normal((3, 4, 5))
    if name == "relu":  # keep clear of the kink, where a difference quotient straddles two slopes
        x = np.where(np.abs(x) < 1e-3, 0.5, x)
    assert max(compare_layer_gradients(forward, backward, [backend.asarray(x)], rng)) < GRAD_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_mlp_gradients_match_central_differences(backend, seed):
    rng = np.random.default_rng(seed)
    params = mlp_params(rng, 5, 7, 3)
    X = rng.standard_normal((4, 5))
    inputs = [backend.asarray(params[k]) for k in MLP_PARAMS]
    assert max(compare_layer_gradients(*mlp_as_layer(backend.asarray(X)), inputs, rng)) < GRAD_TOL


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_cross_entropy_gradient_matches_central_differences(backend, seed):
    rng = np.random.default_rng(seed)
    scores, y = backend.asarray(rng.standard_normal((5, 4))), backend.asarray(rng.integers(0, 4, 5))
    _, dscores = softmax_cross_entropy(scores, y)
    numeric = numerical_gradient(lambda s: float(softmax_cross_entropy(s, y)[0]), scores)
    assert relative_error(dscores, numeric) < GRAD_TOL


@HYPOTHESIS
@given(N=st.integers(1, 6), D_in=st.integers(1, 6), D_out=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_affine_matches_torch_autograd(backend, N, D_in, D_out, seed):
    rng = np.random.default_rng(seed)
    x, W, b = (rng.standard_normal(s) for s in ((N, D_in), (D_in, D_out), (D_out,)))
    dout = rng.standard_normal((N, D_out))
    out, cache = affine_forward(*(backend.asarray(a) for a in (x, W, b)))
    dx, dW, db = affine_backward(backend.asarray(dout), cache)
    tx, tW, tb = leaves(backend, x, W, b)
    expected = tx @ tW + tb
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    for ours, theirs in ((out, expected), (dx, tx.grad), (dW, tW.grad), (db, tb.grad)):
        close(backend, ours, theirs)


@HYPOTHESIS
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       name=st.sampled_from(sorted(ACTIVATIONS)))
def test_activations_match_torch_autograd(backend, shape, seed, name):
    rng = np.random.default_rng(seed)
    forward, backward, torch_fn = ACTIVATIONS[name]
    x, dout = 3 * rng.standard_normal(shape), rng.standard_normal(shape)
    out, cache = forward(backend.asarray(x))
    dx = backward(backend.asarray(dout), cache)
    (tx,) = leaves(backend, x)
    expected = torch_fn(tx)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    close(backend, out, expected)
    close(backend, dx, tx.grad)


@HYPOTHESIS
@given(N=st.integers(1, 6), C=st.integers(1, 6), seed=st.integers(0, 2**16),
       scale=st.sampled_from([1.0, 30.0, 1e3]))
def test_softmax_cross_entropy_matches_torch(backend, N, C, seed, scale):
    rng = np.random.default_rng(seed)
    scores, y = scale * rng.standard_normal((N, C)), rng.integers(0, C, N)
    loss, dscores = softmax_cross_entropy(backend.asarray(scores), backend.asarray(y))
    (tscores,) = leaves(backend, scores)
    expected = F.cross_entropy(tscores, torch.tensor(y, device=backend.torch_device))
    expected.backward()
    close(backend, loss, expected, rtol=1e-9)
    close(backend, dscores, tscores.grad, rtol=1e-9, atol=1e-14)
    close(backend, softmax(backend.asarray(scores)), F.softmax(tscores, dim=-1), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("seed", SEEDS)
def test_mlp_matches_torch_autograd(backend, seed):
    rng = np.random.default_rng(seed)
    params, X, dscores = mlp_params(rng, 6, 8, 4), rng.standard_normal((5, 6)), rng.standard_normal((5, 4))
    scores, cache = mlp_forward(backend.asarray(X), {k: backend.asarray(v) for k, v in params.items()})
    grads = mlp_backward(backend.asarray(dscores), cache)
    tW1, tb1, tW2, tb2 = leaves(backend, *(params[k] for k in MLP_PARAMS))
    tX = torch.tensor(X, device=backend.torch_device)
    expected = F.relu(tX @ tW1 + tb1) @ tW2 + tb2
    expected.backward(torch.tensor(dscores, device=backend.torch_device))
    close(backend, scores, expected)
    for key, leaf in zip(MLP_PARAMS, (tW1, tb1, tW2, tb2)):
        close(backend, grads[key], leaf.grad)
    assert set(grads) == set(MLP_PARAMS)


def test_softmax_stays_finite_and_shift_invariant_for_huge_logits(backend, rng, capfd):
    scores = 1e3 * rng.standard_normal((6, 5))
    shift = rng.uniform(-1e3, 1e3, (6, 1))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # any overflow or invalid operation in NumPy raises here
        probs = backend.to_numpy(softmax(backend.asarray(scores)))
        shifted_probs = backend.to_numpy(softmax(backend.asarray(scores + shift)))
        y = rng.integers(0, 5, 6)
        loss, dscores = softmax_cross_entropy(backend.asarray(scores), backend.asarray(y))
        shifted_loss, shifted_dscores = softmax_cross_entropy(backend.asarray(scores + shift), backend.asarray(y))
    assert np.isfinite(probs).all() and np.allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs, shifted_probs, atol=1e-12)
    assert np.isfinite(float(loss)) and np.isfinite(backend.to_numpy(dscores)).all()
    # Entries of 1e3 lose about 1e3 * 1e-16 absolute precision under a shift of the same size.
    np.testing.assert_allclose(float(loss), float(shifted_loss), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(backend.to_numpy(dscores), backend.to_numpy(shifted_dscores), atol=1e-12)
    assert capfd.readouterr().err == ""


def test_sigmoid_is_finite_without_warnings_at_extremes(backend, capfd):
    x = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out, cache = sigmoid_forward(backend.asarray(x))
        dx = sigmoid_backward(backend.asarray(np.ones_like(x)), cache)
    np.testing.assert_allclose(backend.to_numpy(out), torch.sigmoid(torch.tensor(x)).numpy(), rtol=1e-12, atol=0)
    assert np.isfinite(backend.to_numpy(dx)).all()
    assert capfd.readouterr().err == ""


def test_sgd_step_matches_torch_and_leaves_inputs_alone(backend, rng):
    params = {k: backend.asarray(v) for k, v in mlp_params(rng, 3, 4, 2).items()}
    grads = {k: backend.asarray(rng.standard_normal(tuple(v.shape))) for k, v in params.items()}
    before = {k: backend.to_numpy(v).copy() for k, v in params.items()}
    new = sgd_step(params, grads, lr=0.3)
    tensors = {k: torch.tensor(v, device=backend.torch_device, requires_grad=True) for k, v in before.items()}
    optimizer = torch.optim.SGD(tensors.values(), lr=0.3)
    for key, tensor in tensors.items():
        tensor.grad = torch.tensor(backend.to_numpy(grads[key]), device=backend.torch_device)
    optimizer.step()
    for key in params:
        close(backend, new[key], tensors[key])
        np.testing.assert_array_equal(backend.to_numpy(params[key]), before[key])


def test_train_mlp_steps_every_minibatch_the_same_on_every_backend(backend, rng):
    X, y = rng.standard_normal((23, 4)), rng.integers(0, 3, size=23)
    start = mlp_params(rng, 4, 5, 3)
    before = {k: v.copy() for k, v in start.items()}
    expected, expected_losses = train_mlp(X, y, start, lr=0.5, epochs=3, batch_size=5, seed=7)
    params, losses = train_mlp(backend.asarray(X), backend.asarray(y),
                               {k: backend.asarray(v) for k, v in start.items()}, 0.5, 3, 5, 7)
    assert len(losses) == 3 * 5 and np.allclose(losses, expected_losses)  # ceil(23 / 5) = 5 steps an epoch
    assert losses[-1] < losses[0]
    for key in MLP_PARAMS:
        np.testing.assert_allclose(backend.to_numpy(params[key]), expected[key], rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(start[key], before[key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_the_inputs_dtype_and_device(backend, rng, dtype):
    x, W, b = (backend.asarray(rng.standard_normal(s).astype(dtype)) for s in ((3, 4), (4, 2), (2,)))
    out, cache = affine_forward(x, W, b)
    grads = affine_backward(backend.asarray(rng.standard_normal((3, 2)).astype(dtype)), cache)
    loss, dscores = softmax_cross_entropy(out, backend.asarray(np.array([0, 1, 1])))
    for array in (out, *grads, dscores, softmax(out), sigmoid_forward(x)[0]):
        assert array.dtype == x.dtype
        assert str(getattr(array, "device", "cpu")) == str(getattr(x, "device", "cpu"))


def test_affine_names_the_argument_and_shapes_on_a_mismatch(rng):
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((5, 2)), rng.standard_normal(2)
    with pytest.raises(ValueError, match=r"affine_forward: x must have shape \(N, D_in\) = \(\*, 5\), got \(3, 4\)"):
        affine_forward(x, W, b)
    with pytest.raises(ValueError, match=r"b must have shape \(D_out,\) = \(2,\), got \(3,\)"):
        affine_forward(rng.standard_normal((3, 5)), W, rng.standard_normal(3))
    with pytest.raises(TypeError, match="share one dtype.*x float32"):
        affine_forward(x.astype(np.float32), rng.standard_normal((4, 2)), b)
    with pytest.raises(TypeError, match="W must be a NumPy array or torch tensor, got list"):
        affine_forward(x, [[1.0, 2.0]] * 4, b)
    with pytest.raises(TypeError, match="'b'"):
        affine_forward(x, W)


def test_softmax_cross_entropy_rejects_bad_labels(rng):
    scores = rng.standard_normal((3, 4))
    with pytest.raises(ValueError, match=r"labels y must lie in \[0, C\) = \[0, 4\), got values from 0 to 4"):
        softmax_cross_entropy(scores, np.array([0, 4, 1]))
    with pytest.raises(TypeError, match="y must hold integral numbers, got dtype float64"):
        softmax_cross_entropy(scores, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(3,\), got \(2,\)"):
        softmax_cross_entropy(scores, np.array([0, 1]))


def test_mlp_and_sgd_name_missing_parameters(rng):
    params = mlp_params(rng, 3, 4, 2)
    with pytest.raises(ValueError, match=r"params lacks \['b2'\]"):
        mlp_forward(rng.standard_normal((2, 3)), {k: v for k, v in params.items() if k != "b2"})
    with pytest.raises(ValueError, match=r"grads lacks \['W1'\]"):
        sgd_step(params, {k: v for k, v in params.items() if k != "W1"}, 0.1)


def test_relu_gradient_is_zero_at_the_kink(backend):
    out, cache = relu_forward(backend.asarray(np.array([-1.0, 0.0, 2.0])))
    dx = relu_backward(backend.asarray(np.array([5.0, 5.0, 5.0])), cache)
    np.testing.assert_array_equal(backend.to_numpy(dx), [0.0, 0.0, 5.0])


def test_random_upstream_gradient_is_not_all_ones(backend, rng):
    """The gradient checks weight the output by a random dout: a wrongly summed bias gradient fails them."""
    out, cache = affine_forward(*(backend.asarray(rng.standard_normal(s)) for s in ((4, 3), (3, 2), (2,))))
    dout = random_normal(rng, tuple(out.shape), out)

    def wrong_backward(dout, cache):
        dx, dW, db = affine_backward(dout, cache)
        return dx, dW, db * 0 + float(backend.to_numpy(dout).sum()) / 2  # one sum over everything
    assert len(set(np.round(backend.to_numpy(dout).ravel(), 6))) > 1
    assert max(compare_layer_gradients(affine_forward, wrong_backward,
                                       [backend.asarray(a) for a in (rng.standard_normal((4, 3)),
                                                                     rng.standard_normal((3, 2)),
                                                                     rng.standard_normal(2))], rng)) > 1e-3
