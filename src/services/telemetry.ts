/**
 * What the services report for monitoring, as plain events. The HTTP layer's metrics subscribe
 * (src/http/metrics.ts); services stay free of any metrics library and cost nothing when nobody
 * listens. A listener that throws is ignored: monitoring never fails a request.
 */
export interface TelemetryEvents {
  /** A routing decision was answered. */
  decision: { direction: 'inbound_voice' | 'inbound_sms' | 'outbound'; action: string; decidedBy: string };
  /** A routing webhook was called: `ok` or the failure (`timeout`, `network`, `http_status`, …). */
  webhook: { outcome: string; seconds: number };
  /** A change notice from another instance arrived, `lagSeconds` after it was sent. */
  changeNotice: { lagSeconds: number };
}

type Listener<K extends keyof TelemetryEvents> = (event: TelemetryEvents[K]) => void;

export class ServiceTelemetry {
  private readonly listeners: { [K in keyof TelemetryEvents]: Array<Listener<K>> } = { decision: [], webhook: [], changeNotice: [] };

  on<K extends keyof TelemetryEvents>(name: K, listener: Listener<K>): () => void {
    const list = this.listeners[name] as Array<Listener<K>>;
    list.push(listener);
    return () => {
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    };
  }

  emit<K extends keyof TelemetryEvents>(name: K, event: TelemetryEvents[K]): void {
    for (const listener of this.listeners[name] as Array<Listener<K>>) {
      try {
        listener(event);
      } catch {
        // See the class comment.
      }
    }
  }
}
