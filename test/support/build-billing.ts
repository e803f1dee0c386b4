import { TestDatabase } from './test-database';

/** What a build was billed: its AI-time session, and the seconds of its debits (negative). */
export interface BuildBilling {
  session: { status: string; seconds_used: number | null };
  debits: number[];
}

export async function billingOfBuild(db: TestDatabase, buildId: string): Promise<BuildBilling> {
  const [session] = await db.query<{ status: string; seconds_used: number | null }>(
    `SELECT status, seconds_used FROM ai_time_sessions WHERE build_id = $1`,
    [buildId],
  );
  const debits = await db.query<{ seconds: number }>(
    `SELECT seconds FROM ai_time_ledger WHERE build_id = $1 AND kind = 'debit'`,
    [buildId],
  );
  return { session, debits: debits.map((debit) => debit.seconds) };
}
