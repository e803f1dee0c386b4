import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Min, ValidateIf } from 'class-validator';
import { configFromEnv, Environment, InvalidConfigError, IntegerIn } from '../../config/config-from-env';
import type { BuildQueueConfig } from '../../build-queue/build-queue.config';

export const BUILDER_KINDS = ['template', 'command'] as const;

export type BuilderKind = (typeof BUILDER_KINDS)[number];

/** `bubblewrap`: every command build in a bwrap sandbox (see build-sandbox.ts); `none`: development only. */
export const BUILD_SANDBOXES = ['bubblewrap', 'none'] as const;

export type BuildSandboxKind = (typeof BUILD_SANDBOXES)[number];

const ON_OFF = ['on', 'off'] as const;

const MIN_BUILD_MEMORY_BYTES = 16 * 1024 * 1024;

/** The variables only the builders read. */
class BuilderVariables {
  @IsIn(BUILDER_KINDS, { message: `must be one of: ${BUILDER_KINDS.join(', ')}` })
  readonly builder: BuilderKind = 'template';

  @ValidateIf((variables: BuilderVariables) => variables.builder === 'command')
  @IsNotEmpty({ message: 'must be set when BUILDER=command' })
  readonly command?: string;

  @IsIn(BUILD_SANDBOXES, { message: `must be one of: ${BUILD_SANDBOXES.join(', ')}` })
  readonly sandbox: BuildSandboxKind = 'bubblewrap';

  @IsIn(ON_OFF, { message: `must be one of: ${ON_OFF.join(', ')}` })
  readonly network: (typeof ON_OFF)[number] = 'off';

  @Matches(/^\//, { each: true, message: 'each comma-separated path must be absolute' })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((path) => path.trim())
          .filter(Boolean)
      : value,
  )
  readonly readOnlyPaths: string[] = [];

  @IsOptional()
  @IsString()
  readonly nodeEnv?: string;

  @IntegerIn(1)
  readonly outputMaxBytes: number = 100 * 1024 * 1024;

  @IntegerIn(1)
  readonly outputMaxFiles: number = 10_000;

  /** Below this, a shell and its first command would not start. */
  @IsInt()
  @Min(MIN_BUILD_MEMORY_BYTES, { message: `must be at least ${MIN_BUILD_MEMORY_BYTES} (16 MiB)` })
  readonly memoryMaxBytes: number = 4 * 1024 * 1024 * 1024;
}

/** How a command build is confined (see BubblewrapSandbox). */
export interface SandboxSettings {
  /** BUILD_SANDBOX. */
  readonly kind: BuildSandboxKind;
  /** BUILD_NETWORK=on: the build may reach the network. */
  readonly network: boolean;
  /** BUILD_READ_ONLY_PATHS: the operator's toolchain, shown read-only at the same path. */
  readonly readOnlyPaths: readonly string[];
  /** BUILD_MEMORY_MAX_BYTES: what a sandboxed build's processes may hold together, where the kernel allows. */
  readonly memoryMaxBytes: number;
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
    readonly sandbox: SandboxSettings,
    /** The shell command run for every build with BUILDER=command; the operator's, never a request's. */
    readonly command?: string,
  ) {}

  /**
   * Reads BUILDER, BUILD_COMMAND, the sandbox and the output limits; NODE_ENV=production refuses a
   * command build without the sandbox. BUILD_COMMAND's value never appears in a
   * message: a command line may carry a token.
   */
  static fromEnv(env: Environment, buildQueue: Pick<BuildQueueConfig, 'timeoutMs'>): BuildersConfig {
    const {
      builder,
      command,
      sandbox,
      network,
      readOnlyPaths,
      nodeEnv,
      outputMaxBytes,
      outputMaxFiles,
      memoryMaxBytes,
    } = configFromEnv(
      BuilderVariables,
      env,
      {
        builder: 'BUILDER',
        command: 'BUILD_COMMAND',
        sandbox: 'BUILD_SANDBOX',
        network: 'BUILD_NETWORK',
        readOnlyPaths: 'BUILD_READ_ONLY_PATHS',
        nodeEnv: 'NODE_ENV',
        outputMaxBytes: 'BUILD_OUTPUT_MAX_BYTES',
        outputMaxFiles: 'BUILD_OUTPUT_MAX_FILES',
        memoryMaxBytes: 'BUILD_MEMORY_MAX_BYTES',
      },
      { hidden: ['command'] },
    );
    if (builder === 'command' && nodeEnv === 'production' && sandbox !== 'bubblewrap') {
      throw new InvalidConfigError([
        `BUILD_SANDBOX="${sandbox}": must be bubblewrap when NODE_ENV=production and BUILDER=command`,
      ]);
    }
    return new BuildersConfig(
      builder,
      buildQueue.timeoutMs,
      { maxBytes: outputMaxBytes, maxFiles: outputMaxFiles },
      { kind: sandbox, network: network === 'on', readOnlyPaths, memoryMaxBytes },
      builder === 'command' ? command : undefined,
    );
  }
}
