// Client addresses as people know them: a dual-stack server sees IPv4 clients as `::ffff:1.2.3.4`.
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function ipForPeople(ip: string | null): string | null {
  if (!ip) return null;
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}
