import { DomainError } from '../errors/domain-error';

/**
 * The project already has a build queued or running (one at a time, `project_build_metrics_one_active_idx`).
 * The build's id is a problem extension member, so a caller can follow that build.
 */
export class BuildInProgressError extends DomainError {
  readonly code = 'build_in_progress';

  override readonly extensions: { buildId: string };

  constructor(readonly buildId: string) {
    super('Build in progress', `Build ${buildId} of this project is still queued or running; wait until it finishes.`);
    this.extensions = { buildId };
  }
}

/** A cancel of a build that already succeeded or failed: its outcome stands (a canceled one is answered as it is). */
export class BuildFinishedError extends DomainError {
  readonly code = 'build_finished';

  constructor(buildId: string, status: 'succeeded' | 'failed') {
    super('Build finished', `Build ${buildId} has already ${status}; only a queued or running build can be canceled.`);
  }
}
