// Runs the integration tier against moto's server. When moto is missing, says so in one visible line:
// locally the tier is skipped; under CI (CI=true) that is a failure, because CI must run it.
import { spawnSync } from 'node:child_process';

const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0) {
  const why = probe.error ? 'python3 was not found' : "moto's server is not installed for python3";
  const line = `INTEGRATION TIER NOT RUN: ${why}. Install it with: pip install "moto[server]"`;
  if (process.env.CI === 'true') {
    console.error(`${line} (required under CI)`);
    process.exit(1);
  }
  console.warn(`${line} — skipped.`);
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
