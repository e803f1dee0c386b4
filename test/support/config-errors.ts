import { Environment, InvalidConfigError } from '../../src/config/config-from-env';

/** The InvalidConfigError `load` throws for `env`; fails the test if it throws anything else, or nothing. */
export function configError(load: (env: Environment) => unknown, env: Environment): InvalidConfigError {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return error as InvalidConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

/** The variables an InvalidConfigError names, one per problem. */
export const namedVariables = (error: InvalidConfigError): string[] =>
  error.problems.map((problem) => problem.slice(0, problem.indexOf('='))).sort();
