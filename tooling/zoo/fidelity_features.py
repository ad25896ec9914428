"""Gives the zoo's fidelity classifier (packages/zoo/models/fmnist-fidelity.onnx) a second output, `features`
[B,128]: its last hidden layer (after the ReLU, before the class logits), for rewards that compare feature statistics
(`adagen train --reward influence --reward-backbone packages/zoo/models/fmnist-fidelity.onnx`). The weights and the
`logits` output are unchanged: the graph gains one Identity node and one output, so the shipped classifier (and every
figure measured with it) stays the same. fidelity_classifier.py exports both outputs when it retrains.

    /usr/bin/python3 tooling/zoo/fidelity_features.py

`--candidate-spaces --out F` writes a copy with two more outputs, candidate reward spaces screened in
packages/zoo/policies/README.md (stop 38), read as `F#prerelu` and `F#conv2mean`:
- `prerelu` [B,128]: the same hidden layer before its ReLU (the FID extractor's space is also taken before a ReLU;
  the ReLU zeroes every negative coordinate, so the post-ReLU space cannot tell those apart);
- `conv2mean` [B,64]: the second convolution's output (before its ReLU) averaged over positions, a shallower space.

    /usr/bin/python3 tooling/zoo/fidelity_features.py --candidate-spaces --out runs/fidelity-spaces.onnx

Idempotent: an output that already exists is left alone.
"""
import argparse
from pathlib import Path

import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "packages/zoo/models/fmnist-fidelity.onnx"
# The ReLU after the hidden Linear layer `fc` (see FidelityClassifier.forward); its output feeds the `out` layer.
HIDDEN_INPUT_OF = "out.weight"


def only_node(model, op_type, reading):
    """The one node of `op_type` that reads the initializer `reading`."""
    found = [n for n in model.graph.node if n.op_type == op_type and reading in n.input]
    if len(found) != 1:
        raise SystemExit(f"expected one {op_type} node reading {reading}, found {len(found)}")
    return found[0]


def has_output(model, name):
    return any(o.name == name for o in model.graph.output)


def add_output(model, name, width):
    model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["B", width]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidate-spaces", action="store_true", help="also add the prerelu and conv2mean outputs")
    parser.add_argument("--out", type=Path, default=FILE, help="where to write (default: in place)")
    args = parser.parse_args()
    model = onnx.load(str(FILE))
    graph = model.graph
    width = next(i for i in graph.initializer if i.name == HIDDEN_INPUT_OF).dims[1]
    if not has_output(model, "features"):
        hidden = only_node(model, "Gemm", HIDDEN_INPUT_OF).input[0]
        graph.node.append(helper.make_node("Identity", [hidden], ["features"], name="features"))
        add_output(model, "features", width)
    if args.candidate_spaces:
        if not has_output(model, "prerelu"):
            pre = only_node(model, "Gemm", "fc.weight").output[0]
            graph.node.append(helper.make_node("Identity", [pre], ["prerelu"], name="prerelu"))
            add_output(model, "prerelu", width)
        if not has_output(model, "conv2mean"):
            conv = only_node(model, "Conv", "c2.weight")
            channels = next(i for i in graph.initializer if i.name == "c2.weight").dims[0]
            graph.node.append(helper.make_node("GlobalAveragePool", [conv.output[0]], ["conv2pool"], name="conv2pool"))
            graph.node.append(helper.make_node("Flatten", ["conv2pool"], ["conv2mean"], name="conv2mean", axis=1))
            add_output(model, "conv2mean", channels)
    onnx.checker.check_model(model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"wrote {args.out}: outputs {[o.name for o in graph.output]}")


if __name__ == "__main__":
    main()
