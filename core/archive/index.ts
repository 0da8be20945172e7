export {
  ARCHIVE_LIMITS,
  inspectArchive,
  readArchive,
  type ArchiveContents,
  type ArchiveInspection,
  type ArchiveLimits,
} from './read.ts';
