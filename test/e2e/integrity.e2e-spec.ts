import { Logger } from '@nestjs/common';
import { TestingModuleBuilder } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ABANDONED_BUILD_QUEUE, BUILD_QUEUE } from '../../src/build-queue/build-job';
import { ABANDONED_BUILD_ERROR, BuildOutcomesService } from '../../src/build-worker/build-outcomes.service';
import { JANITOR_LOCK } from '../../src/database/advisory-lock';
import { newUlid } from '../../src/ids/ids';
import { IntegrityAuditService } from '../../src/integrity/integrity-audit.service';
import { Finding, sortFindings } from '../../src/integrity/integrity-findings';
import { IntegrityReport } from '../../src/integrity/integrity-report';
import { JanitorConfig } from '../../src/integrity/janitor.config';
import { JanitorService } from '../../src/integrity/janitor.service';
import { runAuditCli } from '../support/audit-cli';
import { billingOfBuild } from '../support/build-billing';
import {
  age,
  ageRows,
  ageTree,
  createBuiltProject,
  createProject,
  CreatedProject,
  deleteJobOf,
  wipe,
} from '../support/integrity-fixtures';
import { withClient } from '../support/pg-client';
import { eventually } from '../support/processes';
import { persistedState } from '../support/persisted-state';
import { startTestApp, TestApp } from '../support/test-app';

/** Both apps would run a janitor round every 300 ms if their role allowed it. */
const FAST_JANITOR = (builder: TestingModuleBuilder) =>
  builder.overrideProvider(JanitorConfig).useValue(JanitorConfig.fromEnv({ JANITOR_INTERVAL_MS: '300' }));

/** A build command that fails for prompts that say "broken" and succeeds for the rest. */
const COMMAND = 'case "$PROMPT" in *broken*) echo broken >&2; exit 3;; esac; echo ok > "$OUTPUT_DIR/index.html"';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** API only: builds stay queued unless a test runs them, and the janitor runs only when a test calls it. */
let t: TestApp;
/** API and worker, as `npm start`: builds run, and the janitor runs on its own. */
let worker: TestApp;

beforeAll(async () => {
  [t, worker] = await Promise.all([
    startTestApp({ override: FAST_JANITOR }),
    startTestApp({
      roles: ['api', 'worker'],
      override: FAST_JANITOR,
      env: { BUILDER: 'command', BUILD_COMMAND: COMMAND, BUILD_MAX_ATTEMPTS: '2', BUILD_RETRY_DELAY_MS: '0' },
    }),
  ]);
});
afterAll(async () => {
  await Promise.all([t?.close(), worker?.close()]);
});

function audit(app: TestApp = t): Promise<IntegrityReport> {
  return app.app.get(IntegrityAuditService).audit(app.app.get(DataSource).manager);
}

async function buildRow(buildId: string) {
  const [build] = await t.db.query<{ status: string; error: string | null }>(
    `SELECT status, error FROM project_build_metrics WHERE build_id = $1`,
    [buildId],
  );
  return build;
}

/** A project folder no project owns, past the grace period unless told otherwise. */
async function orphanDirectory(root: string, { aged = true } = {}) {
  const [userId, projectId] = [randomUUID(), randomUUID()];
  const directory = join(root, userId, projectId);
  await mkdir(join(directory, 'source'), { recursive: true });
  if (aged) await age(directory);
  return { userId, projectId, directory };
}

const builds = (project: CreatedProject) => join(project.directory, 'builds');

