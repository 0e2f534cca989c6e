"""The lesson 02 training-loop check, mlp.train_mlp: graded by what the learner's loop achieves on examples
it never sees. The reference loop earns full marks, a loop written another way passes, real mistakes fail
and are named, and a broken building block is blamed by name."""
import numpy as np
import pytest

from grader import run_check
from grader.engine import get_check
from grader_support import assert_fails, failed_parts
from reference_impl.mlp import mlp_backward, mlp_forward, sgd_step, softmax_cross_entropy
from reference_impl.mlp import train_mlp as reference_train_mlp

pytestmark = [pytest.mark.grader, pytest.mark.mlp]


def learner_loop(X, y, params, lr, epochs, batch_size, seed, flaw=None):
    """A learner's train_mlp on the course's building blocks, with one `flaw` written in as learners do."""
    rng = np.random.default_rng(seed)
    N = X.shape[0]
    losses = []
    for _ in range(epochs):
        order = np.arange(N) if flaw == "no shuffle" else rng.permutation(N)
        epoch_losses = []
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            scores, cache = mlp_forward(X[batch], params)
            loss, dscores = softmax_cross_entropy(scores, y[batch])
            grads = mlp_backward(dscores, cache)
            if flaw == "in place":
                for key in params:
                    params[key] -= lr * grads[key]
            else:
                params = sgd_step(params, grads, 1.0 if flaw == "lr unused" else lr)
            epoch_losses.append(loss)
        losses += [np.mean(epoch_losses)] if flaw == "per epoch" else epoch_losses
    return params, losses


def loop_with(flaw):
    def train_mlp(X, y, params, lr, epochs, batch_size, seed):
        return learner_loop(X, y, params, lr, epochs, batch_size, seed, flaw)
    return train_mlp


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_the_reference_loop_earns_full_marks(hidden):
    result = run_check("mlp.train_mlp", reference_train_mlp, hidden=hidden)
    assert result.passed and result.score == result.max_score == 5, result.message


def test_a_loop_written_another_way_passes():
    def train_mlp(X, y, params, lr, epochs, batch_size, seed):
        # A new generator per epoch, the data itself permuted, a while loop over slices.
        losses, params = [], dict(params)
        for epoch in range(epochs):
            permutation = np.random.default_rng([seed, epoch]).permutation(len(y))
            X_epoch, y_epoch = X[permutation], y[permutation]
            start = 0
            while start < len(y):
                scores, cache = mlp_forward(X_epoch[start:start + batch_size], params)
                loss, dscores = softmax_cross_entropy(scores, y_epoch[start:start + batch_size])
                params = sgd_step(params, mlp_backward(dscores, cache), lr)
                losses.append(float(loss))
                start += batch_size
        return params, np.array(losses)

    for hidden in (False, True):
        result = run_check("mlp.train_mlp", train_mlp, hidden=hidden)
        assert result.passed, result.message


@pytest.mark.parametrize("flaw, parts, mentions", [
    ("no shuffle", {"loss falls", "held-back accuracy"}, "looks like no shuffling"),
    ("lr unused", {"params"}, "is lr passed on to sgd_step?"),
    ("per epoch", {"one loss per step", "first loss"}, "one per epoch"),
    ("in place", {"one loss per step", "first loss", "loss falls", "held-back accuracy", "params"},
     "changed its input params in place"),
])
def test_a_mistake_fails_on_the_visible_cases_and_is_named(flaw, parts, mentions):
    for hidden in (False, True):
        assert_fails("mlp.train_mlp", loop_with(flaw), parts=parts, mentions=mentions, hidden=hidden)


def test_the_last_smaller_minibatch_dropped_is_named_by_the_count():
    def train_mlp(X, y, params, lr, epochs, batch_size, seed):
        rng, losses = np.random.default_rng(seed), []
        for _ in range(epochs):
            order = rng.permutation(len(y))
            for step in range(len(y) // batch_size):  # the 40 examples left over are never seen
                batch = order[step * batch_size:(step + 1) * batch_size]
                scores, cache = mlp_forward(X[batch], params)
                loss, dscores = softmax_cross_entropy(scores, y[batch])
                params = sgd_step(params, mlp_backward(dscores, cache), lr)
                losses.append(loss)
        return params, losses

    result = assert_fails("mlp.train_mlp", train_mlp, parts={"one loss per step"}, hidden=False,
                          mentions=["returned 40 losses", "= 42", "the last, smaller minibatch"])
    assert "(40 examples) is missing" in result.message


def test_the_gradient_added_is_named_and_the_loss_said_to_grow():
    def train_mlp(X, y, params, lr, epochs, batch_size, seed):
        rng, losses = np.random.default_rng(seed), []
        for _ in range(epochs):
            order = rng.permutation(len(y))
            for start in range(0, len(y), batch_size):
                batch = order[start:start + batch_size]
                scores, cache = mlp_forward(X[batch], params)
                loss, dscores = softmax_cross_entropy(scores, y[batch])
                grads = mlp_backward(dscores, cache)
                params = {key: params[key] + lr * grads[key] for key in params}
                losses.append(loss)
        return params, losses

    with np.errstate(all="ignore"):  # the learner's diverging loop overflows; the check itself stays quiet
        assert_fails("mlp.train_mlp", train_mlp, parts={"loss falls", "held-back accuracy"}, hidden=False,
                     mentions=["the gradient added instead of subtracted", "the loss grew"])


def test_the_hidden_cases_add_seeds_only():
    check = get_check("mlp.train_mlp")
    kinds = {case.label.split(": ", 1)[1] for case in check.cases(hidden=False)}
    hidden = [case for case in check.cases(hidden=True) if case.hidden]
    assert hidden and {case.label.split(": ", 1)[1] for case in hidden} <= kinds


def test_the_learner_gets_no_held_back_example():
    for case in get_check("mlp.train_mlp").cases(hidden=True):
        given = {row.tobytes() for row in case.inputs["X"]}
        assert not any(row.tobytes() in given for row in case.extra["X_held"]), case.label


def test_a_failing_building_block_is_blamed_by_name():
    def mlp_backward_averaged(dscores, cache):
        return {key: grad / len(dscores) for key, grad in mlp_backward(dscores, cache).items()}

    def train_mlp(X, y, params, lr, epochs, batch_size, seed):
        rng, losses = np.random.default_rng(seed), []
        for _ in range(epochs):
            order = rng.permutation(len(y))
            for start in range(0, len(y), batch_size):
                batch = order[start:start + batch_size]
                scores, cache = mlp_forward(X[batch], params)
                loss, dscores = softmax_cross_entropy(scores, y[batch])
                params = sgd_step(params, mlp_backward_averaged(dscores, cache), lr)
                losses.append(loss)
        return params, losses

    namespace = {"mlp_forward": mlp_forward, "mlp_backward": mlp_backward_averaged,
                 "softmax_cross_entropy": softmax_cross_entropy, "sgd_step": sgd_step}
    result = run_check("mlp.train_mlp", train_mlp, namespace=namespace)
    assert failed_parts(result) == {"loss falls", "held-back accuracy"}, result.message
    assert result.blamed == ["mlp.mlp_backward"] and "Your mlp_backward fails its own check" in result.message
