/** Helpers for the classifier tests: build a Finding and a Report with only what a test cares about. */
import type { Finding, Report } from '../../src/types.js';

export function finding(over: Partial<Finding> = {}): Finding {
  return {
    recipient: 'user@example.org',
    action: 'failed',
    status: '',
    replyCode: '',
    diagnostic: '',
    diagnosticType: 'smtp',
    remoteMta: '',
    reportingMta: '',
    lastCommand: '',
    decodedBy: 'test',
    ...over,
  };
}

export function report(findings: Finding[] = [], over: Partial<Report> = {}): Report {
  return { type: 'bounce', findings, decodedBy: 'test', problems: [], ...over };
}

/** Status class from a diagnostic's leading reply code, the way decoders fill replyCode. */
export function replyOf(diagnostic: string): string {
  return /^([245]\d\d)[ -]/.exec(diagnostic)?.[1] ?? '';
}