describe('the integrity audit finds each kind of damage, and only it', () => {
  afterEach(() => wipe(t));

  it.each<[string, () => Promise<Finding[]>]>([
    [
      'a project without any build',
      async () => {
        const { projectId, userId } = await createProject(t);
        await t.db.query(`DELETE FROM project_build_metrics WHERE project_id = $1`, [projectId]);
        return [{ kind: 'project_without_build', projectId, userId }];
      },
    ],
    [
      'a version whose build did not succeed',
      async () => {
        const { projectId, buildId, versionId } = await createBuiltProject(t);
        await t.db.query(`UPDATE projects SET current_version_id = NULL WHERE id = $1`, [projectId]);
        await t.db.query(`UPDATE project_build_metrics SET status = 'failed', error = 'x' WHERE build_id = $1`, [
          buildId,
        ]);
        return [{ kind: 'version_of_unsucceeded_build', versionId, buildId, projectId, buildStatus: 'failed' }];
      },
    ],
    [
      'a succeeded build without its version',
      async () => {
        const project = await createBuiltProject(t);
        const { projectId, buildId, versionId } = project;
        await t.db.query(`UPDATE projects SET current_version_id = NULL WHERE id = $1`, [projectId]);
        await t.db.query(`DELETE FROM project_versions WHERE build_id = $1`, [buildId]);
        await rm(join(builds(project), buildId), { recursive: true });
        return [{ kind: 'succeeded_build_without_version', buildId, versionId, projectId }];
      },
    ],
    [
      "a current version that is another project's",
      async () => {
        const [mine, theirs] = [await createBuiltProject(t), await createBuiltProject(t)];
        await t.db.query(`UPDATE projects SET current_version_id = $2 WHERE id = $1`, [
          mine.projectId,
          theirs.versionId,
        ]);
        return [{ kind: 'invalid_current_version', projectId: mine.projectId, versionId: theirs.versionId }];
      },
    ],
    [
      'a current version whose build did not succeed',
      async () => {
        const { projectId, buildId, versionId } = await createBuiltProject(t);
        await t.db.query(`UPDATE project_build_metrics SET status = 'failed', error = 'x' WHERE build_id = $1`, [
          buildId,
        ]);
        return [
          { kind: 'version_of_unsucceeded_build', versionId, buildId, projectId, buildStatus: 'failed' },
          { kind: 'invalid_current_version', projectId, versionId },
        ];
      },
    ],
    [
      'a session still active for a finished build',
      async () => {
        const { buildId, sessionId } = await createBuiltProject(t);
        await t.db.query(
          `UPDATE ai_time_sessions SET status = 'active', closed_at = NULL, seconds_used = NULL WHERE build_id = $1`,
          [buildId],
        );
        await t.db.query(`DELETE FROM ai_time_ledger WHERE build_id = $1`, [buildId]);
        return [{ kind: 'active_session_of_finished_build', sessionId, buildId, buildStatus: 'succeeded' }];
      },
    ],
    [
      'a session still active for a canceled build (and nothing else: a canceled build is finished)',
      async () => {
        const { buildId, sessionId, userId } = await createProject(t);
        await t.http().post(`/v1/builds/${buildId}/cancel`).send({ userId }).expect(200);
        await t.db.query(
          `UPDATE ai_time_sessions SET status = 'active', closed_at = NULL, seconds_used = NULL WHERE build_id = $1`,
          [buildId],
        );
        await t.db.query(`DELETE FROM ai_time_ledger WHERE build_id = $1`, [buildId]);
        await ageRows(t);
        return [{ kind: 'active_session_of_finished_build', sessionId, buildId, buildStatus: 'canceled' }];
      },
    ],
    [
      'a closed session without its debit',
      async () => {
        const { buildId, sessionId } = await createBuiltProject(t);
        await t.db.query(`DELETE FROM ai_time_ledger WHERE build_id = $1`, [buildId]);
        return [{ kind: 'closed_session_without_debit', sessionId, buildId }];
      },
    ],
    [
      'a debit of another amount than its session',
      async () => {
        const { buildId, sessionId } = await createBuiltProject(t);
        await t.db.query(`UPDATE ai_time_ledger SET seconds = seconds - 5 WHERE build_id = $1`, [buildId]);
        const { session } = await billingOfBuild(t.db, buildId);
        const sessionSeconds = session.seconds_used!;
        return [
          { kind: 'debit_not_matching_session', sessionId, buildId, sessionSeconds, debitSeconds: sessionSeconds + 5 },
        ];
      },
    ],
    [
      'a debit whose session is still active',
      async () => {
        const { buildId, sessionId, userId } = await createProject(t);
        await t.db.query(
          `INSERT INTO ai_time_ledger (user_id, kind, seconds, build_id, reason) VALUES ($1, 'debit', -3, $2, 'build')`,
          [userId, buildId],
        );
        return [{ kind: 'debit_of_active_session', sessionId, buildId }];
      },
    ],
    [
      'a queued build whose job is gone',
      async () => {
        const { buildId, projectId, userId, versionId } = await createProject(t);
        await deleteJobOf(t, buildId);
        await ageRows(t);
        return [{ kind: 'build_without_live_job', buildId, projectId, userId, versionId, buildStatus: 'queued' }];
      },
    ],
    [
      'a running build whose job is gone',
      async () => {
        const project = await createProject(t);
        const { buildId, projectId, userId, versionId } = project;
        await t.app.get(BuildOutcomesService).startAttempt({ buildId, projectId, userId, versionId });
        await deleteJobOf(t, buildId);
        await ageRows(t);
        return [{ kind: 'build_without_live_job', buildId, projectId, userId, versionId, buildStatus: 'running' }];
      },
    ],
    [
      'a project directory without a project',
      async () => {
        const { userId, projectId } = await orphanDirectory(t.projectsRoot);
        return [{ kind: 'orphan_directory', userId, projectId }];
      },
    ],
    [
      "a project directory under a user who does not own the project (another's is the real one)",
      async () => {
        const { projectId } = await createProject(t);
        const stranger = randomUUID();
        await mkdir(join(t.projectsRoot, stranger, projectId), { recursive: true });
        await age(join(t.projectsRoot, stranger, projectId));
        return [{ kind: 'orphan_directory', userId: stranger, projectId }];
      },
    ],
    [
      'a project without its directory',
      async () => {
        const { projectId, userId } = await createProject(t);
        await rm(join(t.projectsRoot, userId), { recursive: true });
        await ageRows(t);
        return [{ kind: 'project_without_directory', projectId, userId }];
      },
    ],
    [
      'an attempt folder of a build that finished',
      async () => {
        const project = await createBuiltProject(t);
        const { userId, projectId, buildId } = project;
        const attemptFolder = join(builds(project), `.attempt-${buildId}-2`);
        await mkdir(attemptFolder);
        await age(attemptFolder);
        await ageRows(t);
        return [{ kind: 'stale_attempt_output', userId, projectId, buildId, attempt: 2 }];
      },
    ],
    [
      'a published output without a version',
      async () => {
        const project = await createBuiltProject(t);
        const stray = newUlid();
        await mkdir(join(builds(project), stray));
        return [
          { kind: 'output_without_version', userId: project.userId, projectId: project.projectId, buildId: stray },
        ];
      },
    ],
    [
      'a version without its published output',
      async () => {
        const project = await createBuiltProject(t);
        const { versionId, buildId, projectId, userId } = project;
        await rm(join(builds(project), buildId), { recursive: true });
        await ageRows(t);
        return [{ kind: 'version_without_output', versionId, buildId, projectId, userId }];
      },
    ],
    [
      'a current version that retention expired (its files removed, as retention does)',
      async () => {
        const project = await createBuiltProject(t);
        const { projectId, versionId, buildId } = project;
        await t.db.query(`UPDATE project_versions SET expired_at = now() WHERE version_id = $1`, [versionId]);
        await rm(join(builds(project), buildId), { recursive: true });
        await ageRows(t);
        return [{ kind: 'expired_current_version', projectId, versionId }];
      },
    ],
    [
      'the files of an expired version still there',
      async () => {
        const project = await createBuiltProject(t);
        const { versionId, buildId, projectId, userId } = project;
        await t.db.query(`UPDATE projects SET current_version_id = NULL WHERE id = $1`, [projectId]);
        await t.db.query(`UPDATE project_versions SET expired_at = now() WHERE version_id = $1`, [versionId]);
        return [{ kind: 'expired_version_output', versionId, buildId, projectId, userId }];
      },
    ],
    [
      'files, symlinks and names the service never makes',
      async () => {
        const project = await createBuiltProject(t);
        const { userId, projectId } = project;
        const link = randomUUID();
        await writeFile(join(t.projectsRoot, 'notes.txt'), 'stray');
        await symlink(tmpdir(), join(t.projectsRoot, link));
        await mkdir(join(t.projectsRoot, userId, 'not-a-project'));
        await writeFile(join(project.directory, 'stray.txt'), 'stray');
        await writeFile(join(builds(project), 'README'), 'stray');
        return [
          { kind: 'unexpected_entry', path: 'notes.txt' },
          { kind: 'unexpected_entry', path: link },
          { kind: 'unexpected_entry', path: `${userId}/not-a-project` },
          { kind: 'unexpected_entry', path: `${userId}/${projectId}/stray.txt` },
          { kind: 'unexpected_entry', path: `${userId}/${projectId}/builds/README` },
        ];
      },
    ],
  ])('%s', async (_what, damage) => {
    const expected = await damage();

    const report = await audit();

    expect(report.findings).toEqual(sortFindings(expected));
    expect(report.clean).toBe(false);
  });

  it('does not judge what may still be in the making, nor builds a job will still finish', async () => {
    // Running, with a leftover folder of an earlier attempt: the build's own until it finishes.
    const running = await createProject(t);
    await t.app.get(BuildOutcomesService).startAttempt(running);
    await t.app.get(BuildOutcomesService).startAttempt(running);
    await mkdir(join(builds(running), `.attempt-${running.buildId}-1`), { recursive: true });
    await ageTree(join(t.projectsRoot, running.userId));
    // Its job was moved to the abandoned queue, whose consumer will fail the build.
    const abandoned = await createProject(t);
    await t.db.query(`UPDATE pgboss.job SET state = 'failed' WHERE name = $1 AND data ->> 'buildId' = $2`, [
      BUILD_QUEUE,
      abandoned.buildId,
    ]);
    await t.db.query(
      `INSERT INTO pgboss.job (name, data) SELECT $1, data FROM pgboss.job WHERE data ->> 'buildId' = $2`,
      [ABANDONED_BUILD_QUEUE, abandoned.buildId],
    );
    await ageRows(t);
    // Younger than the grace period, as what a create still in flight makes: a build whose job is
    // gone, a project without its directory, a directory without its project.
    const fresh = await createProject(t);
    await deleteJobOf(t, fresh.buildId);
    const uncommitted = await createProject(t);
    await rm(join(t.projectsRoot, uncommitted.userId), { recursive: true });
    await orphanDirectory(t.projectsRoot, { aged: false });

    expect(await audit()).toMatchObject({ clean: true, findings: [] });
  });
});

