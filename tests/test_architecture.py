"""The library's shape, held by tests: no import cycles, no paper inside ``convcheck/``, devices
resolved where a study runs.

* The import graph of ``convcheck/`` (every ``import``, also those inside functions, which is
  where cycles hide) has no cycle: a module's job can be read from what it imports.
* Nothing under ``convcheck/`` names the survey or its authors in code, strings or comments (a
  docstring may cite a paper as an example): a paper's methods, experiments and tolerances live
  in its suite's folder, and its order and titles in its ``suite.toml``.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "convcheck"


def _modules() -> dict[str, Path]:
    out = {}
    for p in PACKAGE.rglob("*.py"):
        parts = p.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """``module -> the convcheck modules it imports`` (a package's ``__init__`` counts as the package)."""
    modules = _modules() if modules is None else modules
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    deps.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_import_graph_has_no_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle(tmp_path):
    pkg = tmp_path / "convcheck"
    (pkg / "stats").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "claims.py").write_text("def f():\n    from .stats.multiple import g\n")
    (pkg / "stats" / "__init__.py").write_text("")
    (pkg / "stats" / "multiple.py").write_text("from ..claims import f\n")
    (pkg / "runner.py").write_text("from .claims import f\n")
    modules = {"convcheck": pkg / "__init__.py", "convcheck.claims": pkg / "claims.py",
               "convcheck.stats": pkg / "stats" / "__init__.py", "convcheck.stats.multiple": pkg / "stats" / "multiple.py",
               "convcheck.runner": pkg / "runner.py"}
    assert cycles(import_graph(modules)) == [["convcheck.claims", "convcheck.stats.multiple"]]


PAPER = re.compile(r"survey|ghojogh|ghodsi", re.I)


