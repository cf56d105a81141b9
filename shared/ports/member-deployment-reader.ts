import type { MemberDeployment } from '../organization/member-deployment.js';

/** What the member template published in one region of one account; never throws for a missing one. */
export interface MemberDeploymentReader {
  deploymentIn(region: string): Promise<MemberDeployment>;
}
