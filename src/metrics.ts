/**
 * metrics - process-wide counters and a latency histogram in the Prometheus text format (0.0.4).
 *
 * In: calls from intake/pipeline (`metrics.recordOutcome(source, outcome, seconds)`), from the
 * Postfix responders (`metrics.lookups`), and collectors registered by the daemon (gauges read at
 * scrape time, e.g. store stats). Out: `metrics.render()` text, served by the control socket's
 * `metrics` command and, when `metrics.http.enabled`, by a loopback HTTP endpoint (`/metrics`).
 * Config keys: metrics.http.enabled, metrics.http.host, metrics.http.port.
 *
 * A process that does not own the metrics (a control reader, control/reader.ts) builds its
 * registry with `new Metrics({ forwardTo: sink })`: the counters the CounterSink names are
 * ForwardingCounters, which sum their increments until the sink is drained and sent on.
 *
 * No client library: the format is a few lines of text and the counters sit on the hot path.
 */
import { createServer, type Server } from 'node:http';

type Labels = Record<string, string | number>;

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${esc(values[i] ?? '')}"`).join(',')}}`;
}

/**
 * The series of one metric, found by their label values with one Map level per label name, so an
 * increment on the lookup hot path builds no key string (a joined key cost ~7 times as much).
 * `make` creates a series the first time its label values are seen; series() lists them in that
 * order.
 */
class SeriesIndex<S> {
  private root = new Map<string, unknown>();
  private all: S[] = [];
  constructor(
    private readonly names: readonly string[],
    private readonly make: (values: string[]) => S,
  ) {}

  /** The series for these labels (label values by name; missing ones are ''), made if new. */
  get(labels: Labels): S {
    return this.find(labels, true)!;
  }

  /** The series for these labels, or undefined if it was never made. */
  peek(labels: Labels): S | undefined {
    return this.find(labels, false);
  }

  series(): readonly S[] {
    return this.all;
  }

  /** Forget every series (the ForwardingCounter after each drain). */
  clear(): void {
    this.root = new Map();
    this.all = [];
  }

  private find(labels: Labels, create: boolean): S | undefined {
    const names = this.names;
    const last = names.length - 1;
    let node = this.root;
    for (let i = 0; i < last; i++) {
      const v = String(labels[names[i]!] ?? '');
      let next = node.get(v) as Map<string, unknown> | undefined;
      if (next === undefined) {
        if (!create) return undefined;
        node.set(v, (next = new Map()));
      }
      node = next;
    }
    const v = last < 0 ? '' : String(labels[names[last]!] ?? '');
    let series = node.get(v) as S | undefined;
    if (series === undefined && create) {
      series = this.make(names.map((n) => String(labels[n] ?? '')));
      node.set(v, series);
      this.all.push(series);
    }
    return series;
  }
}

/** A monotonically increasing counter with a fixed set of label names. */
export class Counter {
  private readonly values: SeriesIndex<{ labels: string[]; n: number }>;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {
    this.values = new SeriesIndex(labelNames, (labels) => ({ labels, n: 0 }));
  }

  inc(labels: Labels = {}, n = 1): void {
    this.values.get(labels).n += n;
  }

  get(labels: Labels = {}): number {
    return this.values.peek(labels)?.n ?? 0;
  }

  /** Sum over all label values, optionally grouped by one label (for `stats`). */
  totals(by?: string): Record<string, number> {
    const out: Record<string, number> = {};
    const i = by === undefined ? -1 : this.labelNames.indexOf(by);
    for (const { labels, n } of this.values.series()) {
      const k = i < 0 ? 'total' : (labels[i] ?? '');
      out[k] = (out[k] ?? 0) + n;
    }
    return out;
  }

  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const { labels, n } of this.values.series()) s += `${this.name}${labelText(this.labelNames, labels)} ${n}\n`;
    return s;
  }
}

/** The counters of a Metrics registry, by property name (what a CounterSink forwards). */
export type CounterName = 'messages' | 'recipients' | 'lookups' | 'lookupErrors' | 'badRequests' | 'connectionsClosed' | 'jobs' | 'analysisAbandoned' | 'analysisRestarts';

/** One forwarded increment: counter, label values by name, and the sum since the last drain. */
export type Increment<N extends CounterName = CounterName> = [counter: N, labels: Record<string, string>, n: number];

/**
 * The increments of the ForwardingCounters built on it, for a process that owns the counters
 * (control/reader.ts sends drain() to the main process every second). Built with the names of
 * the counters it takes; a Metrics given it (`forwardTo`) makes exactly those ForwardingCounters.
 */
