"""What a cell of a conformance matrix (or a check) says, by what its claim is about.

A claim is about the role's algorithm (an *identity*: ``Claim.kind == "identity"``) or about
behaviour any method in the role may have (a rate, a bound, a counterexample, a comparison). The
words follow (:func:`cell_label`); the colour follows the words (green: as the claim says). The
role's reference, the class whose verdicts a cell stands beside, is :func:`reference_target`.
"""

from __future__ import annotations

import torch

__all__ = ["LABELS", "ANOTHER", "ALGORITHMS", "cell_label", "algorithm_name", "reference_of", "reference_target"]

#: The cell's words, by what the claim is about and its verdict (green: as the claim says).
LABELS = {("identity", "reproduced"): "same algorithm", ("identity", "refuted"): "not the algorithm",
          ("identity", "inconclusive"): "inconclusive", ("behaviour", "reproduced"): "as claimed",
          ("behaviour", "refuted"): "not as claimed", ("behaviour", "inconclusive"): "inconclusive"}
#: An identity claim's word for a class whose iterates depart from the role's algorithm.
ANOTHER = "another algorithm"


def cell_label(kind: str, outcome: str, departs: bool = False) -> str:
    """The cell's words: on an identity claim "same algorithm" / "not the algorithm", or "another
    algorithm" for a class that departs from the role's; on a behavioural one "as claimed" / "not as
    claimed"; "inconclusive" for either."""
    about = "identity" if kind == "identity" else "behaviour"
    if about == "identity" and departs:
        return ANOTHER
    return LABELS[about, outcome]


#: The algorithm of each standard role, in words (a layer-wise class's fallback is named by it).
ALGORITHMS = {"gd": "gradient descent", "sgd": "SGD", "line_search": "a line search", "momentum": "heavy-ball momentum",
              "nesterov": "Nesterov momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW",
              "sam": "SAM", "swp": "SAM with stochastic weight perturbation", "asam": "ASAM"}


def algorithm_name(role) -> str:
    """A role's algorithm in words: :data:`ALGORITHMS` for the standard roles, else the first clause of
    the role's description (a suite's role: "AMSGrad", "Adam as Theorem 4.1 states it")."""
    return ALGORITHMS.get(role.name) or role.doc.split(",")[0].split(" (")[0]


def reference_of(role) -> str | None:
    """The class a role names as its reference (``torch.optim.Adam`` of ``torch.optim.Adam(...)``)."""
    return (role.torch_class or "").split("(")[0] or None


def reference_target(role):
    """The class a role's reference verdicts come from: its torch.optim class, else None (convcheck's own)."""
    ref = reference_of(role)
    if ref and ref.startswith("torch.optim."):
        return getattr(torch.optim, ref.rsplit(".", 1)[-1], None)
    return None