def paper_mentions(source: str) -> list[str]:
    """Where ``source`` names the survey or its authors outside docstrings: names, strings, comments."""
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                docstrings.add(first.value.lineno)
    found = []
    kinds = {tokenize.NAME, tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.STRING and tok.start[0] in docstrings:
            continue
        if tok.type in kinds and PAPER.search(tok.string):
            found.append(f"line {tok.start[0]}: {tok.string[:80]}")
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.j2")),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_library_names_no_paper(path):
    text = path.read_text()
    found = paper_mentions(text) if path.suffix == ".py" else [
        f"line {i}: {line.strip()[:80]}" for i, line in enumerate(text.splitlines(), 1) if PAPER.search(line)]
    assert not found, f"{path.name} names the survey (move it to studies/survey/):\n" + "\n".join(found)


def test_the_paper_scan_finds_planted_mentions():
    planted = ('"""The survey\'s Eq. (8), as an example in a docstring."""\n'
               'SECTIONS = ("GD", "BP")  # the survey\'s order\n'
               'def f(variant="survey"):\n    """Docstrings may cite Ghojogh & Ghodsi."""\n    return ghojogh_title\n')
    assert len(paper_mentions(planted)) == 3


# --- devices are resolved where the study runs -------------------------------------------------

def test_auto_resolves_to_the_gpu_of_the_process_that_runs_the_study(monkeypatch):
    """A worker that reports CUDA runs an ``auto`` study on ``cuda``, whatever the client has."""
    import torch

    from convcheck.placement import resolve_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    with pytest.raises(ValueError, match="'device' parameter is 'cuda'"):
        resolve_device("cuda")


class _CudaWorkers:
    """An executor whose (simulated) workers report CUDA: it records the tasks it is given and
    answers each with an error, so nothing runs."""

    name = "simulated"

    def __init__(self):
        self.tasks = []

    def device_of(self, device):
        return "cuda" if device in ("auto", "cuda") else "cpu"

    def run(self, tasks):
        self.tasks += tasks
        for t in tasks:
            yield {"name": t.name, "error": "RuntimeError: simulated"}

    def describe(self):
        return {"executor": self.name}


def test_the_client_sends_the_device_asked_for_and_keys_the_cache_by_the_workers(tmp_path):
    """``--device auto`` reaches the workers as ``auto`` (a CPU client resolved it to ``cpu``
    before), and the cache key and manifest use the workers' answer."""
    from convcheck.runner import run_suite
    from convcheck.store import read_json

    executor = _CudaWorkers()
    record = run_suite(["gd_bound"], scale="tiny", out=tmp_path, progress=False, executor=executor, render=False,
                       device="auto")
    assert [t.device for t in executor.tasks] == ["auto"]
    assert record.failed == {"gd_bound": "RuntimeError: simulated"}
    assert read_json(record.run_dir / "manifest.json")["device"] == "cuda"
    cpu = _CudaWorkers()
    run_suite(["gd_bound"], scale="tiny", out=tmp_path, progress=False, executor=cpu, render=False, device="cpu")
    assert cpu.tasks[0].key != executor.tasks[0].key  # a CPU result is never served to a GPU run


# --- verdicts are values ------------------------------------------------------------------------

def test_a_verdict_cannot_change_after_it_is_built():
    import dataclasses
    import pickle

    from convcheck.claims import REFUTED, REPRODUCED, Test, Verdict

    v = Verdict("X-1", "s", REPRODUCED, "fine", statistic={"slope": 0.5}, findings=["a"], interval=[0.1, 0.2],
                test=Test(p_fail=0.5, p_fail_parts={"a": 0.5}, alpha_fail=0.002, alpha_pass=0.1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.outcome = REFUTED
    with pytest.raises(TypeError):
        v.statistic["slope"] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.test.p_fail = 0.0
    with pytest.raises(TypeError):
        v.test.p_fail_parts["a"] = 0.0
    with pytest.raises(AttributeError):
        v.findings.append("b")
    assert v.to_json()["findings"] == ["a"] and v.to_json()["interval"] == [0.1, 0.2]
    assert Verdict.from_json(v.to_json()) == v and pickle.loads(pickle.dumps(v)) == v
    w = v.restated(prefix="at eta = 1: ", findings=["b"], statistic={"eta": 1.0})
    assert (w.outcome, w.summary, w.findings, w.statistic["eta"]) == (REPRODUCED, "at eta = 1: fine", ("a", "b"), 1.0)
    assert v.summary == "fine" and "eta" not in v.statistic  # the original is untouched
    assert w.test == v.test  # the test record travels unchanged
    with pytest.raises(TypeError):
        v.restated(outcome=REFUTED)  # the outcome is the statistics', never a study's
    with pytest.raises(ValueError, match="replace the check's own numbers"):
        v.restated(statistic={"slope": 0.0})
    with pytest.raises(TypeError):
        v.restated(test=Test(p_fail=0.0))  # the test record is the statistics', never a study's
    with pytest.raises(ValueError, match="fields of the test record"):
        v.restated(statistic={"p_fail": 0.0})  # nor smuggled in as a statistic


HAND_EDITS = {"outcome", "summary", "statistic", "findings", "notes", "reading", "study", "supporting", "interval",
              "window", "seeds", "diverged", "claim"}


def verdict_edits(source: str) -> list[str]:
    """Where a study builds a ``Verdict(...)`` by hand, or assigns to a verdict's field."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Verdict":
            found.append(f"line {node.lineno}: Verdict(...) built by hand")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        for t in targets:
            for e in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(e, ast.Attribute) and e.attr in HAND_EDITS and not (
                        isinstance(e.value, ast.Name) and e.value.id in ("ctx", "self", "args")):
                    found.append(f"line {node.lineno}: .{e.attr} assigned")
    return found


STUDY_FILES = sorted((PACKAGE.parent / "studies").glob("*/*.py"))


@pytest.mark.parametrize("path", STUDY_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_studies_take_their_verdicts_from_the_statistics(path):
    found = verdict_edits(path.read_text())
    assert not found, f"{path.name} decides or edits verdicts by hand (use convcheck.stats):\n" + "\n".join(found)


def test_the_verdict_scan_finds_planted_edits():
    planted = ("v = Verdict('X', 's', 'refuted', 'x')\n"
               "v.outcome = 'inconclusive'\n"
               "v.summary += 'x'\n"
               "a.outcome, a.summary = 1, 2\n"
               "ctx.seeds = 3\n")
    assert len(verdict_edits(planted)) == 5


# --- one study shape ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [p for p in STUDY_FILES if not p.name.startswith("_")],
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_study_follows_the_docstring_template(path):
    from convcheck.study import docstring_problems

    assert docstring_problems(ast.get_docstring(ast.parse(path.read_text()), clean=False)) == []


def test_the_template_check_finds_a_departure():
    from convcheck.study import docstring_problems

    good = "X-1: a check.\n\nClaims:\n    x\nKind:\n    k\nObjective:\n    o\nOptimizer:\n    m\nFit:\n    f\n" \
           "Verdict rule:\n    v\nReferences:\n    r\n"
    assert docstring_problems(good) == []
    assert docstring_problems(good.replace("Fit:", "Measure:"))
    assert docstring_problems(good.replace("Claims:\n    x\n", "Claim X-1:\n    x\n"))
    assert docstring_problems(good.replace("Kind:\n    k\nObjective:\n    o\n", "Objective:\n    o\nKind:\n    k\n"))
    assert docstring_problems(None) == ["no docstring"]


def _write_study(folder, run_signature, extra=""):
    (folder / "s.py").write_text(
        '"""X-1: a check.\n\nClaims:\n    x\nKind:\n    k\nObjective:\n    o\nOptimizer:\n    m\nFit:\n    f\n'
        'Verdict rule:\n    v\nReferences:\n    r\n"""\n'
        "from convcheck.study import Claim, StudyResult\n"
        "CLAIMS = [Claim('X-1', 'Eq. 1', 'x', 'identity')]\n"
        "SCALES = {'quick': {'seeds': 3, 'steps': 2}, 'full': {'seeds': 3, 'steps': 2}}\n"
        f"{extra}\n"
        f"def run(ctx, *, {run_signature}):\n    return StudyResult([])\n")
    return folder / "s.py"


def test_a_studys_other_parameters_are_declared_and_checked(tmp_path):
    from convcheck.study import load_study, run_study

    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match=r"run\(\) takes \['fn'\].*INJECTIONS"):
        load_study(_write_study(tmp_path / "a", "steps, fn=None"))
    (tmp_path / "b").mkdir()
    module = load_study(_write_study(tmp_path / "b", "steps, fn=None", "INJECTIONS = {'fn': 'a planted function'}"))
    assert module.INJECTIONS == {"fn": "a planted function"}
    with pytest.raises(ValueError, match=r"must be among its config and injections \['fn', 'steps'\]. Got \['fnn'\]"):
        run_study(module, fnn=1)
    assert run_study(module, fn=lambda: 0, family=None).verdicts == []
    (tmp_path / "c").mkdir()
    with pytest.raises(ValueError, match="declares the injections \\['gone'\\]"):
        load_study(_write_study(tmp_path / "c", "steps", "INJECTIONS = {'gone': 'x'}"))


def test_context_helpers_draw_what_the_studies_drew_by_hand():
    """``ctx.start_near``, ``ctx.normal`` and ``ctx.rows`` are the idioms they replace, bit for bit."""
    import numpy as np
    import torch

    from convcheck.study import Context

    ctx = Context("s", seeds=5)
    center = torch.arange(3, dtype=torch.float64)
    by_hand = center + 2.0 * torch.randn(5, 3, generator=ctx.generator("w0"), dtype=ctx.dtype, device="cpu").to(ctx.device)
    assert torch.equal(ctx.start_near(center, "w0", scale=2.0), by_hand)
    assert torch.equal(ctx.start_near(center, "w0", rows=10),
                       center + torch.randn(10, 3, generator=ctx.generator("w0"), dtype=ctx.dtype))
    assert torch.equal(ctx.normal((2, 4), "a", 1), torch.randn(2, 4, generator=ctx.generator("a", 1), dtype=ctx.dtype))
    assert torch.equal(ctx.rows([0.1, 0.5]), torch.tensor(np.repeat([0.1, 0.5], 5), dtype=torch.float64))


def optimizer_steps_by_hand(source: str) -> list[str]:
    """Where a study steps an optimizer itself (an ``Oracle`` built, ``.update(...)`` or ``.init(...)``
    called) instead of through ``engine.run``, which records what the study needs (``states=``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in ("Oracle", "OnlineOracle"):
                found.append(f"line {node.lineno}: {f.id}(...)")
            # an optimizer's update(params, state, oracle, t) and init(params); not dict.update(x) or a
            # network's init(seeds, generator)
            if isinstance(f, ast.Attribute) and ((f.attr == "update" and len(node.args) >= 3) or
                                                 (f.attr == "init" and len(node.args) == 1 and not node.keywords)):
                found.append(f"line {node.lineno}: .{f.attr}(...)")
    return found


@pytest.mark.parametrize("path", [p for p in STUDY_FILES if not p.name.startswith("_")], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_studies_step_optimizers_only_through_the_engine(path):
    found = optimizer_steps_by_hand(path.read_text())
    assert not found, f"{path.name} steps an optimizer by hand (use engine.run, with states=):\n" + "\n".join(found)


def test_the_step_scan_finds_a_planted_loop():
    planted = "s = opt.init(w)\nfor t in range(5):\n    w, s = opt.update(w, s, Oracle(obj), t)\nx = net.init(3, g)\nd.update(e)\n"
    assert len(optimizer_steps_by_hand(planted)) == 3
