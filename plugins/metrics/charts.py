"""Charts of a report (PNG and SVG), drawn with matplotlib only when asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatops_plugins.metrics.domain import MEASURES, Report


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed (pip install 'chatops[charts]')."""


def draw(report: Report, means: dict[str, dict[str, float]], out: Path) -> list[str]:
    """Frequency by severity per month, and each measure's monthly mean; the files written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ChartsUnavailable("charts need matplotlib: pip install 'chatops[charts]'") from None
    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    months = sorted(report.frequency["month"])
    severities = sorted({s for counts in report.frequency["month"].values() for s in counts})
    figure, axes = plt.subplots(figsize=(8, 4))
    bottom = [0] * len(months)
    for severity in severities:
        values = [report.frequency["month"][m].get(severity, 0) for m in months]
        axes.bar(months, values, bottom=bottom, label=f"Sev{severity}")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    written += _finish(plt, figure, axes, "Incidents per month by severity", "incidents", out / "frequency")
    figure, axes = plt.subplots(figsize=(8, 4))
    for name in MEASURES:
        series = means.get(name, {})
        if series:
            keys = sorted(series)
            axes.plot(keys, [series[k] / 60 for k in keys], marker="o", label=name.upper())
    title = "Monthly mean time to detect, acknowledge, mitigate, resolve"
    written += _finish(plt, figure, axes, title, "minutes", out / "mttx")
    return written


def _finish(plt: Any, figure: Any, axes: Any, title: str, unit: str, stem: Path) -> list[str]:
    """Title, axis, legend (when there is a series), then PNG and SVG; the names written."""
    axes.set_title(title)
    axes.set_ylabel(unit)
    if axes.get_legend_handles_labels()[0]:
        axes.legend()
    figure.autofmt_xdate()
    names = []
    for suffix in ("png", "svg"):
        figure.savefig(stem.with_suffix(f".{suffix}"))
        names.append(f"{stem.name}.{suffix}")
    plt.close(figure)
    return names
