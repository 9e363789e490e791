"""OP-7 as written: GD on a landscape inside Lee et al.'s hypotheses.

Lee, Simchowitz, Jordan & Recht (2016), Thm. 4: for f twice continuously differentiable with an
L-Lipschitz gradient on the whole space (global L-smoothness) and a step 0 < eta < 1/L, the set of
starts from which GD converges to a strict saddle (a critical point with a negative Hessian
eigenvalue) has measure zero. The instance is :class:`~convcheck.objectives.WellsPlane`: three
equal Gaussian wells on a rising floor in the plane, L certified in closed form on the whole
plane, every critical point found (a bound excludes them beyond a radius B) and every one that is
not a minimum strict (three saddles and a maximum), every minimum global.

GD runs with the step ``STEP_OVER_L / L`` from random starts uniform on the square [-B, B]^2 (it
holds every critical point) and from starts 1e-6 away (a random direction) from each saddle and the
maximum; per run, the final excess ``(f - f*)/(1 + f*)``, gradient norm and smallest Hessian
eigenvalue, the quantities OP-7's judgment reads, and the escape time from next to a saddle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.evidence import Samples
from convcheck.objectives import WellsPlane

#: GD's step as a fraction of the certified global L: Lee et al. ask eta < 1/L (a setting).
STEP_OVER_L = 0.9


def lee_instance(ctx, gd, starts: int, budget: int, near: int) -> tuple[dict, list, pd.DataFrame]:
    """GD (role ``gd``, step STEP_OVER_L / L) on :class:`WellsPlane` from ``starts`` random starts
    and ``near`` starts next to each critical point that is not a minimum, ``budget`` steps: OP-7's
    evidence ``{part: {quantity: Samples}}``, findings and a table of the runs."""
    obj = WellsPlane(dtype=ctx.dtype, device="cpu")
    B, saddles = obj.B, torch.tensor(obj.saddles, dtype=ctx.dtype, device="cpu")
    w_rand = (2 * torch.rand(starts, 2, generator=ctx.generator("lee", "starts"), dtype=ctx.dtype, device="cpu") - 1) * B
    u = torch.randn(near * saddles.shape[0], 2, generator=ctx.generator("lee", "near"), dtype=ctx.dtype, device="cpu")
    w_near = saddles.repeat(near, 1) + 1e-6 * u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)
    w0 = torch.cat([w_rand, w_near])
    tr = engine.run(obj, gd(lr=STEP_OVER_L / obj.L), w0, budget, checkpoints=engine.log_checkpoints(budget, 16))
    gap = tr.metrics["gap"]
    excess = gap[:, -1] / (1 + obj.f_star)
    gn = tr.metrics["grad_norm"][:, -1]
    lowest = torch.linalg.eigvalsh(obj.hessian(tr.final))[:, 0].numpy()
    kind = np.array(["random"] * starts + ["near a saddle or the maximum"] * (near * int(saddles.shape[0])))
    labels = [f"{k} start {i}" for i, k in enumerate(kind)]
    part = {"excess": Samples.on(obj, excess, what="final (f - f*) / (1 + f*)", role="gd", labels=labels),
            "gradient": Samples.on(obj, gn, what="final gradient norm", role="gd"),
            "curvature": Samples.on(obj, lowest, what="smallest Hessian eigenvalue at the end", role="gd")}
    # escape: the first checkpoint at which f has fallen by 1% of the barrier below its start (next to a saddle)
    start_gap = gap[starts:, 0]
    drop = gap[starts:] < start_gap[:, None] - 0.01 * np.maximum(start_gap[:, None], 1e-12)
    esc = np.where(drop.any(1), tr.steps[np.argmax(drop, axis=1)], np.inf)
    spectra = "; ".join(f"({p[0]:.3f}, {p[1]:.3f}): eigenvalues {e[0]:.3f}, {e[1]:.3f}"
                        for p, e in zip(obj.points, obj.spectra) if e[0] <= 0)
    findings = [f"{obj.name}: L = {obj.L:.4g} (certified on the whole plane), step {STEP_OVER_L:g}/L; critical points inside "
                f"radius B = {B:.4g}: {int((obj.spectra[:, 0] > 0).sum())} global minima (f* = {obj.f_star:.6f}) and "
                f"{len(obj.saddles)} strict saddles or maxima: {spectra}",
                f"{starts} random starts uniform on [-B, B]^2 and {near} starts 1e-6 from each of the {len(obj.saddles)} "
                f"non-minima, {budget} steps: final excess median {np.median(excess):.2g}, largest {np.max(excess):.2g}; "
                f"final gradient norm largest {np.max(gn):.2g} (diverged: {int(tr.diverged.sum())})",
                "escape from 1e-6 next to a saddle or the maximum (first checkpoint 1% of its gap lower): median "
                f"{np.median(esc):g} steps, longest {np.max(esc):g}"]
    table = pd.DataFrame({"start": kind, "excess": excess, "grad_norm": gn, "curvature": lowest,
                          "log10_excess": np.log10(np.clip(excess, 1e-16, None))})
    return {f"GD on {obj.name} (L-smooth, strict saddles)": part}, findings, table
