import { join } from 'node:path';
import { freePort } from '../src/net/free-port';
import { ChildServer, THIS_CHECKOUT } from './child-server';

/** plan-design-server.ts, run from source on the benchmark's own Node as the benchmark itself runs. */
const SCRIPT = join(__dirname, 'plan-design-server.ts');

/** The product plan's design of a create (plan-design-server.ts) as a process of its own. */
export async function startPlanDesign(databaseUrl: string, projectsRoot: string): Promise<ChildServer> {
  const port = await freePort();
  return ChildServer.start({
    name: 'the plan design',
    args: ['-r', 'ts-node/register/transpile-only', SCRIPT],
    cwd: THIS_CHECKOUT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), PROJECTS_ROOT: projectsRoot },
    port,
    readyPath: '/health/ready',
  });
}
