"""Section 6-7 studies refute planted wrong methods and reproduce the true ones."""

import torch

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.optim import Optimizer, adam, dual_eps
from convcheck.optim.sam import SAMState
from convcheck.study import run_study


def _verdicts(studies, name, **kw):
    return {v.claim: v for v in run_study(studies[name], "tiny", **kw).verdicts}


def test_adam_without_bias_correction_refuted_against_torch(studies):
    v = _verdicts(studies, "adaptive", adam_factory=lambda lr, g1, g2: adam(lr, g1, g2, bias_correction=False))
    assert v["AD-3"].outcome == REFUTED
    ok = _verdicts(studies, "adaptive")
    assert all(ok[c].outcome == REPRODUCED for c in ("AD-1", "AD-2", "AD-3")), [ok[c].evidence() for c in ok]


def test_eps_without_the_dual_norm_exponent_refuted(studies):
    def no_exponent(g, rho, p):  # rho g / ||g||_p: right only for p = 2
        return rho * g / torch.linalg.vector_norm(g, ord=p, dim=-1, keepdim=True)

    v = _verdicts(studies, "sam_perturbation", eps_fn=no_exponent)
    assert v["SAM-1"].outcome == REFUTED and v["SAM-2"].outcome == REPRODUCED


def test_swp_mask_not_divided_by_beta_refuted(studies):
    def undivided(g, rho, beta, generator, form="coordinate", groups=None):
        mask = torch.rand(g.shape, generator=generator, dtype=g.dtype) < beta
        return mask * dual_eps(g, rho, 2.0), mask

    v = _verdicts(studies, "sam_perturbation", swp_fn=undivided)
    assert v["SAM-6"].outcome == REFUTED
    assert _verdicts(studies, "sam_perturbation")["SAM-6"].outcome == REPRODUCED


def test_asam_with_unit_normalisation_refuted(studies):
    (v,) = run_study(studies["asam"], "tiny", asam_eps_fn=lambda g, w, rho, mask: dual_eps(g, rho, 2.0)).verdicts
    assert v.outcome == REFUTED
    (ok,) = run_study(studies["asam"], "tiny").verdicts
    assert ok.outcome == REPRODUCED


def test_sam_perturbing_downhill_is_not_flatter(studies):
    def downhill_sam(lr, rho):
        def update(w, state, oracle, t):
            eps = -dual_eps(oracle.grad(w), rho, 2.0)  # the perturbation points the wrong way
            return w - lr * oracle.grad(w + eps), state

        return Optimizer("downhill-sam", lambda w: SAMState(w[:, 0], w[:, 0]), update)

    v = _verdicts(studies, "sam_flatness", sam_factory=downhill_sam, seeds=12)
    assert v["SAM-5"].outcome == REFUTED, v["SAM-5"].evidence()
