// Section 1: S3 API calls per object, for each encryption class, strategy and Object Ownership,
// against the minimum (HeadObject for a compliant object, HeadObject and one write otherwise).
import { columns, markdownTable, say } from '../lib/output.mjs';
import { fixed, mib } from '../lib/stats.mjs';
import { SETTINGS } from '../settings.mjs';

/** @import { RunEnforce } from '../lib/enforce-runner.mjs' */
/** @import { SectionReport } from '../lib/output.mjs' */

const PRIMARY_WRITES = ['UpdateObjectEncryptionCommand', 'CopyObjectCommand', 'CreateMultipartUploadCommand'];
const COMMAND_ORDER = [
  'HeadObjectCommand',
  'GetBucketOwnershipControlsCommand',
  'GetObjectAclCommand',
  'GetObjectTaggingCommand',
  'UpdateObjectEncryptionCommand',
  'CopyObjectCommand',
  'CreateMultipartUploadCommand',
  'UploadPartCopyCommand',
  'CompleteMultipartUploadCommand',
];
/** Why a call beyond HeadObject and one write is made, for the figures that are above the minimum. @type {Record<string, string>} */
const WHY_EXTRA = {
  GetObjectAcl: 'reads the ACL, which a copy would reset to private (ACLs enabled)',
  GetObjectTagging: 'reads the tags, which a multipart upload does not carry',
  HeadObject: 'a second HEAD with checksum mode, to keep the checksum algorithm on a multipart copy',
  UploadPartCopy: 'one per part of MULTIPART_PART_BYTES',
  CompleteMultipartUpload: 'ends the multipart upload',
};

/** @param {string} name */
const commandName = (name) => name.replace(/Command$/, '');
/** @param {Record<string, number>} counts */
const inOrder = (counts) => Object.entries(counts).sort(([a], [b]) => COMMAND_ORDER.indexOf(a) - COMMAND_ORDER.indexOf(b));

/**
 * @param {RunEnforce} runEnforce
 * @returns {Promise<SectionReport>}
 */
