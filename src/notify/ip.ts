// An address as people know it: IPv4 clients reach a dual-stack socket as "::ffff:203.0.113.5".
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function displayIp(ip: string | null | undefined): string {
  if (!ip) return 'unknown';
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}
