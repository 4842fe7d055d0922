#!/usr/bin/python3
"""Writes TorchScript models for the LibTorch runtime's tests, with PyTorch's own outputs.

    /usr/bin/python3 tests/runtimes/make_torchscript_models.py REPO_DIR EXPECTED_DIR

Needs Debian's python3-torch (for /usr/bin/python3; the pyenv python3 has no torch). Writes:

    REPO_DIR/torch_mlp/1/model.pt     traced MLP, FP32 x [-1, 16] -> (logits [-1, 4], probs [-1, 4]);
                                      signature in the archive's extra file signature.txt
    REPO_DIR/torch_mlp/config.pbtxt   platform pytorch_libtorch, max_batch_size 8, one thread
    REPO_DIR/torch_simple/1/model.pt  scripted INT32 add/sub (the `simple` model), no config.pbtxt;
                                      signature in 1/signature.txt beside it
    EXPECTED_DIR/torch_mlp_x.npy      a batch of 5 inputs
    EXPECTED_DIR/torch_mlp_logits.npy PyTorch's outputs for it, computed here
    EXPECTED_DIR/torch_mlp_probs.npy

Weights are drawn from a fixed seed, so every run writes the same models.
"""

import os
import sys

import numpy as np
import torch

SEED = 20240607


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(16, 32)
        self.out = torch.nn.Linear(32, 4)

    def forward(self, x):
        logits = self.out(torch.relu(self.hidden(x)))
        return logits, torch.softmax(logits, dim=1)


class Simple(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor):
        return a + b, a - b


def main(out_dir, expected_dir):
    torch.manual_seed(SEED)
    torch.set_num_threads(1)  # the served config asks for one thread too

    mlp = Mlp().eval()
    os.makedirs(os.path.join(out_dir, "torch_mlp", "1"), exist_ok=True)
    x = torch.randn(5, 16)
    with torch.no_grad():
        traced = torch.jit.trace(mlp, torch.randn(2, 16))
        logits, probs = traced(x)
    signature = "input x FP32 -1 16\noutput logits FP32 -1 4\noutput probs FP32 -1 4\n"
    traced.save(os.path.join(out_dir, "torch_mlp", "1", "model.pt"), _extra_files={"signature.txt": signature})
    with open(os.path.join(out_dir, "torch_mlp", "config.pbtxt"), "w") as f:
        f.write(
            'name: "torch_mlp"\nplatform: "pytorch_libtorch"\nmax_batch_size: 8\n'
            'input [ { name: "x" data_type: TYPE_FP32 dims: [ 16 ] } ]\n'
            'output [ { name: "logits" data_type: TYPE_FP32 dims: [ 4 ] },\n'
            '         { name: "probs" data_type: TYPE_FP32 dims: [ 4 ] } ]\n'
            'parameters { key: "intra_op_thread_count" value { string_value: "1" } }\n'
        )
    np.save(os.path.join(expected_dir, "torch_mlp_x.npy"), x.numpy())
    np.save(os.path.join(expected_dir, "torch_mlp_logits.npy"), logits.numpy())
    np.save(os.path.join(expected_dir, "torch_mlp_probs.npy"), probs.numpy())

    simple_dir = os.path.join(out_dir, "torch_simple", "1")
    os.makedirs(simple_dir, exist_ok=True)
    torch.jit.script(Simple()).save(os.path.join(simple_dir, "model.pt"))
    with open(os.path.join(simple_dir, "signature.txt"), "w") as f:
        f.write(
            "# TorchScript keeps no types or shapes: they are declared here.\n"
            "input INPUT0 INT32 16\ninput INPUT1 INT32 16\n"
            "output OUTPUT0 INT32 16\noutput OUTPUT1 INT32 16\n"
        )
    print(f"torch {torch.__version__}: wrote torch_mlp and torch_simple to {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    main(sys.argv[1], sys.argv[2])
