// configFromEnv reads design-time types through reflect-metadata, which main.ts loads first.
import 'reflect-metadata';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { configError } from '../../test/support/config-errors';
import { CommaSeparated, configFromEnv, Environment, InvalidConfigError } from './config-from-env';

/** A config class of the shape every concern declares: defaults, numbers, an optional URL. */
class SampleConfig {
  @IsInt()
  @Min(0)
  @Max(100)
  readonly count: number = 10;

  @IsString()
  readonly label: string = 'default-label';

  @IsOptional()
  @Matches(/^postgres:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  readonly url?: string;
}

const VARIABLES = { count: 'SAMPLE_COUNT', label: 'SAMPLE_LABEL', url: 'SAMPLE_URL' } as const;

const load = (env: Environment): SampleConfig => configFromEnv(SampleConfig, env, VARIABLES);

describe('configFromEnv', () => {
  it('gives the class defaults when no variable is set', () => {
    const config = load({});

    expect(config).toBeInstanceOf(SampleConfig);
    expect({ ...config }).toEqual({ count: 10, label: 'default-label' });
    expect(config.url).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect({ ...load({ SAMPLE_COUNT: '', SAMPLE_LABEL: '', SAMPLE_URL: '' }) }).toEqual({
      count: 10,
      label: 'default-label',
    });
  });

  it('never turns a blank number variable (spaces only) into 0', () => {
    // Number('  ') is 0, and 0 is a meaningful value for several settings (PORT, welcome seconds).
    let count: number;
    try {
      count = load({ SAMPLE_COUNT: '  ' }).count;
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as InvalidConfigError).problems).toEqual([expect.stringMatching(/^SAMPLE_COUNT=/)]);
      return;
    }
    expect(count).toBe(10);
  });

  it('reads each property from its own variable and converts numbers', () => {
    const config = load({ SAMPLE_COUNT: '42', SAMPLE_LABEL: 'hello', SAMPLE_URL: 'postgres://db/x' });

    expect(config.count).toBe(42);
    expect(typeof config.count).toBe('number');
    expect(config.label).toBe('hello');
    expect(config.url).toBe('postgres://db/x');
  });

  it('reads 0 as 0, not as unset', () => {
    expect(load({ SAMPLE_COUNT: '0' }).count).toBe(0);
  });

  it('keeps a string that looks like a number as a string for a string property', () => {
    expect(load({ SAMPLE_LABEL: '123' }).label).toBe('123');
  });

  it('ignores variables it was not asked about, including ones named like the properties', () => {
    expect({ ...load({ count: '50', COUNT: '50', OTHER: 'x' }) }).toEqual({ count: 10, label: 'default-label' });
  });

  it.each(['abc', '12abc', '1.5', '101', '-3', 'NaN', 'Infinity'])(
    'refuses SAMPLE_COUNT=%j, naming the variable and its value',
    (value) => {
      const error = configError(load, { SAMPLE_COUNT: value });

      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(new RegExp(`^SAMPLE_COUNT=${JSON.stringify(value)}: `));
      expect(error.message).toContain('SAMPLE_COUNT');
      expect(error.name).toBe('InvalidConfigError');
    },
  );

  it('says why a value was refused, in the message of the constraint', () => {
    expect(configError(load, { SAMPLE_URL: 'mysql://db' }).problems).toEqual([
      'SAMPLE_URL="mysql://db": must be a postgres:// URL',
    ]);
  });

  it('reports every bad variable at once', () => {
    const error = configError(load, { SAMPLE_COUNT: 'many', SAMPLE_URL: 'http://db' });

    expect(error.problems).toHaveLength(2);
    expect(error.problems.map((problem) => problem.split('=')[0]).sort()).toEqual(['SAMPLE_COUNT', 'SAMPLE_URL']);
    expect(error.message).toContain('SAMPLE_COUNT');
    expect(error.message).toContain('SAMPLE_URL');
  });

  it('never shows the value of a hidden variable', () => {
    const hidden = (env: Environment): SampleConfig =>
      configFromEnv(SampleConfig, env, VARIABLES, { hidden: ['label', 'url'] });

    expect(configError(hidden, { SAMPLE_URL: 'mysql://user:hunter2@db' }).problems).toEqual([
      'SAMPLE_URL="***": must be a postgres:// URL',
    ]);
    expect(hidden({ SAMPLE_LABEL: 'hunter2' }).label).toBe('hunter2');
    expect(configError(hidden, { SAMPLE_COUNT: 'x', SAMPLE_URL: ' ' }).problems).toEqual([
      'SAMPLE_COUNT="x": must be a decimal integer',
    ]);
  });

  it('shows a URL without its password, or its user name when it has no password (often a token)', () => {
    expect(configError(load, { SAMPLE_URL: 'https://user:hunter2@db/x' }).problems).toEqual([
      'SAMPLE_URL="https://user:***@db/x": must be a postgres:// URL',
    ]);
    expect(configError(load, { SAMPLE_URL: 'https://hunter2@db/a@b' }).problems).toEqual([
      'SAMPLE_URL="https://***@db/a@b": must be a postgres:// URL',
    ]);
  });

  describe('CommaSeparated', () => {
    class ListConfig {
      @MinLength(1, { each: true, message: 'no item may be empty' })
      @CommaSeparated()
      readonly items: string[] = [];

      @CommaSeparated({ unique: true })
      readonly unique: string[] = [];
    }
    const loadList = (env: Environment): ListConfig =>
      configFromEnv(ListConfig, env, { items: 'SAMPLE_ITEMS', unique: 'SAMPLE_UNIQUE' });

    it('reads a list, each item trimmed, in order, repeats kept unless unique', () => {
      expect({ ...loadList({ SAMPLE_ITEMS: ' b , a,b', SAMPLE_UNIQUE: 'b, a ,b' }) }).toEqual({
        items: ['b', 'a', 'b'],
        unique: ['b', 'a'],
      });
      expect({ ...loadList({}) }).toEqual({ items: [], unique: [] });
    });

    it('keeps an empty item, so its validator refuses it', () => {
      expect(configError(loadList, { SAMPLE_ITEMS: 'a,,b' }).problems).toEqual([
        'SAMPLE_ITEMS="a,,b": no item may be empty',
      ]);
    });
  });

  it('does not report the good variables next to the bad ones', () => {
    const error = configError(load, { SAMPLE_COUNT: 'many', SAMPLE_LABEL: 'fine', SAMPLE_URL: 'postgres://db/x' });

    expect(error.problems).toHaveLength(1);
    expect(error.message).not.toContain('SAMPLE_LABEL');
    expect(error.message).not.toContain('SAMPLE_URL');
  });
});
