"""Learner mistakes and correct alternatives for lesson 01, the perceptron."""
import numpy as np

from .entries import alternative, mistake


# -- lesson 01: the perceptron ----------------------------------------------------------------------
def predict(X, w, b):
    return np.where(X @ w + b >= 0, 1, -1)


def predict_with_np_sign(X, w, b):
    return np.sign(X @ w + b)


def predict_strictly_positive(X, w, b):
    return np.where(X @ w + b > 0, 1, -1)


def predict_zero_one(X, w, b):
    return (X @ w + b >= 0).astype(int)


def predict_without_bias(X, w, b):
    return np.where(X @ w >= 0, 1, -1)


def predict_with_column_w(X, w, b):
    return np.where(X @ w.reshape(-1, 1) + b >= 0, 1, -1)


def predict_squeezed(X, w, b):
    return np.squeeze(np.where(X @ w + b >= 0, 1, -1))


def predict_booleans(X, w, b):
    return X @ w + b >= 0


def predict_with_a_loop(X, w, b):
    labels = []
    for x in X:
        score = sum(x_d * w_d for x_d, w_d in zip(x, w)) + b
        labels.append(1 if score >= 0 else -1)
    return np.array(labels)


def predict_from_sign_and_ties(X, w, b):
    scores = X @ w + b
    return (np.sign(scores) + (scores == 0)).astype(int)


def predict_from_a_mask(X, w, b):
    return 2 * (X @ w + b >= 0) - 1


def _label(x, w, b):
    return 1 if x @ w + b >= 0 else -1


def update(w, b, x, y, lr):
    if predict(x[None, :], w, b)[0] != y:
        return w + lr * y * x, b + lr * y
    return w.copy(), b


def update_in_place(w, b, x, y, lr):
    if _label(x, w, b) != y:
        w += lr * y * x
        b += lr * y
    return w, b


def update_always(w, b, x, y, lr):
    return w + lr * y * x, b + lr * y


def update_on_nonpositive_margin(w, b, x, y, lr):
    if y * (x @ w + b) <= 0:
        return w + lr * y * x, b + lr * y
    return w, b


def update_with_np_sign(w, b, x, y, lr):
    if np.sign(x @ w + b) != y:
        return w + lr * y * x, b + lr * y
    return w, b


