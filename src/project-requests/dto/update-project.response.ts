import { QueuedBuildResponse } from './queued-build.response';

/** A new build of an existing project, queued. */
export class UpdateProjectResponse extends QueuedBuildResponse {}
