import { Injectable } from '@nestjs/common';
import { BuildLogsService } from '../build-logs/build-logs.service';
import { BuildReadsService } from './build-reads.service';
import { BuildLogPageResponse } from './dto/build-log-page.response';
import { DEFAULT_LOG_PAGE_LINES } from './dto/build-logs.query';

/** Reads a build's log for the build's owner (BuildReadsService decides who that is); never writes. */
@Injectable()
export class BuildLogReadsService {
  constructor(
    private readonly builds: BuildReadsService,
    private readonly logs: BuildLogsService,
  ) {}

  /** The lines after `after`, oldest first; `build_not_found` exactly as `GET /v1/builds/:buildId` answers it. */
  async getOwnedPage(
    userId: string,
    buildId: string,
    { after = 0, limit = DEFAULT_LOG_PAGE_LINES }: { after?: number; limit?: number },
  ): Promise<BuildLogPageResponse> {
    await this.builds.getOwned(userId, buildId);
    const page = await this.logs.page(buildId, after, limit);
    const last = page.items.at(-1);
    return {
      items: page.items,
      ...(page.hasMore && last && { nextCursor: last.seq }),
      droppedLines: page.droppedLines,
    };
  }
}
