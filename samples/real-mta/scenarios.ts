/**
 * scenarios - the messages the generator submits to every MTA, built deterministically from the
 * catalog: one single-recipient message per catalog row (replied at the row's stage), then
 * multi-recipient messages: three RCPT-stage rows of the same class (all permanent or all
 * temporary) plus one recipient the remote accepts, and two-recipient messages refused at MAIL or
 * after DATA. Each scenario has its own envelope sender, so the scripted MX and the bounce sink can
 * tell which scenario a connection or a DSN belongs to.
 */
import type { CatalogRow, Stage } from './catalog.js';

export const BOUNCE_DOMAIN = 'bounces.example.org';
/** Domain of the recipient the remote accepts in multi-recipient messages. */
export const ACCEPTED_DOMAIN = 'example.net';

export interface ScenarioRecipient {
  address: string;
  /** The catalog row the remote answers this recipient with; undefined = accepted (delivered). */
  row?: CatalogRow;
}

export interface Scenario {
  /** NNN-slug: the fixture name stem. */
  id: string;
  stage: Stage;
  /** Envelope sender (VERP for single-recipient messages). */
  sender: string;
  recipients: ScenarioRecipient[];
  /** The row replied at MAIL or after DATA (for those stages; the same for every recipient). */
  messageRow?: CatalogRow;
  /** True when every reply of the scenario is 4xx: the MTA retries until its queue gives up. */
  temporary: boolean;
}

const pad = (n: number) => String(n).padStart(3, '0');
const isTemp = (r: CatalogRow) => r.code < 500;

export function buildScenarios(rows: CatalogRow[]): Scenario[] {
  const out: Scenario[] = [];
  let n = 0;
  for (const row of rows) {
    n += 1;
    const address = `r${pad(n)}a@${row.domain}`;
    const [local, domain] = address.split('@') as [string, string];
    out.push({
      id: `${pad(n)}-${row.id}`,
      stage: row.stage,
      sender: `bounces+${local}=${domain}@${BOUNCE_DOMAIN}`,
      recipients: [{ address, row }],
      messageRow: row.stage === 'rcpt' ? undefined : row,
      temporary: isTemp(row),
    });
  }
  // Three RCPT-stage rows of one class per message, plus an address the remote accepts.
  for (const temporary of [false, true]) {
    // A 421 closes the connection, so the MTA defers the rest of the message with that reply:
    // rows replied with 421 stay single-recipient, where what each recipient was told is clear.
    const group = rows.filter((r) => r.stage === 'rcpt' && isTemp(r) === temporary && r.code !== 421);
    for (let i = 0; i + 3 <= group.length; i += 3) {
      n += 1;
      const chunk = group.slice(i, i + 3);
      out.push({
        id: `${pad(n)}-multi-rcpt-${temporary ? 'temp' : 'perm'}`,
        stage: 'rcpt',
        sender: `bounces+msg${pad(n)}@${BOUNCE_DOMAIN}`,
        recipients: [
          ...chunk.map((row, k) => ({ address: `r${pad(n)}${'abc'[k]}@${row.domain}`, row })),
          { address: `r${pad(n)}z@${ACCEPTED_DOMAIN}` },
        ],
        temporary,
      });
    }
  }
  // Every third MAIL- or DATA-stage row again, for a message with two recipients.
  for (const stage of ['mail', 'data'] as const) {
    const group = rows.filter((r) => r.stage === stage);
    for (let i = 0; i < group.length; i += 3) {
      const row = group[i]!;
      n += 1;
      out.push({
        id: `${pad(n)}-multi-${stage}-${row.id}`,
        stage,
        sender: `bounces+msg${pad(n)}@${BOUNCE_DOMAIN}`,
        recipients: ['a', 'b'].map((k) => ({ address: `r${pad(n)}${k}@${row.domain}`, row })),
        messageRow: row,
        temporary: isTemp(row),
      });
    }
  }
  return out;
}
