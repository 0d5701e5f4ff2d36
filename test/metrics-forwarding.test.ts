/**
 * Forwarding counters (a control reader's registry): the counters a CounterSink names send their
 * increments to it, summed by label set until drained; the other counters count locally; the
 * drained increments, applied to the owner's registry, give the same totals.
 */
import { describe, expect, it } from 'vitest';
import { Counter, CounterSink, ForwardingCounter, Metrics } from '../src/metrics.js';

describe('metrics forwarding', () => {
  it('forwards only the counters the sink names, summed by label set', () => {
    const sink = new CounterSink(['lookups', 'badRequests'] as const);
    const m = new Metrics({ forwardTo: sink });
    expect(m.lookups).toBeInstanceOf(ForwardingCounter);
    expect(m.badRequests).toBeInstanceOf(ForwardingCounter);
    expect(m.jobs).not.toBeInstanceOf(ForwardingCounter);
    expect(m.jobs).toBeInstanceOf(Counter);

    m.lookups.inc({ via: 'socket', verdict: 'ok' });
    m.lookups.inc({ via: 'socket', verdict: 'ok' }, 2);
    m.lookups.inc({ via: 'policy', verdict: 'invalid' });
    m.badRequests.inc({ via: 'socketmap' });
    m.jobs.inc({ job: 'prune', result: 'ok' });

    // Forwarded counts are not kept here; local ones are.
    expect(m.lookups.get({ via: 'socket', verdict: 'ok' })).toBe(0);
    expect(m.render()).not.toContain('rebound_lookups_total{');
    expect(m.jobs.get({ job: 'prune', result: 'ok' })).toBe(1);

    expect(sink.size).toBe(3);
    expect(sink.drain()).toEqual([
      ['lookups', { via: 'socket', verdict: 'ok' }, 3],
      ['lookups', { via: 'policy', verdict: 'invalid' }, 1],
      ['badRequests', { via: 'socketmap' }, 1],
    ]);
    expect(sink.size).toBe(0);
    expect(sink.drain()).toEqual([]);
  });

  it('keeps label values apart and copies them as strings', () => {
    const sink = new CounterSink(['recipients'] as const);
    const m = new Metrics({ forwardTo: sink });
    m.recipients.inc({ category: 1 });
    m.recipients.inc({ category: 2 });
    m.recipients.inc({ category: 1 });
    expect(sink.drain()).toEqual([
      ['recipients', { category: '1' }, 2],
      ['recipients', { category: '2' }, 1],
    ]);
  });

  it('keys by the counter\'s label names, as the owner reads them, and restarts from zero after a drain', () => {
    const sink = new CounterSink(['lookups', 'jobs'] as const);
    const m = new Metrics({ forwardTo: sink });
    m.lookups.inc({ via: 'socket' });
    m.lookups.inc({ verdict: 'ok', via: 'socket', extra: 'x' }, 2);
    m.lookups.inc({ via: 'socket', verdict: 'ok' });
    m.jobs.inc({ job: 'prune', result: 'ok' });
    expect(sink.drain()).toEqual([
      ['lookups', { via: 'socket', verdict: '' }, 1],
      ['lookups', { via: 'socket', verdict: 'ok' }, 3],
      ['jobs', { job: 'prune', result: 'ok' }, 1],
    ]);
    m.lookups.inc({ via: 'socket', verdict: 'ok' });
    expect(sink.size).toBe(1);
    expect(sink.drain()).toEqual([['lookups', { via: 'socket', verdict: 'ok' }, 1]]);
  });

  it('gives the owner the same totals once applied', () => {
    const sink = new CounterSink(['lookups', 'lookupErrors'] as const);
    const reader = new Metrics({ forwardTo: sink });
    const owner = new Metrics();
    for (let i = 0; i < 5; i++) reader.lookups.inc({ via: 'socketmap', verdict: 'suspended' });
    reader.lookupErrors.inc({ via: 'policy' });
    for (const [name, labels, n] of sink.drain()) owner[name].inc(labels, n);
    expect(owner.lookups.get({ via: 'socketmap', verdict: 'suspended' })).toBe(5);
    expect(owner.lookupErrors.totals()).toEqual({ total: 1 });
    expect(owner.render()).toContain('rebound_lookups_total{via="socketmap",verdict="suspended"} 5');
  });

  it('a registry without a sink counts everything itself', () => {
    const m = new Metrics();
    m.lookups.inc({ via: 'socket', verdict: 'ok' });
    expect(m.lookups).not.toBeInstanceOf(ForwardingCounter);
    expect(m.lookups.get({ via: 'socket', verdict: 'ok' })).toBe(1);
  });
});
