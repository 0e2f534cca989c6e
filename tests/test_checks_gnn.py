"""The lesson 07 checks: the reference earns full marks quickly, the visible graphs hold every awkward feature
the contract names (so a green check means the points are earned), and the reports read as a learner needs
them. Learners' mistakes and correct code written other ways are in tests/learner_mistakes/gnn.py
(test_visible_cases.py)."""
import time

import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import assert_fails, assert_passes
from learner_mistakes.gnn import (
    message_passing_backward, message_passing_forward, message_passing_forward_nan, normalize_adjacency,
)
from reference_impl import gnn as reference

pytestmark = [pytest.mark.grader, pytest.mark.gnn]


def reference_functions(exercise_id):
    return [getattr(reference, name) for name in get_check(exercise_id).functions]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("gnn"))
def test_reference_earns_full_marks(exercise_id, hidden):
    result = run_check(exercise_id, *reference_functions(exercise_id), hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


@pytest.mark.parametrize("exercise_id", exercises("gnn"))
def test_a_check_with_its_hidden_cases_runs_well_under_a_second(exercise_id):
    run_check(exercise_id, *reference_functions(exercise_id), hidden=True)  # imports and caches warm
    started = time.perf_counter()
    run_check(exercise_id, *reference_functions(exercise_id), hidden=True)
    assert time.perf_counter() - started < 0.5


def raw_graph(case):
    """(edge_index, V) of a case's graph as drawn, before normalize_adjacency added its self-loops."""
    inputs = case.inputs
    V = inputs["num_nodes"] if "num_nodes" in inputs else inputs["H"].shape[0]
    edge_index = inputs["edge_index"]
    if "normalize_adjacency's output" in case.label:
        edge_index = edge_index[:, :-V]
    return edge_index, V


@pytest.mark.parametrize("exercise_id", exercises("gnn"))
def test_every_graph_holds_what_the_contract_is_careful_about(exercise_id):
    for case in get_check(exercise_id).cases(hidden=True):
        edge_index, V = raw_graph(case)
        source, target = edge_index
        in_degree, out_degree = np.bincount(target, minlength=V), np.bincount(source, minlength=V)
        assert np.any(in_degree != out_degree), case.label
        assert np.unique(edge_index, axis=1).shape[1] < edge_index.shape[1], f"no repeated edge: {case.label}"
        assert edge_index.max() < V - 1, f"the highest node has an edge: {case.label}"
        assert np.any((in_degree == 0) & (out_degree > 0)), f"no node that only sends: {case.label}"
        if "H" in case.inputs:
            assert case.inputs["H"].shape[0] != case.inputs["H"].shape[1], f"V = F: {case.label}"


def visible(exercise_id):
    return get_check(exercise_id).cases(hidden=False)


def test_normalize_adjacency_visible_cases_pass_weights_none_and_nothing_and_hold_self_loops():
    cases = visible("gnn.normalize_adjacency")
    given = [c for c in cases if isinstance(c.inputs.get("edge_weight"), np.ndarray)]
    assert given and any("edge_weight" in c.inputs and c.inputs["edge_weight"] is None for c in cases)
    assert any("edge_weight" not in c.inputs for c in cases)
    assert any(np.any(c.inputs["edge_index"][0] == c.inputs["edge_index"][1]) for c in given)
    assert any(c.dtype == np.float32 for c in given)


def test_gcn_visible_cases_take_normalised_raw_and_unweighted_graphs_with_F_in_not_F_out():
    for exercise_id in ("gnn.gcn_forward", "gnn.gcn_backward"):
        cases = visible(exercise_id)
        assert any(c.inputs["edge_weight"] is None for c in cases)
        assert any("taken as given" in c.label and c.inputs["edge_weight"] is not None for c in cases)
        assert any("normalize_adjacency's output" in c.label for c in cases)
        for case in cases:
            F_in, F_out = case.inputs["W"].shape
            assert F_in != F_out and case.inputs["H"].shape[0] not in (F_in, F_out), case.label


def test_message_passing_visible_cases_decide_sum_mean_and_the_default():
    for exercise_id in ("gnn.message_passing_forward", "gnn.message_passing_backward"):
        cases = visible(exercise_id)
        by_part = {part: [c for c in cases if c.parts == (part,)] for part in get_check(exercise_id).parts}
        assert any("aggr" not in c.inputs for c in by_part["sum aggregation"])
        assert any(c.inputs.get("aggr") == "sum" for c in by_part["sum aggregation"])
        assert all(c.inputs["aggr"] == "mean" for c in by_part["mean aggregation"]) and by_part["mean aggregation"]


def test_a_torch_geometric_style_normalisation_loses_both_parts_and_is_named():
    """torch_geometric's GCNConv keeps a self-loop the input has instead of adding one (see tests/test_gnn.py)."""
    assert_fails("gnn.normalize_adjacency", _remaining_self_loops, parts={"edge_index", "edge_weight"},
                 mentions=["self-loops added only to the nodes that had none", "EVERY node"], hidden=False)


def _remaining_self_loops(edge_index, num_nodes, edge_weight=None):
    weight = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
    keep = edge_index[0] != edge_index[1]
    loop_weight = np.ones(num_nodes)
    loop_weight[edge_index[0, ~keep]] = weight[~keep]  # an existing self-loop keeps its own weight
    loops = np.arange(num_nodes)
    source = np.concatenate([edge_index[0, keep], loops])
    target = np.concatenate([edge_index[1, keep], loops])
    weight = np.concatenate([weight[keep], loop_weight])
    degree = np.bincount(target, weight, num_nodes)
    return np.stack([source, target]), weight / np.sqrt(degree[target] * degree[source])


def test_edge_index_of_another_integer_dtype_is_accepted():
    def int32_edges(edge_index, num_nodes, edge_weight=None):
        new_index, new_weight = normalize_adjacency(edge_index, num_nodes, edge_weight)
        return new_index.astype(np.int32), new_weight

    assert_passes("gnn.normalize_adjacency", int32_edges)


def test_a_mean_that_is_nan_on_isolated_nodes_says_so_without_writing_to_stderr(capfd):
    result = assert_fails("gnn.message_passing_forward", message_passing_forward_nan, parts={"mean aggregation"},
                          mentions=["contains NaN", "expected 0", "np.maximum(count, 1)"], hidden=False)
    assert "invalid value encountered" in result.message  # the learner's own warning, in the report
    assert capfd.readouterr().err == ""


def test_a_backward_with_a_broken_forward_names_the_forward():
    def forward_ignoring_aggr(H, edge_index, aggr="sum"):
        return message_passing_forward(H, edge_index)

    result = run_check("gnn.message_passing_backward", forward_ignoring_aggr, message_passing_backward,
                       namespace={"message_passing_forward": forward_ignoring_aggr})
    assert "Your message_passing_forward fails its own check" in result.message, result.message
