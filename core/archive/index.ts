export { ARCHIVE_LIMITS, readArchive, type ArchiveContents, type ArchiveLimits } from './read.ts';
