import { ULID_PATTERN } from '../ids/ids';

/** The folders a project's builds work in: its sources, and one output folder per build (ensureBuildLayout). */
export const PROJECT_LAYOUT = ['source', 'builds'] as const;

/** An attempt's output folder (BuildOutputsService.attemptOutputDirectory): the build id and the attempt number. */
export const ATTEMPT_FOLDER = /^\.attempt-([0-9A-HJKMNP-TV-Z]{26})-([1-9][0-9]*)$/;

/** The name every attempt folder of a build starts with. */
export function attemptPrefix(buildId: string): string {
  if (!ULID_PATTERN.test(buildId)) throw new TypeError(`not a ULID: ${JSON.stringify(buildId)}`);
  return `.attempt-${buildId}-`;
}
