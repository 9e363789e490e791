"""The ``convcheck`` command: list, run, check, diff, report, clean.

    convcheck list [--suite NAME | --suites] [--json]
    convcheck run [STUDY|CLAIM ...] [--scale quick|full] [--seeds N] [--device auto|cpu|cuda]
                  [--out DIR] [--no-cache] [--threads N] [--json]
    convcheck report RUN_DIR [--markdown [FILE]] [--record] [--json]
    convcheck check TARGET [--claim ID ...] [--json] [--rename ROLE_ARG=CLASS_ARG]
    convcheck diff OLD NEW [--json]
    convcheck clean [--out DIR] [--keep N] [--cache] [--stale]

Every command takes ``--version``. ``--json`` prints one JSON document on stdout (its first keys
the provenance header of :mod:`convcheck.provenance`) and keeps progress and messages on stderr.

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
    from . import __version__

    p.add_argument("--version", action="version", version=f"convcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    # --version after the command too (convcheck run --version), and on every command
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--version", action="version", version=f"convcheck {__version__}")

    def command(name, **kw):
        return sub.add_parser(name, parents=[common], **kw)

    ls = command("list", help="list a suite's studies and claims (--suites: the suites)")
    ls.add_argument("--suite", default=None, help="the suite (default: the one whose suite.toml says default = true)")
    ls.add_argument("--suites", action="store_true", help="list the suites instead")
    ls.add_argument("--json", action="store_true", help="every claim as JSON: its study, readings, roles, hypotheses and scope")
    r = command("run", help="run studies and write a report")
    r.add_argument("targets", nargs="*", metavar="STUDY|CLAIM", help="studies or claim ids (default: all)")
    r.add_argument("--suite", default=None, help="the suite to run (default: the default suite; convcheck list --suites)")
    r.add_argument("--executor", default="auto",
                   help="auto (default: on the CPU a local process per core, at most one per study; on a GPU this "
                        "process), in-process, processes or dask (each study a task)")
    r.add_argument("--workers", type=int, default=None,
                   help="worker processes for auto and processes (default: the cores) or for dask's local cluster (default 2)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="with --executor dask: an existing dask.distributed scheduler (tcp://host:8786)")
    r.add_argument("--scale", default="quick", help="tiny (a smoke run, seconds), quick (default, a laptop CPU) or full (a GPU)")
    r.add_argument("--seeds", default=None, help="seeds per setting, at least 3 (default: the scale's), or auto: "
                        "the scale's count first, more in stages for the claims still undecided, up to --budget, with "
                        "the error rates kept across the looks (O'Brien-Fleming alpha spending)")
    r.add_argument("--budget", default=None, help="with --seeds auto: the most seeds per setting (default 4x the "
                        "scale's count), or seconds of wall time per study (300s), or both (64,300s)")
    r.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    r.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    r.add_argument("--out", default="reports", help="output folder (default: reports)")
    r.add_argument("--no-cache", action="store_true", help="recompute every study")
    r.add_argument("--compile", default="auto", nargs="?", const="on", metavar="MODE",
                   help="fuse each run's step with torch.compile (CUDA graphs on a GPU): auto (default: CPU runs of "
                        "500,000 steps or more, where it pays), on (every run that can) or off")
    r.add_argument("--threads", type=int, default=1,
                   help="threads for torch and for the BLAS behind numpy and scipy (default 1: small batched kernels are fastest on one thread)")
    r.add_argument("--strict", action="store_true", help="exit 1 when a claim is refuted")
    r.add_argument("--json", action="store_true", help="print the run's verdicts as JSON (schema convcheck.run: the "
                                                       "header with versions, scale, dtype and device, then the records "
                                                       "of the run's verdicts.json)")
    r.description = ("Exit status: 0 when the run finished (refuted claims are results), 1 with --strict when a claim "
                     "is refuted, 2 on bad input, 3 when a study failed (an internal error), 130 when interrupted "
                     "(run again to resume).")
    c = command("check", help="put your optimizer in a claim's role and print the claim's verdicts",
                description="With --claim: the verdicts of those claims with TARGET in the role. Without it, or "
                            "with a module or a comma-separated list of classes as TARGET: a conformance matrix, "
                            "every class against every claim with a role it fits, written as conformance.html "
                            "and conformance.json under --out. Exit status of one class: 0 when no verdict is "
                            "refuted, 1 when one is, 2 on bad input, 3 when the class failed inside a study, 4 "
                            "when convcheck itself failed (a bug). Of a matrix: 0 when it finished (compare runs "
                            "with convcheck diff), 4 when convcheck failed in a row, 130 when interrupted (the "
                            "same command resumes).")
    c.add_argument("target", metavar="TARGET",
                   help="module:attr, a torch.optim.Optimizer subclass (e.g. torch.optim:Adam, my_opt.py:MyAdam) "
                        "or a convcheck optimizer factory; or a module (torch.optim) or a comma-separated list of "
                        "classes for a conformance matrix")
    c.add_argument("--claim", action="append", default=None,
                   help="claim id, case-insensitive (convcheck list shows the claims, readings and roles); repeatable: "
                        "each study holding some runs once, for those alone")
    c.add_argument("--out", default="conformance", help="the folder of a conformance matrix's page (default: ./conformance)")
    c.add_argument("--workers", type=int, default=None, help="a conformance matrix's worker processes, one thread each "
                                                             "(default: one per core)")
    c.add_argument("--suite", default=None, help="the suite holding the claim (default: the default suite)")
    c.add_argument("--reading", default=None, help="one reading of the claim (a unique prefix of its name); default: all "
                                                   "that test the role")
    c.add_argument("--role", default=None, help="the role to fill (default: the claim's primary method)")
    c.add_argument("--hyper", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed keyword argument for TARGET (repeatable; values read as Python literals)")
    c.add_argument("--scale", default="quick", help="tiny, quick (default) or full")
    c.add_argument("--seeds", type=int, default=None, help="seeds per setting (default: the scale's)")
    c.add_argument("--device", default="cpu", help="auto, cpu (default) or cuda")
    c.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    c.add_argument("--json", action="store_true", help="print the result as JSON (schema convcheck.check, or for a matrix "
                                                       "convcheck.conformance: the header with versions, scale and date, "
                                                       "then the verdicts or rows)")
    c.add_argument("--rename", action="append", default=[], metavar="ROLE_ARG=CLASS_ARG",
                   help="the class's own name for a role's argument (e.g. momentum=beta for a class whose momentum is "
                        "called beta); repeatable")
    d = command("diff", help="the cells that changed between two conformance.json (or check --json) files",
                description="Lists the cells that changed from OLD to NEW, each marked worse, better or changed. "
                            "Exit status: 0 when no cell got worse, 1 when one did (a cell that left the "
                            "reference's verdict, a row that now fails, a cell that disappeared), 2 on bad input.")
    d.add_argument("old", metavar="OLD", help="conformance.json (or a folder holding it) or a check --json file")
    d.add_argument("new", metavar="NEW", help="the same, from the newer run")
    d.add_argument("--json", action="store_true", help="print the changes as JSON")
    cl = command("clean", help="delete old run folders (and, with --cache, the cache of finished studies)")
    cl.add_argument("--out", default="reports", help="the runs' folder (default: reports)")
    cl.add_argument("--keep", type=int, default=5, help="newest runs to keep besides latest and last (default 5)")
    cl.add_argument("--cache", action="store_true", help="also empty the cache (the next run recomputes every study)")
    cl.add_argument("--stale", action="store_true",
                    help="also delete cache entries no run can hit again (made from older sources, linked by no kept run)")
    rep = command("report", help="rebuild a run's HTML from its stored files")
    rep.add_argument("run_dir", help="a run folder, e.g. reports/latest")
    rep.add_argument("--markdown", nargs="?", const="-", default=None, metavar="FILE",
                     help="write the claim table as markdown: to stdout, or between the claim-table markers of FILE "
                          "(the README's table is generated so)")
    rep.add_argument("--record", action="store_true",
                     help="write the run's outcome per claim and reading to studies/recorded_outcomes.json "
                          "(a complete quick-scale run only; the slow test tier compares against it)")
    rep.add_argument("--json", action="store_true", help="print the run's verdicts as JSON (schema convcheck.run) "
                                                         "instead of writing the HTML")
    return p


def _fail(message: str) -> int:
    print(f"convcheck: error: {message}", file=sys.stderr)
    return 2


def _tables(run_dir: Path, markdown: str | None, record: bool) -> int:
    """``convcheck report RUN --markdown [FILE] / --record``: tables generated from a run's files."""
    from .claims import Verdict
    from .report import claim_table, outcomes, replace_block
    from .store import read_json, write_json
    from .discovery import discover
    from .suites import load_suite

    verdicts = [Verdict.from_json(v) for v in read_json(run_dir / "verdicts.json")]
    studies = read_json(run_dir / "studies.json")
    manifest = read_json(run_dir / "manifest.json")
    claims = {c["id"]: c for info in studies.values() for c in info["claims"]}
    if markdown == "-":
        print(claim_table(verdicts, claims, manifest), end="")
    elif markdown is not None:
        replace_block(markdown, claim_table(verdicts, claims, manifest), (manifest.get("suite") or {}).get("name"))
        print(f"claim table written to {markdown}")
    if record:
        suite = load_suite((manifest.get("suite") or {}).get("name"))
        missing = sorted(set(discover(suite.path)) - set(studies))
        if manifest.get("scale") != "quick" or missing:
            raise ValueError(f"The 'run_dir' parameter must be a complete quick-scale run to record outcomes. Got scale "
                             f"{manifest.get('scale')!r}{', missing ' + ', '.join(missing) if missing else ''} instead.")
        path = suite.path / "recorded_outcomes.json"
        write_json(path, outcomes(verdicts, suite.prefixes))
        # each study's wall time too: a first run, with nothing cached, starts the longest first
        write_json(suite.path / "recorded_timings.json",
                   {"run": manifest.get("run"), "scale": "quick", "executor": manifest.get("executor"),
                    "wall_time_s": {n: round(float(i["wall_time_s"]), 1) for n, i in studies.items()}})
        print(f"outcomes recorded in {path}")
    return 0


