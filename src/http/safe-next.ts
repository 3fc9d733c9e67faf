// Where to send a user after sign-in: only a path on this site, never another origin.
const PLACEHOLDER_ORIGIN = 'http://smriti.invalid';

/**
 * "//host" and "/\host" are protocol-relative to browsers, and control characters can hide either
 * (browsers drop tabs and newlines from a URL before reading it).
 */
function isSitePath(path: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return path.startsWith('/') && !path.startsWith('//') && !/[\\\x00-\x1f\x7f]/.test(path);
}

export function safeNextPath(value: unknown, fallback = '/journal'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048 || !isSitePath(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return fallback;
  // Checked again after normalisation: "/.//evil", "/..//x" and "/%2e//x" all become "//…".
  const path = url.pathname + url.search + url.hash;
  if (!isSitePath(path)) return fallback;
  // What a browser makes of the answer must be this very URL, on this origin.
  return new URL(path, PLACEHOLDER_ORIGIN).href === url.href ? path : fallback;
}

/** The path of the current request, to come back to after signing in. */
export function loginUrl(nextPath: string, flash?: string): string {
  const params = new URLSearchParams();
  if (flash) params.set('flash', flash);
  params.set('next', nextPath);
  return `/login?${params.toString()}`;
}
