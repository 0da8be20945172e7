import { expect } from 'chai';
import { ARCHIVE_LIMITS, readArchive, type ArchiveContents, type ArchiveLimits } from '../../core/archive/index.ts';
import { inflateEntry, listZipEntries } from '../../core/archive/zip-entries.ts';
import { MAX_SVG_BYTES } from '../../core/limits.ts';
import { UploadRejectedError, type UploadProblem } from '../../core/problems.ts';
import { buildRawZip, declaredSizeOf, forgeDeclaredSize, type RawZipEntry } from '../fixtures/raw-zip.ts';
import { iconSvg } from '../fixtures/svgs.ts';
import { buildUploadZip, validIconSetZip, validIllustrationSetZip } from '../fixtures/uploads.ts';

const SVG = iconSvg(0);
const MANIFEST = '{}'; // readArchive does not parse it

async function rejection(zip: Buffer, limits?: ArchiveLimits): Promise<UploadProblem[]> {
  try {
    await readArchive(zip, limits);
  } catch (error) {
    if (error instanceof UploadRejectedError) return error.problems;
    throw error;
  }
  return expect.fail('expected the archive to be rejected');
}

function raw(...entries: RawZipEntry[]): Buffer {
  return buildRawZip(entries);
}

function messagesFor(problems: readonly UploadProblem[], file: string): string[] {
  return problems.filter((p) => p.file === file).map((p) => p.message);
}

