// Types of infra/build.mjs for the TypeScript tests and the tooling that build bundles or read them.
import type { BuildOptions } from 'esbuild';

/** A function's bundle: split, its entry dist/<name>/index.mjs, its chunks in dist/<name>/chunks/. */
type BundleOptions = BuildOptions & { metafile: true; outdir: string; banner: { js: string } };
/** The CLI's bundle: one file. */
type SingleFileOptions = BuildOptions & { metafile: true; outfile: string; banner: { js: string } };

/** esbuild's metafile `outputs`, or the `inputs` of a scan of built files. */
type ModuleGraph = Record<string, { bytes: number; imports: { path: string; kind: string; external?: boolean }[] }>;

interface BundlePart {
  readonly files: string[];
  readonly bytes: number;
}

export interface BundleParts {
  /** The entry and every chunk it reaches through static imports: what a cold start loads. */
  readonly atStart: BundlePart;
  /** The chunks only a dynamic import() loads. */
  readonly whenNeeded: BundlePart;
  /** Chunks nothing imports. */
  readonly unused: string[];
}

export declare const ENTRY_FILE: string;
export declare const CHUNKS_DIR: string;
export declare const LAMBDA_CREDENTIALS_ALIAS: Record<string, string>;
export declare const functionNames: () => string[];
export declare const commonEsbuildOptions: (name: string) => BundleOptions;
export declare const esbuildOptions: (name: string) => BundleOptions;
export declare const singleFileOptions: (options: BundleOptions, outfile: string) => SingleFileOptions;
export declare const CLI_ENTRY: string;
export declare const CLI_OUTFILE: string;
export declare const cliEsbuildOptions: () => SingleFileOptions;
export declare const bundleParts: (graph: ModuleGraph, entry: string) => BundleParts;
export declare const buildSplitBundle: (options: BundleOptions) => Promise<{ entry: string; parts: BundleParts }>;
export declare const describeBundle: (entry: string, parts: BundleParts) => string;
