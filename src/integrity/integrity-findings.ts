import type { BuildStatus } from '../builds/build-metrics.entity';

/**
 * What is younger than this may still be in the making (a create or publish whose transaction has
 * not committed yet, an attempt's leftovers about to be removed), so the
 * audit does not judge it and the janitor does not touch it.
 */
export const GRACE_PERIOD_SECONDS = 5 * 60;

/** Every kind of damage the audit reports, in the order a report lists them. */
export const FINDING_KINDS = [
  'project_without_build',
  'version_of_unsucceeded_build',
  'succeeded_build_without_version',
  'invalid_current_version',
  'expired_current_version',
  'active_session_of_finished_build',
  'closed_session_without_debit',
  'debit_not_matching_session',
  'debit_of_active_session',
  'build_without_live_job',
  'orphan_directory',
  'project_without_directory',
  'stale_attempt_output',
  'output_without_version',
  'version_without_output',
  'expired_version_output',
  'unexpected_entry',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

/** One broken invariant, with the ids an operator needs to look into it. */
export type Finding =
  | { kind: 'project_without_build'; projectId: string; userId: string }
  | {
      kind: 'version_of_unsucceeded_build';
      versionId: string;
      buildId: string;
      projectId: string;
      buildStatus: BuildStatus;
    }
  | { kind: 'succeeded_build_without_version'; buildId: string; versionId: string; projectId: string }
  /** The project's current version belongs to another project, or to a build that did not succeed. */
  | { kind: 'invalid_current_version'; projectId: string; versionId: string }
  /** The project's current version had its files removed by retention, which always keeps the current one. */
  | { kind: 'expired_current_version'; projectId: string; versionId: string }
  | { kind: 'active_session_of_finished_build'; sessionId: string; buildId: string; buildStatus: BuildStatus }
  | { kind: 'closed_session_without_debit'; sessionId: string; buildId: string }
  | {
      kind: 'debit_not_matching_session';
      sessionId: string;
      buildId: string;
      sessionSeconds: number;
      debitSeconds: number;
    }
  | { kind: 'debit_of_active_session'; sessionId: string; buildId: string }
  /** Queued or running, but no job in the build queue or the abandoned queue will ever finish it. */
  | {
      kind: 'build_without_live_job';
      buildId: string;
      projectId: string;
      userId: string;
      versionId: string;
      buildStatus: BuildStatus;
    }
  /** `<root>/<userId>/<projectId>` with no project of that id owned by that user. */
  | { kind: 'orphan_directory'; userId: string; projectId: string }
  | { kind: 'project_without_directory'; projectId: string; userId: string }
  /** `builds/.attempt-<buildId>-<n>` of a build that is not queued or running. */
  | { kind: 'stale_attempt_output'; userId: string; projectId: string; buildId: string; attempt: number }
  /** `builds/<buildId>` with no version of that build. */
  | { kind: 'output_without_version'; userId: string; projectId: string; buildId: string }
  /** A version whose files are missing; an expired version's are removed on purpose (retention, ADR 039). */
  | { kind: 'version_without_output'; versionId: string; buildId: string; projectId: string; userId: string }
  /** `builds/<buildId>` of a version that retention marked expired: its files should be gone. */
  | { kind: 'expired_version_output'; versionId: string; buildId: string; projectId: string; userId: string }
  /** Anything else under the root (a file, a symlink, a name the service never makes): path relative to the root. */
  | { kind: 'unexpected_entry'; path: string };

/** Findings by kind (in FINDING_KINDS order), then by their ids, so reports are stable. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (finding: Finding) => FINDING_KINDS.indexOf(finding.kind);
  return [...findings].sort((a, b) => rank(a) - rank(b) || JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
