"""The ``convcheck`` command: list, run, report.

    convcheck list
    convcheck run [STUDY|CLAIM ...] [--scale quick|full] [--seeds N] [--device auto|cpu|cuda]
                  [--out DIR] [--no-cache] [--threads N]
    convcheck report RUN_DIR

Exit codes: 0 on success (a refuted claim is a result, not an error, unless --strict),
1 with --strict when a claim is refuted, 2 on bad input (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="convcheck", description="Check convergence claims by experiment.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list studies and their claims")
    r = sub.add_parser("run", help="run studies and write a report")
    r.add_argument("targets", nargs="*", metavar="STUDY|CLAIM", help="studies or claim ids (default: all)")
    r.add_argument("--scale", default="quick", help="quick (default, a laptop CPU) or full (a GPU)")
    r.add_argument("--seeds", type=int, default=None, help="seeds per setting (default: the scale's)")
    r.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    r.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    r.add_argument("--out", default="reports", help="output folder (default: reports)")
    r.add_argument("--no-cache", action="store_true", help="recompute every study")
    r.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: small batched kernels are fastest on one thread)")
    r.add_argument("--strict", action="store_true", help="exit 1 when a claim is refuted")
    rep = sub.add_parser("report", help="rebuild a run's HTML from its stored files")
    rep.add_argument("run_dir", help="a run folder, e.g. reports/latest")
    return p


def _fail(message: str) -> int:
    print(f"convcheck: error: {message}", file=sys.stderr)
    return 2


def _print_verdicts(verdicts) -> None:
    from .claims import claim_order

    width = max((len(v.claim) for v in verdicts), default=5)
    for v in sorted(verdicts, key=lambda v: claim_order(v.claim)):
        print(f"  {v.claim:<{width}}  {v.outcome.upper():<12}  {v.summary}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        from .study import discover

        try:
            studies = discover()
        except ValueError as exc:
            return _fail(str(exc))
        for name, mod in studies.items():
            print(f"{name}: {', '.join(c.id for c in mod.CLAIMS)}")
            for c in mod.CLAIMS:
                print(f"    {c.id:<7} {c.kind:<11} {c.equation}: {c.text}")
        return 0

    if args.command == "report":
        from .report import render_run

        run_dir = Path(args.run_dir)
        if not (run_dir / "verdicts.json").is_file():
            return _fail(f"The 'run_dir' parameter must be a run folder holding verdicts.json. Got {str(run_dir)!r} instead.")
        print(render_run(run_dir.resolve()))
        return 0

    import torch

    from .runner import run_suite

    if args.threads < 1:
        return _fail(f"The '--threads' parameter must be an int in the range [1, inf). Got {args.threads!r} instead.")
    torch.set_num_threads(args.threads)
    try:
        record = run_suite(args.targets, scale=args.scale, seeds=args.seeds, device=args.device, dtype=args.dtype,
                           out=args.out, use_cache=not args.no_cache, progress=sys.stderr.isatty())
    except ValueError as exc:
        return _fail(str(exc).replace("The 'seeds' parameter", "The '--seeds' parameter"))
    _print_verdicts(record.verdicts)
    hits = [n for n, c in record.cached.items() if c]
    if hits:
        print(f"from cache: {', '.join(hits)}")
    print(f"report: {record.run_dir / 'index.html'}")
    refuted = any(v.outcome == "refuted" for v in record.verdicts)
    return 1 if (args.strict and refuted) else 0


if __name__ == "__main__":
    sys.exit(main())
