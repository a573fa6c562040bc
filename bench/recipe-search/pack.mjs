import { readFileSync, writeFileSync } from 'node:fs';
for (const [src, name] of [[process.argv[2], 'train'], [process.argv[3], 'test']]) {
  const b = readFileSync(src); // layout: see src/data/cache.ts
  const hl = b.readUInt32LE(12); const h = JSON.parse(b.subarray(16, 16 + hl).toString());
  const n = h.count, s = h.size; const off = 16 + hl;
  writeFileSync(`${name}_x.u8`, b.subarray(off, off + n * s * s));
  writeFileSync(`${name}_y.u8`, b.subarray(off + n * s * s, off + n * s * s + n));
  console.log(name, n, s, h.classes);
}
