import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export type Environment = Record<string, string | undefined>;

/** Names the environment variable behind each property of a config class. */
export type VariableNames<T> = { readonly [K in keyof T]-?: string };

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Reads one concern's variables into its config class and validates them, so a bad value stops the
 * process at start with the variable's name instead of surfacing later as an odd runtime failure.
 * An empty variable counts as unset, as shells and .env files commonly leave them.
 */
export function configFromEnv<T extends object>(
  target: ClassConstructor<T>,
  env: Environment,
  variables: VariableNames<T>,
): T {
  const raw: Record<string, string> = {};
  for (const [property, variable] of Object.entries<string>(variables)) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[property] = value;
  }
  const config = plainToInstance(target, raw, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new InvalidConfigError(errors.map((error) => describe(error, variables, env)));
  }
  return config;
}

function describe<T>(error: ValidationError, variables: VariableNames<T>, env: Environment): string {
  const variable = variables[error.property as keyof T];
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  return `${variable}=${JSON.stringify(env[variable] ?? '')}: ${reasons}`;
}
