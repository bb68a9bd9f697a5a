"""Replays Gradbook's random programs in PyTorch (float64) and compares values and gradients.

Usage: python replay_in_torch.py PROGRAMS.json [--failures FAILURES.json]
                                 [--record N --record-to REGRESSIONS.json]
Agreement: |got - expected| <= 1e-9 + 1e-7 |expected| elementwise, NaN matching NaN.
Exit status 1 when any program disagrees; the disagreeing programs, with PyTorch's numbers,
go to --failures (the shape of Tests/Difftest/regressions.json)."""
import argparse, json, math, sys
import torch

torch.set_default_dtype(torch.float64)
NONFINITE = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def number(x):
    """A JSON number, or Swift's string for a non-finite one."""
    return NONFINITE[x] if isinstance(x, str) else float(x)


def numbers(xs):
    return [number(x) for x in xs]


def encoded(xs):
    """Non-finite numbers as the strings Swift's decoder reads."""
    return [x if math.isfinite(x) else ("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))
            for x in xs]


def leaf_view(leaf, stored):
    view = leaf["view"]
    if view == "transposed":
        return stored.transpose(-1, -2)
    if view == "stepped":
        return stored[..., ::2]
    if view == "expanded":
        return stored.expand(*leaf["shape"])
    return stored


def run(program):
    stored = [torch.tensor(numbers(l["stored"]), dtype=torch.float64).reshape(l["storedShape"]).requires_grad_(True)
              for l in program["leaves"]]
    views = [leaf_view(l, s) for l, s in zip(program["leaves"], stored)]
    values = []
    value = lambda ref: views[-1 - ref] if ref < 0 else values[ref]
    for step in program["steps"]:
        x = value(step["args"][0])
        y = value(step["args"][1]) if len(step["args"]) > 1 else x
        axis = (step.get("axes") or [-1])[0]
        keep = bool(step.get("keepdim") or False)
        op = step["op"]
        v = {
            "neg": lambda: -x, "exp": lambda: x.exp(), "tanh": lambda: x.tanh(),
            "sigmoid": lambda: x.sigmoid(), "softplus": lambda: torch.nn.functional.softplus(x),
            "relu": lambda: x.relu(), "abs": lambda: x.abs(), "square": lambda: x * x,
            "add": lambda: x + y, "sub": lambda: x - y, "mul": lambda: x * y,
            "div": lambda: x / (y * y + 0.5), "maximum": lambda: torch.maximum(x, y),
            "minimum": lambda: torch.minimum(x, y),
            "sum": lambda: x.sum(dim=axis, keepdim=keep), "mean": lambda: x.mean(dim=axis, keepdim=keep),
            "amax": lambda: x.amax(dim=axis, keepdim=keep),
            "softmax": lambda: x.softmax(dim=axis), "log_softmax": lambda: x.log_softmax(dim=axis),
            "transpose": lambda: x.transpose(-1, -2), "matmul": lambda: x.matmul(y),
        }[op]()
        values.append(v)
    result = values[-1]
    u = torch.tensor(numbers(program["cotangent"]), dtype=torch.float64).reshape(result.shape)
    grads = torch.autograd.grad((result * u).sum(), stored, allow_unused=True)
    grads = [g if g is not None else torch.zeros_like(s) for g, s in zip(grads, stored)]
    return list(result.shape), result.detach().flatten().tolist(), [g.flatten().tolist() for g in grads]


def agrees(got, expected):
    return len(got) == len(expected) and all(
        (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= 1e-9 + 1e-7 * abs(b)
        for a, b in zip(got, expected))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("programs")
    p.add_argument("--failures", default=None)
    p.add_argument("--record", type=int, default=0,
                   help="also write the first N programs with PyTorch's numbers to --record-to")
    p.add_argument("--record-to", default=None)
    args = p.parse_args()
    cases = json.load(open(args.programs))
    failures = []
    for case in cases:
        shape, result, grads = run(case["program"])
        problems = []
        if shape != case["resultShape"]:
            problems.append(f"shape {case['resultShape']} vs PyTorch {shape}")
        elif not agrees(numbers(case["result"]), result):
            problems.append("values differ")
        for i, (g, e) in enumerate(zip(case["gradients"], grads)):
            if not agrees(numbers(g), e):
                problems.append(f"gradient of leaf {i} differs")
        if problems:
            failures.append({"program": case["program"], "resultShape": shape,
                             "result": encoded(result), "gradients": [encoded(g) for g in grads],
                             "problems": problems,
                             "gradbook": {"result": case["result"], "gradients": case["gradients"]}})
            print(f"seed {case['program']['seed']}: " + "; ".join(problems))
    print(f"difftest: {len(cases) - len(failures)} of {len(cases)} programs agree with PyTorch "
          f"(float64, |got - expected| <= 1e-9 + 1e-7 |expected|)")
    if args.record and args.record_to:
        recorded = []
        for case in failures[: args.record] + cases[: max(0, args.record - len(failures))]:
            shape, result, grads = run(case["program"])
            recorded.append({"program": case["program"], "resultShape": shape,
                             "result": encoded(result), "gradients": [encoded(g) for g in grads]})
        json.dump(recorded, open(args.record_to, "w"), separators=(",", ":"))
        print(f"difftest: recorded {len(recorded)} programs with PyTorch's numbers in {args.record_to}")
    if args.failures:
        json.dump(failures, open(args.failures, "w"), indent=1)
    sys.exit(1 if failures else 0)


main()
