import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { newUlid } from '../ids/ids';
import { AiTimeSession } from './ai-time-session.entity';

export interface NewSession {
  userId: string;
  projectId: string;
  buildId: string;
}

/** Owns `ai_time_sessions`: one per build, opened when the build is queued. */
@Injectable()
export class AiTimeSessionsService {
  async open(manager: EntityManager, session: NewSession): Promise<string> {
    const id = newUlid();
    await manager
      .createQueryBuilder()
      .insert()
      .into(AiTimeSession)
      .values({ id, ...session })
      .updateEntity(false)
      .execute();
    return id;
  }
}
