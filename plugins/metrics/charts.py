"""Charts of a report (PNG and SVG), drawn with matplotlib only when asked for."""

from __future__ import annotations

from pathlib import Path

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
    axes.set_title("Incidents per month by severity")
    axes.set_ylabel("incidents")
    if severities:
        axes.legend()
    figure.autofmt_xdate()
    for suffix in ("png", "svg"):
        figure.savefig(out / f"frequency.{suffix}")
        written.append(f"frequency.{suffix}")
    plt.close(figure)
    figure, axes = plt.subplots(figsize=(8, 4))
    plotted = False
    for name in MEASURES:
        series = means.get(name, {})
        if series:
            plotted = True
            keys = sorted(series)
            axes.plot(keys, [series[k] / 60 for k in keys], marker="o", label=name.upper())
    axes.set_title("Monthly mean time to detect, acknowledge, mitigate, resolve")
    axes.set_ylabel("minutes")
    if plotted:
        axes.legend()
    figure.autofmt_xdate()
    for suffix in ("png", "svg"):
        figure.savefig(out / f"mttx.{suffix}")
        written.append(f"mttx.{suffix}")
    plt.close(figure)
    return written