def _check(args) -> int:
    import json

    from .checking import check, parse_hyper, parse_rename
    from .printing import check_lines, print_lines

    from .placement import parse_dtype, resolve_device

    matrix = args.claim is None or ":" not in args.target or "," in args.target
    if not matrix and args.workers is not None:
        return _fail("The '--workers' parameter applies to a conformance matrix (several classes); one class's check "
                     "runs in this process.")
    try:
        dtype = parse_dtype(args.dtype)
        if matrix:
            return _conformance(args, dtype, resolve_device(args.device))
        result = check(args.target, args.claim[0] if len(args.claim) == 1 else args.claim, reading=args.reading,
                       role=args.role, hyper=parse_hyper(args.hyper), scale=args.scale, seeds=args.seeds,
                       suite=args.suite, device=resolve_device(args.device), dtype=dtype,
                       rename=parse_rename(args.rename))
    except ValueError as exc:
        return _fail(str(exc))
    except Exception as exc:  # one line saying who failed: the class (status 3) or convcheck itself (a bug: 4)
        from .checking import load_target
        from .failures import describe_failure

        try:
            target = None if matrix else load_target(args.target)
        except ValueError:
            target = None
        who, words = describe_failure(exc, target)
        print(f"convcheck: error: the check could not finish: {words}", file=sys.stderr)
        return 4 if who == "convcheck" else 3
    if args.json:
        from .checking import load_target

        print(json.dumps(result.document(seeds=args.seeds, dtype=args.dtype, device=args.device,
                                         targets=[load_target(args.target)]), indent=1))
    else:
        print_lines(check_lines(result))
    return result.exit_code


