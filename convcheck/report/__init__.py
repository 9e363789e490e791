"""The HTML report, rebuilt from a run folder alone (never runs an optimizer)."""

from .render import render_run

__all__ = ["render_run"]