export class CounterSink<N extends CounterName = CounterName> {
  private readonly feeds: ForwardingCounter<N>[] = [];
  constructor(readonly counters: readonly N[]) {}

  forwards(name: CounterName): name is N {
    return (this.counters as readonly CounterName[]).includes(name);
  }

  /** Called by each ForwardingCounter built on this sink. */
  attach(c: ForwardingCounter<N>): void {
    this.feeds.push(c);
  }

  /** Label sets with increments since the last drain. */
  get size(): number {
    let n = 0;
    for (const c of this.feeds) n += c.pendingSets();
    return n;
  }

  /** The sums since the last drain, each counter's in first-seen order; counting starts again from zero. */
  drain(): Increment<N>[] {
    const out: Increment<N>[] = [];
    for (const c of this.feeds) out.push(...c.take());
    return out;
  }
}

/**
 * A counter whose increments are summed for a CounterSink instead of kept as its values (get,
 * totals and render read as zero here): the process that drains the sink owns the counts.
 */
export class ForwardingCounter<N extends CounterName = CounterName> extends Counter {
  // Keyed by labelNames, as Counter.inc in the owning process reads them.
  private readonly pending: SeriesIndex<Increment<N>>;

  constructor(name: string, help: string, labelNames: readonly string[], sink: CounterSink<N>, as: N) {
    super(name, help, labelNames);
    this.pending = new SeriesIndex(labelNames, (values) => {
      const l: Record<string, string> = {};
      labelNames.forEach((k, i) => (l[k] = values[i]!));
      return [as, l, 0];
    });
    sink.attach(this);
  }

  override inc(labels: Labels = {}, n = 1): void {
    this.pending.get(labels)[2] += n;
  }

  pendingSets(): number {
    return this.pending.series().length;
  }

  /** The sums since the last take, and start again from zero. */
  take(): Increment<N>[] {
    const out = [...this.pending.series()];
    this.pending.clear();
    return out;
  }
}

/** A cumulative histogram (seconds) with fixed buckets. */
export class Histogram {
  private readonly series: SeriesIndex<{ labels: string[]; counts: number[]; sum: number; count: number }>;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
    readonly buckets: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {
    this.series = new SeriesIndex(labelNames, (labels) => ({ labels, counts: buckets.map(() => 0), sum: 0, count: 0 }));
  }

