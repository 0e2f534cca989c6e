"""Lesson 07, graph neural networks: the normalised adjacency of a graph convolutional network (GCN),
the GCN layer and plain message passing with sum or mean aggregation.

Dimensions used below:
    V      number of nodes (num_nodes)      E   number of edges
    F_in   input features per node          F_out  output features per node

A graph is an edge list: edge_index (2, E) of integers, row 0 the source and row 1 the target of each
edge, so a message flows from edge_index[0, e] to edge_index[1, e]. Edges may repeat (their
contributions add up) and may be self-loops. Aggregation never builds the dense (V, V) adjacency:
messages are gathered per edge and summed per target node with a scatter-add.
"""
from .arguments import require_array, require_same_dtype, require_shape
from .backend import device, namespace, scatter_add

__all__ = [
    "normalize_adjacency", "gcn_forward", "gcn_backward", "message_passing_forward",
    "message_passing_backward",
]

AGGREGATIONS = ("sum", "mean")


def normalize_adjacency(edge_index, num_nodes, edge_weight=None):
    """The GCN propagation matrix D^-1/2 (A + I) D^-1/2 as an edge list.

    edge_index (2, E) integers in [0, V); num_nodes V; edge_weight (E,) floats, or None for ones
    (float64). A[t, s] is the sum of the weights of the edges s -> t; every node gets one more
    self-loop of weight 1; D is the diagonal of the row sums of A + I (the weighted in-degree).
    Returns edge_index (2, E + V), the input edges in order then the self-loops 0 ... V-1, and
    edge_weight (E + V,) with weight[e] = w[e] / sqrt(D[target] * D[source]).
    """
    func = "normalize_adjacency"
    source, target = _require_edges(func, edge_index, num_nodes)
    xp = namespace(edge_index)
    E, V, where = edge_index.shape[1], num_nodes, device(edge_index)
    if edge_weight is None:
        edge_weight = xp.ones(E, dtype=xp.float64, device=where)
    require_array(func, "edge_weight", edge_weight, ndim=1)
    require_shape(func, "edge_weight", edge_weight, (E,), "(E,)")

    nodes = xp.arange(V, dtype=edge_index.dtype, device=where)  # (V,)
    source = xp.concat((source, nodes))  # (E + V,)
    target = xp.concat((target, nodes))  # (E + V,)
    weight = xp.concat((edge_weight, xp.ones(V, dtype=edge_weight.dtype, device=where)))  # (E + V,)
    degree = scatter_add(weight, target, V)  # (V,) row sums of A + I
    if bool(xp.any(degree <= 0)):
        node = int(xp.argmax(xp.astype(degree <= 0, xp.int8)))
        raise ValueError(f"{func}: node {node} has weighted in-degree {float(degree[node])} including its "
                         "self-loop; D^-1/2 needs every in-degree positive (check for negative edge weights)")
    inv_sqrt_degree = 1.0 / xp.sqrt(degree)  # (V,)
    weight = inv_sqrt_degree[target] * weight * inv_sqrt_degree[source]  # (E + V,)
    return xp.stack((source, target)), weight


def gcn_forward(H, edge_index, edge_weight, W, b):
    """A graph convolution: out = A_hat @ (H @ W) + b, by gather and scatter-add.

    H (V, F_in) node features; edge_index (2, E); edge_weight (E,) or None for ones, taken as given
    (A_hat[t, s] = sum of the weights of the edges s -> t: pass normalize_adjacency's output for a
    GCN; nothing is added or normalised here); W (F_in, F_out); b (F_out,).
    Returns out (V, F_out) and cache.
    """
    func = "gcn_forward"
    require_array(func, "H", H, ndim=2)
    V, F_in = H.shape
    _require_edges(func, edge_index, V)
    E = edge_index.shape[1]
    require_array(func, "W", W, ndim=2)
    require_shape(func, "W", W, (F_in, None), "(F_in, F_out)")
    F_out = W.shape[1]
    require_shape(func, "b", require_array(func, "b", b), (F_out,), "(F_out,)")
    if edge_weight is not None:
        require_array(func, "edge_weight", edge_weight, ndim=1)
        require_shape(func, "edge_weight", edge_weight, (E,), "(E,)")
        require_same_dtype(func, H=H, edge_weight=edge_weight, W=W, b=b)
    require_same_dtype(func, H=H, W=W, b=b)

    # Transform first, then aggregate: the per-edge messages are F_out wide (usually <= F_in).
    HW = H @ W  # (V, F_in) @ (F_in, F_out) -> (V, F_out)
    out = _propagate(HW, edge_index[0], edge_index[1], edge_weight, V) + b  # (V, F_out)
    return out, (H, W, edge_index, edge_weight)


