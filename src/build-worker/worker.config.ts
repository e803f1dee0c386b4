/**
 * Which roles this process plays, from its command: `npm start` both, `npm run start:api` only
 * HTTP, `npm run start:worker` only the build worker.
 */
export type ProcessRole = 'api' | 'worker';

export class WorkerConfig {
  constructor(readonly roles: readonly ProcessRole[]) {}

  get runsWorker(): boolean {
    return this.roles.includes('worker');
  }

  get servesHttp(): boolean {
    return this.roles.includes('api');
  }

  /** `api`, `worker`, or nothing (both), as the npm scripts pass it. */
  static fromArgument(argument: string | undefined): WorkerConfig {
    if (argument === undefined) return new WorkerConfig(['api', 'worker']);
    if (argument === 'api' || argument === 'worker') return new WorkerConfig([argument]);
    throw new Error(`unknown process role ${JSON.stringify(argument)}: use "api", "worker" or nothing for both`);
  }
}
