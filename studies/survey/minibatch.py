"""MB-1 to MB-6: mini-batch SGD and its gradient noise (Prop. 3, Eqs. 30-37; Sec. 5).

Claims:
    MB-1, Eqs. (30)-(31): batches drawn without replacement partition the data in an epoch;
          with replacement they need not.
    MB-2, Eq. (34): "for non-convex and convex functions", ``O(1/t + E||e_t||^2)``: the floor
          follows the batch-gradient noise E||e_t||^2 (with replacement, proportional to 1/b).
          Prop. 3 assumes f bounded below and L-smooth, no convexity: as written on a certified
          non-convex instance as well; reading "convex f" on least squares alone.
    MB-3, Eq. (35): each f_i mu-strongly convex: ``O((1 - mu/L)^t + E||e_t||^2)``: geometric
          decay, then a floor set by the batch; as written on shifted quadratics (every f_i
          mu-strongly convex), Bottou et al.'s reading on least squares.
    MB-4, Eq. (36): without replacement ``E||e||^2 = (1 - b/n) sigma^2 / b``.
    MB-5, Eq. (37): with replacement ``E||e||^2 = sigma^2 / b``.
    MB-6, Sec. 5: larger b brings the behaviour toward GD's, at a higher cost per step.
    The survey has one sigma^2 for both, "the variance of the whole dataset": the population
    (1/n) average of ``||grad f_i - grad f||^2``, the reading as written of both claims; the
    1/(n-1) convention is a named reading of each. With one sigma^2 the two equations cannot
    both be exact: at b = 1 both schemes are the same single draw, and they give
    ``(1 - 1/n) sigma^2`` and ``sigma^2``.
Kind:
    property (MB-1), floor (MB-2), linear + floor (MB-3), variance (MB-4, MB-5), comparative (MB-6).
Objective:
    least squares with planted noise (n = 200, d = 5, eig(H) on [1/2, 1]) for MB-2/3/6; for the
    variance claims, per-sample gradients of least-squares problems with n = 10 (exact
    enumeration of every batch) and n in {20, 50} (Monte-Carlo), at a random point w.
Optimizer:
    mini-batch SGD (Eq. 32) with a fixed step, in role ``sgd`` (any method taking ``lr`` may
    replace it; the batch is the sampler's, so the method sees b samples per step); samplers
    WithReplacement / WithoutReplacement (fixtures: ``without`` and ``with_replacement`` are
    where the tests plant wrong samplers).
Fit:
    MB-1 exact over epochs; MB-4/5 exact enumeration (``check_exact``) and Monte-Carlo with
    99.8% intervals (``check_mean``); MB-2 tail floors and the slope of log floor vs log(1/b), and
    Eq. (34)'s 1/t transient on noiseless least squares (``_survey.convex_transient``)
    (``check_floor``); MB-3 ``check_linear`` per b: as written against the survey's 1 - mu/L (on
    the b grid and at eta = 1/L with the largest b, ``_survey.survey_contraction``),
    reading "Bottou et al." against 1 - eta mu with MB-2's floor; MB-6 paired gaps at a fixed
    budget of steps.
Verdict rule:
    MB-4/5, per reading of sigma^2: reproduced when the enumerated expectation equals the
    formula to 1e-10 relative at every b and the Monte-Carlo intervals contain it; refuted when
    an enumeration differs (the findings name the convention that is exact). MB-2 and MB-3 as
    written rest on certified instances inside Prop. 3's hypotheses (convcheck.hypotheses).
    The others as in convcheck.stats.
References:
    Ghojogh et al. (2020), Sampling algorithms, from survey sampling to Monte Carlo methods,
    Prop. 3; Cochran (1977), Sampling Techniques, Thm. 2.2 (finite-population correction).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.claims import REFUTED
from convcheck.hypotheses import certify
from convcheck.stats import combine
from _survey import BOTH_CASES, PROP3, PROP3_STRONG, convex_transient, survey_contraction, two_wells
from convcheck.objectives import LeastSquares, ShiftedQuadratics, WithoutReplacement, WithReplacement
from convcheck.stats import check_exact, check_floors, check_linear, check_mean, check_paired, check_property, difference_scale
from convcheck.study import Claim, StudyResult

BOTTOU = "Bottou et al.: contraction 1 - eta mu, floor proportional to 1/b"
CONVEX = "convex f: floor follows E||e||^2 and the 1/t transient"
NONCONVEX = "two wells (non-convex): floor O(E||e||^2)"
SIGMA_N1 = "sigma^2 the 1/(n-1) variance of the per-sample gradients"
CLAIMS = [
    Claim("MB-1", "Eqs. (30)-(31)", "batches without replacement partition the data; with replacement they need not", "property"),
    Claim("MB-2", "Eq. (34)", "mini-batch SGD for non-convex and convex f: O(1/t + E||e_t||^2): the floor follows the "
          "batch-gradient noise", "floor", readings=(CONVEX,), methods=("sgd",), hypotheses=PROP3, scope=BOTH_CASES),
    Claim("MB-3", "Eq. (35)", "each f_i mu-strongly convex, mini-batch SGD: O((1 - mu/L)^t + E||e_t||^2)", "linear",
          readings=(BOTTOU,), methods=("sgd",), hypotheses=PROP3_STRONG),
    Claim("MB-4", "Eq. (36)", "without replacement: E||e||^2 = (1 - b/n) sigma^2 / b, sigma^2 the variance of the whole "
          "dataset", "variance", readings=(SIGMA_N1,)),
    Claim("MB-5", "Eq. (37)", "with replacement: E||e||^2 = sigma^2 / b, sigma^2 the variance of the whole dataset",
          "variance", readings=(SIGMA_N1,)),
    Claim("MB-6", "Sec. 5", "larger b brings mini-batch SGD toward GD, at a higher cost per step", "comparative",
          methods=("sgd",), hypotheses=("finite sum",)),
]
ROLES = ("sgd",)

SCALES = {
    "tiny": {"seeds": 16, "batches": (1, 4), "draws": 20_000, "burn_in": 40},
    "quick": {"seeds": 128, "batches": (1, 2, 4, 8), "draws": 400_000, "burn_in": 60},
    "full": {"seeds": 256, "batches": (1, 2, 4, 8, 16), "draws": 4_000_000, "burn_in": 120},
}

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'eta': 'the constant step of the floor runs (MB-2, MB-3, MB-6)',
    'without': 'the sampler claimed to draw without replacement (default WithoutReplacement)',
    'with_replacement': 'the sampler claimed to draw with replacement (default WithReplacement)',
}


def run(ctx, *, batches, draws, burn_in, eta=0.02, without=None, with_replacement=None) -> StudyResult:
    """``without`` / ``with_replacement``: the samplers claimed to draw without / with replacement
    (planted wrong ones are swapped in here)."""
    without = without or WithoutReplacement
    parts = []
    if ctx.wants("MB-1"):
        parts.append(StudyResult([_partition(ctx, without)]))
    if ctx.wants("MB-4", "MB-5"):  # one enumeration and one Monte-Carlo sample for both schemes
        *v45, var_tab, mc_tab = _variance(ctx, without, draws, with_replacement or WithReplacement)
        parts.append(StudyResult(v45, {"variance": var_tab, "monte_carlo": mc_tab}, [
            {"kind": "points", "table": "variance", "title": "E||e||^2 x b / sigma^2_n vs b (n = 10, exact)", "x": "b",
             "y": "measured", "hue": "scheme", "reference": {"(1 - b/n) n/(n-1): Eq. 36, 1/(n-1) reading": "eq36_n1",
                                                              "1: Eq. 37, 1/n reading": "eq37_n"}}]))
    if ctx.wants("MB-2", "MB-3", "MB-6"):  # one set of runs over b for the three
        v2, v3, v6, tables, figs = _floors(ctx, batches, burn_in, eta, ctx.method("sgd"))
        parts.append(StudyResult([*v2, *v3, v6], tables, figs))
    return StudyResult.merge(StudyResult([], {}, [], {"eta": eta, "batches": list(batches)}), *parts)


def _partition(ctx, without):
    n, b, epochs = 12, 4, 50
    gen = ctx.generator("partition")
    def epoch_partitions(sampler):
        ok = []
        for _ in range(epochs):
            idx = torch.cat([sampler.draw(ctx.seeds, gen, "cpu") for _ in range(n // b)], dim=1)  # a CPU check
            ok.append((torch.sort(idx, dim=1).values == torch.arange(n, device="cpu")).all(1))
        return torch.stack(ok).reshape(-1).numpy()  # (epochs x seeds,) is each epoch a partition?
    without_ok, with_ok = epoch_partitions(without(n, b)), epoch_partitions(WithReplacement(n, b))
    frac_without, frac_with = float(without_ok.mean()), float(with_ok.mean())
    # the check is a test only if it tells a sampler with replacement apart
    return check_property(without_ok, claim="MB-1", seeds=ctx.seeds,
                          what=f"without replacement every epoch is a partition of the data (n = {n}, b = {b})",
                          labels=[f"epoch {i // ctx.seeds}, seed {i % ctx.seeds}" for i in range(without_ok.size)],
                          assumptions={f"with replacement some epoch is not a partition ({frac_with:.2%} are)": frac_with < 1.0},
                          detail=f"without replacement: {frac_without:.1%} of {epochs * ctx.seeds} epochs are partitions; "
                                 f"with replacement: {frac_with:.2%}",
                          statistic={"partition_fraction_without": frac_without, "partition_fraction_with": frac_with},
                          findings=[f"with replacement an epoch is a partition with probability n!/n^n = "
                                    f"{math.factorial(n) / n**n:.2e}"])


def _per_sample_spread(n, ctx, label):
    ls = LeastSquares.planted(n, 4, ctx.generator("var", label), noise=1.0, dtype=ctx.dtype)
    w = torch.randn(1, 4, generator=ctx.generator("var-w", label), dtype=ctx.dtype, device="cpu")
    G = ls.per_sample_grads(w)[0].double().numpy()  # (n, d); the identities are exact arithmetic: float64
    E = G - G.mean(0)
    sq = (E * E).sum(1)
    return E, sq.sum() / n, sq.sum() / (n - 1)


def _variance(ctx, without, draws, with_replacement):
    n = 10
    E, s_n, s_n1 = _per_sample_spread(n, ctx, "exact")
    rows, exact4, exact5, planted = [], {}, {}, {}
    for b in range(1, n):
        # without replacement: every subset of size b, each equally likely (first batch of a random permutation)
        w_o = np.mean([np.sum(E[list(c)].mean(0) ** 2) for c in itertools.combinations(range(n), b)])
        # with replacement: every ordered b-tuple (b <= 3 keeps n^b small), each equally likely
        w_r = np.mean([np.sum(E[list(c)].mean(0) ** 2) for c in itertools.product(range(n), repeat=b)]) if b <= 3 else np.nan
        if without is not WithoutReplacement:  # a planted sampler: enumerate what it actually draws
            planted[b] = _monte_carlo(E, b, without, draws, ctx, f"planted-{b}")
            w_o = planted[b].mean()
        exact4[b], exact5[b] = w_o, w_r
        rows.append({"b": b, "scheme": "without", "measured": w_o * b / s_n})
        if np.isfinite(w_r):
            rows.append({"b": b, "scheme": "with", "measured": w_r * b / s_n})
    tab = pd.DataFrame(rows)
    tab["eq36_n1"] = (1 - tab.b / n) * n / (n - 1)
    tab["eq37_n"] = 1.0
    mc = {}
    for m in (20, 50):
        Em, sm_n, sm_n1 = _per_sample_spread(m, ctx, f"mc-{m}")
        mc[m] = (_monte_carlo(Em, 5, without, draws, ctx, f"mc-o-{m}"), _monte_carlo(Em, 5, with_replacement, draws, ctx,
                                                                                       f"mc-r-{m}"), sm_n, sm_n1)

    def verdicts(claim, claimed):
        """The claim's verdict with sigma^2 read as ``claimed`` (one of the two conventions)."""
        # A planted sampler cannot be enumerated: its draws are a Monte-Carlo sample, checked as one.
        if claim == "MB-4":
            exact = {f"exact n=10 b={b}": (check_mean(planted[b], _eq36(b, n, s_n, s_n1), claimed) if b in planted
                                           else check_exact(v, _eq36(b, n, s_n, s_n1), claimed)) for b, v in exact4.items()}
            sampled = {f"Monte-Carlo n={m}": check_mean(x_o, _eq36(5, m, a, c), claimed) for m, (x_o, _, a, c) in mc.items()}
        else:
            exact = {f"exact n=10 b={b}": check_exact(v, _eq37(b, s_n, s_n1), claimed)
                     for b, v in exact5.items() if np.isfinite(v)}
            sampled = {f"Monte-Carlo n={m}": check_mean(x_r, _eq37(5, a, c), claimed) for m, (_, x_r, a, c) in mc.items()}
        return exact, sampled

    def finding(parts):
        return "; ".join(f"{k}: 99.8% CI of measured/formula " + ", ".join(
            f"[{ci[0]:.4f}, {ci[1]:.4f}] ({r})" for r, ci in v.statistic.get("ratio_ci998", {}).items())
            for k, v in parts.items() if k.startswith("Monte"))
    one_draw = (f"at b = 1 both schemes draw one sample, so E||e||^2 is the same number ({exact4[1]:.6g}); with one sigma^2 "
                f"the two equations give (1 - 1/n) sigma^2 and sigma^2, which differ by n/(n-1) = {n / (n - 1):.4f}")
    out = []
    for claim, eq in (("MB-4", "Eq. (36)"), ("MB-5", "Eq. (37)")):
        for reading, claimed in ((None, "1/n reading"), (SIGMA_N1, "1/(n-1) reading")):
            exact, sampled = verdicts(claim, claimed)
            parts = {**exact, **sampled}
            exact_for = sorted({r for v in exact.values() for r in v.statistic.get("matches", [])})
            v = combine(claim, "minibatch", parts, **({"reading": reading} if reading else {}),
                        summary=f"{eq} is exact with sigma^2 the {claimed.split()[0]} variance (enumeration, n = 10) and "
                                "inside the Monte-Carlo 99.8% intervals (n = 20, 50)",
                        findings=[f"{eq} holds exactly, at every enumerated b, with: {', '.join(exact_for) or 'neither'}"
                                  + (" (the survey's single sigma^2, 'the variance of the whole dataset', is the 1/n one)"
                                     if reading is None else ""), "Monte-Carlo: " + finding(parts)]
                        + ([one_draw] if reading is None else []))
            if v.outcome == REFUTED:
                ratios = sorted({round(x.statistic["ratios"][claimed], 6) for x in exact.values() if "ratios" in x.statistic})
                v = v.restated(summary=f"counterexample: with sigma^2 the {claimed.split()[0]} variance, {eq} is off at every "
                                       f"enumerated b (n = 10): measured / formula = {', '.join(f'{r:.6f}' for r in ratios)}"
                                       f"; exact with: {', '.join(exact_for) or 'neither'}")
            out.append(v)
    return (*out, tab, _mc_table(mc))


