"""The HTML report, rebuilt from a run folder alone (never runs an optimizer)."""

from .markdown import claim_table, outcomes, replace_block
from .render import render_run

__all__ = ["render_run", "claim_table", "outcomes", "replace_block"]
