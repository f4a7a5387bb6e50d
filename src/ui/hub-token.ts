// The page's Hugging Face token: in memory for this page only, or in localStorage when the user asks to be
// remembered on this device. It lives nowhere else: not in the set-up (RunConfig), the link, params or tags.

const STORAGE_KEY = 'xnli-browser-trainer.hf-token';

let token = '';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (e.g. some private modes): memory only
  }
}

/** The token remembered on this device, if any (read once at start-up into memory). */
export function rememberedHubToken(): string {
  token = storage()?.getItem(STORAGE_KEY) ?? '';
  return token;
}

/** The token to send to the Hub endpoint now, or undefined when none was given. */
export function hubToken(): string | undefined {
  return token || undefined;
}

/** Sets the token; `remember` keeps it in localStorage, otherwise any remembered copy is removed. */
export function setHubToken(value: string, remember: boolean): void {
  token = value.trim();
  const store = storage();
  if (remember && token) store?.setItem(STORAGE_KEY, token);
  else store?.removeItem(STORAGE_KEY);
}

/** Authorization headers for a request to `url`, only when it goes to the Hub endpoint itself. */
export function hubAuthHeaders(url: string, endpoint: string): Record<string, string> {
  if (!token) return {};
  try {
    return new URL(url).origin === new URL(endpoint).origin ? { authorization: `Bearer ${token}` } : {};
  } catch {
    return {};
  }
}
