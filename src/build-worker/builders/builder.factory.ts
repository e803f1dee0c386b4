import type { WorkspaceConfig } from '../../workspace/workspace.config';
import type { Builder } from './builder';
import type { BuildersConfig } from './builders.config';
import { BubblewrapSandbox } from './build-sandbox';
import { CommandBuilder } from './command-builder';
import type { ServiceSecrets } from './service-secrets';
import { TemplateBuilder } from './template-builder';

/** The builder BUILDER names, with the build timeout, and PROJECTS_ROOT and the secrets kept out of failure details. */
export function createBuilder(
  config: BuildersConfig,
  workspace: Pick<WorkspaceConfig, 'projectsRoot'>,
  secrets: ServiceSecrets,
): Builder {
  const { timeoutMs } = config;
  const { projectsRoot } = workspace;
  switch (config.builder) {
    case 'template':
      return new TemplateBuilder({ timeoutMs, projectsRoot });
    case 'command':
      // BuildersConfig.fromEnv refuses BUILDER=command without a command; this guards hand-made configs.
      if (!config.command) throw new Error('BUILDER=command needs BUILD_COMMAND');
      return new CommandBuilder({
        command: config.command,
        timeoutMs,
        projectsRoot,
        secrets: secrets.values,
        sandbox:
          config.sandbox.kind === 'bubblewrap'
            ? new BubblewrapSandbox({ ...config.sandbox, serviceFolders: [process.cwd(), projectsRoot] })
            : undefined,
      });
  }
}
