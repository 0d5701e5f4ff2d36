/**
 * cli/import - `rebound import FILE.csv|- [--as invalid|suspended|complained] [--who NAME]`:
 * load an existing suppression list. Each row becomes an audited `import` action and the
 * address state is recomputed, so imported and bounce-derived state combine.
 *
 * CSV (RFC 4180, UTF-8, optional BOM). With a header line, the columns are found by name:
 * address|email|email_address (required), type|kind|status|reason_type (invalid, suspended,
 * complained - also hard/bounce -> invalid, spam/complaint/abuse -> complained, block ->
 * suspended), cause|reason|description, date|at|created|created_at (ISO or epoch seconds/ms).
 * Without a header (first cell contains '@'), column 1 is the address. Rows without a type use --as
 * (default invalid). An export from `rebound export --csv` imports back as its flags.
 * Config: store.path (--db).
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { ImportRow } from '../store/index.js';
import { addStoreOptions, withStoreApi, type StoreCliOptions } from './open-store.js';
import { UsageError, whoAmI } from './args.js';

type What = ImportRow['what'];

export function register(program: Command): void {
  addStoreOptions(
    program
      .command('import')
      .description('import a suppression list (CSV) as invalid / suspended / complained addresses')
      .argument('<file>', "CSV file, or '-' for stdin")
      .option('--as <kind>', 'flag for rows without a type column: invalid | suspended | complained', 'invalid')
      .option('--who <name>', 'recorded in the audit table (default: $SUDO_USER or the current user)')
      .option('--json', 'print the result as JSON'),
  ).action(async (file: string, opts: StoreCliOptions & { as: string; who?: string; json?: boolean }) => {
    const def = mapType(opts.as);
    if (!def) throw new UsageError(`import: --as: expected invalid, suspended or complained, got ${JSON.stringify(opts.as)}`);
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new Error(`import: ${file}: ${(err as Error).message}`);
    }
    const { rows, skipped } = rowsFromCsv(text, def);
    const r = await withStoreApi(opts, (store) => store.importSuppressions(rows, whoAmI(opts.who)));
    // Line numbers from the store count data rows; convert to file lines for the operator.
    const all = [...skipped, ...r.skipped.map((s) => ({ ...s, line: rows[s.line - 1]?.line ?? s.line }))];
    if (opts.json) process.stdout.write(`${JSON.stringify({ imported: r.imported, skipped: all })}\n`);
    else {
      for (const s of all) process.stderr.write(`${file}:${s.line}: skipped ${JSON.stringify(s.address)}: ${s.why}\n`);
      process.stdout.write(`imported ${r.imported} address${r.imported === 1 ? '' : 'es'}, skipped ${all.length}\n`);
    }
  });
}

export function mapType(s: string): What | undefined {
  const t = s.trim().toLowerCase();
  if (['invalid', 'hard', 'bounce', 'bounced', 'hard_bounce', 'hardbounce', 'email_invalid', 'unknown'].includes(t)) return 'invalid';
  if (['suspended', 'suspend', 'block', 'blocked', 'email_suspended', 'soft'].includes(t)) return 'suspended';
  if (['complained', 'complaint', 'spam', 'spamreport', 'spam_report', 'abuse', 'unsubscribed', 'unsubscribe'].includes(t)) return 'complained';
  return undefined;
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',' || c === ';' || c === '\t') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface CsvImport {
  rows: (ImportRow & { line: number })[];
  skipped: { line: number; address: string; why: string }[];
}

export function rowsFromCsv(text: string, def: What): CsvImport {
  const table = parseCsv(text);
  const out: CsvImport = { rows: [], skipped: [] };
  if (table.length === 0) return out;
  const head = table[0]!.map((h) => h.trim().toLowerCase());
  const hasHeader = !head.some((h) => h.includes('@'));
  const col = (...names: string[]) => head.findIndex((h) => names.includes(h));
  const iAddr = hasHeader ? col('address', 'email', 'email_address', 'emailaddress', 'e-mail', 'recipient') : 0;
  if (iAddr < 0) throw new UsageError(`import: no address column (expected one of address, email, email_address) in header: ${head.join(',')}`);
  const iType = hasHeader ? col('type', 'kind', 'status', 'reason_type', 'suppression', 'what') : -1;
  const iCause = hasHeader ? col('cause', 'reason', 'description', 'details', 'email_invalid_cause') : -1;
  const iAt = hasHeader ? col('date', 'at', 'created', 'created_at', 'timestamp', 'email_invalid_at') : -1;
  // `rebound export --csv` columns: flags per address.
  const iInv = hasHeader ? col('email_invalid') : -1;
  const iSus = hasHeader ? col('email_suspended') : -1;
  const iCom = hasHeader ? col('complained') : -1;
  const iSusCause = hasHeader ? col('email_suspended_cause') : -1;
  const iSusAt = hasHeader ? col('email_suspended_at') : -1;
  const iComAt = hasHeader ? col('complained_at') : -1;
  const isExport = iInv >= 0 && iSus >= 0;

  table.forEach((cells, idx) => {
    const line = idx + 1;
    if (hasHeader && idx === 0) return;
    if (cells.every((c) => c.trim() === '')) return;
    const address = (cells[iAddr] ?? '').trim();
    const at = (i: number): number | undefined => {
      const v = (cells[i] ?? '').trim();
      if (i < 0 || v === '') return undefined;
      if (/^\d+$/.test(v)) return Number(v) < 1e11 ? Number(v) * 1000 : Number(v);
      const t = Date.parse(v);
      return Number.isFinite(t) ? t : undefined;
    };
    const push = (what: What, cause: string, when: number | undefined) => {
      const r: ImportRow & { line: number } = { line, address, what, cause };
      if (when !== undefined) r.at = when;
      out.rows.push(r);
    };
    if (isExport) {
      const flag = (i: number) => (cells[i] ?? '').trim() === '1';
      if (flag(iInv)) push('invalid', cells[iCause]?.trim() ?? '', at(iAt));
      if (flag(iSus)) push('suspended', cells[iSusCause]?.trim() ?? '', at(iSusAt));
      if (iCom >= 0 && flag(iCom)) push('complained', '', at(iComAt));
      return;
    }
    let what = def;
    if (iType >= 0 && (cells[iType] ?? '').trim() !== '') {
      const m = mapType(cells[iType]!);
      if (!m) {
        out.skipped.push({ line, address, why: `unknown type ${JSON.stringify(cells[iType])}` });
        return;
      }
      what = m;
    }
    push(what, iCause >= 0 ? (cells[iCause] ?? '').trim() : '', at(iAt));
  });
  return out;
}
