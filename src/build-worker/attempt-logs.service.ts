import { Injectable } from '@nestjs/common';
import { BuildLogsConfig } from '../build-logs/build-logs.config';
import { BuildLogsService } from '../build-logs/build-logs.service';
import { WorkspaceConfig } from '../workspace/workspace.config';
import { AttemptLog } from './attempt-log';
import { serverPaths, TextRedactor } from './builders/build-failure-detail';
import { ServiceSecrets } from './builders/service-secrets';

/** Opens each attempt's log: bounded by BUILD_LOG_MAX_BYTES, stored through BuildLogsService, redacted. */
@Injectable()
export class AttemptLogsService {
  constructor(
    private readonly logs: BuildLogsService,
    private readonly config: BuildLogsConfig,
    private readonly secrets: ServiceSecrets,
    private readonly workspace: WorkspaceConfig,
  ) {}

  /** `projectDir`: the project's directory, shown as `<project>` like every server path. */
  open(buildId: string, attempt: number, projectDir: string): AttemptLog {
    return new AttemptLog({
      buildId,
      attempt,
      maxBytes: this.config.maxBytes,
      redactor: new TextRedactor(serverPaths(projectDir, this.workspace.projectsRoot), this.secrets.values),
      store: (batch) => this.logs.append(batch),
    });
  }
}