describe('core/archive readArchive', () => {
  describe('layouts', () => {
    it('reads manifest.json at the root with SVGs in sub-folders', async () => {
      const contents = await readArchive(await validIconSetZip(3));
      expect(contents.root).to.equal('');
      expect(JSON.parse(contents.manifest.toString()).product.kind).to.equal('icon-set');
      expect([...contents.files.keys()]).to.deep.equal(['line/sun-1.svg', 'line/cloud-rain-2.svg', 'line/bolt-3.svg']);
      expect(contents.files.get('line/sun-1.svg')!.toString()).to.equal(iconSvg(0));
    });

    it('reads a single wrapping folder, with paths relative to it', async () => {
      const contents = await readArchive(await validIllustrationSetZip(2, { wrapper: 'Quiet Landscapes' }));
      expect(contents.root).to.equal('Quiet Landscapes/');
      expect([...contents.files.keys()]).to.deep.equal(['landscape-1.svg', 'landscape-2.svg']);
    });

    it('reads archives without folder entries', async () => {
      const contents = await readArchive(await validIconSetZip(2, { wrapper: 'set', noFolderEntries: true }));
      expect(contents.root).to.equal('set/');
      expect(contents.files.size).to.equal(2);
    });

    it('ignores OS litter anywhere', async () => {
      const litter = [
        { name: '__MACOSX/', dir: true },
        { name: '__MACOSX/set/._line', content: 'resource fork' },
        { name: '__MACOSX/set/line/._sun-1.svg', content: 'resource fork' },
        { name: 'set/.DS_Store', content: Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]) },
        { name: 'set/line/Thumbs.db', content: 'thumbs' },
        { name: 'set/desktop.ini', content: '[.ShellClassInfo]' },
        { name: 'set/._manifest.json', content: 'apple double' },
      ];
      const contents = await readArchive(await validIconSetZip(2, { wrapper: 'set', extraEntries: litter }));
      expect(contents.root).to.equal('set/');
      expect([...contents.files.keys()]).to.deep.equal(['line/sun-1.svg', 'line/cloud-rain-2.svg']);
    });

    it('rejects an archive without manifest.json', async () => {
      const problems = await rejection(await buildUploadZip({ manifest: null, files: { 'sun.svg': SVG } }));
      expect(problems).to.deep.equal([
        {
          message:
            'the archive holds no manifest.json; put manifest.json at the top level of the archive or inside the one folder that holds everything',
        },
      ]);
    });

    it('rejects two manifests', async () => {
      const problems = await rejection(raw({ name: 'manifest.json', content: MANIFEST }, { name: 'more/manifest.json', content: MANIFEST }));
      expect(problems).to.have.length(1);
      expect(problems[0]!.message).to.equal('the archive holds 2 manifest.json files ("manifest.json", "more/manifest.json"); an upload has exactly one');
    });

    it('rejects a manifest in a sub-sub-folder', async () => {
      const problems = await rejection(raw({ name: 'a/b/manifest.json', content: MANIFEST }, { name: 'a/b/sun.svg', content: SVG }));
      expect(messagesFor(problems, 'a/b/manifest.json')).to.deep.equal([
        'is too deep in the archive; put manifest.json at the top level of the archive or inside the one folder that holds everything',
      ]);
    });

    it('rejects files outside the wrapping folder, naming each', async () => {
      const zip = await validIconSetZip(1, { wrapper: 'set', extraEntries: [{ name: 'stray.svg', content: SVG }, { name: 'other/', dir: true }] });
      const problems = await rejection(zip);
      expect(problems.map((p) => p.file)).to.deep.equal(['stray.svg', 'other/']);
      expect(problems[0]!.message).to.equal(
        'is outside the folder "set/" that holds manifest.json; put everything inside that folder, or manifest.json at the top level',
      );
    });
  });

  describe('hostile archives', () => {
    it('rejects path traversal, absolute paths and backslashes', async () => {
      const problems = await rejection(
        raw(
          { name: 'manifest.json', content: MANIFEST },
          { name: '../evil.svg', content: SVG },
          { name: 'line/../../evil.svg', content: SVG },
          { name: '/etc/evil.svg', content: SVG },
          { name: 'C:/evil.svg', content: SVG },
          { name: 'C:\\evil.svg', content: SVG },
          { name: 'line\\evil.svg', content: SVG },
          { name: './evil.svg', content: SVG },
        ),
      );
      expect(messagesFor(problems, '../evil.svg')).to.deep.equal(['has a ".." in its path, which would place it outside the upload']);
      expect(messagesFor(problems, 'line/../../evil.svg')).to.deep.equal(['has a ".." in its path, which would place it outside the upload']);
      expect(messagesFor(problems, '/etc/evil.svg')).to.deep.equal(['is an absolute path; every path in the archive must be relative']);
      expect(messagesFor(problems, 'C:/evil.svg')).to.deep.equal(['is an absolute path; every path in the archive must be relative']);
      expect(messagesFor(problems, 'C:\\evil.svg')).to.have.length(1);
      expect(messagesFor(problems, 'line\\evil.svg')).to.deep.equal(['uses "\\" in its path; ZIP paths must separate folders with "/"']);
      expect(messagesFor(problems, './evil.svg')).to.have.length(1);
      expect(problems).to.have.length(7);
    });

    it('rejects symbolic links, even ones named like litter', async () => {
      const zip = await validIconSetZip(1, {
        extraEntries: [
          { name: 'passwd.svg', content: '/etc/passwd', unixPermissions: 0o120777 },
          { name: '.DS_Store', content: '/', unixPermissions: 0o120777 },
          { name: 'fifo.svg', content: '', unixPermissions: 0o010644 },
          { name: 'normal.svg', content: SVG, unixPermissions: 0o100644 },
        ],
      });
      const problems = await rejection(zip);
      const link = 'is a symbolic link; links are not allowed, put the file itself in the archive';
      expect(messagesFor(problems, 'passwd.svg')).to.deep.equal([link]);
      expect(messagesFor(problems, '.DS_Store')).to.deep.equal([link]);
      expect(messagesFor(problems, 'fifo.svg')).to.deep.equal(['is a special file (device, pipe or socket), not a regular file']);
      expect(messagesFor(problems, 'normal.svg')).to.deep.equal([]);
    });

    it('rejects duplicate names, also after case-folding and Unicode normalisation', async () => {
      const problems = await rejection(
        raw(
          { name: 'manifest.json', content: MANIFEST },
          { name: 'sun.svg', content: SVG },
          { name: 'sun.svg', content: SVG.replace('sun', 'moon') },
          { name: 'Sun.SVG', content: SVG },
          { name: 'caf\u00e9.svg', content: SVG },
          { name: 'cafe\u0301.svg', content: SVG },
        ),
      );
      expect(problems).to.deep.equal([
        { file: 'sun.svg', message: 'appears twice in the archive' },
        { file: 'Sun.SVG', message: 'clashes with "sun.svg": the names differ only in letter case, so they would be one file on macOS and Windows' },
        { file: 'cafe\u0301.svg', message: 'is "caf\u00e9.svg" again, in a different Unicode form; they would be one file on macOS, so keep one' },
      ]);
    });

    it('rejects nested archives by extension', async () => {
      const entries = ['inner.zip', 'a.tar', 'b.tar.gz', 'c.tgz', 'd.7z', 'e.rar', 'f.bz2', 'g.xz'].map((name) => ({ name, content: 'x' }));
      const problems = await rejection(raw({ name: 'manifest.json', content: MANIFEST }, ...entries));
      expect(problems.map((p) => p.file)).to.deep.equal(entries.map((e) => e.name));
      expect(problems[0]!.message).to.equal('is a nested archive (.zip); unpack it and put its SVG files in the upload itself');
    });

    it('rejects nested archives disguised as SVG or JSON, by their magic bytes', async () => {
      const innerZip = await validIconSetZip(1);
      const tar = Buffer.alloc(512);
      tar.write('sun.svg', 0);
      tar.write('ustar\u000000', 257, 'latin1');
      const disguised: Record<string, Buffer> = {
        'zip.svg': innerZip,
        'gzip.svg': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]),
        'bzip2.svg': Buffer.from('BZh91AY&SY'),
        'xz.svg': Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]),
        '7z.svg': Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0x00, 0x04]),
        'rar.svg': Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00]),
        'tar.svg': tar,
      };
      const problems = await rejection(await buildUploadZip({ manifest: innerZip, files: disguised }));
      expect(messagesFor(problems, 'zip.svg')).to.deep.equal(['is really a ZIP archive, not an SVG; nested archives are not allowed']);
      expect(messagesFor(problems, 'tar.svg')).to.deep.equal(['is really a tar archive, not an SVG; nested archives are not allowed']);
      expect(messagesFor(problems, 'manifest.json')).to.deep.equal(['is really a ZIP archive, not JSON; nested archives are not allowed']);
      expect(problems).to.have.length(Object.keys(disguised).length + 1);
    });

    it('rejects encrypted entries', async () => {
      const problems = await rejection(raw({ name: 'manifest.json', content: MANIFEST }, { name: 'sun.svg', content: SVG, encrypted: true }));
      expect(problems).to.deep.equal([{ message: 'the archive is password-protected; upload it without a password' }]);
    });

    it('rejects other file types', async () => {
      const problems = await rejection(
        await buildUploadZip({ files: { 'sun.svg': SVG, 'readme.txt': 'hi', 'sun.png': Buffer.alloc(8), 'notes.JSON': '{}' } }),
      );
      const message = 'is not allowed: an upload holds only .svg files and one manifest.json';
      expect(problems).to.deep.equal(['readme.txt', 'sun.png', 'notes.JSON'].map((file) => ({ file, message })));
    });

    it('rejects paths longer than MAX_PATH_LENGTH', async () => {
      const long = `${'d/'.repeat(127)}x.svg`; // 259 characters
      const fits = `${'d/'.repeat(125)}x.svg`; // 255 characters
      const problems = await rejection(raw({ name: 'manifest.json', content: MANIFEST }, { name: long, content: SVG }, { name: fits, content: SVG }));
      expect(problems).to.deep.equal([{ file: long, message: `has a path longer than ${ARCHIVE_LIMITS.maxPathLength} characters (259)` }]);
    });

    it('rejects what is not a ZIP at all', async () => {
      const notZip = 'the upload is not a ZIP archive; compress the folder with manifest.json and the SVG files as .zip';
      expect(await rejection(Buffer.from(iconSvg(1)))).to.deep.equal([{ message: notZip }]);
      expect(await rejection(Buffer.alloc(0))).to.deep.equal([{ message: notZip }]);
      const truncated = (await validIconSetZip(2)).subarray(0, 200);
      expect((await rejection(truncated))[0]!.message).to.match(/^the archive is damaged and cannot be read/);
    });

    it('rejects an archive over MAX_ARCHIVE_BYTES before reading it', async () => {
      const zip = await validIconSetZip(1);
      const problems = await rejection(zip, { ...ARCHIVE_LIMITS, maxArchiveBytes: 500 });
      expect(problems).to.deep.equal([{ message: `the archive is ${zip.length} bytes; the limit is 500 bytes` }]);
      expect(zip.length).to.be.within(501, 1023);
    });

    it('rejects more than MAX_ARCHIVE_ENTRIES entries, counted and as declared', async () => {
      const entries = [{ name: 'manifest.json', content: MANIFEST }, ...Array.from({ length: ARCHIVE_LIMITS.maxEntries }, (_, i) => ({ name: `i/${i}.svg`, content: SVG, stored: true }))];
      expect(await rejection(buildRawZip(entries))).to.deep.equal([
        { message: `the archive holds ${ARCHIVE_LIMITS.maxEntries + 1} entries; at most ${ARCHIVE_LIMITS.maxEntries} are allowed` },
      ]);
      // An end record that admits to too many entries is refused before any entry is parsed.
      expect(await rejection(buildRawZip(entries.slice(0, 2), { declaredEntryCount: 60_000 }))).to.deep.equal([
        { message: `the archive holds 60000 entries; at most ${ARCHIVE_LIMITS.maxEntries} are allowed` },
      ]);
    });
  });

  describe('sizes are counted while inflating, not taken from headers', () => {
    const BOMB_BYTES = 24 * 1024 * 1024; // deflates to about 24 KiB
    let honestBomb: Buffer;
    before(() => {
      // A real ZIP with honest headers, deflated natively (pako would take seconds).
      const bomb = Buffer.alloc(BOMB_BYTES, ' ');
      honestBomb = buildRawZip([{ name: 'manifest.json', content: MANIFEST }, { name: 'sun.svg', content: SVG }, { name: 'bomb.svg', content: bomb }]);
    });

    it('stops a forged-size bomb at MAX_SVG_BYTES', async () => {
      expect(declaredSizeOf(honestBomb, 'bomb.svg')).to.equal(BOMB_BYTES);
      const forged = forgeDeclaredSize(honestBomb, 'bomb.svg', 300);
      expect(declaredSizeOf(forged, 'bomb.svg')).to.equal(300);
      expect(forged.length).to.be.below(200 * 1024);

      const problems = await rejection(forged);
      expect(problems).to.deep.equal([{ file: 'bomb.svg', message: 'unpacks to more than 5 MiB, the limit for one SVG (its header claims 300 bytes)' }]);
    });

    it('stops inflating right after the limit, not at the end of the entry', async () => {
      const forged = forgeDeclaredSize(honestBomb, 'bomb.svg', 300);
      const entry = listZipEntries(forged, 10).entries.find((e) => e.name === 'bomb.svg')!;
      const result = await inflateEntry(entry, MAX_SVG_BYTES);
      expect(result.ok).to.equal(false);
      if (result.ok || result.reason !== 'too-large') return expect.fail(JSON.stringify(result));
      expect(result.bytesSeen).to.be.above(MAX_SVG_BYTES);
      expect(result.bytesSeen).to.be.below(MAX_SVG_BYTES + 1024 * 1024); // of 24 MiB
    });

    it('applies MAX_MANIFEST_BYTES to manifest.json', async () => {
      const zip = raw({ name: 'manifest.json', content: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}` }, { name: 'sun.svg', content: SVG });
      expect(await rejection(zip)).to.deep.equal([
        { file: 'manifest.json', message: 'unpacks to more than 1 MiB, the limit for manifest.json' },
      ]);
    });

    it('stops at MAX_UNCOMPRESSED_BYTES for the whole archive', async () => {
      const limits = { ...ARCHIVE_LIMITS, maxSvgBytes: 4000, maxUncompressedBytes: 10_000 };
      const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.svg`, 's'.repeat(3000)]));
      const problems = await rejection(await buildUploadZip({ files }), limits);
      expect(problems).to.deep.equal([
        { message: 'the archive unpacks to more than 9.8 KiB in total, the limit for one upload; split it into smaller sets' },
      ]);
    });

    it('rejects an entry whose content does not match its size or checksum', async () => {
      const zip = forgeDeclaredSize(await buildUploadZip({ files: { 'sun.svg': SVG } }), 'sun.svg', SVG.length - 1);
      expect(await rejection(zip)).to.deep.equal([
        { file: 'sun.svg', message: 'is damaged and cannot be unpacked (its unpacked size differs from the size in its header); re-create the archive' },
      ]);
      const stored = raw({ name: 'manifest.json', content: MANIFEST }, { name: 'sun.svg', content: SVG, stored: true });
      const flipped = Buffer.from(stored);
      const at = stored.indexOf('<svg') + 1;
      flipped.writeUInt8(stored.readUInt8(at) ^ 0x20, at); // one bit in the stored content
      expect(await rejection(flipped)).to.deep.equal([
        { file: 'sun.svg', message: 'is damaged and cannot be unpacked (CRC-32 mismatch); re-create the archive' },
      ]);
    });
  });

  it('reports every problem found, not only the first', async () => {
    const zip = await validIconSetZip(1, {
      wrapper: 'set',
      extraEntries: [
        { name: 'set/../escape.svg', content: SVG },
        { name: 'set/link.svg', content: '/etc', unixPermissions: 0o120777 },
        { name: 'set/notes.txt', content: 'x' },
        { name: 'set/nested.zip', content: 'x' },
        { name: 'outside.svg', content: SVG },
      ],
    });
    const problems = await rejection(zip);
    // jszip also writes the folder entry "set/../" for the escaping file, which is rejected too.
    expect(problems.map((p) => p.file)).to.have.members(['set/../', 'set/../escape.svg', 'set/link.svg', 'set/notes.txt', 'set/nested.zip', 'outside.svg']);
  });

  it('returns what a valid archive holds and nothing else', async () => {
    const contents: ArchiveContents = await readArchive(await validIllustrationSetZip(2));
    expect(Object.keys(contents).sort()).to.deep.equal(['files', 'manifest', 'root']);
    expect([...contents.files.values()].every((bytes) => bytes.toString().startsWith('<svg'))).to.equal(true);
  });
});
