/**
 * The billing policy in numbers (ADR 008): what a build is charged and the bounds that keep every
 * balance inside PostgreSQL's `integer`.
 */

/** The largest balance a user can hold: `ai_time_balances.seconds_remaining` is an `integer`. */
export const MAX_BALANCE_SECONDS = 2_147_483_647;

/** The largest single grant (about 115 days), so a typo cannot mint an unbounded amount. */
export const MAX_GRANT_SECONDS = 10_000_000;

/**
 * Seconds a build is charged for `elapsedMs`, the wall-clock time its attempts ran (summed over the
 * attempts, not counting time queued or waiting between attempts): rounded up to a whole second, and
 * at least one, since every build that ran used some AI time.
 */
export function billableSeconds(elapsedMs: number): number {
  if (!Number.isFinite(elapsedMs)) throw new RangeError(`elapsed time must be a finite number of ms: ${elapsedMs}`);
  return Math.max(1, Math.ceil(elapsedMs / 1000));
}

/**
 * Seconds a canceled build is charged (ADR 035): what its attempts ran, as `billableSeconds`, once an
 * attempt has started; nothing when none did. A build canceled while queued used no AI time, and the
 * one-second minimum is for builds that ran.
 */
export function canceledBuildSeconds(ranMs: number, attemptsStarted: number): number {
  return attemptsStarted === 0 ? 0 : billableSeconds(ranMs);
}