def _conformance(args, dtype, device) -> int:
    """``convcheck check MODULE``: the conformance matrix of a module's (or a list's) classes. Rows
    stream to ``--out``/rows as they end; Ctrl-C writes the page from the finished rows (exit 130)
    and the same command resumes. Exit status: 0 when it finished (refuted cells are results: a
    library's CI compares runs with ``convcheck diff``), 4 when convcheck itself failed in a row."""
    import json
    import os

    from .conformance import classes_of, conformance, write_page
    from .suites import list_suites

    for name in ("reading", "role", "seeds"):
        if getattr(args, name) is not None:
            raise ValueError(f"The '--{name}' parameter applies to one class and one claim; a conformance matrix takes "
                             "--claim, --suite, --scale, --out, --workers, --json, --device and --dtype.")
    if args.hyper or args.rename:
        raise ValueError("The '--hyper' and '--rename' parameters apply to one class; a conformance matrix passes each "
                         "role's switches.")
    classes = classes_of(args.target)
    out = Path(args.out)
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise ValueError(f"The '--workers' parameter must be an int in the range [1, inf). Got {workers!r} instead.")
    from tqdm import tqdm

    bar = [None]
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if args.json else (lambda text: print(text, flush=True))

    def planned(n):
        bar[0] = tqdm(total=n, unit="row", file=sys.stderr, disable=not sys.stderr.isatty(), dynamic_ncols=True)

    from .conformance import _claims_by_role, cells

    by_id = _claims_by_role([args.suite] if args.suite else list_suites())[2]

    def line(row):
        if row.error and not row.verdicts:
            text = f"{row.target} [{row.role or '-'}]: {row.error}"
        else:
            words = [c["cell"] for c in cells([row], by_id)[0]]  # what each cell says (the page adds the reference's)
            text = (f"{row.target} [{row.role}, {row.how}]: " + ", ".join(f"{words.count(w)} {w}" for w in dict.fromkeys(words))
                    + (f"; then {row.error}" if row.error else "") + f" ({row.seconds:.1f} s)")
        if bar[0] is not None and not bar[0].disable:
            bar[0].write(text, file=sys.stderr if args.json else sys.stdout)
            bar[0].update(1)
        else:
            say(text)

    done = []

    def progress(row):
        done.append(row)
        line(row)

    meta = dict(scale=args.scale, spec=args.target, dtype=args.dtype, device=device, classes=classes)
    from .report import render  # noqa: F401  imported now, not inside the Ctrl-C handler that writes the page
    try:
        rows = conformance(classes, scale=args.scale, suites=[args.suite] if args.suite else None, claims=args.claim,
                           device=device, dtype=dtype, progress=progress, workers=workers, out=out, planned=planned)
    except KeyboardInterrupt:
        import signal

        if bar[0] is not None:
            bar[0].close()
        held = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not lose the finished rows' page
        try:
            page = write_page(done, out, interrupted=True, **meta)
        finally:
            signal.signal(signal.SIGINT, held)
        print(f"\nconvcheck: interrupted; {len(done)} finished rows kept in {page} and {out / 'rows'}: run the same "
              "command again to resume", file=sys.stderr)
        return 130
    if bar[0] is not None:
        bar[0].close()
    page = write_page(rows, out, **meta)
    if args.json:
        print((out / "conformance.json").read_text(encoding="utf-8"), end="")
    say(f"{len(classes)} classes, {len(rows)} rows, {sum(len(r.verdicts) for r in rows)} verdicts: {page}")
    bugs = [r for r in rows if r.failed_by == "convcheck"]
    for r in bugs:
        print(f"convcheck: error: {r.target} [{r.role}]: {r.error}", file=sys.stderr)
    return 4 if bugs else 0


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # output piped into a reader that stopped early (convcheck list | head): not an error
        sys.stderr.close()
        return 0