def gcn_backward(dout, cache):
    """Gradients of gcn_forward.

    dout (V, F_out); cache from the forward. Returns dH (V, F_in), dW (F_in, F_out), db (F_out,).
    The edge weights are constants of the layer and get no gradient.
    """
    xp = namespace(dout)
    H, W, edge_index, edge_weight = cache
    db = xp.sum(dout, axis=0)  # (F_out,)
    # The transpose of A_hat sends each edge's gradient back from its target to its source.
    dHW = _propagate(dout, edge_index[1], edge_index[0], edge_weight, H.shape[0])  # (V, F_out)
    dH = dHW @ xp.matrix_transpose(W)  # (V, F_out) @ (F_out, F_in) -> (V, F_in)
    dW = xp.matrix_transpose(H) @ dHW  # (F_in, V) @ (V, F_out) -> (F_in, F_out)
    return dH, dW, db


def message_passing_forward(H, edge_index, aggr="sum"):
    """Each node receives its in-neighbours' features: out[t] = sum or mean of H[s] over edges s -> t.

    H (V, F); edge_index (2, E); aggr "sum" or "mean" (mean divides by the number of in-edges,
    repeats counted). A node with no in-edge gets 0. Returns out (V, F) and cache.
    """
    func = "message_passing_forward"
    require_array(func, "H", H, ndim=2)
    V = H.shape[0]
    source, target = _require_edges(func, edge_index, V)
    if aggr not in AGGREGATIONS:
        raise ValueError(f"{func}: aggr must be one of {', '.join(map(repr, AGGREGATIONS))}, got {aggr!r}")
    xp = namespace(H)
    scale = None
    if aggr == "mean":
        ones = xp.ones(edge_index.shape[1], dtype=H.dtype, device=device(H))  # (E,)
        in_count = scatter_add(ones, target, V)  # (V,)
        # A node without in-edges has sum 0: dividing it by 1 keeps it 0.
        scale = 1.0 / xp.maximum(in_count, xp.ones_like(in_count))[:, None]  # (V, 1)
    out = scatter_add(H[source], target, V)  # (E, F) summed at the targets -> (V, F)
    if scale is not None:
        out = out * scale
    return out, (edge_index, scale, V)


def message_passing_backward(dout, cache):
    """Gradient of message_passing_forward.

    dout (V, F); cache from the forward. Returns dH (V, F): every edge s -> t sends t's (scaled)
    gradient back to s.
    """
    edge_index, scale, V = cache
    if scale is not None:
        dout = dout * scale  # (V, F)
    return scatter_add(dout[edge_index[1]], edge_index[0], V)  # (E, F) summed at the sources -> (V, F)


def _propagate(X, source, target, weight, num_nodes):
    """out[t] = sum over edges e with target t of weight[e] * X[source[e]] (weight None = ones).

    X (V, F); source, target (E,); weight (E,) or None. Returns (V, F).
    """
    messages = X[source]  # (E, F) one row per edge
    if weight is not None:
        messages = messages * weight[:, None]
    return scatter_add(messages, target, num_nodes)  # (V, F)


def _require_edges(func, edge_index, num_nodes):
    """Check edge_index: integers of shape (2, E), every entry a node in [0, num_nodes).

    Returns its two rows, source (E,) and target (E,).
    """
    if not isinstance(num_nodes, int) or num_nodes < 0:
        raise ValueError(f"{func}: num_nodes must be a non-negative int, got {num_nodes!r}")
    require_array(func, "edge_index", edge_index, ndim=2, kind="int")
    require_shape(func, "edge_index", edge_index, (2, None), "(2, E)")
    xp = namespace(edge_index)
    if edge_index.shape[1] > 0:
        low, high = int(xp.min(edge_index)), int(xp.max(edge_index))
        if low < 0 or high >= num_nodes:
            raise ValueError(f"{func}: edge_index holds node {low if low < 0 else high}, outside "
                             f"[0, {num_nodes}) for {num_nodes} nodes; node ids must be 0 ... num_nodes - 1")
    return edge_index[0], edge_index[1]
