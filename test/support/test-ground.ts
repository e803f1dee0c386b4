import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from './test-database';

/**
 * What a service under test stands on: a database and a projects root, each made for it or lent by
 * another (two processes on one database). Both the in-process app (test-app.ts) and the service
 * processes (service-processes.ts) open theirs here.
 */
export interface TestGround {
  readonly db: TestDatabase;
  readonly projectsRoot: string;
  /** Drops and removes what was made here; a lent database or projects root stays with its owner. */
  remove(): Promise<void>;
}

/** `label` names the projects root made here (`sheen-<label>-projects-…`). */
export async function openTestGround(
  label: string,
  lent: { readonly db?: TestDatabase; readonly projectsRoot?: string } = {},
): Promise<TestGround> {
  const db = lent.db ?? (await createTestDatabase());
  const ownDb = lent.db === undefined ? db : undefined;
  let projectsRoot: string;
  try {
    projectsRoot = lent.projectsRoot ?? (await mkdtemp(join(tmpdir(), `sheen-${label}-projects-`)));
  } catch (error) {
    await ownDb?.drop().catch(() => undefined);
    throw error;
  }
  const ownRoot = lent.projectsRoot === undefined ? projectsRoot : undefined;
  return {
    db,
    projectsRoot,
    remove: async () => {
      try {
        await ownDb?.drop();
      } finally {
        if (ownRoot) await rm(ownRoot, { recursive: true, force: true });
      }
    },
  };
}
