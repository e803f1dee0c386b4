import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { resolve } from 'node:path';
import { configFromEnv, Environment } from '../config/config-from-env';

export class WorkspaceConfig {
  /** Absolute, so a later change of working directory cannot move the tree. */
  @IsString()
  @Transform(({ value }: { value: string }) => resolve(value))
  readonly projectsRoot: string = resolve('.data/projects');

  static fromEnv(env: Environment): WorkspaceConfig {
    return configFromEnv(WorkspaceConfig, env, { projectsRoot: 'PROJECTS_ROOT' });
  }
}