def _mc_table(mc):
    rows = []
    for m, (x_o, x_r, a, c) in mc.items():
        for scheme, x, cand in (("without", x_o, _eq36(5, m, a, c)), ("with", x_r, _eq37(5, a, c))):
            rows.append({"n": m, "b": 5, "scheme": scheme, "mean": float(np.mean(x)),
                         **{f"ratio {k}": float(np.mean(x) / v) for k, v in cand.items()}})
    return pd.DataFrame(rows)


def _eq36(b, n, s_n, s_n1):
    """Eq. (36), (1 - b/n) sigma^2 / b, under the two conventions for sigma^2."""
    return {"1/n reading": (1 - b / n) * s_n / b, "1/(n-1) reading": (1 - b / n) * s_n1 / b}


def _eq37(b, s_n, s_n1):
    """Eq. (37), sigma^2 / b, under the two conventions for sigma^2."""
    return {"1/n reading": s_n / b, "1/(n-1) reading": s_n1 / b}


def _monte_carlo(E, b, sampler_cls, draws, ctx, label):
    """Squared norms of mini-batch errors for ``draws`` batches from ``sampler_cls(n, b)``."""
    n = E.shape[0]
    Et = torch.tensor(E, dtype=ctx.dtype, device=ctx.device)  # the draws' arithmetic runs on the run's device
    gen = ctx.generator("draws", label)
    out, left = [], draws
    while left > 0:
        m = min(left, 100_000)
        idx = sampler_cls(n, b).draw(m, gen, Et.device)  # each row: one batch (a fresh sampler: the first batch of an epoch)
        out.append((Et[idx].mean(1) ** 2).sum(-1))
        left -= m
    return torch.cat(out).cpu().numpy()


