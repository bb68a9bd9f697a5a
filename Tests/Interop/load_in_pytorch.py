"""Loads a chapter's safetensors checkpoint into PyTorch and evaluates it (make interop).

The checkpoint is written by Gradbook (`ch05-nn`: the MLP; `ch06-cnn`: the CNN); this reads
it with Hugging Face's `safetensors` package into the same PyTorch model — for the CNN,
`mnist_cnn()` of ../shared/peers/models_torch.py, loaded with `strict=True` — and prints the
test accuracy on the images the chapter evaluated, which must equal the chapter's own.
Usage: python load_in_pytorch.py mlp|cnn CHECKPOINT TEST_IMAGES"""
import sys
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, "../shared/peers")
from mnist_data import load  # noqa: E402
from models_torch import mnist_cnn  # noqa: E402

kind, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with safe_open(path, "pt") as f:
    print("metadata:", f.metadata())
state = load_file(path)
# Gradbook names Sequential's children layers.0, layers.2; PyTorch's are 0 and 2. Swift's
# property names are camelCase where PyTorch's are snake_case.
renames = {"runningMean": "running_mean", "runningVariance": "running_var",
           "batchesTracked": "num_batches_tracked"}


def torch_name(name):
    parts = name.removeprefix("layers.").split(".")
    return ".".join(renames.get(p, p) for p in parts)


weights = {torch_name(k): v for k, v in state.items() if not k.startswith("optimizer.")}
if kind == "cnn":
    model = mnist_cnn()
    shape = (count, 1, 28, 28)
else:
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    shape = (count, -1)
model.load_state_dict(weights, strict=True)
model.eval()
_, _, images, labels = load()
x = torch.from_numpy(images[:count]).reshape(shape)
with torch.no_grad():
    accuracy = (model(x).argmax(1) == torch.from_numpy(labels[:count])).float().mean().item()
print(f"PyTorch, from Gradbook's checkpoint: test accuracy {100 * accuracy:.1f}% on {count} images")
