import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from '../app-config';
import { InvalidConfigError } from '../config/config-from-env';
import { postgresOptions } from '../database/data-source-options';
import { ProjectDirectoriesService } from '../workspace/project-directories.service';
import { WorkspaceScanService } from '../workspace/workspace-scan.service';
import { openAuditDatabase } from './audit-database';
import { IntegrityAuditService } from './integrity-audit.service';
import { reportAsJson, reportAsText } from './integrity-report';

/**
 * `npm run audit:integrity [-- --json]`: audits the database and PROJECTS_ROOT with the service's
 * own configuration, without booting the service. Exit 0 when clean, 1 with findings, 2 when the
 * audit could not run (the reason on stderr, no stack trace). Reads only; repairs are the janitor's.
 */
async function main(args: string[]): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--json');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (usage: audit:integrity [--json])`);
  const config = loadAppConfig(process.env);
  const database = await openAuditDatabase(config.database, (line) => process.stderr.write(`${line}\n`));
  try {
    const dataSource = new DataSource(postgresOptions(database.url));
    await dataSource.initialize();
    try {
      const audit = new IntegrityAuditService(
        new WorkspaceScanService(config.workspace, new ProjectDirectoriesService(config.workspace)),
      );
      const report = await audit.audit(dataSource.manager);
      process.stdout.write(args.includes('--json') ? reportAsJson(report) : reportAsText(report));
      return report.clean ? 0 : 1;
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.close();
  }
}

function reason(error: unknown): string {
  if (error instanceof InvalidConfigError) return error.message;
  // A refused connection to a host with several addresses is an AggregateError without a message.
  if (error instanceof AggregateError && !error.message) return error.errors.map(reason).join('; ');
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`integrity audit failed: ${reason(error)}\n`);
    process.exit(2);
  },
);