def _listing(suite, as_json: bool = False) -> str:
    """The text of ``convcheck list`` for a suite: its studies, claims, roles and readings.

    Listing means importing every study (torch, scipy, the statistics: about 2 s), so the text
    is kept in the user's cache directory under a hash of the suite's files and the package's
    sources, and a repeated ``convcheck list`` reads it back."""
    import os

    from ._hashing import hash_files

    digest = hash_files(sorted([*suite.path.glob("*.py"), *suite.path.glob("*.toml"), *Path(__file__).parent.rglob("*.py")]))
    store = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "convcheck"
             / f"list-{suite.name}-{digest[:20]}.{'json' if as_json else 'txt'}")
    try:
        return store.read_text(encoding="utf-8")
    except OSError:
        pass
    from .discovery import discover
    from .suites import check_suite, section_claims

    studies = discover(suite.path)
    if as_json:
        import json

        from .hypotheses import describe

        text = json.dumps([{"study": name, **c.to_json(), **describe(c)} for name, mod in studies.items() for c in mod.CLAIMS],
                          indent=1) + "\n"
        return _keep(store, text)
    lines = [f"suite {suite.name}: {suite.citation}"]
    lines += [f"  warning: {problem}" for problem in check_suite(suite, studies)]
    titles = {sec["prefix"]: sec["title"] for sec in suite.sections}
    lines += [f"  {prefix}: {titles[prefix]}: {', '.join(ids) or 'no claims'}" for prefix, ids in section_claims(suite, studies).items()]
    for name, mod in studies.items():
        lines.append(f"{name}: {', '.join(c.id for c in mod.CLAIMS)}")
        for c in mod.CLAIMS:
            role = " (supporting)" if c.statement == "supporting" else ""
            lines.append(f"    {c.id:<7} {c.kind:<11} {c.equation}: {c.text}{role}")
            if c.roles():
                lines.append(f"    {'':<7} {'':<11} roles: " + "; ".join(
                    f"{r}: {', '.join(c.roles_of(r))}" for _, r in c.keys() if c.roles_of(r)))
            lines.append(f"    {'':<7} {'':<11} hypotheses: " + (", ".join(c.hypotheses) if c.hypotheses or c.scope
                                                                else "not declared") + (f"; scope: {', '.join(c.scope)}" if c.scope else "")
                         + (f"; the same equation as {c.same_as}" if c.same_as else ""))
            lines += [f"    {'':<7} {'':<11} reading: {r}" for r in c.readings]
            lines += [f"    {'':<7} {'':<11} supporting check: {r}" for r in c.supporting]
        lines += [f"    injection {k}: {v}" for k, v in getattr(mod, "INJECTIONS", {}).items()]
    return _keep(store, "\n".join(lines) + "\n")


