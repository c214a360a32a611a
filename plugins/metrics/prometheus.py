"""The report in Prometheus' text format (prometheus-client), computed at scrape time from SQL."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from chatops_plugins.metrics.domain import MEASURES, Report


class _Snapshot:
    def __init__(self, report: Report, open_count: int) -> None:
        self.report, self.open_count = report, open_count

    def collect(self) -> Iterator[Metric]:
        # A gauge: an incident whose severity changes moves between series (a counter would "reset").
        incidents = GaugeMetricFamily(
            "chatops_incidents",
            "Customer-impacting incidents declared, by current severity",
            labels=["severity"],
        )
        for severity, count in sorted(self.report.by_severity.items()):
            incidents.add_metric([str(severity)], count)
        yield incidents
        yield CounterMetricFamily(
            "chatops_near_misses", "Near-misses declared", value=self.report.near_misses
        )
        yield GaugeMetricFamily("chatops_incidents_open", "Incidents not yet resolved", value=self.open_count)
        means = GaugeMetricFamily(
            "chatops_incident_duration_mean_seconds",
            "Mean time to detect, acknowledge, mitigate and resolve",
            labels=["measure"],
        )
        counted = GaugeMetricFamily(
            "chatops_incident_duration_incidents", "Incidents each mean is taken over", labels=["measure"]
        )
        for name in MEASURES:
            figure = self.report.figures[name]
            if figure.mean_s is not None:
                means.add_metric([name], figure.mean_s)
            counted.add_metric([name], figure.count)
        yield means
        yield counted


def exposition(report: Report, open_count: int) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(report, open_count))
    return generate_latest(registry)
