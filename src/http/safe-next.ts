// Where to send a user after sign-in: only a path on this site, never another origin.
const PLACEHOLDER_ORIGIN = 'http://smriti.invalid';

export function safeNextPath(value: unknown, fallback = '/journal'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  // "//host" and "/\host" are protocol-relative to browsers; control characters can hide either.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  if (!value.startsWith('/') || value.startsWith('//') || /[\\\x00-\x1f\x7f]/.test(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  return url.pathname + url.search + url.hash;
}

/** The path of the current request, to come back to after signing in. */
export function loginUrl(nextPath: string, flash?: string): string {
  const params = new URLSearchParams();
  if (flash) params.set('flash', flash);
  params.set('next', nextPath);
  return `/login?${params.toString()}`;
}