  observe(labels: Labels, seconds: number): void {
    const s = this.series.get(labels);
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) s.counts[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.series()) {
      const names = [...this.labelNames, 'le'];
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket${labelText(names, [...s.labels, String(b)])} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket${labelText(names, [...s.labels, '+Inf'])} ${s.count}\n`;
      out += `${this.name}_sum${labelText(this.labelNames, s.labels)} ${s.sum}\n`;
      out += `${this.name}_count${labelText(this.labelNames, s.labels)} ${s.count}\n`;
    }
    return out;
  }
}

/** A gauge sample produced at scrape time by a collector. */
export interface GaugeSample {
  name: string;
  help: string;
  labels?: Labels;
  value: number;
}

export interface MetricsOptions {
  /** Counters this process only forwards (the sink names them); the rest are kept here. */
  forwardTo?: CounterSink;
}

export class Metrics {
  /** Messages by intake source (smtp, lmtp, imap, file) and outcome (processed, not-a-bounce, failed, duplicate, refused). */
  readonly messages: Counter;
  /** Classified failed recipients by Marketo category (1,2,3,4,9) and hard/soft. */
  readonly recipients: Counter;
  /** Intake-to-verdict time per message. */
  readonly latency = new Histogram('rebound_processing_seconds', 'Time to parse, classify and store one message.', ['source']);
  /** Answers given by the status socket (check), socketmap and policy responders. */
  readonly lookups: Counter;
  /** Lookups that failed inside rebound (store error) and were answered fail-open or fail-closed. */
  readonly lookupErrors: Counter;
  /** Control requests refused as malformed, unknown or oversized. */
  readonly badRequests: Counter;
  /** Control connections closed by their limits (idle, request deadline, evicted, refused). */
  readonly connectionsClosed: Counter;
  /** Housekeeping job runs by job and result. */
  readonly jobs: Counter;
  /** Messages whose analysis was abandoned (stored failed), by why: deadline, memory, crash. */
  readonly analysisAbandoned: Counter;
  /** Analysis workers started to replace one that was terminated or died. */
  readonly analysisRestarts: Counter;

  private readonly startedAt = Date.now();
  private readonly collectors: (() => GaugeSample[])[] = [];

  constructor(opts: MetricsOptions = {}) {
    const sink = opts.forwardTo;
    const counter = (as: CounterName, name: string, help: string, labelNames: string[]): Counter =>
      sink?.forwards(as) ? new ForwardingCounter(name, help, labelNames, sink, as) : new Counter(name, help, labelNames);
    this.messages = counter('messages', 'rebound_messages_total', 'Messages handled, by intake source and outcome.', ['source', 'outcome']);
    this.recipients = counter('recipients', 'rebound_recipients_total', 'Bounced recipients recorded, by Marketo category.', ['category']);
    this.lookups = counter('lookups', 'rebound_lookups_total', 'Suppression lookups answered, by interface and verdict.', ['via', 'verdict']);
    this.lookupErrors = counter('lookupErrors', 'rebound_lookup_errors_total', 'Lookups that hit an internal error.', ['via']);
    this.badRequests = counter('badRequests', 'rebound_control_bad_requests_total', 'Malformed, unknown or oversized control requests.', ['via']);
    this.connectionsClosed = counter(
      'connectionsClosed',
      'rebound_control_connections_closed_total',
      'Control connections closed by their limits: idle, request deadline, evicted by a newer one on a full listener, or refused.',
      ['listener', 'why'],
    );
    this.jobs = counter('jobs', 'rebound_job_runs_total', 'Housekeeping job runs, by job and result.', ['job', 'result']);
    this.analysisAbandoned = counter(
      'analysisAbandoned',
      'rebound_analysis_abandoned_total',
      'Messages whose parse and classification was abandoned and that were stored marked failed: over analysis.deadlineSeconds, over analysis.maxHeapMb, or the worker crashed.',
      ['why'],
    );
    this.analysisRestarts = counter('analysisRestarts', 'rebound_analysis_worker_restarts_total', 'Analysis worker threads started to replace one that was terminated or died.', []);
  }

  /** One message finished: count it, time it, and count its recipients' categories. */
  recordOutcome(source: string, outcome: string, seconds: number, categories: readonly number[] = []): void {
    this.messages.inc({ source, outcome });
    this.latency.observe({ source }, seconds);
    for (const c of categories) this.recipients.inc({ category: c });
  }

  /** Add gauges computed at scrape time (e.g. addresses suspended now). Returns a remover. */
  addCollector(fn: () => GaugeSample[]): () => void {
    this.collectors.push(fn);
    return () => {
      const i = this.collectors.indexOf(fn);
      if (i >= 0) this.collectors.splice(i, 1);
    };
  }

  uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  render(): string {
    let out = '';
    for (const m of [this.messages, this.recipients, this.latency, this.lookups, this.lookupErrors, this.badRequests, this.connectionsClosed, this.jobs, this.analysisAbandoned, this.analysisRestarts])
      out += m.render();
    const gauges: GaugeSample[] = [
      { name: 'rebound_uptime_seconds', help: 'Seconds since the process started.', value: this.uptimeSeconds() },
    ];
    for (const c of this.collectors) {
      try {
        gauges.push(...c());
      } catch {
        // A failing collector (store closed during shutdown) must not break the scrape.
      }
    }
    const seen = new Set<string>();
    for (const g of gauges) {
      if (!seen.has(g.name)) {
        out += `# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n`;
        seen.add(g.name);
      }
      const names = Object.keys(g.labels ?? {});
      out += `${g.name}${labelText(names, names.map((n) => String(g.labels![n])))} ${g.value}\n`;
    }
    return out;
  }
}

/** The process-wide registry. Tests may build their own `new Metrics()`. */
export const metrics = new Metrics();

/**
 * Serve `GET /metrics` on loopback (metrics.http). Returns a handle whose stop() closes it.
 * Resolves once listening; rejects if the port cannot be bound.
 */
export async function startMetricsHttp(
  cfg: { enabled: boolean; host: string; port: number },
  registry: Metrics = metrics,
): Promise<{ stop(): Promise<void>; address(): { host: string; port: number } } | undefined> {
  if (!cfg.enabled) return undefined;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(registry.render());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found; try /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    address: () => {
      const a = server.address();
      return typeof a === 'object' && a ? { host: a.address, port: a.port } : { host: cfg.host, port: cfg.port };
    },
  };
}
