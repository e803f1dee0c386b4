/**
 * A worker stand-in for test/e2e/build-sandbox.e2e-spec.ts: runs one sandboxed command build of the
 * context given as JSON in argv[2], with the command in argv[3], until the test kills it.
 */
import { BuildContext } from '../../src/build-worker/builders/builder';
import { BubblewrapSandbox } from '../../src/build-worker/builders/build-sandbox';
import { CommandBuilder } from '../../src/build-worker/builders/command-builder';
import { RecordedBuildLog } from './recorded-build-log';

const context: BuildContext = {
  ...(JSON.parse(process.argv[2]) as Omit<BuildContext, 'log'>),
  log: new RecordedBuildLog(),
};
const builder = new CommandBuilder({
  command: process.argv[3],
  timeoutMs: 60_000,
  projectsRoot: '/nonexistent',
  secrets: [],
  sandbox: new BubblewrapSandbox({
    network: false,
    readOnlyPaths: [],
    serviceFolders: [],
    memoryMaxBytes: 4 * 1024 ** 3,
  }),
});
void builder.build(context);
