"""Lesson 07: graph layers against dense-matrix formulas in torch, torch_geometric's GCNConv, central
differences and hypothesis over random graphs, on every backend. The graphs hold what edge lists hold in
practice: isolated nodes, repeated edges and self-loops."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.gnn import (
    gcn_backward, gcn_forward, message_passing_backward, message_passing_forward, normalize_adjacency,
)
from reference_impl.gradcheck import compare_layer_gradients

pytestmark = pytest.mark.gnn

SEEDS = (0, 1, 2)
GRAD_TOL = 1e-6
TORCH_TOL = dict(rtol=1e-10, atol=1e-12)
HYPOTHESIS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# 6 nodes: 0 -> 1 twice (a repeated edge), a self-loop at 2, node 5 isolated, node 4 only a source.
AWKWARD_EDGES = np.array([[0, 0, 1, 2, 2, 4, 3, 4],
                          [1, 1, 2, 2, 3, 3, 0, 1]])
AWKWARD_NODES = 6


def random_graph(rng, num_nodes, num_edges):
    return rng.integers(0, num_nodes, (2, num_edges))


def dense_adjacency(edge_index, num_nodes, edge_weight=None):
    """A[t, s] = total weight of the edges s -> t, built densely in NumPy for comparison."""
    weight = np.ones(edge_index.shape[1]) if edge_weight is None else np.asarray(edge_weight)
    A = np.zeros((num_nodes, num_nodes))
    np.add.at(A, (edge_index[1], edge_index[0]), weight)
    return A


def torch_leaves(backend, *arrays):
    return [torch.tensor(np.asarray(a), device=backend.torch_device, requires_grad=True) for a in arrays]


def assert_close(backend, ours, expected):
    np.testing.assert_allclose(backend.to_numpy(ours), expected.detach().cpu().numpy(), **TORCH_TOL)


# normalize_adjacency

@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_normalize_adjacency_matches_the_dense_formula(backend, rng, weighted):
    V = AWKWARD_NODES
    weight = rng.uniform(0.5, 2.0, AWKWARD_EDGES.shape[1]) if weighted else None
    edge_index, edge_weight = normalize_adjacency(
        backend.asarray(AWKWARD_EDGES), V, None if weight is None else backend.asarray(weight))
    edge_index, edge_weight = backend.to_numpy(edge_index), backend.to_numpy(edge_weight)

    # The input edges in order, then one self-loop per node, even where one existed already.
    E = AWKWARD_EDGES.shape[1]
    np.testing.assert_array_equal(edge_index[:, :E], AWKWARD_EDGES)
    np.testing.assert_array_equal(edge_index[:, E:], np.stack([np.arange(V), np.arange(V)]))
    assert edge_weight.shape == (E + V,) and edge_weight.dtype == np.float64

    A_loops = dense_adjacency(AWKWARD_EDGES, V, weight) + np.eye(V)
    inv_sqrt_degree = 1 / np.sqrt(A_loops.sum(axis=1))
    expected = inv_sqrt_degree[:, None] * A_loops * inv_sqrt_degree[None, :]
    np.testing.assert_allclose(dense_adjacency(edge_index, V, edge_weight), expected, rtol=1e-12)


def test_normalize_adjacency_of_a_graph_without_edges(backend):
    edge_index, edge_weight = normalize_adjacency(backend.asarray(np.zeros((2, 0), dtype=np.int64)), 3)
    np.testing.assert_array_equal(backend.to_numpy(edge_index), [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(backend.to_numpy(edge_weight), [1.0, 1.0, 1.0])


def test_normalize_adjacency_keeps_edge_weight_dtype_and_device(backend):
    weight = backend.asarray(np.ones(AWKWARD_EDGES.shape[1], dtype=np.float32))
    edge_index, edge_weight = normalize_adjacency(backend.asarray(AWKWARD_EDGES), AWKWARD_NODES, weight)
    assert edge_weight.dtype == weight.dtype and edge_index.dtype == backend.asarray(AWKWARD_EDGES).dtype
    if backend.is_torch:
        assert edge_weight.device.type == edge_index.device.type == backend.torch_device


# gcn

def gcn_graph(rng, kind):
    if kind == "awkward":
        edge_index, edge_weight = normalize_adjacency(AWKWARD_EDGES, AWKWARD_NODES)
        return edge_index, edge_weight, AWKWARD_NODES
    if kind == "raw weights":  # the layer takes any edge list as given
        return AWKWARD_EDGES, rng.standard_normal(AWKWARD_EDGES.shape[1]), AWKWARD_NODES
    if kind == "no weights":
        return AWKWARD_EDGES, None, AWKWARD_NODES
    return np.zeros((2, 0), dtype=np.int64), None, 3  # "no edges"


GCN_GRAPHS = ["awkward", "raw weights", "no weights", "no edges"]


def gcn_inputs(backend, rng, kind, F_in=3, F_out=2):
    edge_index, edge_weight, V = gcn_graph(rng, kind)
    H, W, b = rng.standard_normal((V, F_in)), rng.standard_normal((F_in, F_out)), rng.standard_normal(F_out)
    return H, edge_index, edge_weight, W, b


@pytest.mark.parametrize("kind", GCN_GRAPHS)
def test_gcn_matches_dense_torch_formula(backend, rng, kind):
    H, edge_index, edge_weight, W, b = gcn_inputs(backend, rng, kind)
    dout = rng.standard_normal((H.shape[0], W.shape[1]))
    out, cache = gcn_forward(backend.asarray(H), backend.asarray(edge_index),
                             None if edge_weight is None else backend.asarray(edge_weight),
                             backend.asarray(W), backend.asarray(b))
    dH, dW, db = gcn_backward(backend.asarray(dout), cache)

    A_hat = torch.tensor(dense_adjacency(edge_index, H.shape[0], edge_weight), device=backend.torch_device)
    H_t, W_t, b_t = torch_leaves(backend, H, W, b)
    expected = A_hat @ (H_t @ W_t) + b_t
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    for ours, theirs in ((out, expected), (dH, H_t.grad), (dW, W_t.grad), (db, b_t.grad)):
        assert_close(backend, ours, theirs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", GCN_GRAPHS)
def test_gcn_gradients(backend, kind, seed):
    rng = np.random.default_rng(seed)
    H, edge_index, edge_weight, W, b = gcn_inputs(backend, rng, kind)
    edge_index = backend.asarray(edge_index)
    edge_weight = None if edge_weight is None else backend.asarray(edge_weight)
    errors = compare_layer_gradients(lambda H, W, b: gcn_forward(H, edge_index, edge_weight, W, b), gcn_backward,
                                     [backend.asarray(a) for a in (H, W, b)], rng)
    assert max(errors) < GRAD_TOL


def test_gcn_isolated_node_gets_only_its_bias_without_self_loop(backend, rng):
    H, edge_index, _, W, b = gcn_inputs(backend, rng, "no weights")
    out, _ = gcn_forward(*(backend.asarray(a) for a in (H, edge_index)), None, backend.asarray(W), backend.asarray(b))
    np.testing.assert_allclose(backend.to_numpy(out)[5], b)  # node 5 has no in-edge


@HYPOTHESIS
@given(V=st.integers(1, 8), E=st.integers(0, 20), F_in=st.integers(1, 4), F_out=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_gcn_matches_dense_formula_over_random_graphs(backend, V, E, F_in, F_out, seed):
    rng = np.random.default_rng(seed)
    edge_index, edge_weight = normalize_adjacency(random_graph(rng, V, E), V)
    H, W, b = rng.standard_normal((V, F_in)), rng.standard_normal((F_in, F_out)), rng.standard_normal(F_out)
    dout = rng.standard_normal((V, F_out))
    out, cache = gcn_forward(*(backend.asarray(a) for a in (H, edge_index, edge_weight, W, b)))
    dH, dW, db = gcn_backward(backend.asarray(dout), cache)
    A_hat = dense_adjacency(edge_index, V, edge_weight)
    np.testing.assert_allclose(backend.to_numpy(out), A_hat @ H @ W + b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(dH), A_hat.T @ dout @ W.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(dW), H.T @ A_hat.T @ dout, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(db), dout.sum(axis=0), rtol=1e-10, atol=1e-12)


# torch_geometric's GCNConv: its own self-loops and normalisation, its weight (F_out, F_in), autograd

def gcnconv_against_ours(backend, rng, conv_edges, conv_weight, our_edges, our_weight, V, F_in=3, F_out=2,
                         **conv_options):
    """(GCNConv's out, dH, dW, db, ours) for the same H, W, b and upstream gradient: GCNConv run on
    (conv_edges, conv_weight) with conv_options, ours as normalize_adjacency + gcn_forward/backward on
    (our_edges, our_weight). dW is GCNConv's weight gradient transposed to our (F_in, F_out) layout."""
    torch_geometric = pytest.importorskip("torch_geometric")
    where = backend.torch_device
    H, W, b = rng.standard_normal((V, F_in)), rng.standard_normal((F_in, F_out)), rng.standard_normal(F_out)
    dout = rng.standard_normal((V, F_out))

    conv = torch_geometric.nn.GCNConv(F_in, F_out, **conv_options).double().to(where)
    with torch.no_grad():
        conv.lin.weight.copy_(torch.tensor(W.T))  # torch.nn.Linear stores (F_out, F_in)
        conv.bias.copy_(torch.tensor(b))
    (H_t,) = torch_leaves(backend, H)
    weight_t = None if conv_weight is None else torch.tensor(conv_weight, device=where)
    out_t = conv(H_t, torch.tensor(conv_edges, device=where), weight_t)
    out_t.backward(torch.tensor(dout, device=where))
    theirs = [out_t, H_t.grad, conv.lin.weight.grad.T, conv.bias.grad]

    edge_index, edge_weight = normalize_adjacency(backend.asarray(our_edges), V,
                                                  None if our_weight is None else backend.asarray(our_weight))
    out, cache = gcn_forward(backend.asarray(H), edge_index, edge_weight, backend.asarray(W), backend.asarray(b))
    ours = [out, *gcn_backward(backend.asarray(dout), cache)]
    return theirs, ours


def edge_weights(rng, weighted, edges):
    return rng.uniform(0.5, 2.0, edges.shape[1]) if weighted else None


WEIGHTED = pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])


