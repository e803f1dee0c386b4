import { Finding, FINDING_KINDS } from './integrity-findings';

/** One audit's result. `findings` are sorted (see sortFindings); `clean` means there are none. */
export interface IntegrityReport {
  clean: boolean;
  checkedAt: Date;
  findings: Finding[];
}

/**
 * For people: one line per finding, `<kind> <field>=<value> …`, grouped by kind, then a summary line.
 */
export function reportAsText({ clean, checkedAt, findings }: IntegrityReport): string {
  const checked = `checked at ${checkedAt.toISOString()}`;
  if (clean) return `clean: no findings (${checked})\n`;
  const lines = findings.map(({ kind, ...ids }) =>
    [kind, ...Object.entries(ids).map(([field, value]) => `${field}=${String(value)}`)].join(' '),
  );
  const counts = FINDING_KINDS.map(
    (kind) => [kind, findings.filter((finding) => finding.kind === kind).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`);
  const total = `${findings.length} finding${findings.length === 1 ? '' : 's'}`;
  return `${lines.join('\n')}\n${total}: ${counts.join(', ')} (${checked})\n`;
}

/**
 * For machines (`--json`): `{ clean, checkedAt, findings: [{ kind, ...ids }] }`, `checkedAt` as an
 * ISO 8601 string. Fields are only ever added, never renamed (docs/contract.md; docs/operations.md, "Integrity audit").
 */
export function reportAsJson({ clean, checkedAt, findings }: IntegrityReport): string {
  return `${JSON.stringify({ clean, checkedAt: checkedAt.toISOString(), findings }, null, 2)}\n`;
}
