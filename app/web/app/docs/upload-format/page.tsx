/** The upload contract (shared/docs/upload-format.md, version 1), with the limits the pipeline enforces. */
import Link from 'next/link';
import {
  MANIFEST_VERSION,
  MAX_ARCHIVE_BYTES,
  MAX_DESCRIPTION_LENGTH,
  MAX_IMAGES,
  MAX_PRICE_CENTS,
  MAX_SLUG_LENGTH,
  MAX_SVG_BYTES,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TITLE_LENGTH,
  MIN_IMAGES,
} from '../../../../../core/limits.ts';
import { SAMPLE_MANIFEST } from '../../../lib/sample-upload.ts';

export const metadata = { title: 'Upload format' };

const MiB = 1024 * 1024;
const n = (value: number) => value.toLocaleString('en-US');

export default function UploadFormatPage() {
  const rules: [string, string][] = [
    ['manifestVersion', `${MANIFEST_VERSION}`],
    ['product.kind', 'icon-set or illustration-set'],
    ['product.title', `1–${MAX_TITLE_LENGTH} characters after trimming; no control or text-direction characters`],
    ['product.description', `optional, up to ${n(MAX_DESCRIPTION_LENGTH)} characters`],
    ['product.family.slug', `lower-case letters, digits and single hyphens (^[a-z0-9]+(-[a-z0-9]+)*$), up to ${MAX_SLUG_LENGTH}; your sets with the same slug form one family`],
    ['product.family.title', `optional, 1–${MAX_TITLE_LENGTH} characters; used when the family is new`],
    ['product.license', 'free, standard or extended'],
    ['product.tags, images[].tags', `optional, up to ${MAX_TAGS} tags, each 1–${MAX_TAG_LENGTH} characters, lower-cased and de-duplicated`],
    ['product.price', `optional (free when absent): amount in integer cents 0–${n(MAX_PRICE_CENTS)}, currency an ISO 4217 code such as "USD"`],
    ['images', `${MIN_IMAGES}–${n(MAX_IMAGES)} entries, each file listed once`],
    ['images[].file', 'a relative path ending in .svg (sub-folders allowed: line/sun.svg)'],
    ['images[].title', `1–${MAX_TITLE_LENGTH} characters`],
  ];
  return (
    <article className="narrow docs">
      <h1>Upload format, version {MANIFEST_VERSION}</h1>
      <p>
        One ZIP archive holding your SVG files and a <code>manifest.json</code>. Download the{' '}
        <a href="/samples/sample-upload.zip" download>
          sample ZIP
        </a>{' '}
        to start from, and <Link href="/docs/upload-format/check">check your ZIP in the browser</Link> before uploading it.
      </p>
      <h2>Archive</h2>
      <ul>
        <li>
          <code>manifest.json</code> at the top level, or inside the one folder that wraps everything (what &ldquo;Compress folder&rdquo; makes). File
          paths in the manifest are relative to the manifest&rsquo;s folder.
        </li>
        <li>Every file the manifest lists must be present; every .svg present must be listed.</li>
        <li>
          Operating-system litter is ignored: <code>__MACOSX/</code>, <code>.DS_Store</code>, <code>Thumbs.db</code>, <code>desktop.ini</code>.
        </li>
        <li>Anything else (other file types, nested archives, links, paths that leave the folder) rejects the upload with a reason.</li>
        <li>
          At most {MAX_ARCHIVE_BYTES / MiB} MiB per archive and {MAX_SVG_BYTES / MiB} MiB per SVG. SVGs are sanitised: scripts, event handlers,
          external references and foreign content are removed.
        </li>
      </ul>
      <h2>manifest.json</h2>
      <pre style={{ overflow: 'auto', background: '#fff', border: '1px solid var(--line)', borderRadius: 8, padding: 12 }}>
        <code>{JSON.stringify(SAMPLE_MANIFEST, null, 2)}</code>
      </pre>
      <table className="sets-table">
        <thead>
          <tr>
            <th scope="col">field</th>
            <th scope="col">rule</th>
          </tr>
        </thead>
        <tbody>
          {rules.map(([field, rule]) => (
            <tr key={field}>
              <td>
                <code>{field}</code>
              </td>
              <td>{rule}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>Unknown keys are rejected (a typo must not pass silently). Text is stored as given and escaped where it is shown.</p>
      <h2>Reasons</h2>
      <p>
        A rejected upload gets every reason found, each with the file or field it concerns and a sentence you can act on, e.g.{' '}
        <code>images[3].file: &quot;line/sunn.svg&quot; is listed but not in the archive</code>.
      </p>
    </article>
  );
}