@WEIGHTED
@pytest.mark.parametrize("graph", ["awkward", "random"])
def test_gcn_matches_torch_geometric_gcnconv_without_input_self_loops(backend, rng, weighted, graph):
    """Directed graphs with repeated edges and isolated nodes above every edge's index (the awkward one: 0 -> 1
    twice, node 4 only a source, node 5 isolated; the random one: 30 edges on nodes 0-8, nodes 9-11 isolated).
    GCNConv adds a self-loop to every node here, as normalize_adjacency does, and counts the degree at the
    target."""
    edges, V = (AWKWARD_EDGES, AWKWARD_NODES) if graph == "awkward" else (random_graph(rng, 9, 30), 12)
    edges = edges[:, edges[0] != edges[1]]
    weight = edge_weights(rng, weighted, edges)
    theirs, ours = gcnconv_against_ours(backend, rng, edges, weight, edges, weight, V)
    for our, their in zip(ours, theirs):
        assert_close(backend, our, their)


@WEIGHTED
def test_gcn_matches_gcnconv_normalising_our_a_plus_i_when_the_input_has_self_loops(backend, rng, weighted):
    """GCNConv without its own self-loops, given the input edges and one self-loop of weight 1 per node
    (the A + I of the contract), normalises exactly as normalize_adjacency does, node 2's input loop included."""
    weight = edge_weights(rng, weighted, AWKWARD_EDGES)
    V = AWKWARD_NODES
    loops = np.stack([np.arange(V), np.arange(V)])
    with_loops = np.concatenate([AWKWARD_EDGES, loops], axis=1)
    loop_weight = np.concatenate([np.ones(AWKWARD_EDGES.shape[1]) if weight is None else weight, np.ones(V)])
    theirs, ours = gcnconv_against_ours(backend, rng, with_loops, loop_weight, AWKWARD_EDGES, weight, V,
                                        add_self_loops=False)
    for our, their in zip(ours, theirs):
        assert_close(backend, our, their)


