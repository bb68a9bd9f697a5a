"""Loads Chapter 5's safetensors checkpoint into PyTorch and evaluates it (make interop).

The checkpoint is written by Gradbook (`ch05-nn`); this reads it with Hugging Face's
`safetensors` package into an identical `nn.Sequential` and prints the test accuracy on the
images the chapter evaluated, which must equal the chapter's own.
Usage: python load_in_pytorch.py CHECKPOINT TEST_IMAGES"""
import sys
import torch
import torch.nn as nn
from safetensors import safe_open
from safetensors.torch import load_file

sys.path.insert(0, "../shared/peers")
from mnist_data import load  # noqa: E402

path, count = sys.argv[1], int(sys.argv[2])
with safe_open(path, "pt") as f:
    print("metadata:", f.metadata())
state = load_file(path)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
# Gradbook names Sequential's children layers.0, layers.2; PyTorch's are 0 and 2.
model.load_state_dict({k.removeprefix("layers."): v for k, v in state.items() if not k.startswith("optimizer.")})
_, _, images, labels = load()
x = torch.from_numpy(images[:count]).reshape(count, -1)
with torch.no_grad():
    accuracy = (model(x).argmax(1) == torch.from_numpy(labels[:count])).float().mean().item()
print(f"PyTorch, from Gradbook's checkpoint: test accuracy {100 * accuracy:.1f}% on {count} images")
