import 'reflect-metadata';
import { ClassConstructor, plainToInstance, Transform } from 'class-transformer';
import { IsInt, Max, Min, validateSync, ValidationError } from 'class-validator';

export type Environment = Record<string, string | undefined>;

/** Names the environment variable behind each property of a config class. */
export type VariableNames<T> = { readonly [K in keyof T]-?: string };

export interface ConfigFromEnvOptions<T> {
  /** Properties whose values never appear in a message (secrets): messages reach logs. */
  readonly hidden?: readonly (keyof T)[];
}

/**
 * An integer field of a config class, from `min` to `max` (no upper bound without one). Registered
 * in the order the three decorators stacked would be, so messages read the same.
 */
export function IntegerIn(min: number, max?: number): PropertyDecorator {
  return (target, property) => {
    if (max !== undefined) Max(max)(target, property);
    Min(min)(target, property);
    IsInt()(target, property);
  };
}

/**
 * A list field of a config class, read from one variable as comma-separated items with the blanks
 * around each trimmed; an empty item stays, so its validator can refuse it. `unique` drops repeats.
 */
export function CommaSeparated({ unique = false }: { unique?: boolean } = {}): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const items = value.split(',').map((item) => item.trim());
    return unique ? [...new Set(items)] : items;
  });
}

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Reads one concern's variables into its config class and validates them, so a bad value stops the
 * process at start with the variable's name instead of surfacing later as an odd runtime failure.
 * A blank variable counts as unset, as shells and .env files commonly leave them. A number must be
 * written as a plain decimal integer: `0x10`, `1e3` or `12abc` are refused, not reinterpreted.
 */
export function configFromEnv<T extends object>(
  target: ClassConstructor<T>,
  env: Environment,
  variables: VariableNames<T>,
  { hidden = [] }: ConfigFromEnvOptions<T> = {},
): T {
  const hiddenVariables = new Set(hidden.map((property) => variables[property]));
  const show = (variable: string): string => shown(env[variable], hiddenVariables.has(variable));
  const raw: Record<string, string> = {};
  const problems: string[] = [];
  for (const [property, variable] of Object.entries<string>(variables)) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    if (isNumberProperty(target, property) && !DECIMAL_INTEGER.test(value)) {
      problems.push(`${variable}=${show(variable)}: must be a decimal integer`);
    }
    raw[property] = value;
  }
  const config = plainToInstance(target, raw, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { forbidUnknownValues: true, stopAtFirstError: true });
  const reported = new Set(problems.map((problem) => problem.split('=')[0]));
  for (const error of errors) {
    const variable = variables[error.property as keyof T];
    if (!reported.has(variable)) problems.push(`${variable}=${show(variable)}: ${reasons(error)}`);
  }
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return config;
}

const DECIMAL_INTEGER = /^-?\d+$/;

function isNumberProperty(target: ClassConstructor<object>, property: string): boolean {
  return Reflect.getMetadata('design:type', target.prototype as object, property) === Number;
}

function reasons(error: ValidationError): string {
  return Object.values(error.constraints ?? {}).join('; ');
}

/**
 * The value as the message shows it, with a hidden one masked, and in a URL the password, or a user
 * name without one (often a token), since messages reach logs.
 */
function shown(value: string | undefined, hidden: boolean): string {
  if (hidden) return value?.trim() ? '"***"' : '""';
  return JSON.stringify((value ?? '').replace(/(\/\/(?:[^/:@\s]*:)?)[^@/\s]*@/, '$1***@'));
}
