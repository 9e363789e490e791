"""The counterexample searches the survey's claims declare (``Claim(..., search=...)``), run by
the library beside each verdict (convcheck.search.declared): where a refutation rests on an
instance the study chose, whether a search given only the claim finds one too; where none
applies, why.

* GD-2 (Sec. 2.1: GD decreases f for any fixed eta > 0 on convex f): over L-smooth convex
  functions (PEP), the step where the worst one-step change of f turns positive, and the function
  built above it, run by the method in the role ``gd``.
* GD-5 (Eq. 8: momentum reduces oscillation): over L-smooth mu-strongly convex functions (a class
  holding the study's quadratics, kappa = 100), momentum's worst path energy after 5 steps (PEP),
  built into a function on which the engine runs the roles ``momentum`` (or ``nesterov``) and
  ``gd`` from the same start.
* SGD-1, SGD-2 (Eqs. 25-26, limits f - f* -> 0), SGD-3/SGD-7 (Eq. 27, a floor O(eta)) and MB-2
  (Eq. 34, a floor O(E||e||^2)): black box over two wells, smooth non-convex finite sums with a
  spurious minimum, for SGD held in the spurious basin under the claim's steps (and, for the
  floors, at two steps or two batch sizes, so that the floor does not follow eta or E||e||^2).
* SGD-5, MB-3 (Eqs. 29, 35, contraction 1 - mu/L at a constant step): black box over sums of
  shifted quadratics, each summand mu-strongly convex, and the step.
"""

from convcheck.search.declared import MomentumOscillation, NoSearch, SlowContraction, StepBoundary, WellsLimit

#: Eq. (27)'s constant steps (the study's quick sweep's largest and a quarter of it)
FLOOR_STEPS = (0.04, 0.01)

SEARCHES = {
    "GD-2": StepBoundary(),
    "GD-2 certified": NoSearch("the verdict is itself the worst case over the class (PEP); the as-written verdict's search "
                               "builds the function"),
    "GD-5": MomentumOscillation(),
    "GD-5 nesterov": MomentumOscillation(nesterov=True, role="nesterov"),
    "GD-7 local": NoSearch("the reading's functions are outside every class a search can certify (smooth only where the "
                           "iterates go, with the step from the curvature at the start)"),
    "BP-2 in place": NoSearch("an identity between two computations of one update: any network shows the difference, there "
                              "is no instance to search for"),
    "SGD-1": WellsLimit(schedules=("1/t",)),
    "SGD-2": WellsLimit(schedules=("1/sqrt t",)),
    "SGD-3": WellsLimit(schedules=FLOOR_STEPS),
    "SGD-5": SlowContraction(),
    "MB-2": WellsLimit(schedules=(0.02,), batches=(1, 16)),
    "MB-3": SlowContraction(batch=4),
    "MB-4": NoSearch("a variance identity settled by exact enumeration of the sampler: a formula against an exact "
                     "expectation, not an instance of a class"),
    "MB-5 n-1": NoSearch("a variance identity settled by exact enumeration of the sampler: a formula against an exact "
                         "expectation, not an instance of a class"),
    "AD-2": NoSearch("the survey's update against the algorithm it names (scalar against per-coordinate v): a statement about "
                     "the update's form, shown on any problem"),
    "AD-3": NoSearch("ill-posed as written (1 - gamma^k at k = 0 divides by zero): no instance is needed or can help"),
    "SAM-4": NoSearch("a ratio measured where SAM is used (trained networks): no class with certificates describes those "
                      "networks, and PEP cannot express SAM's perturbation"),
}
