"""Lesson 07 (gnn): the normalised adjacency, graph convolution, message passing.

Dimensions: V nodes, E edges, F_in / F_out features per node in and out (F for message passing).

Every case's graph is directed and holds what real edge lists hold: node 0 only sends (no in-edge), node
V - 2 only receives, nodes 1 and V - 1 have no edge at all (V - 1 is above every edge's index, so only
num_nodes or H says it exists), one edge appears twice, and most graphs have a self-loop. So a wrong
direction, a degree counted at the source, repeats collapsed, num_nodes read from the edges and a mean
that is NaN where nothing arrives all show on the visible cases. Hidden cases draw the same kinds of
graph with other seeds and sizes.
"""
import numpy as np

from reference_impl import gnn as reference
from reference_impl.backend import to_numpy

from ..compare import EXACT, Comparison, compare_arrays, tolerance_for
from ..engine import Case, Check, describe_case, register
from ..inputs import generator, normal
from ..mistakes import Mistake
from .layers import CaseSpec, LayerBackwardCheck, LayerForwardCheck

_ADD_AT_FIX = ("NumPy's a[index] += values adds only once per repeated index: use np.add.at(a, index, values) "
               "(or np.bincount for a 1-D sum), so that every edge adds its share")


def _edges(rng, V, E, self_loop=True):
    """A directed edge list (2, E) in random order on V >= 6 nodes, shaped as the module docstring says."""
    senders = np.array([0] + list(range(2, V - 2)))  # neither the isolated 1 and V - 1 nor the sink V - 2
    receivers = np.arange(2, V - 1)
    # Two edges into the sink: its in-degree (2 or more) differs from its out-degree (0).
    source, target = [0, int(rng.choice(senders[1:]))], [V - 2, V - 2]
    while len(source) < E - 1 - int(self_loop):
        s, t = int(rng.choice(senders)), int(rng.choice(receivers))
        if s != t:
            source.append(s)
            target.append(t)
    repeated = int(rng.integers(len(source)))
    source.append(source[repeated])
    target.append(target[repeated])
    if self_loop:
        node = int(rng.choice(receivers))
        source.append(node)
        target.append(node)
    return np.array([source, target], dtype=np.int64)[:, rng.permutation(E)]  # (2, E)


def _weights(rng, E, dtype=np.float64):
    return rng.uniform(0.5, 2.0, E).astype(dtype)  # positive, so every degree is positive


def _dense(edge_index, V, weight=None):
    """A[t, s] = total weight of the edges s -> t (V, V)."""
    weight = np.ones(edge_index.shape[1]) if weight is None else weight
    A = np.zeros((V, V), dtype=np.result_type(weight, np.float32))
    np.add.at(A, (edge_index[1], edge_index[0]), weight)
    return A


def _graph_note(edge_index, num_nodes, extra=()):
    """What the case's graph holds, for its label."""
    source, target = edge_index
    loop = ["a self-loop"] if np.any(source == target) else []
    isolated = np.setdiff1d(np.arange(num_nodes), edge_index)
    notes = ["directed (in-degree != out-degree)", "an edge repeated"] + loop + \
        [f"isolated nodes {', '.join(map(str, isolated))}"]
    return ", ".join(notes + list(extra))


# -- normalize_adjacency --------------------------------------------------------------------------
def _normalized(edge_index, V, weight, degree=None, power=0.5):
    """w[e] / (D[t] D[s])**power for the input edges, then 1 / D[v]**(2 power) for the V self-loops;
    D is `degree`, the row sums of A + I when not given."""
    source, target = edge_index
    degree = np.bincount(target, weight, V) + 1 if degree is None else degree
    with np.errstate(all="ignore"):
        scale = degree ** -power
        return np.concatenate([weight * scale[target] * scale[source], scale ** 2])


def _row_normalized(edge_index, V, weight):
    """D^-1 (A + I) as the edge list: w[e] / D[t] for the input edges, then 1 / D[v] for the self-loops."""
    degree = np.bincount(edge_index[1], weight, V) + 1
    return np.concatenate([weight / degree[edge_index[1]], 1 / degree])


