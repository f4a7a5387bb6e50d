import { formatBytes } from '../format.ts';

/** Why a Hub download failed, so callers (page, CLI, tests) can tell the cases apart without parsing messages. */
export type HubErrorKind =
  | 'repo-not-found'
  | 'revision-not-found'
  | 'file-not-found'
  | 'unauthorized'
  | 'offline'
  | 'corrupt'
  | 'quota'
  | 'unknown-language'
  | 'http';

/** A Hub failure with a one-line message saying what went wrong and what to do. Never contains a token. */
export class HubError extends Error {
  constructor(readonly kind: HubErrorKind, message: string) {
    super(message);
    this.name = 'HubError';
  }
}

/** The storage quota is too small for a file: says how much is needed and how much is free. */
export function quotaError(what: string, needed: number, free: number): HubError {
  return new HubError(
    'quota',
    `not enough browser storage for ${what}: it needs ${formatBytes(needed)} but only ${formatBytes(Math.max(0, free))} is free. Delete cached items (Cached downloads) or free disk space, then try again.`,
  );
}
