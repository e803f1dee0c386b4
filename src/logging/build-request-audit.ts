import { Logger } from '@nestjs/common';

const logger = new Logger('Audit');

/** The ids a create or update answers with; every field may be missing from some answer. */
interface AnsweredIds {
  projectId?: string;
  buildId?: string;
  versionId?: string;
  idSource?: string;
  deduplicated?: boolean;
}

/**
 * One audit line per answered create or update: who, which project, build and version, where the
 * project id came from, and whether the answer was a replay or a dedupe rather than a new start.
 * Only ids and flags: never the prompt.
 */
export function auditBuildRequest(
  operation: string,
  userId: string,
  outcome: { status: number; replayed: boolean; body: object },
): void {
  const ids = outcome.body as AnsweredIds;
  logger.log(
    {
      audit: operation,
      user_id: userId,
      project_id: ids.projectId,
      build_id: ids.buildId,
      version_id: ids.versionId,
      id_source: ids.idSource,
      status: outcome.status,
      replayed: outcome.replayed,
      deduplicated: ids.deduplicated === true,
    },
    `${operation} answered`,
  );
}
