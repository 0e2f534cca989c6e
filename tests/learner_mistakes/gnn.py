"""Learner mistakes and correct alternatives for lesson 07, graph neural networks."""
import numpy as np

from .entries import alternative, mistake


# -- lesson 07: normalize_adjacency -------------------------------------------------------------------
def _weights_or_ones(edge_index, edge_weight):
    return np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight


def normalize_adjacency(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    loops = np.arange(num_nodes)
    source = np.concatenate([edge_index[0], loops])
    target = np.concatenate([edge_index[1], loops])
    w = np.concatenate([w, np.ones(num_nodes)])
    deg = np.zeros(num_nodes)
    np.add.at(deg, target, w)
    inv_sqrt = deg ** -0.5
    return np.stack([source, target]), inv_sqrt[target] * w * inv_sqrt[source]


def normalize_adjacency_dense(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    A = np.zeros((num_nodes, num_nodes))
    np.add.at(A, (edge_index[1], edge_index[0]), w)
    A_loops = A + np.eye(num_nodes)
    d = 1 / np.sqrt(A_loops.sum(axis=1))
    s, t = edge_index
    loops = np.arange(num_nodes)
    new_index = np.hstack([edge_index, np.vstack([loops, loops])])
    return new_index, np.concatenate([w * d[t] * d[s], d * d])


def normalize_adjacency_with_loops(edge_index, num_nodes, edge_weight=None):
    E = edge_index.shape[1]
    deg = [1.0] * num_nodes
    for e in range(E):
        deg[edge_index[1, e]] += 1.0 if edge_weight is None else edge_weight[e]
    pairs, values = [], []
    for e in range(E):
        s, t = int(edge_index[0, e]), int(edge_index[1, e])
        w = 1.0 if edge_weight is None else edge_weight[e]
        pairs.append((s, t))
        values.append(w / (deg[t] * deg[s]) ** 0.5)
    for v in range(num_nodes):
        pairs.append((v, v))
        values.append(1.0 / deg[v])
    return np.array(pairs, dtype=np.int64).T, np.array(values)


def normalize_adjacency_bincount(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    deg = np.bincount(edge_index[1], weights=w, minlength=num_nodes) + 1.0
    loops = np.tile(np.arange(num_nodes), (2, 1))
    norm = w / np.sqrt(deg[edge_index[1]] * deg[edge_index[0]])
    return np.concatenate([edge_index, loops], axis=1), np.concatenate([norm, 1.0 / deg])


def normalize_adjacency_out_degree(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    deg = np.bincount(edge_index[0], weights=w, minlength=num_nodes) + 1.0
    loops = np.tile(np.arange(num_nodes), (2, 1))
    norm = w / np.sqrt(deg[edge_index[1]] * deg[edge_index[0]])
    return np.concatenate([edge_index, loops], axis=1), np.concatenate([norm, 1.0 / deg])


def normalize_adjacency_without_self_loops(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    deg = np.bincount(edge_index[1], weights=w, minlength=num_nodes)
    return edge_index, w / np.sqrt(deg[edge_index[1]] * deg[edge_index[0]])


def normalize_adjacency_remaining_self_loops(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    has_loop = np.zeros(num_nodes, dtype=bool)
    has_loop[edge_index[0][edge_index[0] == edge_index[1]]] = True
    missing = np.flatnonzero(~has_loop)
    source = np.concatenate([edge_index[0], missing])
    target = np.concatenate([edge_index[1], missing])
    w = np.concatenate([w, np.ones(len(missing))])
    deg = np.bincount(target, weights=w, minlength=num_nodes)
    return np.stack([source, target]), w / np.sqrt(deg[target] * deg[source])


def normalize_adjacency_loops_after(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    deg = np.bincount(edge_index[1], weights=w, minlength=num_nodes)
    norm = w / np.sqrt(deg[edge_index[1]] * deg[edge_index[0]])
    loops = np.tile(np.arange(num_nodes), (2, 1))
    return np.concatenate([edge_index, loops], axis=1), np.concatenate([norm, np.ones(num_nodes)])


def normalize_adjacency_loops_first(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    loops = np.arange(num_nodes)
    source = np.concatenate([loops, edge_index[0]])
    target = np.concatenate([loops, edge_index[1]])
    w = np.concatenate([np.ones(num_nodes), w])
    deg = np.bincount(target, weights=w, minlength=num_nodes)
    return np.stack([source, target]), w / np.sqrt(deg[target] * deg[source])


def normalize_adjacency_random_walk(edge_index, num_nodes, edge_weight=None):
    new_index, _ = normalize_adjacency(edge_index, num_nodes, edge_weight)
    w = np.concatenate([_weights_or_ones(edge_index, edge_weight), np.ones(num_nodes)])
    deg = np.bincount(new_index[1], weights=w, minlength=num_nodes)
    return new_index, w / deg[new_index[1]]


def normalize_adjacency_fancy_add(edge_index, num_nodes, edge_weight=None):
    w = _weights_or_ones(edge_index, edge_weight)
    deg = np.ones(num_nodes)
    deg[edge_index[1]] += w  # each target once, however many edges reach it
    loops = np.tile(np.arange(num_nodes), (2, 1))
    norm = w / np.sqrt(deg[edge_index[1]] * deg[edge_index[0]])
    return np.concatenate([edge_index, loops], axis=1), np.concatenate([norm, 1.0 / deg])


def normalize_adjacency_nodes_from_edges(edge_index, num_nodes, edge_weight=None):
    return normalize_adjacency(edge_index, int(edge_index.max()) + 1, edge_weight)


def normalize_adjacency_unweighted(edge_index, num_nodes, edge_weight=None):
    return normalize_adjacency(edge_index, num_nodes)


def normalize_adjacency_float_ids(edge_index, num_nodes, edge_weight=None):
    _, weight = normalize_adjacency(edge_index, num_nodes, edge_weight)
    loops = np.ones((2, 1)) * np.arange(num_nodes)  # (2, V) of floats
    return np.concatenate([edge_index, loops], axis=1), weight


# -- gcn_forward / gcn_backward -----------------------------------------------------------------------
def gcn_forward(H, edge_index, edge_weight, W, b):
    HW = H @ W
    messages = HW[edge_index[0]]
    if edge_weight is not None:
        messages = messages * edge_weight[:, None]
    out = np.zeros_like(HW)
    np.add.at(out, edge_index[1], messages)
    return out + b, (H, W, edge_index, edge_weight)


def gcn_backward(dout, cache):
    H, W, edge_index, edge_weight = cache
    back = dout[edge_index[1]]
    if edge_weight is not None:
        back = back * edge_weight[:, None]
    dHW = np.zeros_like(dout)
    np.add.at(dHW, edge_index[0], back)
    return dHW @ W.T, H.T @ dHW, dout.sum(axis=0)


def _adjacency(edge_index, edge_weight, num_nodes):
    A = np.zeros((num_nodes, num_nodes))
    w = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
    for e in range(edge_index.shape[1]):
        A[edge_index[1, e], edge_index[0, e]] += w[e]
    return A


def gcn_forward_dense(H, edge_index, edge_weight, W, b):
    A_hat = _adjacency(edge_index, edge_weight, H.shape[0])
    return A_hat @ H @ W + b, (H, W, A_hat)


def gcn_backward_dense(dout, cache):
    H, W, A_hat = cache
    dHW = A_hat.T @ dout
    return dHW @ W.T, H.T @ dHW, dout.sum(axis=0)


def gcn_forward_dense_assigned(H, edge_index, edge_weight, W, b):
    V = H.shape[0]
    A_hat = np.zeros((V, V))
    w = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
    A_hat[edge_index[1], edge_index[0]] = w
    return A_hat @ H @ W + b, (H, W, A_hat)


def gcn_forward_einsum(H, edge_index, edge_weight, W, b):
    A_hat = _adjacency(edge_index, edge_weight, H.shape[0])
    return np.einsum("ts,si,io->to", A_hat, H, W) + b, (H, W, A_hat)


def gcn_backward_einsum(dout, cache):
    H, W, A_hat = cache
    dH = np.einsum("ts,to,io->si", A_hat, dout, W)
    dW = np.einsum("ts,si,to->io", A_hat, H, dout)
    return dH, dW, np.einsum("to->o", dout)


def gcn_forward_edge_loop(H, edge_index, edge_weight, W, b):
    HW = H @ W
    out = np.tile(b, (H.shape[0], 1)).astype(HW.dtype)
    for e in range(edge_index.shape[1]):
        w = 1.0 if edge_weight is None else edge_weight[e]
        out[edge_index[1, e]] += w * HW[edge_index[0, e]]
    return out, (H, W, edge_index, edge_weight)


def gcn_backward_edge_loop(dout, cache):
    H, W, edge_index, edge_weight = cache
    dHW = np.zeros_like(dout)
    for e in range(edge_index.shape[1]):
        w = 1.0 if edge_weight is None else edge_weight[e]
        dHW[edge_index[0, e]] += w * dout[edge_index[1, e]]
    return dHW @ W.T, H.T @ dHW, dout.sum(axis=0)


def gcn_forward_normalising_again(H, edge_index, edge_weight, W, b):
    return gcn_forward(H, *normalize_adjacency(edge_index, H.shape[0], edge_weight), W, b)


def gcn_forward_with_self_loops(H, edge_index, edge_weight, W, b):
    V = H.shape[0]
    w = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
    loops = np.tile(np.arange(V), (2, 1))
    return gcn_forward(H, np.concatenate([edge_index, loops], axis=1), np.concatenate([w, np.ones(V)]), W, b)


def gcn_forward_reversed(H, edge_index, edge_weight, W, b):
    return gcn_forward(H, edge_index[::-1], edge_weight, W, b)


def gcn_forward_fancy_add(H, edge_index, edge_weight, W, b):
    HW = H @ W
    messages = HW[edge_index[0]]
    if edge_weight is not None:
        messages = messages * edge_weight[:, None]
    out = np.zeros_like(HW)
    out[edge_index[1]] += messages
    return out + b, (H, W, edge_index, edge_weight)


def gcn_forward_unweighted(H, edge_index, edge_weight, W, b):
    return gcn_forward(H, edge_index, None, W, b)


def gcn_forward_weights_required(H, edge_index, edge_weight, W, b):
    HW = H @ W
    out = np.zeros_like(HW)
    np.add.at(out, edge_index[1], HW[edge_index[0]] * edge_weight[:, None])
    return out + b, (H, W, edge_index, edge_weight)


def gcn_backward_wrong_way(dout, cache):
    H, W, edge_index, edge_weight = cache
    back = dout[edge_index[0]]
    if edge_weight is not None:
        back = back * edge_weight[:, None]
    dHW = np.zeros_like(dout)
    np.add.at(dHW, edge_index[1], back)
    return dHW @ W.T, H.T @ dHW, dout.sum(axis=0)


def gcn_backward_unsummed_bias(dout, cache):
    dH, dW, _ = gcn_backward(dout, cache)
    return dH, dW, dout


def gcn_backward_dW_reversed(dout, cache):
    H, W, A_hat = cache
    dHW = A_hat.T @ dout
    return dHW @ W.T, dHW.T @ H, dout.sum(axis=0)


def gcn_backward_dW_without_adjacency(dout, cache):
    H = cache[0]
    dH, _, db = gcn_backward(dout, cache)
    return dH, H.T @ dout, db


def gcn_backward_fancy_add(dout, cache):
    H, W, edge_index, edge_weight = cache
    back = dout[edge_index[1]]
    if edge_weight is not None:
        back = back * edge_weight[:, None]
    dHW = np.zeros_like(dout)
    dHW[edge_index[0]] += back
    return dHW @ W.T, H.T @ dHW, dout.sum(axis=0)


# -- message_passing_forward / message_passing_backward -----------------------------------------------
def message_passing_forward(H, edge_index, aggr="sum"):
    V = H.shape[0]
    out = np.zeros_like(H)
    np.add.at(out, edge_index[1], H[edge_index[0]])
    count = np.bincount(edge_index[1], minlength=V)
    if aggr == "mean":
        out = out / np.maximum(count, 1)[:, None]
    return out, (edge_index, count, aggr, V)


def message_passing_backward(dout, cache):
    edge_index, count, aggr, V = cache
    if aggr == "mean":
        dout = dout / np.maximum(count, 1)[:, None]
    dH = np.zeros((V, dout.shape[1]))
    np.add.at(dH, edge_index[0], dout[edge_index[1]])
    return dH


def message_passing_forward_dense(H, edge_index, aggr="sum"):
    V = H.shape[0]
    A = np.zeros((V, V))
    np.add.at(A, (edge_index[1], edge_index[0]), 1.0)
    if aggr == "mean":
        A = A / np.maximum(A.sum(axis=1, keepdims=True), 1.0)
    return A @ H, A


def message_passing_backward_dense(dout, cache):
    return cache.T @ dout


def message_passing_forward_dense_assigned(H, edge_index, aggr="sum"):
    V = H.shape[0]
    A = np.zeros((V, V))
    A[edge_index[1], edge_index[0]] = 1.0
    if aggr == "mean":
        A = A / np.maximum(A.sum(axis=1, keepdims=True), 1.0)
    return A @ H, A


def message_passing_forward_edge_loop(H, edge_index, aggr="sum"):
    V, F = H.shape
    out = np.zeros((V, F))
    count = np.zeros(V)
    for s, t in edge_index.T:
        out[t] += H[s]
        count[t] += 1
    if aggr == "mean":
        for v in range(V):
            if count[v] > 0:
                out[v] /= count[v]
    return out.astype(H.dtype), (edge_index, count, aggr, V)


def message_passing_backward_edge_loop(dout, cache):
    edge_index, count, aggr, V = cache
    dH = np.zeros((V, dout.shape[1]), dtype=dout.dtype)
    for s, t in edge_index.T:
        dH[s] += dout[t] / count[t] if aggr == "mean" else dout[t]
    return dH


def message_passing_forward_bincount(H, edge_index, aggr="sum"):
    V, F = H.shape
    out = np.stack([np.bincount(edge_index[1], weights=H[edge_index[0], f], minlength=V) for f in range(F)], axis=1)
    scale = np.ones(V)
    if aggr == "mean":
        scale = 1.0 / np.maximum(np.bincount(edge_index[1], minlength=V), 1)
    return out * scale[:, None], (edge_index, scale)


def message_passing_backward_bincount(dout, cache):
    edge_index, scale = cache
    V, F = dout.shape
    scaled = dout * scale[:, None]
    return np.stack([np.bincount(edge_index[0], weights=scaled[edge_index[1], f], minlength=V)
                     for f in range(F)], axis=1)


def message_passing_forward_distinct(H, edge_index, aggr="sum"):
    out, cache = message_passing_forward(H, edge_index, "sum")
    if aggr == "mean":
        distinct = np.unique(edge_index, axis=1)
        out = out / np.maximum(np.bincount(distinct[1], minlength=H.shape[0]), 1)[:, None]
    return out, cache


def message_passing_forward_out_degree(H, edge_index, aggr="sum"):
    out, cache = message_passing_forward(H, edge_index, "sum")
    if aggr == "mean":
        out = out / np.maximum(np.bincount(edge_index[0], minlength=H.shape[0]), 1)[:, None]
    return out, cache


def message_passing_forward_nan(H, edge_index, aggr="sum"):
    out, cache = message_passing_forward(H, edge_index, "sum")
    if aggr == "mean":
        out = out / np.bincount(edge_index[1], minlength=H.shape[0])[:, None]
    return out, cache


def message_passing_forward_always_sum(H, edge_index, aggr="sum"):
    return message_passing_forward(H, edge_index)


def message_passing_forward_mean_by_default(H, edge_index, aggr="mean"):
    return message_passing_forward(H, edge_index, aggr)


def message_passing_forward_reversed(H, edge_index, aggr="sum"):
    return message_passing_forward(H, edge_index[::-1], aggr)


def message_passing_forward_fancy_add(H, edge_index, aggr="sum"):
    V = H.shape[0]
    out = np.zeros_like(H)
    out[edge_index[1]] += H[edge_index[0]]
    count = np.bincount(edge_index[1], minlength=V)
    if aggr == "mean":
        out = out / np.maximum(count, 1)[:, None]
    return out, (edge_index, count, aggr, V)


def message_passing_backward_undivided(dout, cache):
    edge_index, count, aggr, V = cache
    dH = np.zeros((V, dout.shape[1]))
    np.add.at(dH, edge_index[0], dout[edge_index[1]])
    return dH


def message_passing_backward_forwards(dout, cache):
    edge_index, count, aggr, V = cache
    return message_passing_backward(dout, (edge_index[::-1], count, aggr, V))


def message_passing_backward_divided_at_source(dout, cache):
    edge_index, count, aggr, V = cache
    dH = message_passing_backward_undivided(dout, cache)
    return dH / np.maximum(count, 1)[:, None] if aggr == "mean" else dH


def message_passing_forward_dense_nan(H, edge_index, aggr="sum"):
    V = H.shape[0]
    A = np.zeros((V, V))
    np.add.at(A, (edge_index[1], edge_index[0]), 1.0)
    count = A.sum(axis=1, keepdims=True)
    return (A @ H / count if aggr == "mean" else A @ H), (A, count, aggr)


def message_passing_backward_dense_nan(dout, cache):
    A, count, aggr = cache
    return A.T @ (dout / count) if aggr == "mean" else A.T @ dout


def message_passing_backward_fancy_add(dout, cache):
    edge_index, count, aggr, V = cache
    if aggr == "mean":
        dout = dout / np.maximum(count, 1)[:, None]
    dH = np.zeros((V, dout.shape[1]))
    dH[edge_index[0]] += dout[edge_index[1]]
    return dH


MISTAKES = {
    "gnn.normalize_adjacency": [
        mistake("the out-degree", normalize_adjacency_out_degree, named="degree counted at the source",
                parts={"edge_weight"}),
        mistake("no self-loops", normalize_adjacency_without_self_loops, named="no self-loops added",
                parts={"edge_index", "edge_weight"}),
        mistake("self-loops only where missing (as torch_geometric's add_remaining_self_loops)",
                normalize_adjacency_remaining_self_loops, named="only to the nodes that had none",
                parts={"edge_index", "edge_weight"}),
        mistake("self-loops after normalising", normalize_adjacency_loops_after,
                named="self-loops appended after normalising", parts={"edge_weight"}),
        mistake("self-loops first", normalize_adjacency_loops_first, named="placed before the input edges",
                parts={"edge_index", "edge_weight"}),
        mistake("D^-1 (A + I)", normalize_adjacency_random_walk, named="D^-1 (A + I) (each row divided",
                parts={"edge_weight"}),
        mistake("deg[target] += w", normalize_adjacency_fancy_add, named="counts only one in-edge per node",
                parts={"edge_weight"}),
        mistake("num_nodes from edge_index.max() + 1", normalize_adjacency_nodes_from_edges,
                named="num_nodes taken from the edges", parts={"edge_index", "edge_weight"}),
        mistake("edge weights ignored", normalize_adjacency_unweighted, named="edge weights ignored",
                parts={"edge_weight"}),
        mistake("self-loops as floats", normalize_adjacency_float_ids, named="node ids are integers",
                parts={"edge_index"}),
    ],
    "gnn.gcn_forward": [
        mistake("normalize_adjacency called again", gcn_forward_normalising_again, named="normalised again",
                parts={"out"}),
        mistake("self-loops added", gcn_forward_with_self_loops, named="self-loops added inside gcn_forward",
                parts={"out"}),
        mistake("messages target -> source", gcn_forward_reversed, named="messages sent from target to source",
                parts={"out"}),
        mistake("out[target] += messages", gcn_forward_fancy_add, named="keeps one message per node",
                parts={"out"}),
        mistake("edge weights ignored", gcn_forward_unweighted, named="edge weights ignored", parts={"out"}),
        mistake("A_hat[t, s] = w", gcn_forward_dense_assigned, named="repeated edges counted once", parts={"out"}),
        mistake("edge_weight None not handled", gcn_forward_weights_required,
                named="'NoneType' object is not subscriptable", parts={"out"}),
    ],
    "gnn.gcn_backward": [
        mistake("dout scattered through A_hat", gcn_forward, gcn_backward_wrong_way, named="scattered the wrong way",
                parts={"dH", "dW"}),
        mistake("db not summed", gcn_forward, gcn_backward_unsummed_bias, named="db not summed over the nodes",
                parts={"db"}),
        mistake("dW = dHW.T @ H", gcn_forward_dense, gcn_backward_dW_reversed,
                named="dW from the wrong product order", parts={"dW"}),
        mistake("dW = H.T @ dout", gcn_forward, gcn_backward_dW_without_adjacency,
                named="dW = H.T @ dout, without A_hat", parts={"dW"}),
        mistake("dH[source] += ...", gcn_forward, gcn_backward_fancy_add, named="keeps one edge's gradient per node",
                parts={"dH", "dW"}),
    ],
    "gnn.message_passing_forward": [
        mistake("mean over distinct neighbours", message_passing_forward_distinct, named="distinct in-neighbours",
                parts={"mean aggregation"}),
        mistake("mean over the out-degree", message_passing_forward_out_degree, named="divided by the out-degree",
                parts={"mean aggregation"}),
        mistake("mean 0 / 0", message_passing_forward_nan, named="NaN at nodes with no in-edge",
                parts={"mean aggregation"}),
        mistake("aggr ignored", message_passing_forward_always_sum,
                named="aggregation argument ignored (always the sum)", parts={"mean aggregation"}),
        mistake("aggr='mean' as the default", message_passing_forward_mean_by_default,
                named="the mean as the default aggregation", parts={"sum aggregation"}),
        mistake("messages target -> source", message_passing_forward_reversed,
                named="messages sent from target to source", parts={"sum aggregation", "mean aggregation"}),
        mistake("out[target] += H[source]", message_passing_forward_fancy_add, named="keeps one message per node",
                parts={"sum aggregation", "mean aggregation"}),
        mistake("A[t, s] = 1", message_passing_forward_dense_assigned, named="repeated edges counted once",
                parts={"sum aggregation", "mean aggregation"}),
    ],
    "gnn.message_passing_backward": [
        mistake("the mean's division forgotten", message_passing_forward, message_passing_backward_undivided,
                named="division left out of the backward", parts={"mean aggregation"}),
        mistake("dout sent along the edges", message_passing_forward, message_passing_backward_forwards,
                named="sent along the edges instead of back", parts={"sum aggregation", "mean aggregation"}),
        mistake("divided at the source", message_passing_forward, message_passing_backward_divided_at_source,
                named="division done at the source", parts={"mean aggregation"}),
        mistake("A.T @ (dout / count) with count 0", message_passing_forward_dense_nan,
                message_passing_backward_dense_nan, named="NaN from 0 / 0", parts={"mean aggregation"}),
        mistake("dH[source] += dout[target]", message_passing_forward, message_passing_backward_fancy_add,
                named="keeps one edge's gradient per node", parts={"sum aggregation", "mean aggregation"}),
    ],
}

CORRECT_ALTERNATIVES = {
    "gnn.normalize_adjacency": [
        alternative("np.add.at over the edges and self-loops", normalize_adjacency),
        alternative("a dense (V, V) adjacency with np.add.at", normalize_adjacency_dense),
        alternative("Python loops over the edges", normalize_adjacency_with_loops),
        alternative("np.bincount for the degree", normalize_adjacency_bincount),
    ],
    "gnn.gcn_forward": [
        alternative("np.add.at", gcn_forward),
        alternative("a dense A_hat built by a loop over edges", gcn_forward_dense),
        alternative("einsum over a dense A_hat", gcn_forward_einsum),
        alternative("a loop over edges", gcn_forward_edge_loop),
    ],
    "gnn.gcn_backward": [
        alternative("np.add.at", gcn_forward, gcn_backward),
        alternative("a dense A_hat.T", gcn_forward_dense, gcn_backward_dense),
        alternative("einsum", gcn_forward_einsum, gcn_backward_einsum),
        alternative("a loop over edges", gcn_forward_edge_loop, gcn_backward_edge_loop),
    ],
    "gnn.message_passing_forward": [
        alternative("np.add.at", message_passing_forward),
        alternative("a dense adjacency", message_passing_forward_dense),
        alternative("a loop over edges", message_passing_forward_edge_loop),
        alternative("np.bincount per feature", message_passing_forward_bincount),
    ],
    "gnn.message_passing_backward": [
        alternative("np.add.at", message_passing_forward, message_passing_backward),
        alternative("a dense adjacency's transpose", message_passing_forward_dense, message_passing_backward_dense),
        alternative("a loop over edges", message_passing_forward_edge_loop, message_passing_backward_edge_loop),
        alternative("np.bincount per feature", message_passing_forward_bincount, message_passing_backward_bincount),
    ],
}
