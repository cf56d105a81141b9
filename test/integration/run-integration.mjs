// Runs the integration tier against moto's server. When moto is missing, says so in one visible line:
// locally the tier is skipped; under CI (CI=true) that is a failure, because CI must run it.
import { spawnSync } from 'node:child_process';
import { motoUnavailableReason } from '../../tooling/moto-server.mjs';

const unavailable = motoUnavailableReason();
if (unavailable) {
  const line = `INTEGRATION TIER NOT RUN: ${unavailable}`;
  if (process.env.CI === 'true') {
    console.error(`${line} (required under CI)`);
    process.exit(1);
  }
  console.warn(`${line} — skipped.`);
  process.exit(0);
}
const run = spawnSync('npx', ['vitest', 'run', '--project', 'integration', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
