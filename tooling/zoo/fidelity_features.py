"""Gives the zoo's fidelity classifier (packages/zoo/models/fmnist-fidelity.onnx) a second output, `features`
[B,128]: its last hidden layer (after the ReLU, before the class logits), for rewards that compare feature statistics
(`adagen train --reward influence --reward-backbone packages/zoo/models/fmnist-fidelity.onnx`). The weights and the
`logits` output are unchanged: the graph gains one Identity node and one output, so the shipped classifier (and every
figure measured with it) stays the same. fidelity_classifier.py exports both outputs when it retrains.

    /usr/bin/python3 tooling/zoo/fidelity_features.py

Idempotent: a file that already has `features` is left alone.
"""
from pathlib import Path

import onnx
from onnx import TensorProto, helper

ROOT = Path(__file__).resolve().parents[2]
FILE = ROOT / "packages/zoo/models/fmnist-fidelity.onnx"
# The ReLU after the hidden Linear layer `fc` (see FidelityClassifier.forward); its output feeds the `out` layer.
HIDDEN_INPUT_OF = "out.weight"


def main():
    model = onnx.load(str(FILE))
    if any(o.name == "features" for o in model.graph.output):
        print(f"{FILE.relative_to(ROOT)} already has a features output")
        return
    head = [n for n in model.graph.node if HIDDEN_INPUT_OF in n.input]
    if len(head) != 1:
        raise SystemExit(f"expected one node reading {HIDDEN_INPUT_OF}, found {len(head)}")
    hidden = head[0].input[0]
    width = next(i for i in model.graph.initializer if i.name == HIDDEN_INPUT_OF).dims[1]
    model.graph.node.append(helper.make_node("Identity", [hidden], ["features"], name="features"))
    model.graph.output.append(helper.make_tensor_value_info("features", TensorProto.FLOAT, ["B", width]))
    onnx.checker.check_model(model)
    onnx.save(model, str(FILE))
    print(f"wrote {FILE.relative_to(ROOT)}: outputs {[o.name for o in model.graph.output]} (features = {hidden}, {width}-d)")


if __name__ == "__main__":
    main()
