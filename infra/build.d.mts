// Types of infra/build.mjs for the TypeScript tests that build bundles in memory.
import type { BuildOptions } from 'esbuild';

type BundleOptions = BuildOptions & { metafile: true; outfile: string };

export declare const LAMBDA_CREDENTIALS_ALIAS: Record<string, string>;
export declare const functionNames: () => string[];
export declare const commonEsbuildOptions: (name: string) => BundleOptions;
export declare const esbuildOptions: (name: string) => BundleOptions;
export declare const CLI_ENTRY: string;
export declare const CLI_OUTFILE: string;
export declare const cliEsbuildOptions: () => BundleOptions;
