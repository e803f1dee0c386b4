import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { WorkspaceScanService } from '../workspace/workspace-scan.service';
import { BuildWithoutLiveJob, findBuildsWithoutLiveJob, findDatabaseDamage } from './database-checks';
import { findDirectoryDamage, findRemovableDirectories, RemovableDirectories } from './directory-checks';
import { sortFindings } from './integrity-findings';
import { IntegrityReport } from './integrity-report';
import { findFailedBuildLogsPastRetention, findProjectsOverRetention, ProjectOverRetention } from './retention-checks';

/**
 * Checks the database and the project directories for orphans and broken invariants. The one
 * cross-module reader (ADR 032): it reads every table of every module, in SQL that joins them, and
 * writes none; `npm run audit:integrity` reports what it finds, the janitor repairs the part that is
 * safe to through the owning modules.
 */
@Injectable()
export class IntegrityAuditService {
  constructor(private readonly workspace: WorkspaceScanService) {}

  async audit(manager: EntityManager): Promise<IntegrityReport> {
    const checkedAt = new Date();
    const findings = [...(await findDirectoryDamage(manager, this.workspace)), ...(await findDatabaseDamage(manager))];
    return { clean: findings.length === 0, checkedAt, findings: sortFindings(findings) };
  }

  /** Queued or running builds past the grace period that no job will ever finish. */
  buildsWithoutLiveJob(manager: EntityManager): Promise<BuildWithoutLiveJob[]> {
    return findBuildsWithoutLiveJob(manager);
  }

  /** Projects with versions beyond the newest `kept` whose files retention is to remove. */
  projectsOverRetention(manager: EntityManager, kept: number): Promise<ProjectOverRetention[]> {
    return findProjectsOverRetention(manager, kept);
  }

  /** The builds whose logs retention is to remove: failed or canceled more than `keptDays` ago. */
  failedBuildLogsPastRetention(manager: EntityManager, keptDays: number): Promise<string[]> {
    return findFailedBuildLogsPastRetention(manager, keptDays);
  }

  /** Folders of no project, past the grace period. */
  removableDirectories(manager: EntityManager): Promise<RemovableDirectories> {
    return findRemovableDirectories(manager, this.workspace);
  }
}