@WEIGHTED
def test_gcnconv_keeps_an_input_self_loop_where_the_contract_adds_one(backend, rng, weighted):
    """Where the contract and GCNConv part: GCNConv's add_remaining_self_loops gives a node that already has
    a self-loop no second one (the loop keeps its own weight w), while COURSE.md adds weight 1 to EVERY node
    (the diagonal of A + I is w + 1). So GCNConv's output is ours on the graph whose loop weighs w - 1."""
    weight = edge_weights(rng, weighted, AWKWARD_EDGES)
    full = np.ones(AWKWARD_EDGES.shape[1]) if weight is None else weight
    loop = AWKWARD_EDGES[0] == AWKWARD_EDGES[1]
    lowered = np.where(loop, full - 1.0, full)
    theirs, ours = gcnconv_against_ours(backend, rng, AWKWARD_EDGES, weight, AWKWARD_EDGES, lowered,
                                        AWKWARD_NODES)
    for our, their in zip(ours, theirs):
        assert_close(backend, our, their)

    theirs, ours = gcnconv_against_ours(backend, np.random.default_rng(1), AWKWARD_EDGES, weight, AWKWARD_EDGES,
                                        weight, AWKWARD_NODES)
    out, expected = backend.to_numpy(ours[0]), theirs[0].detach().cpu().numpy()
    differs = ~np.isclose(out, expected).all(axis=1)
    assert differs[2] and not differs[5], differs  # node 2 has the input loop; node 5 is untouched by it


# message passing

