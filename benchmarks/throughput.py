"""Engine throughput on each device of this machine, measured in one run.

Two workloads, both SGD on planted least squares (n = 200, d = 20, one sample per step), the
step sizes an (S,) tensor so every setting is a row of one ``engine.run`` call:

* ``sweep``: the SGD-3 sweep, 5 step sizes x 64 seeds = 320 rows, 20,000 steps (the shape of
  ``studies/survey/sgd_floor``'s sweep);
* ``wide``: 20,480 rows (and more with ``--rows``), 2,000 steps: the row-steps per second a
  device sustains when the seed axis is wide.

Each runs in two modes: ``eager`` (the default engine) and ``compiled`` (the step fused by
``torch.compile``, a CUDA graph on a GPU; :mod:`convcheck.compiling`). Each is timed after one
warm-up run (CUDA kernels loaded, allocator warm, inductor's cache filled), synchronising the
device before reading the clock. A compiled run pays its compile on every call, so two lengths
are timed: ``seconds`` is what a run of ``steps`` costs, ``us/step`` is the marginal cost
``(T(steps) - T(steps/10)) / (0.9 steps)``, and ``fixed s`` is the rest (compiling, set-up).
Prints one table and, with ``--json FILE``, writes the numbers. No timing is asserted
anywhere; docs/speed.md quotes these numbers with the machine they came from.

    python benchmarks/throughput.py                       # every device here, both modes
    python benchmarks/throughput.py --devices cpu --modes eager --steps-scale 0.1
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout on no path works as it is

import numpy as np  # noqa: E402
import torch  # noqa: E402

from convcheck import engine  # noqa: E402
from convcheck.objectives import LeastSquares, WithReplacement  # noqa: E402
from convcheck.optim import sgd  # noqa: E402
from convcheck.seeding import torch_generator  # noqa: E402


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def workload(device: str, rows: int, steps: int, dtype=torch.float64, compiled: bool = False) -> tuple[float, float]:
    """Seconds for SGD runs of ``rows`` rows and ``steps`` and ``steps // 10`` steps (after a warm-up run)."""
    ls = LeastSquares.planted(200, 20, torch_generator("bench-problem"), L=1.0, kappa=10.0, noise=0.5, dtype=dtype,
                              device=device)
    lrs = torch.tensor([0.01, 0.02, 0.05, 0.1, 0.2], dtype=dtype).repeat_interleave(-(-rows // 5))[:rows].to(device)
    w0 = (ls.w_star + torch.randn(rows, 20, generator=torch_generator("bench-w0"), dtype=dtype, device="cpu").to(device))
    checkpoints = engine.log_checkpoints(steps)

    def once(n_steps):
        _sync(device)
        t0 = time.perf_counter()
        trace = engine.run(ls, sgd(lrs), w0, n_steps, checkpoints=checkpoints[checkpoints <= n_steps],
                           sampler=WithReplacement(200, 1), generator=torch_generator("bench-sampler"), metrics=("gap",),
                           compile=compiled)
        if trace.info["compiled"] != compiled:
            raise RuntimeError(f"asked to compile, ran eagerly: {trace.info['compiled_not']}")
        _sync(device)
        return time.perf_counter() - t0

    once(min(steps, 200))  # warm-up
    return once(steps), once(max(1, steps // 10))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    p.add_argument("--rows", nargs="+", type=int, default=[20_480])
    p.add_argument("--modes", nargs="+", default=["eager", "compiled"], choices=["eager", "compiled"])
    p.add_argument("--steps-scale", type=float, default=1.0, help="multiply every step count (quick checks)")
    p.add_argument("--threads", type=int, default=None, help="torch threads on the CPU (default: torch's)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cases = [("sweep", 320, 20_000)] + [(f"wide {r}", r, 2_000) for r in args.rows]
    out = {"host": platform.node(), "torch": torch.__version__, "cpu_threads": torch.get_num_threads(),
           "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None, "results": []}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, CUDA: {out['cuda']}")
    print(f"{'workload':<12} {'device':<6} {'mode':<9} {'rows':>6} {'steps':>7} {'seconds':>8} {'fixed s':>8} "
          f"{'us/step':>8} {'row-steps/s':>12}")
    for name, rows, steps in cases:
        steps = max(100, int(steps * args.steps_scale))
        for device in args.devices:
            for mode in args.modes:
                sec, sec_short = workload(device, rows, steps, compiled=mode == "compiled")
                per_step = max(sec - sec_short, 1e-9) / (steps - max(1, steps // 10))
                r = {"workload": name, "device": device, "mode": mode, "rows": rows, "steps": steps, "seconds": sec,
                     "fixed_s": max(sec - per_step * steps, 0.0), "us_per_step": 1e6 * per_step,
                     "row_steps_per_s": rows / per_step}
                out["results"].append(r)
                print(f"{name:<12} {device:<6} {mode:<9} {rows:>6} {steps:>7} {sec:>8.3f} {r['fixed_s']:>8.2f} "
                      f"{r['us_per_step']:>8.1f} {r['row_steps_per_s']:>12.3g}", flush=True)
    by = {(r["workload"], r["device"], r["mode"]): r for r in out["results"]}
    for name, _, _ in cases:  # every pair measured in this run, the CPU's eager mode as the base
        base = by.get((name, "cpu", "eager"))
        for (w, device, mode), r in by.items():
            if w == name and base is not None and r is not base:
                print(f"{name}: {device} {mode} is {base['seconds'] / r['seconds']:.2f}x the CPU's eager run "
                      f"({base['us_per_step'] / r['us_per_step']:.2f}x per step)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
