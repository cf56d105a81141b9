// Writes a release of organization mode, offline: the member and central templates to
// dist/cloudformation/ and the function zips to dist/artifacts/<service>/<version>/, ready for
// scripts/upload-artifacts.mjs. Called by infra/package-template.mjs with the template osls
// packaged for the member (watchedBuckets=*).
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { centralTemplate } from './central-template.mjs';
import { memberTemplate } from './member-template.mjs';
import { ORGANIZATION_FUNCTIONS } from './release.mjs';
import { writeFunctionZips } from './function-zips.mjs';

export const MEMBER_TEMPLATE_FILE = 'organization-member.json';
export const CENTRAL_TEMPLATE_FILE = 'organization-central.json';

/** The most a template body passed inline (--template-body) may hold. */
export const TEMPLATE_BODY_LIMIT = 51200;

/**
 * @param {unknown} template
 * @param {string} name
 */
export const templateBody = (template, name) => {
  const body = `${JSON.stringify(template)}\n`;
  if (Buffer.byteLength(body, 'utf8') > TEMPLATE_BODY_LIMIT) throw new Error(`${name} is ${Buffer.byteLength(body, 'utf8')} bytes, over CloudFormation's ${TEMPLATE_BODY_LIMIT}-byte template body`);
  return body;
};

/**
 * @param {{ projectRoot: string, packagedMemberSource: import('./member-template.mjs').Template, version: string }} options
 */
export const packageOrganization = ({ projectRoot, packagedMemberSource, version }) => {
  const templatesDir = join(projectRoot, 'dist', 'cloudformation');
  mkdirSync(templatesDir, { recursive: true });
  const member = join(templatesDir, MEMBER_TEMPLATE_FILE);
  const central = join(templatesDir, CENTRAL_TEMPLATE_FILE);
  // Compact: CloudFormation takes a template body of at most 51,200 bytes (a StackSet's too);
  // anything larger has to be uploaded to S3 first.
  writeFileSync(member, templateBody(memberTemplate(packagedMemberSource, { version }), MEMBER_TEMPLATE_FILE));
  writeFileSync(central, templateBody(centralTemplate({ version }), CENTRAL_TEMPLATE_FILE));
  const zips = writeFunctionZips({ projectRoot, artifactsDir: join(projectRoot, 'dist', 'artifacts'), version, functions: ORGANIZATION_FUNCTIONS });
  return { templates: [member, central], ...zips };
};