def dense_message_passing(H, edge_index, aggr):
    A = dense_adjacency(edge_index, H.shape[0])
    if aggr == "mean":
        A = A / np.maximum(A.sum(axis=1, keepdims=True), 1)
    return A


@pytest.mark.parametrize("aggr", ["sum", "mean"])
def test_message_passing_matches_dense_torch_formula(backend, rng, aggr):
    H = rng.standard_normal((AWKWARD_NODES, 3))
    dout = rng.standard_normal(H.shape)
    out, cache = message_passing_forward(backend.asarray(H), backend.asarray(AWKWARD_EDGES), aggr)
    dH = message_passing_backward(backend.asarray(dout), cache)

    A = torch.tensor(dense_message_passing(H, AWKWARD_EDGES, aggr), device=backend.torch_device)
    (H_t,) = torch_leaves(backend, H)
    expected = A @ H_t
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dH, H_t.grad)
    np.testing.assert_array_equal(backend.to_numpy(out)[[4, 5]], 0.0)  # nodes without in-edges


def test_mean_counts_repeated_edges(backend):
    H = np.array([[1.0], [10.0], [0.0]])
    edges = np.array([[0, 0, 1], [2, 2, 2]])  # 0 -> 2 twice, 1 -> 2 once
    out, _ = message_passing_forward(backend.asarray(H), backend.asarray(edges), "mean")
    np.testing.assert_allclose(backend.to_numpy(out)[2], [(1 + 1 + 10) / 3])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("aggr", ["sum", "mean"])
def test_message_passing_gradients(backend, aggr, seed):
    rng = np.random.default_rng(seed)
    edge_index = backend.asarray(AWKWARD_EDGES)
    errors = compare_layer_gradients(lambda H: message_passing_forward(H, edge_index, aggr),
                                     message_passing_backward,
                                     [backend.asarray(rng.standard_normal((AWKWARD_NODES, 4)))], rng)
    assert max(errors) < GRAD_TOL


@HYPOTHESIS
@given(V=st.integers(1, 8), E=st.integers(0, 20), F=st.integers(1, 4), aggr=st.sampled_from(["sum", "mean"]),
       seed=st.integers(0, 2**16))
def test_message_passing_matches_dense_formula_over_random_graphs(backend, V, E, F, aggr, seed):
    rng = np.random.default_rng(seed)
    edge_index = random_graph(rng, V, E)
    H, dout = rng.standard_normal((V, F)), rng.standard_normal((V, F))
    out, cache = message_passing_forward(backend.asarray(H), backend.asarray(edge_index), aggr)
    dH = message_passing_backward(backend.asarray(dout), cache)
    A = dense_message_passing(H, edge_index, aggr)
    np.testing.assert_allclose(backend.to_numpy(out), A @ H, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(dH), A.T @ dout, rtol=1e-10, atol=1e-12)


# argument errors

def test_graph_functions_reject_bad_arguments():
    H = np.ones((4, 2))
    W, b = np.ones((2, 3)), np.zeros(3)
    edges = np.array([[0, 1], [2, 3]])
    with pytest.raises(ValueError, match=r"edge_index must have shape \(2, E\) = \(2, \*\), got \(3, 2\)"):
        message_passing_forward(H, np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match=r"edge_index must have 2 dimensions, got shape \(4,\)"):
        message_passing_forward(H, np.arange(4))
    with pytest.raises(TypeError, match=r"edge_index must hold integral numbers, got dtype float64"):
        gcn_forward(H, edges.astype(float), None, W, b)
    with pytest.raises(ValueError, match=r"edge_index holds node 4, outside \[0, 4\)"):
        gcn_forward(H, np.array([[0, 4], [1, 2]]), None, W, b)
    with pytest.raises(ValueError, match=r"edge_index holds node -1, outside \[0, 4\)"):
        normalize_adjacency(np.array([[0, -1], [1, 2]]), 4)
    with pytest.raises(ValueError, match=r"aggr must be one of 'sum', 'mean', got 'max'"):
        message_passing_forward(H, edges, aggr="max")
    with pytest.raises(ValueError, match=r"edge_weight must have shape \(E,\) = \(2,\), got \(3,\)"):
        gcn_forward(H, edges, np.ones(3), W, b)
    with pytest.raises(ValueError, match=r"W must have shape \(F_in, F_out\) = \(2, \*\), got \(3, 3\)"):
        gcn_forward(H, edges, None, np.ones((3, 3)), b)
    with pytest.raises(ValueError, match=r"node 1 has weighted in-degree -1.0"):
        normalize_adjacency(np.array([[0], [1]]), 2, np.array([-2.0]))
