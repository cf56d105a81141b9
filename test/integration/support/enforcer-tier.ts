import { afterAll, beforeAll, beforeEach } from 'vitest';
import { prepareEnforcerFixture, type EnforcerFixture } from './enforcer-fixture.js';
import { motoClients, type MotoClients } from './moto-clients.js';
import { startMotoServer, type MotoServer } from './moto-server.js';

export interface EnforcerTier {
  moto: MotoServer;
  clients: MotoClients;
  /** Provisioned again before each test, on a reset endpoint. */
  fixture: EnforcerFixture;
}

/**
 * One moto server per test file, reset before each test with the enforcer's keys, topic and inbox
 * provisioned again. `onChange` receives the tier after each step, so a test file can keep plain
 * variables: `useEnforcerTier((tier) => ({ moto, clients, fixture } = tier))`.
 */
export const useEnforcerTier = (onChange: (tier: EnforcerTier) => void): void => {
  const tier = {} as EnforcerTier;
  beforeAll(async () => {
    tier.moto = await startMotoServer();
    tier.clients = motoClients(tier.moto.endpoint);
    onChange(tier);
  });
  afterAll(async () => {
    tier.clients?.destroy();
    await tier.moto?.stop();
  });
  beforeEach(async () => {
    await tier.moto.reset();
    tier.fixture = await prepareEnforcerFixture(tier.moto.endpoint, tier.clients);
    onChange(tier);
  });
};
