"""What a cell of a conformance matrix (or a check) says, by what its claim is about.

A claim is about the role's algorithm (an *identity*: ``Claim.kind == "identity"``) or about
behaviour any method in the role may have (a rate, a bound, a counterexample, a comparison). The
words follow (:func:`cell_label`); the colour follows the words (green: as the claim says). The
role's reference, the class whose verdicts a cell stands beside, is :func:`reference_target`.
"""

from __future__ import annotations

import torch

__all__ = ["LABELS", "ANOTHER", "cell_label", "reference_of", "reference_target"]

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


def reference_of(role) -> str | None:
    """The class a role names as its reference (``torch.optim.Adam`` of ``torch.optim.Adam(...)``)."""
    return (role.torch_class or "").split("(")[0] or None


def reference_target(role):
    """The class a role's reference verdicts come from: its torch.optim class, else None (convcheck's own)."""
    ref = reference_of(role)
    if ref and ref.startswith("torch.optim."):
        return getattr(torch.optim, ref.rsplit(".", 1)[-1], None)
    return None