describe('a healthy service', () => {
  afterEach(() => wipe(worker));

  it('audits clean after creates, updates, failures and deletes built by the worker, and its janitor changes nothing', async () => {
    const built = await Promise.all([createProject(worker), createProject(worker), createProject(worker)]);
    const failed = await createProject(worker, { prompt: 'a broken app' });
    const finished = (buildId: string) =>
      eventually(
        `build ${buildId} finished`,
        async () => {
          const [row] = await worker.db.query<{ status: string }>(
            `SELECT status FROM project_build_metrics WHERE build_id = $1`,
            [buildId],
          );
          return row.status === 'succeeded' || row.status === 'failed' ? row.status : undefined;
        },
        20_000,
      );
    expect(await Promise.all([...built, failed].map((project) => finished(project.buildId)))).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'failed',
    ]);
    const [updated, failedUpdate, deleted] = built;
    const updates = await Promise.all(
      [
        { project: updated, prompt: 'now with a calendar' },
        { project: failedUpdate, prompt: 'now broken' },
      ].map(({ project, prompt }) =>
        worker
          .http()
          .post('/v1/update-project')
          .send({ userId: project.userId, projectId: project.projectId, prompt })
          .expect(202),
      ),
    );
    expect(await Promise.all(updates.map(({ body }) => finished(body.buildId as string)))).toEqual([
      'succeeded',
      'failed',
    ]);
    await worker.http().delete(`/v1/projects/${deleted.projectId}?userId=${deleted.userId}`).expect(204);
    await ageRows(worker);
    await ageTree(worker.projectsRoot);
    const before = await persistedState(worker.db, worker.projectsRoot);
    expect(before).toMatchObject({ projects: 3, versions: 3, builds: 5 });

    expect(await audit(worker)).toMatchObject({ clean: true, findings: [] });
    expect(await worker.app.get(JanitorService).runOnce()).toBe(true);
    expect(await persistedState(worker.db, worker.projectsRoot)).toEqual(before);
  }, 60_000);

  it('runs the janitor on its own in a worker process, and not in an API-only one', async () => {
    const [inWorker, inApi] = [await orphanDirectory(worker.projectsRoot), await orphanDirectory(t.projectsRoot)];

    await eventually('the orphan removed', async () => ((await exists(inWorker.directory)) ? undefined : true), 5000);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(await exists(inApi.directory)).toBe(true);
    await rm(join(t.projectsRoot, inApi.userId), { recursive: true });
  });
});

