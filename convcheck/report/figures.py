"""Figures drawn from a study's tables and its figure specs (plain dicts).

Spec keys: ``kind`` ("curves", "points", "hist" or "paths"), ``table``, ``x``, ``y``,
optional ``hue``, ``where`` ({column: value or list}), ``reference`` ({label: column}: drawn
dashed, averaged over rows at each x), ``hlines`` ({hue value or label: y}), ``vlines``
({label: x}), ``logx``/``logy``, ``title``, and for "paths" ``contour`` ({"A": matrix,
"center": vector}) for the level sets of ``1/2 (z - c)^T A (z - c)``, or ``contour_table``
(a table with columns x, y, z on a grid) for any function's level sets. ``caption`` and
``label`` (the line's legend entry in "points") replace the defaults where a table already holds
one summary per x rather than one row per seed.

"curves": the median over seeds with an 80% band (10th-90th percentile over seeds).
"points": every seed as a faint dot and the seed mean as a line.
"hist": a histogram of ``x`` (``y`` unused but must name a column), one colour per hue.
"paths": one trajectory ``(x, y)`` per hue (first seed), in order of the ``step`` column.
Figures are PNG, base64-encoded into the page, so the report opens offline.
"""

from __future__ import annotations

import contextlib
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

__all__ = ["draw", "to_png"]



