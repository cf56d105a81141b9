// Types of scripts/reliability-docs/sections.mjs for the TypeScript suites that write reliability sections.

export type ReliabilitySectionId =
  | 'fault-injection'
  | 'malformed-input'
  | 'races'
  | 'races-moto'
  | 'integrity'
  | 'security'
  | 'audit-fault-injection'
  | 'audit-policy-fuzz';

export interface ReliabilitySection {
  readonly id: ReliabilitySectionId;
  readonly title: string;
  readonly within?: ReliabilitySectionId;
  readonly project: 'unit' | 'property' | 'integration';
  readonly suite: string;
}

export declare const SECTIONS_DIRECTORY_NAME: string;
export declare const SECTIONS_DIRECTORY: string;
export declare const COMMITTED_SECTIONS_DIRECTORY: string;
export declare const RELIABILITY_DOCUMENT: string;
export declare const RELIABILITY_SECTIONS: readonly ReliabilitySection[];
export declare const sectionFileName: (id: ReliabilitySectionId) => string;
export declare const assembleReliabilityDocument: (sectionText: (id: ReliabilitySectionId) => string | undefined) => string;
