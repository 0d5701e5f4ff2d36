import type { ChildProcess, StdioOptions } from 'node:child_process';
export declare const MTA_CACHE: string;
export declare function debianMtaMissing(): string;
export declare function debianRoot(packages: string[]): string;
export declare function privateEtc(dir: string, opts?: { users?: { name: string; uid: number; gid?: number; home?: string }[]; files?: Record<string, string> }): string;
export interface PrivateOptions { etc?: string; root?: string; binds?: [string, string][]; overlays?: [string, string][]; env?: Record<string, string>; stdio?: StdioOptions }
export declare function spawnPrivate(cmd: string, args: string[], opts?: PrivateOptions): ChildProcess;
export declare function runPrivate(cmd: string, args: string[], opts?: PrivateOptions): Promise<{ status: number | null; stdout: string; stderr: string }>;
