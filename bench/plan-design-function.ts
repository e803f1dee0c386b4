import { Client } from 'pg';

/**
 * The product plan's create as one database function, which the benchmark creates in its own
 * database (it is no migration of the service): the user's AI-time balance ensured with the welcome
 * seconds (the session references it), the project, its first build, the project pointed at that
 * build, the build's AI-time session. The three ULIDs come from Node, as the service's do
 * (PostgreSQL has no ULID function). It enqueues no build job: the plan's function does not.
 */
export function createCompleteProjectSql(welcomeSeconds: number): string {
  return `
    CREATE OR REPLACE FUNCTION create_complete_project(
      p_user_id uuid, p_name text, p_framework text, p_prompt text,
      p_build_id ulid, p_version_id ulid, p_session_id ulid,
      OUT project_id uuid, OUT build_id ulid, OUT version_id ulid, OUT build_metrics_id integer, OUT session_id ulid)
    LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ai_time_balances (user_id, seconds_remaining) VALUES (p_user_id, ${Math.trunc(welcomeSeconds)})
      ON CONFLICT (user_id) DO NOTHING;
      INSERT INTO projects (id, owner_id, name, framework, id_source)
      VALUES (gen_random_uuid(), p_user_id, p_name, p_framework, 'server')
      RETURNING id INTO project_id;
      INSERT INTO project_build_metrics (build_id, version_id, project_id, user_id, is_initial_build, status, framework, prompt)
      VALUES (p_build_id, p_version_id, project_id, p_user_id, true, 'queued', p_framework, p_prompt)
      RETURNING id INTO build_metrics_id;
      UPDATE projects SET current_build_id = p_build_id, build_status = 'queued', last_build_started = now(), updated_at = now()
       WHERE id = project_id;
      INSERT INTO ai_time_sessions (id, user_id, project_id, build_id) VALUES (p_session_id, p_user_id, project_id, p_build_id);
      build_id := p_build_id;
      version_id := p_version_id;
      session_id := p_session_id;
    END $$`;
}

/** Creates (or replaces) the function in the migrated database at `url`. */
export async function installCreateCompleteProject(url: string, welcomeSeconds: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(createCompleteProjectSql(welcomeSeconds));
  } finally {
    await client.end();
  }
}
