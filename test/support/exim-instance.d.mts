export declare const EXIM_PACKAGES: string[];
export declare function eximMissing(): string;
export interface EximOptions {
  port?: number;
  main?: Record<string, string>;
  acl?: string;
  routers?: string;
  transports?: string;
  retry?: string;
  queueInterval?: string;
}
export interface EximInstance {
  dir: string;
  port: number;
  conf: string;
  version: string;
  log(): string;
  queueRun(): Promise<{ status: number | null; stdout: string; stderr: string }>;
  exim(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}
export declare function startExim(opts?: EximOptions): Promise<EximInstance>;
export declare function prepareExim(): Promise<string>;
