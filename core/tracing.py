"""OpenTelemetry tracing: off unless the standard OTEL_* variables ask for it.

On when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (OTLP over HTTP/protobuf, the endpoint being the
collector's base URL, e.g. http://collector:4318) or `OTEL_TRACES_EXPORTER` is `otlp` or
`console`. The API gets the FastAPI instrumentation (one span per request), and both processes
put Temporal's `TracingInterceptor` on their client, so the relay's signal-with-start, the
workflow and its activities form one trace. The request's trace ends at the ack: the hand-off
runs after it, from the relay's own tasks. Nothing is imported or installed when tracing is
off. The provider is passed explicitly rather than made global, so several apps in
one process (tests) never share or override one.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from temporalio.client import Interceptor

EXPORTERS = ("otlp", "console", "none")
# Vendors put secrets in query strings (?token=); a trace must never carry them.
URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")
UNTRACED_PATHS = "/healthz$,/readyz$,/metrics$"  # regexes, searched in the full URL


class TracingConfigError(ValueError):
    pass


def exporter_for(settings: Settings) -> "SpanExporter | None":
    """The exporter the OTEL_* variables ask for, or None when tracing is off."""
    choice = (settings.otel_traces_exporter or "").strip().lower()
    if choice not in ("", *EXPORTERS):
        raise TracingConfigError(f"OTEL_TRACES_EXPORTER={choice!r}: use one of {EXPORTERS}")
    if choice == "none" or (choice == "" and not settings.otel_exporter_otlp_endpoint):
        return None
    if choice == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = settings.otel_exporter_otlp_endpoint
    # Per the OTLP spec the generic endpoint is a base URL; unset, the exporter applies its own
    # defaults and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
    return OTLPSpanExporter(endpoint=f"{base.rstrip('/')}/v1/traces" if base else None)


def tracer_provider_for(
    settings: Settings, service: str, exporter: "SpanExporter | None" = None
) -> "TracerProvider | None":
    """A provider exporting in batches, or None when tracing is off (and no exporter given)."""
    exporter = exporter or exporter_for(settings)
    if exporter is None:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: settings.otel_service_name or service})
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def temporal_interceptors(provider: "TracerProvider | None") -> Sequence["Interceptor"]:
    if provider is None:
        return ()
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return (TracingInterceptor(provider.get_tracer("contractsync.temporal")),)


def instrument_app(app: "FastAPI", provider: "TracerProvider") -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        server_request_hook=_drop_query,
    )


def _drop_query(span: Any, _scope: dict[str, Any]) -> None:
    attributes = getattr(span, "attributes", None) or {}
    for name in URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and (name == "url.query" or "?" in value):
            kept = "" if name == "url.query" else value.partition("?")[0]
            span.set_attribute(name, kept)
