import { IsIn, IsNotEmpty, ValidateIf } from 'class-validator';
import { configFromEnv, Environment } from '../../config/config-from-env';
import type { BuildQueueConfig } from '../build-queue.config';

export const BUILDER_KINDS = ['template', 'command'] as const;

export type BuilderKind = (typeof BUILDER_KINDS)[number];

/** The variables only the builders read. */
class BuilderVariables {
  @IsIn(BUILDER_KINDS, { message: `must be one of: ${BUILDER_KINDS.join(', ')}` })
  readonly builder: BuilderKind = 'template';

  @ValidateIf((variables: BuilderVariables) => variables.builder === 'command')
  @IsNotEmpty({ message: 'must be set when BUILDER=command' })
  readonly command?: string;
}

export class BuildersConfig {
  constructor(
    /** `template`: the built-in starter generator; `command`: BUILD_COMMAND. */
    readonly builder: BuilderKind,
    /** BUILD_TIMEOUT_MS, as BuildQueueConfig read and checked it (the queue's job expiry depends on it too). */
    readonly timeoutMs: number,
    /** The shell command run for every build with BUILDER=command; the operator's, never a request's. */
    readonly command?: string,
  ) {}

  /**
   * Reads BUILDER and BUILD_COMMAND. BUILD_COMMAND's value never appears in a message: a command
   * line may carry a token.
   */
  static fromEnv(env: Environment, buildQueue: Pick<BuildQueueConfig, 'timeoutMs'>): BuildersConfig {
    const { builder, command } = configFromEnv(
      BuilderVariables,
      env,
      { builder: 'BUILDER', command: 'BUILD_COMMAND' },
      { hidden: ['command'] },
    );
    return new BuildersConfig(builder, buildQueue.timeoutMs, builder === 'command' ? command : undefined);
  }
}
