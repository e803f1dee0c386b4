import { IsIn, IsInt, IsNotEmpty, Min, ValidateIf } from 'class-validator';
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

  @IsInt()
  @Min(1)
  readonly outputMaxBytes: number = 100 * 1024 * 1024;

  @IsInt()
  @Min(1)
  readonly outputMaxFiles: number = 10_000;
}

/** What a build's output may hold to be published (see checkPublishableOutput). */
export interface OutputLimits {
  /** BUILD_OUTPUT_MAX_BYTES: the sum of its files' sizes. */
  readonly maxBytes: number;
  /** BUILD_OUTPUT_MAX_FILES: its files and folders together. */
  readonly maxFiles: number;
}

export class BuildersConfig {
  constructor(
    /** `template`: the built-in starter generator; `command`: BUILD_COMMAND. */
    readonly builder: BuilderKind,
    /** BUILD_TIMEOUT_MS, as BuildQueueConfig read and checked it (the queue's job expiry depends on it too). */
    readonly timeoutMs: number,
    readonly output: OutputLimits,
    /** The shell command run for every build with BUILDER=command; the operator's, never a request's. */
    readonly command?: string,
  ) {}

  /**
   * Reads BUILDER, BUILD_COMMAND and the output limits. BUILD_COMMAND's value never appears in a
   * message: a command line may carry a token.
   */
  static fromEnv(env: Environment, buildQueue: Pick<BuildQueueConfig, 'timeoutMs'>): BuildersConfig {
    const { builder, command, outputMaxBytes, outputMaxFiles } = configFromEnv(
      BuilderVariables,
      env,
      {
        builder: 'BUILDER',
        command: 'BUILD_COMMAND',
        outputMaxBytes: 'BUILD_OUTPUT_MAX_BYTES',
        outputMaxFiles: 'BUILD_OUTPUT_MAX_FILES',
      },
      { hidden: ['command'] },
    );
    return new BuildersConfig(
      builder,
      buildQueue.timeoutMs,
      { maxBytes: outputMaxBytes, maxFiles: outputMaxFiles },
      builder === 'command' ? command : undefined,
    );
  }
}
