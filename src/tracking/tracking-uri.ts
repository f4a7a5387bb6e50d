/**
 * MLflow's convention for where a run goes: an http(s):// tracking URI names a server to log to
 * live; a path or file:// URI names a file store (`mlruns` folder) to write.
 */
export type TrackingTarget = { kind: 'rest'; url: string } | { kind: 'file'; path: string };

export function parseTrackingUri(uri: string): TrackingTarget {
  const trimmed = uri.trim();
  if (trimmed === '') throw new Error('the MLflow tracking URI is empty: give http(s)://host:port for a server, or a folder for a file store');
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      new URL(trimmed);
    } catch {
      throw new Error(`'${uri}' is not a valid URL for an MLflow tracking server`);
    }
    return { kind: 'rest', url: trimmed.replace(/\/+$/, '') };
  }
  if (/^file:/i.test(trimmed)) {
    const url = new URL(trimmed);
    if (url.host && url.host !== 'localhost') throw new Error(`file URI '${uri}' names a remote host; give a local folder`);
    return { kind: 'file', path: decodeURIComponent(url.pathname) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(`tracking URI scheme of '${uri}' is not supported here: use http(s):// for an MLflow server or a folder for a file store`);
  }
  return { kind: 'file', path: trimmed };
}