@register
class NormalizeAdjacency(Check):
    exercise_id = "gnn.normalize_adjacency"
    functions = ("normalize_adjacency",)
    parts = {"edge_index": 1, "edge_weight": 1}
    # (seed, V, E, edge_weight: "given" / "left out" (the default) / "None", self-loop in the input, dtype)
    visible = ((0, 7, 9, "given", True, np.float64), (1, 8, 10, "left out", False, np.float64),
               (2, 6, 8, "None", True, np.float64), (3, 7, 11, "given", True, np.float32))
    hidden = ((100, 11, 20, "given", True, np.float64), (101, 9, 15, "left out", False, np.float64),
              (102, 10, 14, "None", True, np.float64), (103, 8, 12, "given", True, np.float32),
              (104, 14, 30, "given", True, np.float64))
    notes = {"given": "edge weights given", "left out": "edge_weight left out: ones",
             "None": "edge_weight None: ones"}

    def cases(self, hidden):
        cases = []
        for seed, V, E, weights, self_loop, dtype in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            edge_index = _edges(rng, V, E, self_loop)
            inputs = {"edge_index": edge_index, "num_nodes": V}
            if weights != "left out":
                inputs["edge_weight"] = _weights(rng, E, dtype) if weights == "given" else None
            extra = [self.notes[weights]] + ["float32"] * (dtype == np.float32)
            cases.append(Case(describe_case(seed, inputs, _graph_note(edge_index, V, extra)), inputs,
                              dtype=np.dtype(dtype), sizes={"V (the number of nodes)": V}, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        edge_index, edge_weight = caller.call("normalize_adjacency", *case.inputs.values(),
                                              returns=("edge_index:array", "edge_weight:array"))
        return {"edge_index": edge_index, "edge_weight": edge_weight}

    def expected(self, case):
        args = [v.copy() if isinstance(v, np.ndarray) else v for v in case.inputs.values()]
        edge_index, edge_weight = reference.normalize_adjacency(*args)
        return {"edge_index": to_numpy(edge_index), "edge_weight": to_numpy(edge_weight)}

    def compare(self, part, expected, got, case):
        if part == "edge_index":
            if got.dtype.kind not in "iu":
                return Comparison(False, "dtype", f"edge_index holds {got.dtype} values; node ids are integers: "
                                  "make the self-loops with np.arange(num_nodes) and keep edge_index's dtype")
            return compare_arrays(expected, got, EXACT, name=part)
        return super().compare(part, expected, got, case)

    def mistakes(self, case, expected):
        edge_index, V = case.inputs["edge_index"], case.inputs["num_nodes"]
        given = case.inputs.get("edge_weight")
        weight = np.ones(edge_index.shape[1]) if given is None else given
        source, target = edge_index
        loops = np.stack([np.arange(V), np.arange(V)])  # (2, V)
        with_loops = expected["edge_index"]

        out_degree = np.bincount(source, weight, V) + 1
        collapsed = np.zeros((V, V))
        collapsed[target, source] = weight  # fancy assignment: one of the repeated edges survives
        once = np.zeros(V)
        once[target] += weight  # fancy +=: each node gets one edge's weight
        has_loop = np.isin(np.arange(V), source[source == target])
        missing = np.stack([np.flatnonzero(~has_loop)] * 2)  # (2, nodes without a loop)
        only_missing_degree = np.bincount(target, weight, V) + ~has_loop
        with np.errstate(all="ignore"):
            only_missing = np.concatenate([weight, np.ones(missing.shape[1])]) / np.sqrt(
                only_missing_degree[np.concatenate([target, missing[1]])]
                * only_missing_degree[np.concatenate([source, missing[0]])])
            no_loops_degree = np.bincount(target, weight, V)
            no_loops = weight / np.sqrt(no_loops_degree[target] * no_loops_degree[source])
        top = int(edge_index.max()) + 1
        right = expected["edge_weight"]
        E = edge_index.shape[1]
        found = [
            Mistake("the degree counted at the source (the out-degree)", "A[t, s] is the edge s -> t and D holds the "
                    "row sums of A + I, so each edge's weight adds to the degree of its TARGET, edge_index[1]",
                    {"edge_weight": _normalized(edge_index, V, weight, out_degree)}),
            Mistake("no self-loops added", "A + I: after the input edges, append one self-loop (v, v) of weight 1 "
                    "for every node v = 0 ... num_nodes - 1, and count it in the degree",
                    {"edge_index": edge_index, "edge_weight": no_loops}),
            Mistake("self-loops added only to the nodes that had none", "add a self-loop of weight 1 to EVERY node, "
                    "also where the input has one already: A + I adds 1 to every diagonal entry",
                    {"edge_index": np.concatenate([edge_index, missing], axis=1), "edge_weight": only_missing}),
            Mistake("the self-loops appended after normalising (weight 1, left out of the degree)", "the self-loops "
                    "belong to A + I before D is computed: count them in the degree, and their weight is 1 / D[v]",
                    {"edge_weight": np.concatenate([no_loops, np.ones(V)])}),
            Mistake("the self-loops placed before the input edges", "return the input edges first, in their order, "
                    "then the self-loops of nodes 0 ... num_nodes - 1",
                    {"edge_index": np.concatenate([loops, edge_index], axis=1),
                     "edge_weight": np.concatenate([right[E:], right[:E]])}),
            Mistake("D^-1 (A + I) (each row divided by its degree) instead of D^-1/2 (A + I) D^-1/2",
                    "the symmetric normalisation divides the edge s -> t by sqrt(D[t] * D[s])",
                    {"edge_weight": _row_normalized(edge_index, V, weight)}),
            Mistake("D^-1 (A + I) D^-1 (the square root left out)", "each edge s -> t is divided by sqrt(D[t] * D[s]), "
                    "the square root of the two degrees' product", {"edge_weight": _normalized(edge_index, V, weight,
                                                                                                power=1.0)}),
            Mistake("deg[target] += weight, which counts only one in-edge per node", _ADD_AT_FIX,
                    {"edge_weight": _normalized(edge_index, V, weight, once + 1)}),
            Mistake("deg[target] += weight over the edges and then the self-loops, which counts only the self-loop",
                    _ADD_AT_FIX, {"edge_weight": np.concatenate([weight, np.ones(V)])}),
            Mistake("repeated edges counted once (A[t, s] = w assigns where it should add)", "edges may repeat and "
                    "their weights add up: np.add.at(A, (target, source), w)",
                    {"edge_weight": _normalized(edge_index, V, weight, collapsed.sum(axis=1) + 1)}),
            Mistake("num_nodes taken from the edges (edge_index.max() + 1)", "use the num_nodes argument: a node "
                    "with a higher index than every edge's still exists and gets its self-loop",
                    {"edge_index": with_loops[:, :E + top], "edge_weight": right[:E + top]}),
            Mistake("the rows of the returned edge_index swapped (target, source)", "row 0 is the source and row 1 "
                    "the target, as in the input", {"edge_index": with_loops[::-1]}),
        ]
        if given is not None:
            ones = np.ones_like(weight)
            found.append(Mistake("the edge weights ignored", "A[t, s] sums the given weights: use edge_weight in "
                                 "the degree and in each edge's value (ones only when it is None)",
                                 {"edge_weight": _normalized(edge_index, V, ones)}))
        return found


# -- gcn_forward / gcn_backward -------------------------------------------------------------------
class _GraphLayer:
    """Cases drawn as _LayerCheck draws them, labelled by `note` (what the graph holds) and deciding
    `case_parts` (all parts unless a subclass says otherwise)."""

    def note(self, spec, inputs):
        return spec.note

    def case_parts(self, inputs):
        return None

    def cases(self, hidden):
        cases = []
        for spec in list(self.visible) + (list(self.hidden) if hidden else []):
            rng = generator(self.exercise_id, spec.seed)
            inputs = self.draw(rng, spec)
            case = Case(describe_case(spec.seed, inputs, self.note(spec, inputs)), inputs, dtype=spec.dtype,
                        sizes=self.sizes(inputs), parts=self.case_parts(inputs), hidden=spec in self.hidden)
            self.add_extra(rng, case)
            cases.append(case)
        return cases


class _Gcn(_GraphLayer):
    reference = reference
    forward = "gcn_forward"
    # graph: "normalised" (normalize_adjacency's output), "raw" (any weights, taken as given), "no weights"
    visible = (CaseSpec(0, V=7, E=9, F_in=4, F_out=3, graph="normalised",
                        note="normalize_adjacency's output"),
               CaseSpec(1, V=8, E=11, F_in=3, F_out=5, graph="raw",
                        note="edges and weights taken as given: no self-loop on most nodes"),
               CaseSpec(2, V=6, E=8, F_in=2, F_out=3, graph="no weights", note="edge_weight None: ones"),
               CaseSpec(3, V=7, E=10, F_in=3, F_out=2, graph="normalised", dtype=np.float32,
                        note="normalize_adjacency's output, float32"))
    hidden = (CaseSpec(100, V=12, E=22, F_in=5, F_out=3, graph="normalised", note="normalize_adjacency's output"),
              CaseSpec(101, V=10, E=16, F_in=2, F_out=4, graph="raw",
                       note="edges and weights taken as given: no self-loop on most nodes"),
              CaseSpec(102, V=9, E=13, F_in=4, F_out=2, graph="no weights", note="edge_weight None: ones"),
              CaseSpec(103, V=8, E=12, F_in=2, F_out=3, graph="normalised", dtype=np.float32,
                       note="normalize_adjacency's output, float32"))

    def draw(self, rng, spec):
        V, F_in, F_out, dtype = spec.sizes["V"], spec.sizes["F_in"], spec.sizes["F_out"], spec.dtype
        edge_index = _edges(rng, V, spec.sizes["E"])
        edge_weight = None if spec.sizes["graph"] == "no weights" else _weights(rng, edge_index.shape[1], dtype)
        if spec.sizes["graph"] == "normalised":
            edge_index, edge_weight = (to_numpy(a) for a in reference.normalize_adjacency(edge_index, V, edge_weight))
        return {"H": normal(rng, (V, F_in), dtype), "edge_index": edge_index, "edge_weight": edge_weight,
                "W": normal(rng, (F_in, F_out), dtype), "b": normal(rng, (F_out,), dtype)}

    def sizes(self, inputs):
        return {"V (the number of nodes)": inputs["H"].shape[0]}

    def note(self, spec, inputs):
        edge_index, V = inputs["edge_index"], inputs["H"].shape[0]
        raw = edge_index[:, :-V] if spec.sizes["graph"] == "normalised" else edge_index  # without its self-loops
        return f"{spec.note}; {_graph_note(raw, V)}"


def _gcn_terms(inputs):
    """(A_hat (V, V), H @ W (V, F_out)) of a gcn case, A_hat from the edges as given."""
    H, edge_index, edge_weight, W = inputs["H"], inputs["edge_index"], inputs["edge_weight"], inputs["W"]
    return _dense(edge_index, H.shape[0], edge_weight), H @ W


@register
class GcnForward(_Gcn, LayerForwardCheck):
    exercise_id = "gnn.gcn_forward"
    functions = ("gcn_forward",)

    def forward_mistakes(self, inputs):
        H, edge_index, edge_weight, W, b = inputs.values()
        V = H.shape[0]
        A_hat, HW = _gcn_terms(inputs)
        weight = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
        messages = HW[edge_index[0]] * weight[:, None]  # (E, F_out)
        once = np.zeros_like(HW)
        once[edge_index[1]] += messages  # fancy +=: one message per node survives
        collapsed = np.zeros((V, V), dtype=A_hat.dtype)
        collapsed[edge_index[1], edge_index[0]] = weight  # fancy assignment: one of the repeated edges survives
        normalised_index, normalised_weight = reference.normalize_adjacency(edge_index, V, edge_weight)
        again = _dense(normalised_index, V, normalised_weight)
        found = [("normalised again inside gcn_forward (self-loops and D^-1/2 applied a second time)",
                  "gcn_forward takes the edges as given: out = A_hat @ (H @ W) + b with A_hat[t, s] the sum of the "
                  "given weights of the edges s -> t; normalize_adjacency runs once, before", again @ HW + b),
                 ("self-loops added inside gcn_forward", "gcn_forward adds nothing: the self-loops are already in "
                  "the edge list that normalize_adjacency returned", (A_hat + np.eye(V)) @ HW + b),
                 ("messages sent from target to source (A_hat transposed)", "edge_index[0] is the source and "
                  "edge_index[1] the target: gather (H @ W)[edge_index[0]] and add it up at edge_index[1]",
                  A_hat.T @ HW + b),
                 ("out[target] += messages, which keeps one message per node", _ADD_AT_FIX, once + b),
                 ("repeated edges counted once (A_hat[t, s] = w assigns where it should add)", "edges may repeat "
                  "and each one carries its message: np.add.at(A_hat, (target, source), w)", collapsed @ HW + b),
                 ("the bias added to every message before they are summed", "add b once per node, after the "
                  "sum: A_hat @ (H @ W) + b", A_hat @ (HW + b)),
                 ("the bias left out", "out = A_hat @ (H @ W) + b", A_hat @ HW)]
        if edge_weight is not None:
            found.append(("the edge weights ignored", "multiply each message by its edge's weight (ones only when "
                          "edge_weight is None)", _dense(edge_index, V) @ HW + b))
        return found


@register
class GcnBackward(_Gcn, LayerBackwardCheck):
    exercise_id = "gnn.gcn_backward"
    functions = ("gcn_forward", "gcn_backward")
    backward = "gcn_backward"
    grads = ("dH", "dW", "db")

    def backward_mistakes(self, inputs, dout, expected):
        H, edge_index, edge_weight, W, _ = inputs.values()
        V = H.shape[0]
        A_hat, _ = _gcn_terms(inputs)
        dHW = A_hat.T @ dout  # (V, F_out)
        wrong_way = A_hat @ dout
        weight = np.ones(edge_index.shape[1]) if edge_weight is None else edge_weight
        once = np.zeros_like(dout)
        once[edge_index[0]] += dout[edge_index[1]] * weight[:, None]  # fancy +=: one edge per node survives
        found = [("dout scattered the wrong way (A_hat where its transpose belongs)", "out = A_hat @ HW, so "
                  "dHW = A_hat.T @ dout: gather dout at each edge's target, edge_index[1], and add it up at its "
                  "source, edge_index[0]", {"dH": wrong_way @ W.T, "dW": H.T @ wrong_way}),
                 ("dH[source] += ..., which keeps one edge's gradient per node", _ADD_AT_FIX,
                  {"dH": once @ W.T, "dW": H.T @ once}),
                 ("db not summed over the nodes", "b is added to every node's row: db = dout.sum(axis=0), shape "
                  "(F_out,)", {"db": dout}),
                 ("db averaged over the nodes", "db = dout.sum(axis=0): a layer sums, it never averages",
                  {"db": dout.mean(axis=0)}),
                 ("dW = H.T @ dout, without A_hat", "the weights act on every node before the aggregation: "
                  "dW = H.T @ (A_hat.T @ dout)", {"dW": H.T @ dout}),
                 ("dW from the wrong product order ((A_hat.T @ dout).T @ H)", "dW = H.T @ dHW has W's shape "
                  "(F_in, F_out)", {"dW": dHW.T @ H}),
                 ("dH = dout @ W.T, without A_hat", "every edge s -> t sends t's gradient back to s: "
                  "dH = (A_hat.T @ dout) @ W.T", {"dH": dout @ W.T})]
        if edge_weight is not None:
            ones_way = _dense(edge_index, V).T @ dout
            found.append(("the edge weights ignored in the backward", "each edge carries its weight back: "
                          "dHW = A_hat.T @ dout with the same weights", {"dH": ones_way @ W.T, "dW": H.T @ ones_way}))
        return found


# -- message passing ------------------------------------------------------------------------------
class _MessagePassing(_GraphLayer):
    """Two parts, one per aggregation: each case decides the one its aggr (or the default, sum) uses."""

    reference = reference
    forward = "message_passing_forward"
    parts = {"sum aggregation": 1, "mean aggregation": 1}
    output = ""  # the name of the one output in the comparison's words
    # aggr: "sum" / "mean" passed, or "left out" (the default, sum)
    visible = (CaseSpec(0, V=7, E=10, F=3, aggr="sum"), CaseSpec(1, V=8, E=11, F=2, aggr="left out"),
               CaseSpec(2, V=7, E=11, F=4, aggr="mean"), CaseSpec(3, V=6, E=9, F=2, aggr="mean", loop=False),
               CaseSpec(4, V=8, E=12, F=3, aggr="sum", dtype=np.float32),
               CaseSpec(5, V=7, E=10, F=2, aggr="mean", dtype=np.float32))
    hidden = (CaseSpec(100, V=12, E=24, F=5, aggr="sum"), CaseSpec(101, V=10, E=16, F=3, aggr="left out"),
              CaseSpec(102, V=11, E=20, F=2, aggr="mean"), CaseSpec(103, V=9, E=14, F=3, aggr="mean", loop=False),
              CaseSpec(104, V=7, E=11, F=4, aggr="sum", dtype=np.float32),
              CaseSpec(105, V=9, E=15, F=3, aggr="mean", dtype=np.float32))

    def draw(self, rng, spec):
        V = spec.sizes["V"]
        edge_index = _edges(rng, V, spec.sizes["E"], self_loop=spec.sizes.get("loop", True))
        inputs = {"H": normal(rng, (V, spec.sizes["F"]), spec.dtype), "edge_index": edge_index}
        if spec.sizes["aggr"] != "left out":
            inputs["aggr"] = spec.sizes["aggr"]
        return inputs

    def note(self, spec, inputs):
        aggr = spec.sizes["aggr"]
        said = "aggr left out: the default, sum" if aggr == "left out" else f"aggr {aggr!r}"
        extra = ["nodes with no in-edge get 0"] * (aggr == "mean") + ["float32"] * (spec.dtype == np.float32)
        return f"{said}; {_graph_note(inputs['edge_index'], inputs['H'].shape[0], extra)}"

    def case_parts(self, inputs):
        return ("mean aggregation",) if inputs.get("aggr") == "mean" else ("sum aggregation",)

    def sizes(self, inputs):
        return {"V (the number of nodes)": inputs["H"].shape[0],
                "E (the number of edges)": inputs["edge_index"].shape[1]}

    def call_learner(self, caller, case):
        (got,) = super().call_learner(caller, case).values()
        return {part: got for part in case.parts}

    def expected(self, case):
        (value,) = super().expected(case).values()
        return {part: value for part in case.parts}

    def mistakes(self, case, expected):
        (part,) = case.parts
        return [Mistake(m.name, m.fix, {part: value for value in m.outputs.values() if value is not None})
                for m in super().mistakes(case, {self.output: expected[part]})]

    def compare(self, part, expected, got, case):
        return compare_arrays(expected, got, tolerance_for(case.dtype), name=self.output)


def _in_counts(edge_index, V):
    """(in-edges per node counting repeats, distinct in-neighbours per node, out-edges per node), each (V,)."""
    source, target = edge_index
    distinct = np.unique(edge_index, axis=1)
    return (np.bincount(target, minlength=V).astype(float), np.bincount(distinct[1], minlength=V).astype(float),
            np.bincount(source, minlength=V).astype(float))


@register
class MessagePassingForward(_MessagePassing, LayerForwardCheck):
    exercise_id = "gnn.message_passing_forward"
    functions = ("message_passing_forward",)
    output = "out"

    def forward_mistakes(self, inputs):
        H, edge_index = inputs["H"], inputs["edge_index"]
        V = H.shape[0]
        A = _dense(edge_index, V)
        total = A @ H  # (V, F) the sum over in-edges
        count, distinct, out_count = _in_counts(edge_index, V)
        once = np.zeros_like(H)
        once[edge_index[1]] += H[edge_index[0]]  # fancy +=: one message per node survives
        collapsed = (A > 0).astype(H.dtype)

        def per(value, counts=count):  # the same mistake under either aggregation, divided as aggr says
            return value / np.maximum(counts, 1)[:, None] if inputs.get("aggr") == "mean" else value

        found = [("messages sent from target to source (the edges reversed)", "edge_index[0] is the source and "
                  "edge_index[1] the target: out[t] gathers H[s] over the edges s -> t", per(A.T @ H, out_count)),
                 ("out[target] += H[source], which keeps one message per node", _ADD_AT_FIX, per(once)),
                 ("each node's own features added (a self-loop that is not in the graph)", "aggregate over the "
                  "edges only: a node's own row counts only where the graph has the edge (v, v)", per(total + H)),
                 ("repeated edges counted once (A[t, s] = 1 assigns where it should add)", "every edge is a message, "
                  "repeats too: np.add.at(A, (target, source), 1)", per(collapsed @ H, distinct))]
        if inputs.get("aggr") == "mean":
            with np.errstate(all="ignore"):
                found += [
                    ("the mean divided by the number of distinct in-neighbours", "repeated edges count every time: "
                     "divide by the number of in-edges, repeats included", total / np.maximum(distinct, 1)[:, None]),
                    ("the mean divided by the out-degree", "a node averages what it receives: divide by its number "
                     "of in-edges, the count at edge_index[1]", total / np.maximum(out_count, 1)[:, None]),
                    ("the mean NaN at nodes with no in-edge (0 / 0)", "such a node gets 0: divide by "
                     "np.maximum(count, 1)", total / count[:, None]),
                    ("the mean divided by the in-degree + 1", "divide by the number of in-edges alone (no "
                     "self-loop is added here)", total / (count + 1)[:, None]),
                    ("the aggregation argument ignored (always the sum)", "aggr='mean' divides each node's sum by "
                     "its number of in-edges", total)]
        elif "aggr" in inputs:
            found.append(("the aggregation argument ignored (always the mean)", "aggr='sum' returns the sum itself",
                          total / np.maximum(count, 1)[:, None]))
        else:
            found.append(("the mean as the default aggregation", "the signature's default is aggr=\"sum\"",
                          total / np.maximum(count, 1)[:, None]))
        return found


@register
class MessagePassingBackward(_MessagePassing, LayerBackwardCheck):
    exercise_id = "gnn.message_passing_backward"
    functions = ("message_passing_forward", "message_passing_backward")
    backward = "message_passing_backward"
    grads = ("dH",)
    output = "dH"

    def backward_mistakes(self, inputs, dout, expected):
        H, edge_index = inputs["H"], inputs["edge_index"]
        V = H.shape[0]
        A = _dense(edge_index, V)
        count, _, out_count = _in_counts(edge_index, V)
        mean = inputs.get("aggr") == "mean"
        scaled = dout / np.maximum(count, 1)[:, None] if mean else dout  # (V, F)
        once = np.zeros_like(dout)
        once[edge_index[0]] += scaled[edge_index[1]]  # fancy +=: one edge per node survives
        found = [("the gradient sent along the edges instead of back (A where A.T belongs)", "each edge s -> t "
                  "sends t's gradient back to s: gather dout at edge_index[1], add it up at edge_index[0]",
                  {"dH": A @ scaled}),
                 ("dH[source] += ..., which keeps one edge's gradient per node", _ADD_AT_FIX, {"dH": once}),
                 ("dout returned as dH", "dH[s] sums dout[t] over the edges s -> t", {"dH": dout})]
        if mean:
            with np.errstate(all="ignore"):
                found += [
                    ("the mean's division left out of the backward", "the forward divided node t's sum by its "
                     "in-edge count, so scale dout[t] by the same 1 / count before sending it back",
                     {"dH": A.T @ dout}),
                    ("the division done at the source instead of the target", "divide dout[t] by t's own in-edge "
                     "count, then send it back to the sources", {"dH": A.T @ dout / np.maximum(count, 1)[:, None]}),
                    ("the gradient divided by the out-degree", "the forward divided by the in-edge count at the "
                     "target: scale dout[t] by 1 / count[t]", {"dH": A.T @ (dout / np.maximum(out_count, 1)[:, None])}),
                    ("NaN from 0 / 0 at nodes with no in-edge", "a node with no in-edge has count 0: divide by "
                     "np.maximum(count, 1)", {"dH": A.T @ (dout / count[:, None])})]
        return found
