/**
 * Writes a tiny MaxMind DB (format 2.0, IPv4, 24-bit records) mapping prefixes to country codes, so
 * geoMatchStatement is tested against a real file read by the real reader (maxmind/mmdb-lib).
 * https://maxmind.github.io/MaxMind-DB/
 */
function uint(type: number, v: number | bigint): Buffer {
  let hex = v.toString(16);
  if (v === 0 || v === 0n) hex = '';
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return type <= 7
    ? Buffer.concat([Buffer.from([(type << 5) | bytes.length]), bytes])
    : Buffer.concat([Buffer.from([bytes.length, type - 7]), bytes]);
}
const str = (s: string) => Buffer.concat([Buffer.from([(2 << 5) | Buffer.byteLength(s)]), Buffer.from(s)]);
const map = (entries: [string, Buffer][]) =>
  Buffer.concat([Buffer.from([(7 << 5) | entries.length]), ...entries.flatMap(([k, v]) => [str(k), v])]);
const array = (items: Buffer[]) => Buffer.concat([Buffer.from([items.length, 11 - 7]), ...items]);

export function buildCountryMmdb(prefixes: Record<string, string>): Buffer {
  // data section: one record per country
  const data: Buffer[] = [];
  const offsets = new Map<string, number>();
  let size = 0;
  for (const code of new Set(Object.values(prefixes))) {
    const rec = map([['country', map([['iso_code', str(code)]])]]);
    offsets.set(code, size);
    data.push(rec);
    size += rec.length;
  }
  // search tree: [left, right]; -1 = empty, -2 - n = data for country n
  const nodes: [number, number][] = [[-1, -1]];
  const codes = [...offsets.keys()];
  for (const [cidr, code] of Object.entries(prefixes)) {
    const [addr = '', bits = '32'] = cidr.split('/');
    const ip = addr.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
    let node = 0;
    for (let i = 0; i < Number(bits); i++) {
      const bit = ((ip >>> (31 - i)) & 1) as 0 | 1;
      const last = i === Number(bits) - 1;
      const n = nodes[node] as [number, number];
      if (last) n[bit] = -2 - codes.indexOf(code);
      else {
        if (n[bit] < 0) {
          nodes.push([-1, -1]);
          n[bit] = nodes.length - 1;
        }
        node = n[bit];
      }
    }
  }
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((n, i) => {
    n.forEach((r, side) => {
      const v = r === -1 ? count : r <= -2 ? count + 16 + (offsets.get(codes[-2 - r] as string) as number) : r;
      tree.writeUIntBE(v, i * 6 + side * 3, 3);
    });
  });
  const meta = map([
    ['node_count', uint(6, count)],
    ['record_size', uint(5, 24)],
    ['ip_version', uint(5, 4)],
    ['database_type', str('Portico-Test-Country')],
    ['languages', array([str('en')])],
    ['binary_format_major_version', uint(5, 2)],
    ['binary_format_minor_version', uint(5, 0)],
    ['build_epoch', uint(9, 1767225600n)],
    ['description', map([['en', str('test')]])],
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), meta]);
}