def _keep(store, text: str) -> str:
    """Keep a listing's text in the cache (a read-only home: list without keeping it)."""
    try:
        from .store import atomic_write_text

        store.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(store, text)
    except OSError:  # a read-only home: list without keeping the text
        pass
    return text


def _main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        from .suites import list_suites, load_suite

        try:
            if args.suites:  # from the descriptors alone: the claims are the studies' (convcheck list --suite NAME)
                if args.json:
                    import json

                    print(json.dumps([s.to_json() for s in list_suites().values()], indent=1))
                    return 0
                for s in list_suites().values():
                    print(f"{s.name}: {s.citation} (sections {', '.join(s.prefixes)})")
                return 0
            print(_listing(load_suite(args.suite), as_json=args.json), end="")
        except ValueError as exc:
            return _fail(str(exc))
        return 0

    if args.command == "check":
        return _check(args)

    if args.command == "diff":
        from .diffing import run_diff

        try:
            return run_diff(args.old, args.new, as_json=args.json)
        except ValueError as exc:
            return _fail(str(exc))

    if args.command == "clean":
        from .runs import clean

        if args.keep < 0:
            return _fail(f"The '--keep' parameter must be an int in the range [0, inf). Got {args.keep!r} instead.")
        try:
            gone = clean(args.out, args.keep, args.cache, args.stale)
        except ValueError as exc:
            return _fail(str(exc).replace("The 'out' parameter", "The '--out' parameter"))
        print(f"deleted {len(gone)} item(s) under {args.out}" + (": " + ", ".join(p.name for p in gone) if gone else ""))
        return 0

    if args.command == "report":
        from .report import render_run

        run_dir = Path(args.run_dir)
        if not (run_dir / "verdicts.json").is_file():
            return _fail(f"The 'run_dir' parameter must be a run folder holding verdicts.json. Got {str(run_dir)!r} instead.")
        try:
            if args.json:
                if args.markdown is not None or args.record:
                    return _fail("The '--json' parameter prints the run's verdicts; it cannot be combined with "
                                 "--markdown or --record.")
                from .printing import print_json, run_document

                print_json(run_document(run_dir))
                return 0
            if args.markdown is None and not args.record:
                print(render_run(run_dir.resolve()))
                return 0
            return _tables(run_dir, args.markdown, args.record)
        except ValueError as exc:
            return _fail(str(exc))
        except Exception as exc:  # a damaged run folder: name the file and the problem, not a traceback
            return _fail(f"The 'run_dir' parameter must be a complete, readable run folder. Reading {str(run_dir)!r} "
                         f"failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    import torch

    from .runner import run_suite

    if args.threads < 1:
        return _fail(f"The '--threads' parameter must be an int in the range [1, inf). Got {args.threads!r} instead.")
    torch.set_num_threads(args.threads)
    from ._runtime import blas_limits

    # numpy's and scipy's BLAS too: two runs side by side on a many-core machine otherwise
    # oversubscribe it (the L-BFGS certificates of quadratic_net stalled so)
    limits = blas_limits(args.threads)
    executor = None
    try:
        from .executors import make_executor

        executor = make_executor(args.executor, args.workers, args.scheduler, device=args.device, threads=args.threads)
        seeds = args.seeds
        if seeds is not None and seeds != "auto":
            try:
                seeds = int(seeds)
            except ValueError:
                return _fail(f"The '--seeds' parameter must be an int in the range [3, inf) or 'auto'. Got {seeds!r} instead.")
        record = run_suite(args.targets, scale=args.scale, seeds=seeds, device=args.device, dtype=args.dtype,
                           out=args.out, use_cache=not args.no_cache, progress=sys.stderr.isatty(), suite=args.suite,
                           executor=executor, compile=args.compile, budget=args.budget)
    except ValueError as exc:  # raised before any study runs: the input is at fault
        msg = str(exc)
        for name in ("seeds", "budget", "out", "scale", "dtype", "device", "suite", "executor", "workers", "compile"):
            msg = msg.replace(f"The '{name}' parameter", f"The '--{name}' parameter")
        return _fail(msg)
    except KeyboardInterrupt:
        print("\nconvcheck: interrupted; finished studies are kept in the cache: run the same command again to resume",
              file=sys.stderr)
        return 130
    finally:
        limits.__exit__(None, None, None)  # threadpoolctl restores the pools; the fallback does nothing
        if executor is not None:
            executor.close()
    from .printing import print_json, print_verdicts, run_document

    # with --json, stdout holds the document alone; the listing and the summary go to stderr
    say = sys.stderr if args.json else sys.stdout
    if args.json:
        print_json(run_document(record.run_dir))
    else:
        print_verdicts(record.verdicts, record.sections)
    hits = [n for n, c in record.cached.items() if c]
    if hits:
        print(f"from cache: {', '.join(hits)}", file=say)
    for name, why in record.failed.items():
        kind = "too large for this machine" if why.startswith("out of memory") else "an internal error, not your input"
        print(f"study {name} failed ({kind}): {why}", file=sys.stderr)
    print(f"done in {record.wall_time_s:.0f} s: {len(record.cached)} studies ({len(hits)} from cache)"
          + (f", {len(record.failed)} failed" if record.failed else "") + f"; report: {record.run_dir / 'index.html'}",
          file=say)
    if record.failed:
        return 3
    refuted = any(v.outcome == "refuted" for v in record.verdicts)
    return 1 if (args.strict and refuted) else 0


if __name__ == "__main__":
    sys.exit(main())
