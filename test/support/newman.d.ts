/** The part of newman's programmatic API the tests use (newman ships no typings). */
declare module 'newman' {
  interface NewmanExecution {
    item: { name: string };
    request: { method: string; url: { toString(): string } };
    response?: { code: number; text(): string };
    requestError?: Error;
    assertions?: { assertion: string; error?: { message: string } }[];
  }

  interface NewmanRunSummary {
    run: {
      executions: NewmanExecution[];
      failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[];
    };
  }

  interface NewmanRunOptions {
    collection: object | string;
    envVar?: { key: string; value: string }[];
    folder?: string | string[];
    reporters?: string | string[];
    timeoutRequest?: number;
  }

  export function run(
    options: NewmanRunOptions,
    callback: (error: Error | null, summary: NewmanRunSummary) => void,
  ): void;
}
