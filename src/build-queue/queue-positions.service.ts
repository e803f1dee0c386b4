import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BuildQueueConfig } from './build-queue.config';

/** Reads the build queue's jobs (pg-boss's table, this module's) to place a build in line; never writes. */
@Injectable()
export class QueuePositionsService {
  constructor(private readonly config: BuildQueueConfig) {}

  /**
   * The build's place among the waiting builds, 1 being the next to start; undefined when its job
   * is not waiting (a worker claimed it, or there is none).
   */
  async positionOf(manager: EntityManager, buildId: string): Promise<number | undefined> {
    const [{ position }]: { position: number | null }[] = await manager.query(
      'SELECT build_queue_position($1, $2) AS position',
      [buildId, this.config.buildsPerUser],
    );
    return position ?? undefined;
  }
}