def _floors(ctx, batches, burn_in, eta, make):
    ls = LeastSquares.planted(200, 5, ctx.generator("problem"), L=1.0, kappa=2.0, noise=1.0, dtype=ctx.dtype,
                              device=ctx.device)
    steps = int(np.ceil(burn_in / (eta * ls.mu)))
    ck = engine.log_checkpoints(steps, dense_tail=300)
    w0 = ctx.start_near(ls.w_star, "w0")
    frames, lin, exact = [], {}, []
    traces = {}
    for b in batches:
        tr = engine.run(ls, make(lr=eta), w0, steps, checkpoints=ck, sampler=WithReplacement(ls.n, b),
                        generator=ctx.generator("sampler", b))
        traces[b] = tr
        lin[f"b={b}"] = check_linear(tr.metrics["gap"], tr.steps, 1 - eta * ls.mu, kind="upper", claim="MB-3",
                                     scale=difference_scale(ls.f_star, tr.metrics["gap"]))
        exact.append(ls.sgd_stationary_gap(eta, b))
        frames.append(tr.to_frame(setting=f"b={b}", b=b, seed=np.arange(ctx.seeds)))
    bs = np.asarray(batches, dtype=float)
    v2, tails = check_floors([traces[b].metrics["gap"] for b in batches], traces[batches[0]].steps, 1.0 / bs, claim="MB-2", param_name="1/b")
    F = np.stack([t.floors for t in tails], axis=1)
    v2 = v2.restated(findings=["measured floor / exact expected floor (second-moment recursion with b): " + ", ".join(
        f"{f:.3f} (b={b})" for f, b in zip(F.mean(0) / np.asarray(exact), batches)),
        "floors drawn with replacement: E||e||^2 = sigma^2/b (Eq. 37); without replacement the factor (1 - b/n) "
        f"is at least {1 - max(batches) / ls.n:.3f} here, too close to 1 to tell apart"])
    v3_written = _contraction_as_written(ctx, batches, eta, make)
    floor_v2 = v2
    transient, transient_curves = convex_transient(ctx, lambda rows: make(lr=rows),
                                                   WithReplacement(400, max(batches)), "MB-2", min(steps, 20_000))
    convex_parts = {"floor follows E||e||^2": floor_v2, "transient O(1/t)": transient}
    ls_cert = certify(ls, "least squares (convex)")
    v2_convex = combine("MB-2", "minibatch", convex_parts, reading=CONVEX, instances={"floor follows E||e||^2": ls_cert},
                        findings=floor_v2.findings, summary=f"floor: {floor_v2.summary}; transient (b = {max(batches)}) on "
                                                            f"noiseless least squares: {transient.summary}")
    wells_v, wells_curves = _two_wells(ctx, batches, steps, eta, make)
    v2 = combine("MB-2", "minibatch", {**convex_parts, NONCONVEX: wells_v}, findings=[*floor_v2.findings, *wells_v.findings],
                 instances={"floor follows E||e||^2": ls_cert},
                 summary=f"floor follows E||e||^2 on every instance inside Prop. 3's hypotheses (non-convex and convex): "
                         f"least squares: {floor_v2.summary}; two wells: {wells_v.summary}")
    v3 = combine("MB-3", "minibatch", {**lin, "floor follows 1/b (MB-2)": floor_v2}, reading=BOTTOU,
                 summary=f"geometric decay at least as fast as 1 - eta mu = {1 - eta * ls.mu:g} before the floor for every b, "
                         f"and the floor scales as 1/b (slope {floor_v2.statistic.get('slope', float('nan')):.3f})")
    # MB-6: paired across seeds (same start), the gap at a fixed step budget, smallest vs largest b.
    b_lo, b_hi = min(batches), max(batches)
    j = int(np.searchsorted(ck, steps // 2))
    cmp = check_paired(traces[b_hi].metrics["gap"][:, j:].mean(1), traces[b_lo].metrics["gap"][:, j:].mean(1), log=True,
                       measure=f"mean gap over the second half of {steps} steps", names=(f"b={b_hi}", f"b={b_lo}"), claim="MB-6")
    per_step = {b: traces[b].grad_evals[-1] / steps for b in batches}
    target = 1.5 * F[:, 0].mean()
    reach = {}
    for b in batches:
        med = np.median(traces[b].metrics["gap"], axis=0)
        hit = np.flatnonzero(med <= target)
        reach[b] = (int(traces[b].steps[hit[0]]), int(traces[b].grad_evals[hit[0]])) if hit.size else (None, None)
    cost_ok = all(per_step[b] == b for b in batches)
    cost = check_property([per_step[b] == b for b in batches], what="each step costs b sample gradients",
                          labels=[f"b={b}: {per_step[b]:g} per step" for b in batches], claim="MB-6")
    v6 = combine("MB-6", "minibatch", {"closer to GD": cmp, "higher cost per step": cost},
                 instances={"closer to GD": ls_cert, "higher cost per step": ls_cert},
                 summary=f"{cmp.summary}; cost per step = b sample gradients exactly ({cost_ok})",
                 findings=[f"steps / sample gradients for the seed median to reach {target:.3g} (1.5x the b={b_lo} floor): "
                           + ", ".join(f"b={b}: {s} / {e}" for b, (s, e) in reach.items())])
    floor_tab = pd.DataFrame({"b": np.tile(bs, ctx.seeds), "inv_b": np.tile(1 / bs, ctx.seeds),
                              "seed": np.repeat(np.arange(ctx.seeds), bs.size), "floor": F.reshape(-1),
                              "exact": np.tile(exact, ctx.seeds)})
    reach_tab = pd.DataFrame([{"b": b, "steps_to_target": s, "evals_to_target": e} for b, (s, e) in reach.items()])
    figs = [
        {"kind": "curves", "table": "curves", "title": f"Mini-batch SGD (eta = {eta:g}) for each b", "x": "step", "y": "gap",
         "hue": "setting", "logx": True, "logy": True},
        {"kind": "points", "table": "floors", "title": f"Floor vs 1/b: slope {floor_v2.statistic.get('slope', float('nan')):.3f} (claim 1)",
         "x": "inv_b", "y": "floor", "reference": {"exact expected floor": "exact"}, "logx": True, "logy": True},
        {"kind": "points", "table": "reach", "title": "Sample gradients to reach the target gap vs b", "x": "b",
         "y": "evals_to_target", "logx": True, "logy": True},
        {"kind": "curves", "table": "transient", "title": f"MB-2: the 1/t transient of Eq. (34), b = {max(batches)}, noiseless least squares",
         "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True},
    ]
    figs.append({"kind": "curves", "table": "wells_curves", "title": f"MB-2 on the two wells (non-convex), eta = {eta:g}, "
                 "started in the spurious basin: f - f* per b", "x": "step", "y": "gap", "hue": "setting", "logx": True,
                 "logy": True})
    return [v2, v2_convex], [v3_written, v3], v6, {"curves": pd.concat(frames, ignore_index=True), "floors": floor_tab,
                                                   "reach": reach_tab, "transient": transient_curves,
                                                   "wells_curves": wells_curves}, figs


def _two_wells(ctx, batches, steps, eta, make):
    """Eq. (34) on a non-convex instance inside Prop. 3's hypotheses: the tail floor of f - f* per b
    (an upper claim: the floor falls at least like E||e||^2, i.e. like 1/b with replacement)."""
    S = ctx.seeds
    wells, w0 = two_wells(ctx)
    ck = engine.log_checkpoints(steps, dense_tail=300)
    traces = [engine.run(wells, make(lr=eta), w0, steps, checkpoints=ck, sampler=WithReplacement(wells.n, b),
                         generator=ctx.generator("wells-sampler", b)) for b in batches]
    v, tails = check_floors([tr.metrics["gap"] for tr in traces], ck, 1.0 / np.asarray(batches, float), kind="upper",
                            claim="MB-2", param_name="1/b", what="f - f*")
    F = np.stack([t.floors for t in tails], axis=1)
    curves = pd.concat([tr.to_frame(setting=f"b={b}", b=b, seed=np.arange(S)) for b, tr in zip(batches, traces)],
                       ignore_index=True)
    return v.restated(instances=[certify(wells, "two wells (non-convex)")], findings=[
        "two wells: tail level of f - f* per b: " + ", ".join(f"{f:.4g} (b={b})" for f, b in zip(F.mean(0), batches))
        + f"; the spurious minimum lies {wells.f_local - wells.f_star:.4f} above f*, however small the batch noise"]), curves


def _contraction_as_written(ctx, batches, eta, make):
    """MB-3 as written: the survey's 1 - mu/L on shifted quadratics (every f_i mu-strongly convex, as
    Eq. (35) assumes), per b and at eta = 1/L with the largest b; the horizon covers 12 relaxation
    times 1/(eta mu), the fit stops at the floor."""
    sq = ShiftedQuadratics.random(200, 5, ctx.generator("shifted"), L=1.0, kappa=2.0, noise=1.0, dtype=ctx.dtype,
                                  device=ctx.device)
    T = int(np.ceil(12 / (eta * sq.mu)))
    ck = engine.log_checkpoints(T, dense_tail=200)
    w0 = ctx.start_near(sq.w_star, "w0-shifted")
    gaps = {f"b={b}": engine.run(sq, make(lr=eta), w0, T, checkpoints=ck, sampler=WithReplacement(sq.n, b),
                                 generator=ctx.generator("sampler-shifted", b)).metrics["gap"] for b in batches}
    return survey_contraction(ctx, sq, ck, gaps, lambda rows: make(lr=rows), WithReplacement(sq.n, max(batches)), "MB-3",
                              "minibatch", instance=certify(sq, "shifted quadratics"))


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)
