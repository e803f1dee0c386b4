import { inSpan } from './spans';

/**
 * Runs every call of the decorated async method in a child span named `name` (see inSpan). For
 * service methods: Nest's route and handler metadata would not follow the wrapped function.
 */
export function Traced(name: string): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    descriptor.value = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      return inSpan(name, () => method.apply(this, args));
    };
  };
}
