"""The cycle search on Nesterov's accelerated method over L-smooth mu-strongly convex functions.

Goujaud, Dieuleveut & Taylor (2023, "Counter-examples in first-order optimization: a
constructive approach") search for cycles of ``y_k = x_k + beta (x_k - x_{k-1})``,
``x_{k+1} = y_k - gamma grad f(y_k)`` and report, for mu/L = 0.1, parameters (gamma L, beta) that
fail to converge in a band ending at the edge of the region where the method converges on every
quadratic, ``gamma L = 1 + 1/(1 + 2 beta)`` (their published list: beta = 0.5 from gamma L =
1.4925; their programs count a closing residual below 1e-3 as a cycle). Held out of the search's
design:

* at that edge (beta = 0.5, gamma L = 1.5) the search finds a cycle of period 2 on a function it
  builds, certified in the class, and the engine, running Nesterov's method on that function from
  the cycle's state, stays on it;
* at the standard tuning (gamma = 1/L, beta = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)) it finds none,
  each period's absence certified by the dual bound; and strictly inside the band (gamma L =
  1.48) none either: with the tolerance of convcheck's search (SEARCH_CYCLE_TOL = 1e-6) the band's
  near-cycles close only to 1e-5..1e-3, which says "not found", never "cycles".
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from convcheck import engine, pep, search
from convcheck.stats import thresholds as th

pytestmark = pytest.mark.skipif(not pep.available(), reason="PEPit is not installed")

L, MU = 1.0, 0.1
CLASS = pep.FunctionClass("smooth strongly convex", L=L, mu=MU)


def test_nesterov_cycles_at_the_edge_and_the_engine_stays_on_the_cycle():
    beta = 0.5
    gamma = (1 + 1 / (1 + 2 * beta)) / L
    method = search.nesterov(gamma, beta)
    r = search.find_cycle(method, CLASS, periods=range(1, 4))
    assert r.found, r.summary
    assert r.details["K"] == 2 and r.details["tried"][0]["no cycle (certified)"]  # no fixed point away from w*
    inst = r.instance
    assert inst.L == L and inst.mu == MU
    assert {c.property for c in inst.certificates() if c.holds} >= {"L-smooth", "mu-strongly convex"}
    assert inst.check_class(torch.Generator().manual_seed(3)) >= -1e-12
    # the engine's Nesterov update on the built function, from the cycle's state: 400 steps, still on it
    tr = engine.run(inst, search.started(method.optimizer(), r.state), r.start, 400, checkpoints=np.arange(0, 401, 2),
                    keep_iterates=True)
    dist = tr.metrics["dist"][0]
    assert dist[-1] > 0.9 * dist[0]
    assert float(torch.linalg.vector_norm(tr.iterates[0, -1] - r.start[0])) <= th.SEARCH_CYCLE_RTOL * r.details["radius"]
    # planted: gradient descent at 1/L on the same function converges (the function is no trap), to
    # where the built function's own minimiser lies: within ||grad f(w*)|| / mu of the data's w*
    tr_gd = engine.run(inst, search.gd(1.0 / L).optimizer(), r.start, 400)
    assert tr_gd.metrics["dist"][0, -1] <= inst.residuals()["minimiser gradient"] / MU + 1e-12


def test_no_nesterov_cycle_at_the_standard_tuning():
    k = L / MU
    r = search.find_cycle(search.nesterov(1.0 / L, (math.sqrt(k) - 1) / (math.sqrt(k) + 1)), CLASS, periods=range(1, 7))
    assert not r.found and r.candidates == 6
    assert all(t["no cycle (certified)"] for t in r.details["tried"])
    assert "not found within 6 candidates" in r.summary


def test_no_nesterov_cycle_inside_the_reported_band_at_convchecks_tolerance():
    r = search.find_cycle(search.nesterov(1.48 / L, 0.5), CLASS, periods=range(1, 5))
    assert not r.found and "not found within 4 candidates" in r.summary
    assert all(t["no cycle (certified)"] for t in r.details["tried"])
    assert 0 < min(t["residual"] for t in r.details["tried"]) < 1e-2  # a near-cycle, not a cycle