@contextlib.contextmanager
def _jitter_seeded(key: str):
    """seaborn draws a stripplot's jitter from numpy's global generator, so a figure would depend
    on whatever the process drew before (a worker's page would differ from the main process's):
    seeded from the figure's name for the same picture every time, the global state restored."""
    from ..seeding import seed_from

    state = np.random.get_state()
    np.random.seed(seed_from("figure-jitter", key) % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _filtered(df: pd.DataFrame, spec: dict) -> pd.DataFrame:
    for col, val in (spec.get("where") or {}).items():
        df = df[df[col].isin(val if isinstance(val, list) else [val])]
    if spec.get("kind") == "heatmap":  # categorical rows and columns: every cell is drawn, a non-finite one blank
        return df
    y = spec["y"]
    df = df[np.isfinite(df[y])]
    if spec.get("logy"):
        df = df[df[y] > 0]
    if spec.get("logx"):
        df = df[df[spec["x"]] > 0]
    return df


def _categorical(col: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(col)


_LABELS = {"gap": "f(w) - f*", "avg_gap": "f(averaged w) - f*", "dist": "distance to the minimiser", "step": "step t",
           "grad_norm": "gradient norm", "regret": "regret R(T)", "avg_regret": "average regret R(T)/T",
           "late_avg_regret": "(R(T) - R(T/2)) / (T/2)", "progress_decades": "progress (decades)",
           "gap_over_LR2": "(f - f*) / (L R^2)", "ratio_prop1": "(f - f*) / Prop. 1 bound"}


def _label(column: str) -> str:
    """A readable axis label for a table column."""
    return _LABELS.get(column, column.replace("_", " "))


def caption(spec: dict) -> str:
    """What the figure draws, in words: the centre line, the band, the reference lines."""
    kind = spec.get("kind")
    if spec.get("caption"):  # a table that already holds one summary per x says what it is
        return spec["caption"]
    parts = {"curves": "line: median over seeds; band: 10th-90th percentile over seeds",
             "points": "dots: seeds; marks: the mean over seeds",
             "hist": "histogram over seeds and settings",
             "paths": "one seed's path per method over the contours of f; circle: start, star: end",
             "heatmap": f"one cell per setting; colour: {_label(spec.get('value', 'value'))}; mark: + reproduced, "
                        "x refuted, ? inconclusive"}.get(kind, "")
    refs = list((spec.get("reference") or {})) + [k for k in (spec.get("hlines") or {}) if isinstance(k, str)]
    if refs:
        parts += "; black / dashed: " + ", ".join(refs)
    return parts


def draw(spec: dict, tables: dict[str, pd.DataFrame]) -> plt.Figure:
    """Draw one figure spec; a missing table or empty selection gives a figure saying so."""
    fig, ax = plt.subplots(figsize=(7.0, 4.2), dpi=100)
    df = tables.get(spec["table"])
    df = _filtered(df, spec) if df is not None and spec["y"] in df else pd.DataFrame()
    if df.empty:
        ax.text(0.5, 0.5, "no finite data to draw", ha="center", va="center", transform=ax.transAxes)
    else:
        x, y, hue = spec["x"], spec["y"], spec.get("hue")
        palette = None
        if hue:
            levels = list(pd.unique(df[hue]))  # in order of appearance, without a Python loop over the rows
            palette = dict(zip(levels, sns.color_palette("viridis", len(levels))))
        if spec["kind"] == "heatmap":
            _heatmap(ax, df, spec)
        elif spec["kind"] == "curves":
            _curves(ax, df, x, y, hue, palette)
        elif spec["kind"] == "hist":
            sns.histplot(df, x=x, hue=hue, palette=palette, element="step", log_scale=bool(spec.get("logx")), ax=ax)
        elif spec["kind"] == "paths":
            _contour(ax, spec.get("contour"), df[x], df[y])
            grid = tables.get(spec.get("contour_table", ""))
            if grid is not None:
                ax.tricontour(grid.x, grid.y, grid.z, levels=np.quantile(grid.z, np.linspace(0.0, 0.9, 14)),
                              colors="lightgray", linewidths=0.7)
            first = df[df.seed == df.seed.min()] if "seed" in df else df
            for k, (level, g) in enumerate(first.groupby(hue, sort=False) if hue else [(None, first)]):
                g = g.sort_values("step")
                color = (palette or {}).get(level)
                ax.plot(g[x], g[y], marker=".", markersize=3, linewidth=1, label=level, color=color)
                # start and end marked on top of every path: a short path (a method that barely
                # moves) stays visible under a long one
                ax.plot(g[x].iloc[:1], g[y].iloc[:1], marker="o", markersize=8, markerfacecolor="none",
                        markeredgecolor="black", linestyle="none", zorder=5, label="start" if k == 0 else None)
                ax.plot(g[x].iloc[-1:], g[y].iloc[-1:], marker="*", markersize=13, markeredgecolor="black",
                        color=color, linestyle="none", zorder=6, label=f"{level} end" if level is not None else "end")
        elif _categorical(df[x]) or spec.get("categorical"):
            # categories (methods, settings) on their own axis positions, never joined by lines
            with _jitter_seeded(spec.get("title", "") + y):
                sns.stripplot(df, x=x, y=y, hue=hue, palette=palette, alpha=0.3, size=3, dodge=bool(hue), ax=ax,
                              legend=False)
            sns.pointplot(df, x=x, y=y, hue=hue, palette=palette, estimator="mean", errorbar=None, dodge=0.4 if hue else False,
                          linestyle="none", marker="D", ax=ax)
            ax.tick_params(axis="x", labelrotation=20)
        else:
            sns.scatterplot(df, x=x, y=y, hue=hue, palette=palette, alpha=0.25, s=12, ax=ax, legend=False)
            sns.lineplot(df, x=x, y=y, hue=hue, palette=palette, estimator="mean", errorbar=None, marker="o", ax=ax,
                         **({} if hue else {"label": spec.get("label", "seed mean")}))
        for (label, col), style in zip((spec.get("reference") or {}).items(), ("--", ":", "-.", (0, (5, 1)))):
            if col in df:
                ref = df.groupby(x)[col].mean()
                ref = ref[np.isfinite(ref) & ((ref > 0) if spec.get("logy") else True)]
                ax.plot(ref.index, ref.values, color="black", linestyle=style, linewidth=1.2, label=label)
        for level, value in (spec.get("hlines") or {}).items():
            ax.axhline(value, linestyle="--", linewidth=1, color=(palette or {}).get(level, "gray"),
                       label=None if level in (palette or {}) else level)
        for (label, value), style in zip((spec.get("vlines") or {}).items(), ("--", ":", "-.")):
            ax.axvline(value, linestyle=style, linewidth=1.2, color="black", label=label)
        if spec["kind"] not in ("hist", "heatmap") and not (_categorical(df[x]) or spec.get("categorical")):
            ax.set_xscale("log" if spec.get("logx") else "linear")
        if spec["kind"] != "heatmap":
            ax.set_yscale("log" if spec.get("logy") else "linear")
        ax.set_xlabel(spec.get("xlabel") or _label(x))
        ax.set_ylabel(spec.get("ylabel") or _label(y))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
    ax.set_title(spec.get("title", ""), fontsize=10)
    fig.tight_layout()
    return fig


_MARKS = {"reproduced": "+", "refuted": "x", "inconclusive": "?"}


def _curves(ax, df: pd.DataFrame, x: str, y: str, hue: str | None, palette: dict | None) -> None:
    """Per hue level, the median over seeds at each x and the band between the 10th and 90th
    percentiles: what ``sns.lineplot(estimator="median", errorbar=("pi", 80))`` draws, with the
    three quantiles taken in one grouped pandas call (seaborn applies a Python function per
    point: 70% of a report's drawing time, thousands of points per figure)."""
    keys = [hue, x] if hue else [x]
    q = df.groupby(keys, sort=False)[y].quantile([0.1, 0.5, 0.9]).unstack()
    for level, color in (palette or {None: "C0"}).items():
        band = (q.loc[level] if hue else q).sort_index()
        if band.empty:
            continue
        ax.plot(band.index, band[0.5], color=color, label=level)
        ax.fill_between(band.index, band[0.1], band[0.9], color=color, alpha=0.2, linewidth=0)


def _heatmap(ax, df: pd.DataFrame, spec: dict) -> None:
    """A grid verdict as a picture: one cell per (y, x) setting, coloured by the effect size
    (``value``, a diverging scale centred at 0) and marked with the cell's outcome."""
    x, y, value, outcome = spec["x"], spec["y"], spec["value"], spec.get("outcome", "outcome")
    first = df.drop_duplicates([y, x])
    grid = first.pivot(index=y, columns=x, values=value).reindex(index=list(dict.fromkeys(first[y])))
    marks = first.pivot(index=y, columns=x, values=outcome).reindex(index=grid.index).map(lambda o: _MARKS.get(o, ""))
    finite = np.abs(grid.to_numpy(float)[np.isfinite(grid.to_numpy(float))])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ax.figure.set_size_inches(7.0, max(4.2, 0.32 * len(grid) + 1.6))  # a row per setting stays readable
    sns.heatmap(grid.astype(float), ax=ax, cmap="RdBu", center=0.0, vmin=-vmax, vmax=vmax, annot=marks, fmt="",
                cbar_kws={"label": spec.get("ylabel") or _label(value)}, linewidths=0.5, linecolor="white")
    ax.tick_params(axis="y", labelrotation=0, labelsize=7)
    ax.tick_params(axis="x", labelsize=7)


def _contour(ax, contour, xs, ys):
    if not contour:
        return
    A, c = np.asarray(contour["A"], float), np.asarray(contour["center"], float)
    pad_x, pad_y = 0.1 * (xs.max() - xs.min() + 1e-12), 0.1 * (ys.max() - ys.min() + 1e-12)
    gx, gy = np.meshgrid(np.linspace(xs.min() - pad_x, xs.max() + pad_x, 200),
                         np.linspace(ys.min() - pad_y, ys.max() + pad_y, 200))
    Z = np.stack([gx - c[0], gy - c[1]], -1)
    F = 0.5 * np.einsum("...i,ij,...j->...", Z, A, Z)
    ax.contour(gx, gy, F, levels=np.quantile(F, np.linspace(0.02, 0.9, 12)), colors="lightgray", linewidths=0.7)


def to_png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes (closed afterwards). Matplotlib stamps no date into a PNG, so
    the same figure gives the same bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()

