import type { FastifyInstance } from 'fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface TracingOptions {
  /** The OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<url>/v1/traces`. */
  endpoint?: string | undefined;
  serviceName: string;
  /** Tests: an exporter of their own (the SDK's in-memory one), exported span by span. */
  exporter?: SpanExporter;
}

/**
 * OpenTelemetry traces of every request through @fastify/otel: one span per request (route,
 * method, status, the request id and, once authenticated, the workspace and key ids), with a
 * child per hook and handler. Off, and its modules never loaded, unless an endpoint (or a test
 * exporter) is given. Must run before any route is registered.
 */
export async function registerTracing(app: FastifyInstance, options: TracingOptions): Promise<void> {
  if (!options.endpoint && !options.exporter) return;
  const [{ FastifyOtelInstrumentation }, sdk, { NodeTracerProvider }, { resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import('@fastify/otel'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  let processor;
  if (options.exporter) {
    processor = new sdk.SimpleSpanProcessor(options.exporter);
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    processor = new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  // The W3C trace-context propagator and the async context manager, so an incoming
  // `traceparent` continues its trace. A second app in the same process (tests) keeps the first's.
  provider.register();
  const instrumentation = new FastifyOtelInstrumentation({
    requestHook: (span, request) => span.setAttribute('switchboard.request_id', request.id),
  });
  instrumentation.setTracerProvider(provider);
  await app.register(instrumentation.plugin());
  app.addHook('onSend', (request, _reply, payload, done) => {
    // Authentication runs in the dialects' own hooks; by now the actor is known (or never will be).
    const span = request.opentelemetry().span;
    if (span && request.actor) {
      span.setAttribute('switchboard.workspace_id', request.actor.workspaceId);
      if (request.actor.keyId) span.setAttribute('switchboard.key_id', request.actor.keyId);
    }
    done(null, payload);
  });
  // Spans still buffered are sent before the process exits.
  app.addHook('onClose', async () => {
    await provider.shutdown();
  });
}
