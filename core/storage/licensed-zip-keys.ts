/**
 * downloads bucket: a set ZIP with the LICENSE.txt of one entitlement added, built on its first download
 * and kept (the licence text of an entitlement never changes). Private, presigned only.
 */
const ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function licensedSetZipKey(productId: string, entitlementId: string): string {
  for (const [name, value] of [['productId', productId], ['entitlementId', entitlementId]] as const) {
    if (!ID_PATTERN.test(value)) throw new TypeError(`${name} must be a lower-case UUID, got ${JSON.stringify(value)}`);
  }
  return `licensed/${productId}/${entitlementId}.zip`;
}
