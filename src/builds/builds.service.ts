import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newUlid } from '../ids/ids';
import { Framework } from '../projects/framework';
import { BuildMetrics } from './build-metrics.entity';

export interface NewBuild {
  projectId: string;
  userId: string;
  prompt: string;
  framework: Framework;
  isInitialBuild: boolean;
}

export interface QueuedBuild {
  buildMetricsId: number;
  buildId: string;
  /** The version this build creates if, and only if, it succeeds. */
  versionId: string;
}

/** Owns `project_build_metrics`: one row per build, from queued to its outcome. */
@Injectable()
export class BuildsService {
  /** Records a build as queued; enqueueing its job is BuildQueueService's part. */
  async recordQueued(manager: EntityManager, build: NewBuild): Promise<QueuedBuild> {
    const buildId = newUlid();
    const versionId = newUlid();
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(BuildMetrics)
      .values({ ...build, buildId, versionId, status: 'queued' })
      .updateEntity(false)
      .returning('id')
      .execute();
    const [{ id }] = inserted.raw as { id: number }[];
    return { buildMetricsId: id, buildId, versionId };
  }
}