describe('the janitor', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    return wipe(t);
  });

  it('fails builds no job will finish, removes orphan folders past the grace period, and leaves the rest alone', async () => {
    const logs = jest.spyOn(Logger.prototype, 'log');
    const stuck = await createProject(t);
    await deleteJobOf(t, stuck.buildId);
    const mismatched = await createBuiltProject(t);
    await t.db.query(`UPDATE ai_time_ledger SET seconds = seconds - 5 WHERE build_id = $1`, [mismatched.buildId]);
    await ageRows(t);
    // Created after the rows were aged: inside the grace period.
    const fresh = await createProject(t);
    await deleteJobOf(t, fresh.buildId);
    const orphan = await orphanDirectory(t.projectsRoot);
    const stranger = randomUUID();
    const strangersCopy = join(t.projectsRoot, stranger, mismatched.projectId);
    await mkdir(strangersCopy, { recursive: true });
    await age(strangersCopy);
    const youngOrphan = await orphanDirectory(t.projectsRoot, { aged: false });

    expect(await t.app.get(JanitorService).runOnce()).toBe(true);

    expect(await buildRow(stuck.buildId)).toEqual({ status: 'failed', error: ABANDONED_BUILD_ERROR });
    expect(await billingOfBuild(t.db, stuck.buildId)).toEqual({
      session: { status: 'closed', seconds_used: 1 },
      debits: [-1],
    });
    const [project] = await t.db.query(`SELECT build_status FROM projects WHERE id = $1`, [stuck.projectId]);
    expect(project).toEqual({ build_status: 'failed' });
    expect(await buildRow(fresh.buildId)).toEqual({ status: 'queued', error: null });
    expect(await billingOfBuild(t.db, fresh.buildId)).toEqual({
      session: { status: 'active', seconds_used: null },
      debits: [],
    });
    expect(await readdir(t.projectsRoot)).toEqual(
      [stuck.userId, mismatched.userId, fresh.userId, youngOrphan.userId].sort(),
    );
    expect(await exists(mismatched.directory)).toBe(true);
    expect(await exists(youngOrphan.directory)).toBe(true);
    const repairs = logs.mock.calls
      .map(([message]) => String(message))
      .filter((message) => /^(failed|removed) /.test(message));
    expect(repairs.sort()).toEqual(
      [
        `failed build ${stuck.buildId} of project ${stuck.projectId} (user ${stuck.userId}): queued with no live job`,
        `removed orphan directory of project ${orphan.projectId} (user ${orphan.userId})`,
        `removed orphan directory of project ${mismatched.projectId} (user ${stranger})`,
      ].sort(),
    );
    // The rest is reported, not repaired.
    expect((await audit()).findings).toEqual([expect.objectContaining({ kind: 'debit_not_matching_session' })]);
  });

  it('repairs a build once, however many rounds see it', async () => {
    const stuck = await createProject(t);
    await deleteJobOf(t, stuck.buildId);
    await ageRows(t);

    await Promise.all([t.app.get(JanitorService).runOnce(), t.app.get(JanitorService).runOnce()]);
    await t.app.get(JanitorService).runOnce();

    expect((await billingOfBuild(t.db, stuck.buildId)).debits).toEqual([-1]);
  });

  it('keeps a directory whose project was created between the listing and the removal', async () => {
    const orphan = await orphanDirectory(t.projectsRoot);
    const audit = t.app.get(IntegrityAuditService);
    const listed = audit.removableDirectories.bind(audit);
    jest.spyOn(audit, 'removableDirectories').mockImplementation(async (manager) => {
      const removable = await listed(manager);
      // A legacy client claims the id meanwhile: its create replaces the leftover with a fresh directory.
      await createProject(t, { userId: orphan.userId, projectId: orphan.projectId });
      return removable;
    });

    expect(await t.app.get(JanitorService).runOnce()).toBe(true);

    expect(await readdir(orphan.directory)).toEqual([]);
  });

  it("skips its round while another process's janitor holds the lock", async () => {
    const orphan = await orphanDirectory(t.projectsRoot);

    await withClient(t.db.url, async (otherProcess) => {
      await otherProcess.query('SELECT pg_advisory_lock($1, $2)', [JANITOR_LOCK.namespace, JANITOR_LOCK.key]);

      expect(await t.app.get(JanitorService).runOnce()).toBe(false);
      expect(await exists(orphan.directory)).toBe(true);
    });

    expect(await t.app.get(JanitorService).runOnce()).toBe(true);
    expect(await exists(orphan.directory)).toBe(false);
  });

  it('never follows a symlink out of the root', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'sheen-outside-'));
    try {
      const [linkedUser, projectId] = [randomUUID(), randomUUID()];
      await mkdir(join(outside, projectId));
      await age(join(outside, projectId));
      await symlink(outside, join(t.projectsRoot, linkedUser));

      expect(await t.app.get(JanitorService).runOnce()).toBe(true);

      expect(await readdir(outside)).toEqual([projectId]);
      expect((await audit()).findings).toEqual([{ kind: 'unexpected_entry', path: linkedUser }]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});