export const measureApiCalls = async (runEnforce) => {
  say('\n1. S3 API calls per object (real S3ObjectStore, real S3Client, commands counted as sent)');
  say('   minimum: 1 (HeadObject) for a compliant object; 2 (HeadObject + one write) otherwise');
  const { rows: callRows } = await runEnforce('calls', { objects: SETTINGS.callsObjects });
  /** @type {(string | number)[][]} */
  const callsDoc = [];
  /** @type {Set<string>} */
  const whyExtra = new Set();
  let callChecksFailed = 0;
  for (const strategy of ['auto', 'copy']) {
    for (const ownership of ['BucketOwnerEnforced', 'ObjectWriter']) {
      const rows = callRows.filter((row) => row.strategy === strategy && row.ownership === ownership);
      say(`\n   strategy ${strategy}${strategy === 'auto' ? ' (UpdateObjectEncryption available)' : ''}, bucket ${ownership} (ACLs ${ownership === 'BucketOwnerEnforced' ? 'disabled' : 'enabled'})`);
      /** @type {(string | number)[][]} */
      const table = [['class', 'calls/object', 'minimum', 'verdict', 'commands per object', 'then its own event']];
      for (const row of rows) {
        const perObject = Object.fromEntries(Object.entries(row.steady).map(([name, count]) => [name, count / row.objects]));
        const total = Object.values(perObject).reduce((sum, count) => sum + count, 0);
        const minimum = row.objectClass === 'compliant' ? 1 : 2;
        const extra = { ...perObject };
        extra['HeadObjectCommand'] = /** @type {number} */ (extra['HeadObjectCommand']) - 1;
        const write = PRIMARY_WRITES.find((name) => /** @type {number} */ (extra[name]) > 0);
        if (write && minimum === 2) extra[write] = /** @type {number} */ (extra[write]) - 1;
        const extras = inOrder(extra).filter(([, count]) => count > 0).map(([name, count]) => `${commandName(name)}${count === 1 ? '' : ` ×${fixed(count, 0)}`}`);
        inOrder(extra).filter(([, count]) => count > 0).forEach(([name]) => whyExtra.add(commandName(name)));
        const breakdown = inOrder(perObject).map(([name, count]) => `${commandName(name)}${count === 1 ? '' : ` ×${fixed(count, count % 1 ? 2 : 0)}`}`).join(', ');
        const ownEvent = row.ownEvent ? `${fixed(Object.values(row.ownEvent.calls).reduce((a, b) => a + b, 0) / row.objects, 0)} (HeadObject, compliant)` : 'none fires';
        const expectedKind = row.objectClass === 'compliant' ? 'compliant' : 'remediated:';
        const outcomesOk = Object.keys(row.outcomes).every((kind) => kind.startsWith(expectedKind)) && row.compliantAfter === row.totalObjects;
        const ownEventOk = !row.ownEvent || Object.keys(row.ownEvent.outcomes).every((kind) => kind === 'compliant');
        if (!outcomesOk || !ownEventOk) callChecksFailed += 1;
        const result = total === minimum ? 'MET' : `MISSED (+${fixed(total - minimum, 0)}: ${extras.join(', ')})`;
        const shortResult = total === minimum ? 'MET' : `MISSED +${fixed(total - minimum, 0)}`;
        table.push([row.label, fixed(total, total % 1 ? 2 : 0), minimum, outcomesOk && ownEventOk ? shortResult : `INVALID (${JSON.stringify(row.outcomes)})`, breakdown, ownEvent]);
        callsDoc.push([strategy, ownership, row.label, fixed(total, total % 1 ? 2 : 0), minimum, result, breakdown, ownEvent]);
      }
      say(columns(table, '   '));
    }
  }
  const firstCopy = callRows.find((row) => row.objectClass === 'unencrypted' && row.strategy === 'copy' && row.ownership === 'BucketOwnerEnforced');
  const large = callRows.find((row) => row.objectClass === 'large-unencrypted');
  if (!firstCopy || !large) throw new Error('the calls figures have no unencrypted copy or no large object');
  const perBucketOnce = Object.keys(firstCopy.first).filter((name) => !(name in firstCopy.steady)).map(commandName);
  say(`\n   once per bucket per execution environment, before its first copy: ${perBucketOnce.join(', ') || 'nothing'}`);
  const partCount = /** @type {number} */ (large.steady['UploadPartCopyCommand']) / large.objects;
  const floorParts = Math.ceil(large.sizeBytes / (5 * 1024 ** 3));
  say(`   over 5 GiB: MULTIPART_PART_BYTES is ${mib(large.partBytes)} by default, so a 6 GiB copy takes ${fixed(partCount, 0)} UploadPartCopy calls; S3's own floor for it is ${3 + floorParts} calls`);
  say(`   (HeadObject, CreateMultipartUpload, ${floorParts} × UploadPartCopy of at most 5 GiB, CompleteMultipartUpload); HEAD again for the checksum and GetObjectTagging for the tags are the enforcer's.`);
  if (callChecksFailed > 0) say(`   ${callChecksFailed} row(s) INVALID: an object did not end as expected; those counts are not figures.`);

  return {
    summary: [
      {
        figure: 'API calls per object',
        value: `${callsDoc.filter((row) => row[5] === 'MET').length} of ${callsDoc.length} cases at the minimum`,
        target: 'the minimum (1 compliant, 2 otherwise)',
        result: callChecksFailed > 0 ? 'INVALID' : callsDoc.every((row) => row[5] === 'MET') ? 'MET' : 'MISSED in the cases listed',
      },
    ],
    markdown: [
      '## 1. S3 API calls per object',
      '',
      `The enforce use case (\`enforceInvocation\`) with the real \`S3ObjectStore\` and a real \`S3Client\` whose HTTP handler is a simulated S3; every`,
      `command is counted as it enters the client (retries are not commands). ${SETTINGS.callsObjects} objects per case after a first one in the same`,
      'execution environment; unversioned bucket; configuration from the real loader with defaults (`OBJECT_CONCURRENCY` 8, `MULTIPART_PART_BYTES` 64 MiB).',
      'Minimum: one `HeadObject` for a compliant object, `HeadObject` plus one write otherwise. "Its own event" is the `ObjectCreated:Copy` (or',
      '`CompleteMultipartUpload`) notification a copy fires, handled afterwards; update in place fires none.',
      '',
      markdownTable(['strategy', 'bucket', 'class', 'calls/object', 'minimum', 'verdict', 'commands per object', 'its own event'], callsDoc),
      '',
      `Once per bucket per execution environment, before its first copy: ${perBucketOnce.join(', ') || 'nothing'}.`,
      '',
      'Why the cases above the minimum make more calls:',
      '',
      ...[...whyExtra].map((name) => `- \`${name}\`: ${WHY_EXTRA[name] ?? 'see the commands column'}.`),
      '',
      `Over 5 GiB: with the default 64 MiB parts a 6 GiB copy takes ${fixed(partCount, 0)} \`UploadPartCopy\` calls; S3's own floor for a copy of that size is ${3 + floorParts}`,
      `calls (\`HeadObject\`, \`CreateMultipartUpload\`, ${floorParts} parts of at most 5 GiB, \`CompleteMultipartUpload\`). The copy strategy sends SSE-S3 objects over 5 GiB`,
      'through the multipart path too.',
      '',
    ],
  };
};
