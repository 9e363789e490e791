"""Run a selection of studies into a run folder (the ``convcheck run`` job).

The studies not found in the cache are handed to an executor (:mod:`convcheck.executors`: this
process, a pool of local processes, or a Dask cluster); each finished study is saved to the
cache as it arrives, so a run stopped at any point resumes from what finished. The verdicts are
corrected for the suite's multiplicity family once, over the whole run, and the run folder is
written (:mod:`convcheck.store`) and rendered (:mod:`convcheck.report`).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import torch

from ._validation import check_choice, check_int
from .claims import Verdict
from .stats import family_adjust
from .stats.thresholds import MIN_SEEDS
from .discovery import discover, family_size, source_hash
from .executors import InProcess, Task
from .placement import DTYPES, declared_device, resolve_device
from .runs import new_run_dir, point_latest
from .store import Cache, cache_key, link_results, read_json, write_json

__all__ = ["select", "run_suite", "RunRecord", "PACKAGES"]

#: Package versions recorded in every manifest.
PACKAGES = ("convcheck", "numpy", "scipy", "torch", "statsmodels", "pandas", "pyarrow", "seaborn", "matplotlib", "jinja2")


def select(studies: dict[str, ModuleType], names: list[str] | None) -> list[str]:
    """Study names for a list of study names and/or claim ids (all studies when empty)."""
    if not names:
        return list(studies)
    by_claim = {c.id: s for s, m in studies.items() for c in m.CLAIMS}
    chosen = []
    for name in names:
        study = name if name in studies else by_claim.get(name.upper())
        if study is None:
            raise ValueError(f"Unknown study or claim {name!r}. Valid studies: {', '.join(studies)}; "
                             f"valid claims: {', '.join(sorted(by_claim))}.")
        if study not in chosen:
            chosen.append(study)
    return chosen


@dataclass
class RunRecord:
    run_dir: Path
    verdicts: list[Verdict]
    cached: dict[str, bool] = field(default_factory=dict)
    sections: tuple[str, ...] | None = None  # the suite's section prefixes, for listing in the paper's order
    failed: dict[str, str] = field(default_factory=dict)  # study -> "ExceptionType: message"
    wall_time_s: float = 0.0


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=Path(__file__).resolve().parent,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (res.stdout.strip() + ("+dirty" if dirty else "")) if res.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _recorded_timings(folder: Path) -> dict[str, float]:
    """The suite's recorded quick-scale wall time per study (``recorded_timings.json``), or {}."""
    try:
        return {k: float(v) for k, v in read_json(Path(folder) / "recorded_timings.json")["wall_time_s"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _draw_ahead(out: Path, name: str, tables_file: Path, specs: list[dict]) -> None:
    """A finished study's figures, drawn while other studies still run (see
    :func:`convcheck.report.render.draw_ahead`). Best effort: a figure that fails here is drawn
    again by the report, which says why it fails."""
    from .report.render import draw_ahead

    try:
        draw_ahead(out, name, tables_file, specs)
    except Exception:  # noqa: BLE001 - the report draws it again and raises there
        pass


def parse_budget(budget) -> tuple[int | None, float | None]:
    """``--budget``: ``64`` (seeds), ``"300s"`` (seconds per study), ``"64,300s"`` (both) or None ->
    (seeds or None, seconds or None)."""
    if budget is None or isinstance(budget, int):
        return budget, None
    seeds_, secs = None, None
    for part in str(budget).replace(" ", "").split(","):
        try:
            if part.endswith("s"):
                secs = float(part[:-1])
                if not secs > 0:
                    raise ValueError
            else:
                seeds_ = int(part)
        except ValueError:
            raise ValueError(f"The 'budget' parameter must be seeds (64), seconds (300s) or both (64,300s). "
                             f"Got {budget!r} instead.") from None
    return seeds_, secs


def run_suite(names: list[str] | None = None, *, scale: str = "quick", seeds: int | str | None = None, device: str = "auto",
              dtype: str = "float64", out: Path | str = "reports", use_cache: bool = True, progress: bool = True,
              studies_folder: Path | None = None, render: bool = True, suite: str | None = None,
              executor=None, compile: bool | str = "auto", budget: int | str | None = None) -> RunRecord:
    """Run the selected studies of a suite (default: the default suite) and write ``<out>/<run-id>/``;
    returns the run's record. ``executor``: where the studies run (:mod:`convcheck.executors`;
    default in this process). ``compile``: when the engine's steps are fused by ``torch.compile``
    (:mod:`convcheck.compiling`: ``auto``, the default, compiles long CPU runs; ``on``; ``off``).
    ``seeds="auto"``: seeds on demand (:mod:`convcheck.sequential`): each study starts at its
    scale's count and gives its undecided claims more, in stages, up to ``budget`` seeds per
    setting (default 4x the scale's count), under O'Brien-Fleming alpha spending; ``budget="300s"``
    bounds each study's wall time instead (its seeds: 4x the scale's count), ``"64,300s"`` both."""
    check_choice("scale", scale, ("tiny", "quick", "full"))
    check_choice("dtype", dtype, DTYPES)
    from .compiling import mode_of

    compile = mode_of(compile)
    staged = seeds == "auto"
    if staged:
        seeds = None
    elif budget is not None:
        raise ValueError(f"The 'budget' parameter needs seeds = 'auto'. Got seeds = {seeds!r} instead.")
    budget, budget_s = parse_budget(budget)
    if seeds is not None:  # every interval over seeds needs at least MIN_SEEDS of them
        check_int("seeds", seeds, MIN_SEEDS)
    executor = executor or InProcess()
    # the workers' device keys the cache (an executor without device_of runs here: resolved here)
    requested, device = device, getattr(executor, "device_of", resolve_device)(device)
    from .suites import Suite, load_suite

    if studies_folder is None:
        suite_info = load_suite(suite)
        studies_folder = suite_info.path
    else:  # a bare folder of studies (tests): a suite of its own, in file order
        studies_folder = Path(studies_folder)
        suite_info = (load_suite(root=studies_folder.parent, name=studies_folder.name)
                      if (studies_folder / "suite.toml").is_file() else Suite(studies_folder.name, studies_folder, studies_folder.name))
    studies = discover(studies_folder)
    chosen = select(studies, names)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise ValueError(f"The 'out' parameter must be a folder convcheck can write to. Got {str(out)!r} "
                         f"instead ({exc.strerror or exc}).") from None
    cache = Cache(out)

    verdicts_by_name, infos, cached, failed = {}, {}, {}, {}
    t_start = time.perf_counter()
    # Plan: cached studies are read now; the others become tasks for the executor.
    tasks = []
    for name in chosen:
        module = studies[name]
        config = dict(module.SCALES[scale]) if scale in module.SCALES else None
        if config is None:
            raise ValueError(f"The 'scale' parameter {scale!r} is not declared by study {name!r}; it has {sorted(module.SCALES)}.")
        n_seeds = seeds if seeds is not None else config.get("seeds", 32)
        study_budget = 0
        if staged:
            study_budget = check_int("budget", budget, n_seeds) if budget is not None else 4 * n_seeds
        source = source_hash(module)
        key = cache_key(source, {**config, **({"budget": study_budget} if study_budget else {}),
                                 **({"budget_s": budget_s} if budget_s else {})}, n_seeds, device, dtype, compile)
        hit = cache.load(f"{suite_info.name}.{name}", key) if use_cache else None
        if hit is not None:
            study_verdicts, info = hit
            verdicts_by_name[name], infos[name], cached[name] = study_verdicts, info, True
        else:
            # the task carries the device asked for; it is resolved again where it runs
            tasks.append(Task(name, str(module.__file__), scale, n_seeds, requested, dtype, torch.get_num_threads(), key,
                              source, compile, declared_device(module), study_budget, budget_s or 0.0))
    bar = None
    if progress and tasks:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="convcheck", unit="study", leave=False)
    # the longest first (this cache's last times, else the suite's recorded quick-scale times;
    # unknown ones first of all), so parallel workers end together
    recorded = _recorded_timings(studies_folder)
    known = {t.name: cache.last_wall_time(f"{suite_info.name}.{t.name}", scale) or recorded.get(t.name) for t in tasks}
    tasks.sort(key=lambda t: -(known[t.name] if known[t.name] is not None else float("inf")))
    # Execute: each finished study is cached as soon as it arrives, so nothing finished is lost.
    for out_ in executor.run(tasks):
        name = out_["name"]
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(name)
        if "error" in out_:  # a failing study is reported; the rest of the run goes on
            failed[name] = out_["error"]
            continue
        study_verdicts = [Verdict.from_json(v) for v in out_["verdicts"]]
        info = out_["info"]
        cache.save(f"{suite_info.name}.{name}", info["cache_key"], out_["frame"], study_verdicts, info)
        verdicts_by_name[name], infos[name], cached[name] = study_verdicts, info, False
        if render and getattr(executor, "waits", False):  # this process waits on the workers: draw meanwhile
            _draw_ahead(out, name, cache.tables(f"{suite_info.name}.{name}", info["cache_key"]), info["figures"])
    if bar is not None:
        bar.close()
    verdicts = []
    for name in chosen:  # the suite's order, whatever order the executor finished in
        if name in verdicts_by_name:
            verdicts += verdicts_by_name[name]
    infos = {n: infos[n] for n in chosen if n in infos}

    # The suite's multiplicity family: every registered claim, whatever this run selected, so a
    # claim's verdict never depends on the selection; cached verdicts are stored unadjusted.
    verdicts = family_adjust(verdicts, family_size(studies))
    run_dir = new_run_dir(out)
    for name in infos:  # hard links into the cache: a run from the cache writes no new tables
        link_results(run_dir, name, cache.tables(f"{suite_info.name}.{name}", infos[name]["cache_key"]))
    write_json(run_dir / "verdicts.json", [v.to_json() for v in verdicts])
    write_json(run_dir / "studies.json", infos)
    write_json(run_dir / "manifest.json", {
        "run": run_dir.name, "suite": suite_info.to_json(), "created": _dt.datetime.now().isoformat(timespec="seconds"), "scale": scale,
        "device": device, "device_name": (torch.cuda.get_device_name() if device == "cuda" and torch.cuda.is_available()
                        else platform.processor() or platform.machine()),
        "dtype": dtype, "compile": compile, "multiplicity_family": family_size(studies), "torch_threads": torch.get_num_threads(), "versions": _versions(), "git_commit": _git_commit(),
        "failed": failed, **(executor.describe() if tasks else {"executor": "cache only"}),
        "studies": {n: {"seeds": i["seeds"], "seed_root": i["seed_root"], "wall_time_s": i["wall_time_s"],
                        "device": i.get("device", device), "dtype": i.get("dtype", dtype), "host": i.get("host"),
                        "cached": cached[n], "cache_key": i["cache_key"], "compile": i.get("compile"),
                        **({"stages": i["setup"]["stages"]} if "stages" in (i.get("setup") or {}) else {})}
                    for n, i in infos.items()},
        # each declared counterexample search: its budget and seed, so it can be repeated (convcheck.search.declared)
        "searches": {v.label: {k: v.search.get(k) for k in ("declared", "budget", "seed", "names", "candidates", "found")
                               if k in v.search} for v in verdicts if v.search},
        "wall_time_s": time.perf_counter() - t_start,
    })
    if render:
        from .report import render_run

        render_run(run_dir)
    # `last` is the newest run of any selection; `latest` only moves to a complete run of the
    # whole suite (every study, none failed), so it never silently becomes a subset
    point_latest(out, run_dir, "last")
    if set(chosen) == set(studies) and not failed:
        point_latest(out, run_dir)
    return RunRecord(run_dir, verdicts, cached, suite_info.prefixes or None, failed, time.perf_counter() - t_start)
