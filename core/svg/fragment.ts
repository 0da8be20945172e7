/**
 * The one kind of reference a sanitised SVG may make: to an element of the same file (`#id`).
 *
 * URL parsers strip surrounding spaces and C0 controls before resolving, so ` #a` is local
 * too; we return the bare id and callers write back the normalised `#id`, so the output never
 * depends on a downstream parser trimming the same way we did.
 */
export function localFragmentId(reference: string): string | null {
  const trimmed = reference.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  if (!trimmed.startsWith('#')) return null;
  const id = trimmed.slice(1);
  // An id never holds whitespace or controls; one that seems to is a smuggling attempt.
  if (id === '' || /[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(id)) return null;
  return id;
}
