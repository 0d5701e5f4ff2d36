/**
 * Prometheus text exposition: counters by label, the latency histogram, collectors, escaping,
 * and the loopback HTTP endpoint (metrics.http).
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Metrics, startMetricsHttp } from '../src/metrics.js';

describe('metrics', () => {
  it('counts per source, outcome and category, and times processing', () => {
    const m = new Metrics();
    m.recordOutcome('smtp', 'processed', 0.003, [2, 2, 1]);
    m.recordOutcome('smtp', 'processed', 0.2);
    m.recordOutcome('imap', 'not-a-bounce', 0.02);
    const text = m.render();
    expect(text).toContain('# TYPE rebound_messages_total counter');
    expect(text).toContain('rebound_messages_total{source="smtp",outcome="processed"} 2');
    expect(text).toContain('rebound_messages_total{source="imap",outcome="not-a-bounce"} 1');
    expect(text).toContain('rebound_recipients_total{category="2"} 2');
    expect(text).toContain('rebound_recipients_total{category="1"} 1');
    expect(text).toContain('# TYPE rebound_processing_seconds histogram');
    expect(text).toContain('rebound_processing_seconds_bucket{source="smtp",le="0.005"} 1');
    expect(text).toContain('rebound_processing_seconds_bucket{source="smtp",le="0.25"} 2');
    expect(text).toContain('rebound_processing_seconds_bucket{source="smtp",le="+Inf"} 2');
    expect(text).toContain('rebound_processing_seconds_count{source="smtp"} 2');
    expect(text).toMatch(/rebound_processing_seconds_sum\{source="smtp"\} 0\.203/);
    expect(m.messages.totals('source')).toEqual({ smtp: 2, imap: 1 });
  });

  it('renders collectors as gauges and survives a failing one', () => {
    const m = new Metrics();
    m.addCollector(() => [
      { name: 'rebound_addresses', help: 'Addresses by state.', labels: { state: 'invalid' }, value: 3 },
      { name: 'rebound_addresses', help: 'Addresses by state.', labels: { state: 'suspended' }, value: 1 },
    ]);
    const remove = m.addCollector(() => {
      throw new Error('store closed');
    });
    const text = m.render();
    expect(text.match(/# TYPE rebound_addresses gauge/g)).toHaveLength(1);
    expect(text).toContain('rebound_addresses{state="invalid"} 3');
    expect(text).toContain('rebound_uptime_seconds ');
    remove();
  });

  it('escapes label values', () => {
    const c = new Counter('x_total', 'X.', ['v']);
    c.inc({ v: 'a"b\\c\nd' });
    expect(c.render()).toContain('x_total{v="a\\"b\\\\c\\nd"} 1');
    const h = new Histogram('h_seconds', 'H.', [], [1]);
    h.observe({}, 2);
    expect(h.render()).toContain('h_seconds_bucket{le="1"} 0\nh_seconds_bucket{le="+Inf"} 1');
  });

  it('serves /metrics on loopback HTTP and 404s elsewhere', async () => {
    const m = new Metrics();
    m.recordOutcome('lmtp', 'processed', 0.01);
    expect(await startMetricsHttp({ enabled: false, host: '127.0.0.1', port: 1 }, m)).toBeUndefined();
    const h = (await startMetricsHttp({ enabled: true, host: '127.0.0.1', port: 0 }, m))!;
    try {
      const get = (path: string) =>
        new Promise<{ status: number; type: string; body: string }>((res, rej) => {
          const req = request({ host: '127.0.0.1', port: h.address().port, path }, (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (d: string) => (body += d));
            r.on('end', () => res({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), body }));
          });
          req.on('error', rej);
          req.end();
        });
      const ok = await get('/metrics');
      expect(ok.status).toBe(200);
      expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(ok.body).toContain('rebound_messages_total{source="lmtp",outcome="processed"} 1');
      expect((await get('/')).status).toBe(404);
    } finally {
      await h.stop();
    }
  });
});