describe('npm run audit:integrity', () => {
  afterEach(() => wipe(t));

  it('exits 0 when clean, 1 with a text or JSON report when damaged, 2 when the database is unreachable', async () => {
    const env = { DATABASE_URL: t.db.url, PROJECTS_ROOT: t.projectsRoot };
    await createBuiltProject(t);
    await ageRows(t);
    await ageTree(t.projectsRoot);
    const [clean, unreachable] = await Promise.all([
      runAuditCli(env),
      runAuditCli({ ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }),
    ]);
    const orphan = await orphanDirectory(t.projectsRoot);
    const { buildId, sessionId } = await createBuiltProject(t);
    await t.db.query(`DELETE FROM ai_time_ledger WHERE build_id = $1`, [buildId]);
    const [text, json] = await Promise.all([runAuditCli(env), runAuditCli(env, ['--json'])]);

    expect(clean).toMatchObject({ code: 0, stderr: '' });
    expect(clean.stdout).toMatch(/^clean: no findings \(checked at \d{4}-\d\d-\d\dT[^)]+\)\n$/);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/^integrity audit failed: .*ECONNREFUSED.*\n$/);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n')).toEqual([
      `closed_session_without_debit sessionId=${sessionId} buildId=${buildId}`,
      `orphan_directory userId=${orphan.userId} projectId=${orphan.projectId}`,
      expect.stringMatching(/^2 findings: 1 closed_session_without_debit, 1 orphan_directory \(checked at .+\)$/),
      '',
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      clean: false,
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      findings: [
        { kind: 'closed_session_without_debit', sessionId, buildId },
        { kind: 'orphan_directory', userId: orphan.userId, projectId: orphan.projectId },
      ],
    });
  }, 180_000);
});
