export { parseManifest, type ParseManifestResult } from './parse.ts';
export { formatFieldPath, MANIFEST_FILE } from './issues.ts';
export {
  imagePathProblem,
  licenses,
  manifestSchema,
  productKinds,
  type License,
  type Manifest,
  type ManifestImage,
  type ProductKind,
} from './schema.ts';