def update_bias_without_label(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + lr * y * x, b + lr
    return w, b


def update_without_lr(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + y * x, b + y
    return w, b


def update_weights_without_label(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + lr * x, b + lr * y
    return w, b


def update_returning_numpy_scalars(w, b, x, y, lr):
    wrong = np.where(x @ w + b >= 0, 1, -1) != y
    return w + wrong * lr * y * x, np.float64(b + wrong * lr * y)


def update_from_the_margin(w, b, x, y, lr):
    score = x @ w + b
    right = y * score > 0 or (score == 0 and y == 1)
    return (w, b) if right else (w + lr * y * x, b + lr * y)


def update_on_np_sign_predict(w, b, x, y, lr):
    if predict_with_np_sign(x[None, :], w, b)[0] != y:
        return w + lr * y * x, b + lr * y
    return w, b


def train_on_an_update_that_always_updates(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if predict(x_n[None, :], w, b)[0] != y_n:
                count += 1
            w, b = update_always(w, b, x_n, y_n, lr)
        mistakes.append(count)
    return w, b, mistakes


def train(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_updating_always(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            count += int(_label(x_n, w, b) != y_n)
            w, b = w + lr * y_n * x_n, b + lr * y_n
        mistakes.append(count)
    return w, b, mistakes


def train_with_np_sign(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if np.sign(x_n @ w + b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_with_running_totals(X, y, epochs, lr=1.0):
    w, b, mistakes, total = np.zeros(X.shape[1]), 0.0, [], 0
    for _ in range(epochs):
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                total += 1
        mistakes.append(total)
    return w, b, mistakes


def train_stopping_early(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def train_counting_in_one_number(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(epochs):
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                mistakes += 1
    return w, b, mistakes


def train_resetting_each_epoch(X, y, epochs, lr=1.0):
    mistakes = []
    for _ in range(epochs):
        w, b, count = np.zeros(X.shape[1]), 0.0, 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_without_lr(X, y, epochs, lr=1.0):
    return train(X, y, epochs)


def train_without_default_lr(X, y, epochs, lr):
    return train(X, y, epochs, lr)


def train_shuffled(X, y, epochs, lr=1.0):
    rng = np.random.default_rng(0)
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for n in rng.permutation(len(y)):
            if _label(X[n], w, b) != y[n]:
                w, b = w + lr * y[n] * X[n], b + lr * y[n]
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_with_indices(X, y, epochs, lr=1.0):
    N, D = X.shape
    w, b, mistakes = np.zeros(D), 0.0, []
    for _ in range(epochs):
        mistakes.append(0)
        for i in range(N):
            if np.where(X[i] @ w + b >= 0, 1, -1) != y[i]:
                w = w + lr * y[i] * X[i]
                b = b + lr * y[i]
                mistakes[-1] += 1
    return w, b, mistakes


def train_counting_changes(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            new_w, new_b = update(w, b, x_n, y_n, lr)
            count += int(new_b != b)  # an update always moves b by lr * y
            w, b = new_w, new_b
        mistakes.append(count)
    return w, b, np.array(mistakes)

MISTAKES = {
    "perceptron.perceptron_predict": [
        mistake("np.sign", predict_with_np_sign, named="np.sign, which gives 0 on the boundary"),
        mistake("a strict inequality", predict_strictly_positive, named="scores > 0 where scores >= 0 belongs"),
        mistake("0/1 labels", predict_zero_one, named="labels 0 and 1"),
        mistake("the bias forgotten", predict_without_bias, named="bias b left out"),
        mistake("w as a column", predict_with_column_w, named="labels of shape (N, 1)"),
        mistake("np.squeeze", predict_squeezed, named="np.squeeze"),
        mistake("booleans returned", predict_booleans, named="booleans"),
    ],
    "perceptron.perceptron_update": [
        mistake("w += in place", update_in_place, named="changed its input w in place", parts={"w", "b"}),
        mistake("an update on every sample", update_always, named="an update on every sample", parts={"w", "b"}),
        mistake("y * score <= 0", update_on_nonpositive_margin, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b"}),
        mistake("np.sign(score) != y", update_with_np_sign, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b"}),
        mistake("b + lr", update_bias_without_label, named="b moved by lr instead", parts={"b"}),
        mistake("lr forgotten", update_without_lr, named="learning rate left out", parts={"w", "b"}),
        mistake("w + lr * x", update_weights_without_label, named="without the label y", parts={"w"}),
        mistake("built on a perceptron_predict with np.sign", update_on_np_sign_predict,
                 named="perceptron_predict fails its own check",
                 namespace={"perceptron_predict": predict_with_np_sign}),
    ],
    "perceptron.perceptron_train": [
        mistake("an update on every sample", train_updating_always, named="an update on every sample",
                 parts={"w", "b", "mistakes"}),
        mistake("np.sign", train_with_np_sign, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b", "mistakes"}),
        mistake("running totals", train_with_running_totals, named="running totals of mistakes",
                 parts={"mistakes"}),
        mistake("stopped at the first epoch without mistakes", train_stopping_early, named="one count per epoch",
                 parts={"mistakes"}),
        mistake("one number of mistakes", train_counting_in_one_number, named="mistakes is a single number",
                 parts={"mistakes"}),
        mistake("w and b reset every epoch", train_resetting_each_epoch, named="reset to zeros at every epoch"),
        mistake("lr unused", train_without_lr, named="learning rate left out", parts={"w", "b"}),
        mistake("no default for lr", train_without_default_lr,
                 named="missing 1 required positional argument: 'lr'"),
        mistake("the examples shuffled", train_shuffled),
        mistake("built on a perceptron_update that always updates", train_on_an_update_that_always_updates,
                 named="perceptron_update fails its own check",
                 namespace={"perceptron_predict": predict, "perceptron_update": update_always}),
    ],
}

CORRECT_ALTERNATIVES = {
    "perceptron.perceptron_predict": [alternative("a loop", predict_with_a_loop),
                                      alternative("np.sign, then ties to +1", predict_from_sign_and_ties),
                                      alternative("2 * mask - 1", predict_from_a_mask)],
    "perceptron.perceptron_update": [alternative("NumPy scalars", update_returning_numpy_scalars),
                                     alternative("the margin and the tie", update_from_the_margin),
                                     alternative("through perceptron_predict", update)],
    "perceptron.perceptron_train": [alternative("indices", train_with_indices), alternative("zip", train),
                                    alternative("counting the updates that changed b", train_counting_changes)],
}
